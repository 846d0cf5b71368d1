"""`fieldapp backup` / `restore`: one passphrase-encrypted archive holding the database dump and every key.

Inside the encryption: a tar with `manifest.json` (what, when, which schema revision, rows per table),
`database.sqlite3` or `database.pgdump`, and `keys.json`. Nothing is written unencrypted outside a private
temporary folder that is removed afterwards.
"""

from __future__ import annotations

import io
import json
import shutil
import tarfile
import tempfile
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from flask import Flask

from ..extensions import db
from ..secret_files import PRIVATE_FILE_MODE
from ..version import __version__
from . import database, key_material
from .sealed_file import open_stream, seal_stream

BACKUP_PURPOSE = "fieldapp-backup"
KEYS_PURPOSE = "fieldapp-keys"
DUMP_NAMES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}


@contextmanager
def _private_folder():
    folder = Path(tempfile.mkdtemp(prefix="fieldapp-backup-"))  # mode 0700
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode = len(data), PRIVATE_FILE_MODE
    tar.addfile(info, io.BytesIO(data))


def write_backup(app: Flask, target: Path, passphrase: str) -> dict:
    """Write the encrypted archive to `target`; returns its manifest."""
    engine = db.engine
    kind, schema = database.backend(engine), database.schema_of(engine)
    with _private_folder() as folder:
        dump_path = folder / DUMP_NAMES[kind]
        database.dump(engine, dump_path)
        manifest = {
            "format": BACKUP_PURPOSE,
            "version": 1,
            "fieldapp": __version__,
            "backend": kind,
            "schema": schema,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "tables": database.table_counts(engine, schema),
        }
        manifest["revision"] = _revision(engine)
        tar_path = folder / "backup.tar"
        with tarfile.open(tar_path, "w") as tar:
            _add_bytes(tar, "manifest.json", json.dumps(manifest, indent=1).encode())
            _add_bytes(tar, "keys.json", json.dumps(key_material.all_keys(app)).encode())
            tar.add(dump_path, arcname=dump_path.name)
        _seal_to(tar_path, target, passphrase, BACKUP_PURPOSE)
    return manifest


def _revision(engine) -> str | None:
    import sqlalchemy as sa

    with engine.connect() as connection:
        try:
            return connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
        except sa.exc.DBAPIError:
            return None


def _seal_to(source: Path, target: Path, passphrase: str, purpose: str) -> None:
    partial = target.with_name(target.name + ".partial")
    with open(source, "rb") as plain, open(partial, "wb") as sealed:
        seal_stream(plain, sealed, passphrase, purpose)
    partial.replace(target)  # never leave a half-written backup under the real name


def read_backup(source: Path, passphrase: str, folder: Path) -> tuple[dict, dict, Path]:
    """Decrypt and unpack into `folder`: (manifest, keys, dump path)."""
    tar_path = folder / "backup.tar"
    with open(source, "rb") as sealed, open(tar_path, "wb") as plain:
        open_stream(sealed, plain, passphrase, BACKUP_PURPOSE)
    with tarfile.open(tar_path) as tar:
        manifest = json.loads(tar.extractfile("manifest.json").read())
        keys = json.loads(tar.extractfile("keys.json").read())
        dump_name = DUMP_NAMES[manifest["backend"]]
        dump_path = folder / dump_name
        dump_path.write_bytes(tar.extractfile(dump_name).read())
    return manifest, keys, dump_path


def restore_backup(app: Flask, source: Path, passphrase: str) -> dict:
    """Restore an archive into this (empty) instance; returns a summary. Raises RestoreRefused when not empty."""
    engine = db.engine
    with _private_folder() as folder:
        manifest, keys, dump_path = read_backup(source, passphrase, folder)
        kind = database.backend(engine)
        if manifest["backend"] != kind:
            raise database.RestoreRefused(
                f"this backup holds a {manifest['backend']} database; the instance is configured for {kind}"
            )
        held = key_material.has_escrow_keys(app)
        if held:
            raise database.RestoreRefused(
                f"this instance already holds keys ({held[0]}): restore only into an empty instance"
            )
        database.refuse_unless_empty(engine, manifest["schema"])
        database.load(engine, dump_path, manifest["schema"])
    engine.dispose()
    counts = database.table_counts(engine, manifest["schema"])
    if counts != manifest["tables"]:
        raise RuntimeError(f"restored row counts differ from the backup's: {counts} != {manifest['tables']}")
    new_keys = key_material.import_escrow_keys(app, keys, make_current=True)
    notes = key_material.restore_other_keys(app, keys)
    counter = database.advance_change_counter(engine)
    return {"manifest": manifest, "keys": new_keys, "notes": notes, "change_counter": counter}


def export_keys(app: Flask, target: Path, passphrase: str) -> dict:
    material = key_material.escrow_keys()
    with _private_folder() as folder:
        plain = folder / "keys.json"
        plain.write_text(json.dumps(material))
        _seal_to(plain, target, passphrase, KEYS_PURPOSE)
    return material


def import_keys(app: Flask, source: Path, passphrase: str) -> dict:
    buffer = io.BytesIO()
    with open(source, "rb") as sealed:
        open_stream(sealed, buffer, passphrase, KEYS_PURPOSE)
    return key_material.import_escrow_keys(app, json.loads(buffer.getvalue()), make_current=False)
