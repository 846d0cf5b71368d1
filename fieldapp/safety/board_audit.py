"""The safety board shows managers which child each worker is visiting: each child shown is a view of that
child's record, audited like any other. The board refreshes every few seconds, so a child already audited
for this manager within REPEAT_AFTER is not written again (one event per child per look, not per poll)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from .. import audit
from ..extensions import db
from ..models import AuditEvent, SafetySession, User

ACTION = "safety_board_view"
REPEAT_AFTER = timedelta(minutes=10)


def audit_board_view(viewer: User, sessions: list[SafetySession], now: datetime) -> None:
    shown = {session.child.public_id for session in sessions if session.child is not None}
    if not shown:
        return
    recent = set(
        db.session.scalars(
            select(AuditEvent.child_public_id).where(
                AuditEvent.actor_id == viewer.id,
                AuditEvent.action == ACTION,
                AuditEvent.at >= now - REPEAT_AFTER,
                AuditEvent.child_public_id.in_(shown),
            )
        )
    )
    audit.record_many([(ACTION, child, "shown on the safety board") for child in sorted(shown - recent)], actor=viewer)
