"""Which children a device may hold, and a hash of that set so a device notices when it drifts."""

from __future__ import annotations

import hashlib

from sqlalchemy import case, func, select
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
    return worker_children(session, worker_id)[0]


def worker_children(session: Session, worker_id: int) -> tuple[dict[str, int], frozenset[str]]:
    """In one query: writable_children(), and the public ids of those still allocated (worker_scope's keys)."""
    rows = session.execute(
        select(
            children_ref.c.public_id,
            children_ref.c.id,
            func.max(case((allocations_ref.c.ended_at.is_(None), 1), else_=0)).label("current"),
        )
        .join(allocations_ref, allocations_ref.c.child_id == children_ref.c.id)
        .where(allocations_ref.c.worker_id == worker_id)
        .group_by(children_ref.c.public_id, children_ref.c.id)
    ).all()
    return {row.public_id: row.id for row in rows}, frozenset(row.public_id for row in rows if row.current)


def scope_hash(child_public_ids) -> str:
    return hashlib.sha256("\n".join(sorted(child_public_ids)).encode()).hexdigest()[:32]
