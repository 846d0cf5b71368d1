"""What a former worker may still push about a child whose allocation to them has ended.

A visit made before a reallocation must still land (never lose a word), but the former worker must not
rewrite the child's file: only NEW records dated within one of their allocations, and edits only to records
they wrote themselves. A worker currently allocated the child is not limited here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from sync import PushOp
from sync.tables import children_ref, records

from ..models import Allocation
from .facts import record_facts

CODE = "allocation_ended"


@dataclass(frozen=True)
class Refusal:
    code: str
    message: str


def _periods(session: Session, worker_id: int, child_ids: set[str]) -> dict[str, list[tuple[date, date]]]:
    rows = session.execute(
        select(children_ref.c.public_id, Allocation.started_at, Allocation.ended_at)
        .join(Allocation, Allocation.child_id == children_ref.c.id)
        .where(
            Allocation.worker_id == worker_id, Allocation.ended_at.is_not(None), children_ref.c.public_id.in_(child_ids)
        )
    )
    periods: dict[str, list[tuple[date, date]]] = {}
    for public_id, started, ended in rows:
        periods.setdefault(public_id, []).append((started.date(), ended.date()))
    return periods


def _record_date(op: PushOp, batch_dates: dict[str, str | None], stored: dict) -> date | None:
    """The date a new record is about; a seen-alone record takes its visit's date."""
    day = record_facts(op.record_type, op.body).get("occurred_on")
    if day is None and op.record_type == "seen_alone":
        visit_id = op.body.get("visit_id")
        day = batch_dates.get(visit_id) or (stored[visit_id].occurred_on if visit_id in stored else None)
    try:
        return date.fromisoformat(day) if isinstance(day, str) else day
    except ValueError:
        return None


def ended_allocation_refusals(
    session: Session, worker_id: int, ops: list[PushOp], current: frozenset[str]
) -> dict[int, Refusal]:
    """Index → refusal for each op a former worker may not push; current allocations are not limited.

    `current`: the public ids of the children allocated to the worker now (sync.worker_children).
    """
    former = [(i, op) for i, op in enumerate(ops) if op.child_id not in current]
    if not former:
        return {}
    periods = _periods(session, worker_id, {op.child_id for _, op in former})
    former = [(i, op) for i, op in former if op.child_id in periods]  # never allocated: the engine refuses it
    if not former:
        return {}
    wanted = {op.record_id for _, op in former} | {
        op.body.get("visit_id") for _, op in former if isinstance(op.body.get("visit_id"), str)
    }
    stored = {
        row.id: row
        for row in session.execute(
            select(records.c.id, records.c.author_id, records.c.occurred_on).where(records.c.id.in_(wanted))
        )
    }
    batch_dates = {op.record_id: record_facts(op.record_type, op.body).get("occurred_on") for op in ops}
    refusals = {}
    for index, op in former:
        existing = stored.get(op.record_id)
        if existing is not None:
            if existing.author_id != worker_id:
                refusals[index] = Refusal(
                    CODE, "this child is no longer allocated to you: you can only change records you wrote yourself"
                )
            continue
        day = _record_date(op, batch_dates, stored)
        if day is None or not any(start <= day <= end for start, end in periods[op.child_id]):
            refusals[index] = Refusal(
                CODE, "this child is no longer allocated to you: a new record must be dated within your allocation"
            )
    return refusals
