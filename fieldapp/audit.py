"""Write audit events: who did what to which child's record, when, from which device and address."""

from __future__ import annotations

import uuid

from flask import g, has_request_context, request
from flask_login import current_user

from sync.sql import insert_rows

from .extensions import db
from .logs import current_request_id
from .models import AuditEvent, Device, User, utcnow

DEVICE_HEADER = "X-Fieldapp-Device"


def _registered_device_id() -> str | None:
    """The request's device id only if it names a registered device: a header is the caller's to write,
    so an unchecked value (`=HYPERLINK(…)`, a made-up id) never reaches the trail."""
    if "device" in g:  # the API guard has already looked it up (and dropped another user's device)
        return g.device.id if g.device is not None else None
    raw = request.headers.get(DEVICE_HEADER)
    try:
        device_id = str(uuid.UUID(raw)) if raw else None
    except ValueError:
        return None
    return device_id if device_id and db.session.get(Device, device_id) is not None else None


def _request_facts() -> dict:
    if not has_request_context():
        return {"ip": None, "device_id": None, "user_agent": None, "request_id": current_request_id()}
    return {
        "request_id": current_request_id(),
        "ip": request.remote_addr,
        "device_id": _registered_device_id(),
        "user_agent": (request.user_agent.string or "")[:255] or None,
    }


def _actor_id(actor: User | None) -> int | None:
    if actor is not None:
        return actor.id
    if has_request_context() and current_user.is_authenticated:
        return current_user.id
    return None


def record(action: str, child_public_id: str | None = None, detail: str = "", actor: User | None = None):
    """Add an audit event to the current transaction: it commits (or not) with the change it describes."""
    event = AuditEvent(
        action=action,
        child_public_id=child_public_id,
        detail=detail,
        actor_id=_actor_id(actor),
        **_request_facts(),
    )
    db.session.add(event)
    db.session.flush()
    return event


def record_now(action: str, child_public_id: str | None = None, detail: str = "", actor: User | None = None):
    """Write an audit event in its own transaction, so it survives the request being refused."""
    values = dict(
        action=action,
        child_public_id=child_public_id,
        detail=detail,
        actor_id=_actor_id(actor),
        **_request_facts(),
    )
    with db.engine.begin() as connection:
        connection.execute(AuditEvent.__table__.insert().values(at=utcnow(), **values))


def record_many(events: list[tuple[str, str | None, str]], actor: User | None = None) -> None:
    """Add many (action, child public id, detail) events in one multi-row insert, in the current transaction."""
    if not events:
        return
    common = dict(at=utcnow(), actor_id=_actor_id(actor), **_request_facts())
    rows = [dict(common, action=action, child_public_id=child, detail=detail) for action, child, detail in events]
    insert_rows(db.session, (AuditEvent.__table__, rows))  # one statement however many (a caseload is 500)
