"""What the admin pages list and check: users, teams, children with their allocations, the audit trail.
Queries only; changes live in accounts.py (users), teams.py and cases/services.py (allocations)."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import Allocation, AuditEvent, Child, Role, Team, User


def teams_by_name() -> list[Team]:
    return list(db.session.scalars(select(Team).order_by(Team.name)))


def teams_with_members() -> list[Team]:
    return list(db.session.scalars(select(Team).options(selectinload(Team.members)).order_by(Team.name)))


def users_by_name() -> list[User]:
    return list(db.session.scalars(select(User).options(selectinload(User.team)).order_by(User.display_name)))


def username_taken(username: str) -> bool:
    return db.session.scalar(select(User.id).where(User.username == username)) is not None


def active_workers() -> list[User]:
    return list(
        db.session.scalars(
            select(User).where(User.role == Role.WORKER, User.active.is_(True)).order_by(User.display_name)
        )
    )


def children_with_allocations() -> list[Child]:
    return list(
        db.session.scalars(
            select(Child)
            .options(selectinload(Child.allocations).selectinload(Allocation.worker), selectinload(Child.team))
            .order_by(Child.case_number)
        )
    )


def child_by_public_id(public_id: str) -> Child | None:
    return db.session.scalar(select(Child).where(Child.public_id == public_id))


AUDIT_CSV_HEADER = ["id", "at_utc", "actor", "action", "child", "detail", "ip", "device", "user_agent"]


def audit_csv_rows(child_public_id: str | None = None) -> Iterator[list]:
    """The whole audit trail (or one child's) in id order, one CSV row per event, read as it is streamed."""
    query = select(AuditEvent).options(selectinload(AuditEvent.actor)).order_by(AuditEvent.id)
    if child_public_id:
        query = query.where(AuditEvent.child_public_id == child_public_id)
    for event in db.session.scalars(query):
        yield [
            event.id,
            event.at.isoformat(),
            event.actor.username if event.actor else None,
            event.action,
            event.child_public_id,
            event.detail,
            event.ip,
            event.device_id,
            event.user_agent,
        ]
