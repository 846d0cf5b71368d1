"""Photos that travel sealed inside a record's op (docs/sync-protocol.md `attachments`), checked against the
record body and stored encrypted at rest next to it."""

from __future__ import annotations

import base64
import binascii

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sync import BodyCipher, FieldError, PushOp
from sync.tables import record_attachments

from .definitions import drawing_max_bytes

# Body fields that refer to an attachment, by record type.
ATTACHMENT_FIELDS = {"three_houses": "drawing"}


def decode_attachments(op: PushOp, raw) -> tuple[list[dict], list[FieldError]]:
    """The op's attachments as {id, mime, size, data: bytes}, or field errors saying what does not match."""
    if raw in (None, []):
        return [], []
    field = ATTACHMENT_FIELDS.get(op.record_type)
    reference = op.body.get(field) if field else None
    path = f"/{field}" if field else ""
    if not isinstance(raw, list) or len(raw) != 1 or not isinstance(raw[0], dict) or not isinstance(reference, dict):
        return [], [FieldError(path, "the photo sent does not match the record")]
    item = raw[0]
    encoded = item.get("data")
    if isinstance(encoded, str) and len(encoded) > (drawing_max_bytes() + 2) // 3 * 4:
        # Refused before decoding: a photo's base64 text is 4/3 of its bytes.
        return [], [FieldError(path, f"the photo is larger than {drawing_max_bytes() // (1024 * 1024)} MB")]
    try:
        data = base64.b64decode(item.get("data") or "", validate=True)
    except (binascii.Error, ValueError):
        return [], [FieldError(path, "the photo could not be read (not base64)")]
    if len(data) > drawing_max_bytes():
        return [], [FieldError(path, f"the photo is larger than {drawing_max_bytes() // (1024 * 1024)} MB")]
    expected = (reference.get("attachment_id"), reference.get("mime"), reference.get("size"))
    if (item.get("attachment_id"), item.get("mime"), len(data)) != expected:
        return [], [FieldError(path, "the photo's id, type or size does not match the record")]
    return [{"id": expected[0], "mime": expected[1], "size": len(data), "data": data}], []


def store_attachments(session: Session, cipher: BodyCipher, record_id: str, attachments: list[dict], now) -> None:
    """Store each attachment once (a replayed op finds it there already)."""
    for attachment in attachments:
        if (
            session.execute(select(record_attachments.c.id).where(record_attachments.c.id == attachment["id"])).first()
            is not None
        ):
            continue
        key_id, blob = cipher.encrypt_bytes(attachment["data"], f"attachment:{attachment['id']}")
        savepoint = session.begin_nested()
        try:
            session.execute(
                insert(record_attachments).values(
                    id=attachment["id"],
                    record_id=record_id,
                    mime=attachment["mime"],
                    size=attachment["size"],
                    created_at=now,
                    body_key_id=key_id,
                    data=blob,
                )
            )
            savepoint.commit()
        except IntegrityError:
            savepoint.rollback()  # a concurrent copy of the same op stored it first
