"""State changes to cases. Services flush; the request (or CLI command) commits once."""

from __future__ import annotations

from sqlalchemy import select

from .. import audit
from ..extensions import db
from ..models import Allocation, Child, Role, User, utcnow


class AllocationError(ValueError):
    pass


def allocate(child: Child, worker: User | None, by: User | None) -> Allocation | None:
    """Allocate `child` to `worker` (None = unallocate), closing the current allocation into history."""
    if worker is not None and (worker.role != Role.WORKER or not worker.active):
        raise AllocationError(f"{worker.display_name} is not an active social worker")
    current = db.session.scalar(
        select(Allocation).where(Allocation.child_id == child.id, Allocation.ended_at.is_(None))
    )
    if current is not None and worker is not None and current.worker_id == worker.id:
        return current
    now = utcnow()
    if current is not None:
        current.ended_at = now
        db.session.flush()  # the one-open-allocation index must see the old row closed first
    allocation = None
    if worker is not None:
        allocation = Allocation(child=child, worker=worker, started_at=now, allocated_by=by)
        db.session.add(allocation)
    db.session.flush()
    audit.record(
        "allocate" if worker else "unallocate",
        child_public_id=child.public_id,
        detail=f"to {worker.username}" if worker else "unallocated",
        actor=by,
    )
    return allocation
