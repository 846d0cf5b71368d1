"""Read-side queries for caseloads and child pages (access enforced through access.py)."""

from __future__ import annotations

from sqlalchemy import and_, select
from sqlalchemy.orm import aliased, selectinload

from ..access import children_visible_to
from ..extensions import db
from ..models import Allocation, AuditEvent, Child, User


def caseload_for(user: User) -> list[tuple[Child, User | None]]:
    """Visible children with their current worker (None if unallocated), ordered by surname."""
    open_allocation, worker = aliased(Allocation), aliased(User)
    query = (
        children_visible_to(user)
        .outerjoin(open_allocation, and_(open_allocation.child_id == Child.id, open_allocation.ended_at.is_(None)))
        .outerjoin(worker, worker.id == open_allocation.worker_id)
        .add_columns(worker)
        .order_by(Child.last_name, Child.first_name)
    )
    return [(child, allocated_worker) for child, allocated_worker in db.session.execute(query)]


def audit_trail(child: Child, limit: int = 500) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.child_public_id == child.public_id)
            .options(selectinload(AuditEvent.actor))
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
            .limit(limit)
        )
    )
