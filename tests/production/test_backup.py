"""Backup → wipe → restore on SQLite and PostgreSQL: every record readable, every key present; wrong passphrases and
non-empty targets refused; escrowed keys exported and imported; and an old backup restored while devices hold newer
sealed items loses nothing."""

from __future__ import annotations

import os
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from fieldapp import create_app
from fieldapp.cli import main as fieldapp_cli
from fieldapp.crypto.sealing import current_keyring, generate_key
from fieldapp.extensions import db
from fieldapp.models import Role, utcnow
from fieldapp.records.store import read_body, record_cipher, rotate_record_key
from fieldapp.safety import sessions
from fieldapp.safety.channels import VAPID_KEY_FILE, generate_vapid_key
from sync.tables import records
from tests.conftest import BASE_TEST_CONFIG, PG_URL, FreshContextClient, login
from tests.record_cases import safety_rating, sos_map
from tests.sync.device import Device

PASSPHRASE = "a long test passphrase"


def cli(app, *args: str, passphrase: str = PASSPHRASE):
    # The command runs in whichever app context is pushed (the `app` fixture keeps the source's pushed).
    with app.app_context():
        return app.test_cli_runner().invoke(fieldapp_cli, list(args), env={"FIELDAPP_BACKUP_PASSPHRASE": passphrase})


def admin(statement: str) -> None:
    engine = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(sa.text(statement))
    finally:
        engine.dispose()


class EmptyInstance:
    """A new instance folder and an empty store: a new SQLite file, or a new PostgreSQL database."""

    def __init__(self, backend: str, folder: Path, schema: str | None):
        self.database = None
        config = dict(BASE_TEST_CONFIG)
        if backend == "sqlite":
            config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{folder / 'restored.sqlite3'}"
        else:
            self.database = f"fieldapp_restore_{uuid.uuid4().hex[:10]}"
            admin(f"CREATE DATABASE {self.database}")
            url = sa.engine.make_url(PG_URL).set(database=self.database)
            config["SQLALCHEMY_DATABASE_URI"] = url.render_as_string(hide_password=False)
            # The dump keeps its schema name; the restored instance searches the same one.
            config["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": {"options": f"-csearch_path={schema}"}}
        os.environ["FIELDAPP_INSTANCE_PATH"] = str(folder / "instance")
        try:
            self.app = create_app(config)
            self.app.test_client_class = FreshContextClient
        finally:
            os.environ.pop("FIELDAPP_INSTANCE_PATH", None)

    def drop(self):
        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()
        if self.database:
            admin(f"DROP DATABASE {self.database} WITH (FORCE)")


@pytest.fixture
def empty_instance(backend, app, tmp_path):
    made = []

    def make(name: str = "restored") -> EmptyInstance:
        options = app.config["SQLALCHEMY_ENGINE_OPTIONS"].get("connect_args", {}).get("options", "")
        schema = options.split("=", 1)[1] if "=" in options else None
        instance = EmptyInstance(backend, tmp_path / name, schema)
        made.append(instance)
        return instance

    yield make
    for instance in made:
        instance.drop()


@pytest.fixture
def full_instance(app, make_team, make_user, make_child, make_record):
    """Records under two at-rest keys, two sealing keys, a VAPID key, a safety session with alerts, audit."""
    team = make_team()
    worker, manager = make_user(Role.WORKER, team), make_user(Role.MANAGER, team)
    children = [make_child(team, worker) for _ in range(2)]
    generate_key(app.config["SEALING_KEYS_DIR"])
    generate_vapid_key(app.instance_path)
    stored = [make_record(children[0], worker, sos_map()).record_id]
    rotate_record_key()
    generate_key(app.config["SEALING_KEYS_DIR"])
    stored += [make_record(child, worker, safety_rating()).record_id for child in children]
    sessions.start(worker, utcnow() - timedelta(minutes=5), 1, address="1 Example Street")
    db.session.commit()
    return {"records": stored, "manager": manager}


def bodies(record_ids) -> dict:
    return {
        record_id: read_body(db.session.execute(sa.select(records).where(records.c.id == record_id)).one())
        for record_id in record_ids
    }


def keys_of(app) -> dict:
    with app.app_context():
        keyring, cipher = current_keyring(), record_cipher()
        return {
            "record": (cipher.current_key_id, dict(cipher.keys)),
            "sealing": (keyring.current_kid, sorted(keyring.keys)),
            "vapid": (Path(app.instance_path) / VAPID_KEY_FILE).read_text(),
            "secret": app.config["SECRET_KEY"],
        }


def test_backup_wipe_restore_round_trip(app, full_instance, empty_instance, tmp_path):
    archive = tmp_path / "fieldapp.backup"
    result = cli(app, "backup", str(archive))
    assert result.exit_code == 0, result.output
    assert b"Example Street" not in archive.read_bytes()  # encrypted, not merely packed
    expected_bodies, expected_keys = bodies(full_instance["records"]), keys_of(app)
    target = empty_instance()
    result = cli(target.app, "restore", str(archive))
    assert result.exit_code == 0, result.output
    restarted = EmptyInstance.__new__(EmptyInstance)  # a fresh process's view: new app on the restored store
    restarted.app = create_app_like(target.app)
    assert keys_of(restarted.app) == expected_keys
    with restarted.app.app_context():
        assert bodies(full_instance["records"]) == expected_bodies
        assert db.session.scalar(sa.text("SELECT count(*) FROM safety_sessions")) == 1
        db.session.remove()
        db.engine.dispose()
    # Signed in with the restored secret key: the manager reads a restored record through the web.
    client = target.app.test_client()
    login(client, full_instance["manager"])
    assert client.get(f"/records/{full_instance['records'][0]}").status_code == 200


def create_app_like(app):
    os.environ["FIELDAPP_INSTANCE_PATH"] = app.instance_path
    try:
        config = {key: app.config[key] for key in ("SQLALCHEMY_DATABASE_URI", "SQLALCHEMY_ENGINE_OPTIONS")}
        # No SECRET_KEY given: it must come from the restored instance folder, as in production.
        base = {key: value for key, value in BASE_TEST_CONFIG.items() if key != "SECRET_KEY"}
        return create_app({**base, **config})
    finally:
        os.environ.pop("FIELDAPP_INSTANCE_PATH", None)


def test_wrong_passphrase_and_non_empty_target_are_refused(app, full_instance, empty_instance, tmp_path):
    archive = tmp_path / "fieldapp.backup"
    assert cli(app, "backup", str(archive)).exit_code == 0
    target = empty_instance()
    refused = cli(target.app, "restore", str(archive), passphrase="not the passphrase at all")
    assert refused.exit_code == 1
    assert "wrong passphrase" in refused.output
    with target.app.app_context():
        assert sa.inspect(db.engine).get_table_names() == []
    into_live = cli(app, "restore", str(archive))
    assert into_live.exit_code == 1 and "empty instance" in into_live.output
    short = cli(app, "backup", str(tmp_path / "other.backup"), passphrase="short")
    assert short.exit_code == 1 and "at least 12 characters" in short.output


@pytest.mark.parametrize("backend", ["sqlite"])
def test_keys_export_and_import_for_escrow(app, full_instance, empty_instance, tmp_path):
    escrow = tmp_path / "keys.escrow"
    assert cli(app, "keys", "export", str(escrow)).exit_code == 0
    target = empty_instance()
    assert "wrong passphrase" in cli(target.app, "keys", "import", str(escrow), passphrase="x" * 20).output
    imported = cli(target.app, "keys", "import", str(escrow))
    assert imported.exit_code == 0, imported.output
    source, restored = keys_of(app), keys_of_escrow(target.app)
    assert restored == {"record": source["record"], "sealing": source["sealing"]}
    again = cli(target.app, "keys", "import", str(escrow))
    assert "record keys: none new" in again.output
    assert cli(target.app, "restore", str(escrow)).exit_code == 1  # a key file is not a backup


def keys_of_escrow(app) -> dict:
    with app.app_context():
        keyring, cipher = current_keyring(), record_cipher()
        return {
            "record": (cipher.current_key_id, dict(cipher.keys)),
            "sealing": (keyring.current_kid, sorted(keyring.keys)),
        }


@pytest.mark.parametrize("backend", ["sqlite"])
def test_old_backup_restored_while_devices_hold_newer_sealed_items_loses_nothing(
    app, client, make_team, make_user, make_child, empty_instance, tmp_path
):
    team = make_team()
    worker = make_user(Role.WORKER, team)
    child = make_child(team, worker)
    generate_key(app.config["SEALING_KEYS_DIR"])
    login(client, worker)
    device = Device(client).register()
    first = device.op(child.public_id, sos_map())
    assert device.push(first).json["results"][0]["status"] == "applied"
    archive = tmp_path / "old.backup"
    assert cli(app, "backup", str(archive)).exit_code == 0
    # After the backup the device pushes two more records and pulls: its cursor is now past them.
    later = [device.op(child.public_id, sos_map()), device.op(child.public_id, safety_rating())]
    envelopes = [device.envelope(op) for op in later]
    assert [r["status"] for r in device.push(*later, envelopes=envelopes).json["results"]] == ["applied"] * 2
    _, _, cursor = device.pull_all()
    # Disaster: the server is rebuilt from the old backup. The device still holds its sealed items and cursor.
    target = empty_instance()
    assert cli(target.app, "restore", str(archive)).exit_code == 0, "restore failed"
    new_client = target.app.test_client()
    login(new_client, worker)
    device.client = new_client
    again = device.push(*later, envelopes=envelopes).json["results"]
    assert [r["status"] for r in again] == ["applied", "applied"]
    with target.app.app_context():
        stored = set(db.session.scalars(sa.select(records.c.id)))
        db.session.remove()
    assert stored == {first["record_id"], *(op["record_id"] for op in later)}
    # The device's cursor is ahead of the restored change log; it must still be handed the re-stored records.
    pulled, _, _ = device.pull_all(after=cursor)
    assert {record["record_id"] for record in pulled} == {op["record_id"] for op in later}
