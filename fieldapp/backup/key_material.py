"""The key material a backup carries, read from the running configuration and written into an instance.

Without it a backup is useless: record bodies are encrypted at rest (record keys), items still in devices' outboxes
are sealed to the sealing keys, browsers' push subscriptions are bound to the VAPID key, and sessions are signed
with the secret key.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

from flask import Flask

from ..crypto.sealing import CURRENT_FILE, SealingKey, SealingKeyring, current_keyring
from ..records.store import KEYS_FILE, load_record_cipher, save_record_keys
from ..safety.channels import VAPID_KEY_FILE
from ..secret_files import write_secret_file

SEALING_PEM = "pem"


def _pem(key: SealingKey) -> str:
    from cryptography.hazmat.primitives import serialization

    return key.private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def escrow_keys() -> dict:
    """The at-rest record keys and the sealing keys: what `keys export` writes."""
    cipher, keyring = load_record_cipher(), current_keyring()
    return {
        "record_keys": {
            "current": cipher.current_key_id,
            "keys": {kid: base64.b64encode(key).decode() for kid, key in cipher.keys.items()},
        },
        "sealing_keys": {"current": keyring.current_kid, "keys": {kid: _pem(k) for kid, k in keyring.keys.items()}},
    }


def all_keys(app: Flask) -> dict:
    """Everything a restore needs besides the database: escrow keys, the VAPID key and the secret key."""
    vapid = app.config.get("VAPID_PRIVATE_KEY")
    vapid_path = Path(app.instance_path) / VAPID_KEY_FILE
    if not vapid and vapid_path.exists():
        vapid = vapid_path.read_text()
    return {**escrow_keys(), "vapid_private_key": vapid, "secret_key": app.config["SECRET_KEY"]}


def _write_private(path: Path, text: str) -> None:
    write_secret_file(path, text)


def has_escrow_keys(app: Flask) -> list[str]:
    """Key files already in this instance (a restore refuses to overwrite them)."""
    found = []
    if (Path(app.instance_path) / KEYS_FILE).exists():
        found.append(KEYS_FILE)
    sealing = Path(app.config["SEALING_KEYS_DIR"])
    found += [str(path) for path in sorted(sealing.glob("*.pem"))] if sealing.is_dir() else []
    return found


def import_escrow_keys(app: Flask, material: dict, make_current: bool) -> dict:
    """Add the record and sealing keys in `material` to this instance; returns how many of each were new.

    Keys held already are kept. `make_current` also makes the file's current keys current here (a restore);
    otherwise an instance that has a current key keeps it (an import of escrowed keys next to live ones).
    """
    # The instance file only: keys given by environment are never copied onto disk.
    path = Path(app.instance_path) / KEYS_FILE
    on_disk = json.loads(path.read_text()) if path.exists() else {"current": None, "keys": {}}
    held = {kid: base64.b64decode(key) for kid, key in on_disk["keys"].items()}
    incoming = {kid: base64.b64decode(key) for kid, key in material["record_keys"]["keys"].items()}
    new_record = [kid for kid in incoming if kid not in held]
    clashing = [kid for kid in incoming if kid in held and held[kid] != incoming[kid]]
    if clashing:
        raise ValueError(f"record key id(s) {', '.join(clashing)} already exist here with other key bytes")
    current = material["record_keys"]["current"] if make_current or not held else on_disk["current"]
    save_record_keys(current, {**held, **incoming})

    folder = Path(app.config["SEALING_KEYS_DIR"])
    keyring = SealingKeyring.load(folder)
    new_sealing = []
    for kid, pem in material["sealing_keys"]["keys"].items():
        if kid not in keyring.keys:
            if SealingKey.from_pem(pem.encode()).kid != kid:
                raise ValueError(f"sealing key {kid} in the file does not match its id")
            _write_private(folder / f"{kid}.pem", pem)
            new_sealing.append(kid)
    wanted = material["sealing_keys"]["current"]
    if wanted and (make_current or keyring.current_kid is None):
        _write_private(folder / CURRENT_FILE, wanted + "\n")
    return {"record_keys": new_record, "sealing_keys": new_sealing}


def restore_other_keys(app: Flask, material: dict) -> list[str]:
    """Write the VAPID and secret keys of a backup into the instance; returns notes about overrides."""
    notes = []
    if material.get("vapid_private_key"):
        _write_private(Path(app.instance_path) / VAPID_KEY_FILE, material["vapid_private_key"])
        app.extensions.pop("fieldapp_vapid", None)
        if os.environ.get("FIELDAPP_VAPID_PRIVATE_KEY"):
            notes.append("FIELDAPP_VAPID_PRIVATE_KEY is set and overrides the restored VAPID key")
    _write_private(Path(app.instance_path) / "secret_key", material["secret_key"])
    if os.environ.get("FIELDAPP_SECRET_KEY"):
        notes.append("FIELDAPP_SECRET_KEY is set and overrides the restored secret key")
    if os.environ.get("FIELDAPP_RECORD_KEYS"):
        notes.append(
            "FIELDAPP_RECORD_KEYS is set: restored record keys were merged into the instance file, "
            "but the environment's keys are used; add the restored ones there"
        )
    return notes
