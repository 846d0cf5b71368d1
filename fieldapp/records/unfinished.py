"""Unfinished drafts handed over by a device being revoked (docs/sync-protocol.md "Unfinished drafts").

The device seals each draft it can no longer keep to the server key, as an op of kind `unfinished_draft`. The
server keeps it encrypted at rest — never as a record or a revision — for a worker who may write about that
child, until one of the worker's devices takes it back as an editable draft. Services flush; the request commits.
"""

from __future__ import annotations

import uuid

from sqlalchemy import or_, select

from sync import OpResult, OpStatus, writable_children

from ..extensions import db
from ..models import Child, Device, UnfinishedDraft, User, utcnow
from .definitions import RECORD_TYPES
from .store import record_cipher

KIND = "unfinished_draft"


def _context(item_id: str) -> str:
    return f"unfinished:{item_id}"


def _refused(op_id: str, record_id: str, code: str, message: str) -> OpResult:
    return OpResult(op_id=op_id, status=OpStatus.REJECTED, record_id=record_id, code=code, message=message)


def _problem(data: dict) -> str | None:
    """What is wrong with the shape of an unfinished-draft item, or None."""
    for name in ("op_id", "device_id", "child_id", "record_id", "record_type"):
        if not isinstance(data.get(name), str) or not data[name] or len(data[name]) > 64:
            return f"the unfinished draft has no valid {name}"
    draft = data.get("draft")
    if not isinstance(draft, dict) or not isinstance(draft.get("id"), str) or len(draft["id"]) > 36:
        return "the unfinished draft carries no draft"
    if not isinstance(draft.get("body", {}), dict):
        return "the unfinished draft's body is not an object"
    if not isinstance(data.get("attachments", []), list):
        return "the unfinished draft's attachments are not a list"
    try:
        uuid.UUID(data["record_id"])
    except ValueError:
        return "the unfinished draft's record_id is not a UUID"
    if data["record_type"] not in RECORD_TYPES:
        return "the unfinished draft names no known record type"
    return None


def keep_unfinished(user: User, data: dict, own_devices: frozenset[str]) -> OpResult:
    """Store one unfinished draft (once per op id) for `user`, if they may write about its child."""
    op_id, record_id = str(data.get("op_id", ""))[:64], str(data.get("record_id", ""))[:36]
    problem = _problem(data)
    if problem:
        return _refused(op_id, record_id, "malformed_op", problem)
    if data["device_id"] not in own_devices:
        return _refused(op_id, record_id, "device_mismatch", "this draft was made on another worker's device")
    child_id = writable_children(db.session, user.id).get(data["child_id"])
    if child_id is None:
        return _refused(op_id, record_id, "not_allocated", "this child is not, and never was, allocated to you")
    existing = db.session.get(UnfinishedDraft, op_id)
    if existing is not None and existing.user_id != user.id:
        return _refused(op_id, record_id, "op_id_reused", "this op id was already used; mint a new one")
    if existing is None:
        content = {"draft": data["draft"], "attachments": data.get("attachments", [])}
        key_id, blob = record_cipher().encrypt(content, _context(op_id))
        db.session.add(
            UnfinishedDraft(
                id=op_id,
                user_id=user.id,
                child_id=child_id,
                draft_id=data["draft"]["id"],
                record_id=record_id,
                record_type=data["record_type"],
                from_device_id=data["device_id"],
                received_at=utcnow(),
                body_key_id=key_id,
                body=blob,
            )
        )
        db.session.flush()
    return OpResult(
        op_id=op_id,
        status=OpStatus.APPLIED,
        record_id=record_id,
        message="kept on the server as an unfinished draft for your next device",
    )


def waiting_for(user: User) -> list[tuple[UnfinishedDraft, str]]:
    """The user's unfinished drafts no device has taken yet, oldest first: (row, child public id)."""
    return [
        tuple(row)
        for row in db.session.execute(
            select(UnfinishedDraft, Child.public_id)
            .join(Child, Child.id == UnfinishedDraft.child_id)
            .where(UnfinishedDraft.user_id == user.id, UnfinishedDraft.taken_at.is_(None))
            .order_by(UnfinishedDraft.received_at, UnfinishedDraft.id)
        )
    ]


def take(user: User, ids: list[str], device: Device) -> list[tuple[UnfinishedDraft, str, dict]]:
    """Hand these drafts to `device`: (row, child public id, content). A draft another device took is not handed
    out again; the same device may take it again (its first answer may have been lost on the way)."""
    rows = db.session.execute(
        select(UnfinishedDraft, Child.public_id)
        .join(Child, Child.id == UnfinishedDraft.child_id)
        .where(
            UnfinishedDraft.user_id == user.id,
            UnfinishedDraft.id.in_(ids),
            or_(UnfinishedDraft.taken_at.is_(None), UnfinishedDraft.taken_by_device_id == device.id),
        )
        .order_by(UnfinishedDraft.received_at, UnfinishedDraft.id)
    ).all()
    cipher = record_cipher()
    taken = []
    for row, public_id in rows:
        if row.taken_at is None:
            row.taken_at, row.taken_by_device_id = utcnow(), device.id
        taken.append((row, public_id, cipher.decrypt(row.body_key_id, row.body, _context(row.id))))
    db.session.flush()
    return taken
