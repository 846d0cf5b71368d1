"""Which children a device may hold, and a hash of that set so a device notices when it drifts."""

from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlalchemy.orm import Session

from .tables import allocations_ref, children_ref


def worker_scope(session: Session, worker_id: int) -> dict[str, int]:
    """Children currently allocated to the worker: public id -> internal id."""
    rows = session.execute(
        select(children_ref.c.public_id, children_ref.c.id)
        .join(allocations_ref, allocations_ref.c.child_id == children_ref.c.id)
        .where(allocations_ref.c.worker_id == worker_id, allocations_ref.c.ended_at.is_(None))
    )
    return {public_id: child_id for public_id, child_id in rows}


def writable_children(session: Session, worker_id: int) -> dict[str, int]:
    """Children a worker may push records about: every child ever allocated to them.

    A visit recorded before a reallocation must still reach the store (never lose a word); the
    record lands on the child's file where the new worker and the manager see it.
    """
    rows = session.execute(
        select(children_ref.c.public_id, children_ref.c.id)
        .join(allocations_ref, allocations_ref.c.child_id == children_ref.c.id)
        .where(allocations_ref.c.worker_id == worker_id)
        .distinct()
    )
    return {public_id: child_id for public_id, child_id in rows}


def scope_hash(child_public_ids) -> str:
    return hashlib.sha256("\n".join(sorted(child_public_ids)).encode()).hexdigest()[:32]
