"""The central record store as the app uses it: at-rest keys, push contexts, reading bodies back.

At-rest keys: FIELDAPP_RECORD_KEYS ("kid:base64key,kid2:base64key", the first is current) or, by default,
instance/record-keys.json, created on first use (mode 0600). `fieldapp keys rotate-record-key` adds a new
current key; old keys stay so every row written under them still opens.
"""

from __future__ import annotations

import base64
import json
import secrets
from datetime import datetime
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from sync import BodyCipher, FieldError, PushContext, PushOp, writable_children
from sync.tables import records

from ..extensions import db
from ..secret_files import write_secret_file
from .facts import envelope_errors, record_facts
from .validation import validate_record
from .visit_facts_push import on_stored

KEYS_FILE = "record-keys.json"


def _keys_path() -> Path:
    return Path(current_app.instance_path) / KEYS_FILE


def _write_keys(path: Path, current: str, keys: dict[str, bytes]) -> None:
    data = {"current": current, "keys": {kid: base64.b64encode(key).decode() for kid, key in keys.items()}}
    write_secret_file(path, json.dumps(data))  # atomic: a crash never leaves a half-written key file


def load_record_cipher() -> BodyCipher:
    configured = current_app.config.get("RECORD_KEYS")  # FIELDAPP_RECORD_KEYS, read in config.py
    if configured:
        pairs = [item.split(":", 1) for item in configured.split(",") if item.strip()]
        keys = {kid.strip(): base64.b64decode(key) for kid, key in pairs}
        return BodyCipher(keys, pairs[0][0].strip())
    path = _keys_path()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_keys(path, "r1", {"r1": secrets.token_bytes(32)})
    data = json.loads(path.read_text())
    return BodyCipher({kid: base64.b64decode(key) for kid, key in data["keys"].items()}, data["current"])


def rotate_record_key() -> str:
    """Add a new current at-rest key to the instance key file; returns its id."""
    cipher = load_record_cipher()
    new_id = f"r{len(cipher.keys) + 1}"
    while new_id in cipher.keys:
        new_id = f"r{secrets.token_hex(3)}"
    _write_keys(_keys_path(), new_id, {**cipher.keys, new_id: secrets.token_bytes(32)})
    current_app.extensions.pop("fieldapp_record_cipher", None)
    return new_id


def save_record_keys(current: str, keys: dict[str, bytes]) -> None:
    """Write the instance key file (restore, key import); the app loads it again on next use."""
    path = _keys_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_keys(path, current, keys)
    current_app.extensions.pop("fieldapp_record_cipher", None)


def record_cipher() -> BodyCipher:
    """The app's cipher, loaded once per app."""
    cipher = current_app.extensions.get("fieldapp_record_cipher")
    if cipher is None:
        cipher = current_app.extensions["fieldapp_record_cipher"] = load_record_cipher()
    return cipher


def validate_for_push(op: PushOp) -> list[FieldError]:
    """Schema errors, and the body must name the record, type and child the op says it carries."""
    if not isinstance(op.body, dict):
        return [FieldError("", "the record body must be a JSON object")]
    return validate_record(op.record_type, op.body) + envelope_errors(
        op.record_type, op.record_id, op.child_id, op.body
    )


def push_context(author_id: int, device_id: str, now: datetime, allowed: dict[str, int] | None = None) -> PushContext:
    """`allowed`: writable_children() of the author, when the caller has read it already."""
    return PushContext(
        author_id=author_id,
        device_id=device_id,
        allowed_children=writable_children(db.session, author_id) if allowed is None else allowed,
        validate=validate_for_push,
        cipher=record_cipher(),
        now=now,
        facts=record_facts,
        on_stored=on_stored,
    )


def read_body(row) -> dict:
    """Decrypt the current body of a `records` row."""
    return record_cipher().decrypt(row.body_key_id, row.body, f"{row.id}:{row.revision}")


def get_record_row(record_id: str):
    return db.session.execute(select(records).where(records.c.id == record_id)).first()
