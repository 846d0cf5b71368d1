"""Statutory visits due and overdue, per child and per worker (seen alone: seen_alone.py).

Visits due read each child's last seen visit and next due date kept on write (records/visit_facts.py), so
their cost does not grow with the history behind them; counts per worker are one GROUP BY, lists are paged in
SQL (scope.page_with_current_worker).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta

from flask import g
from sqlalchemy import and_, case, func, or_, select

from sync.tables import records

from ..extensions import db
from ..models import Child, LegalStatus
from ..models.visit_facts import child_visit_facts as facts
from ..records import visit_facts
from ..records.visit_due import DueInfo, next_visit_due
from .filters import DUE_SOON_DAYS
from .scope import (
    Scope,
    page_with_current_worker,
    with_current_worker,
)

UNALLOCATED = "Unallocated"


@dataclass(frozen=True)
class ChildDue:
    public_id: str
    team_id: int | None
    case_number: str
    name: str
    legal_status: LegalStatus
    worker_id: int | None
    worker_name: str | None
    last_seen: date | None
    due: DueInfo
    state: str  # overdue | due_soon | later


def _seen_visits():
    return and_(records.c.record_type == "visit", records.c.child_seen == 1)


def ensure_facts(scope: Scope) -> None:
    """Fill the kept facts of children in scope that have none yet, or whose details changed since (usually none).

    One comparison per request (remembered for the request); only the children it finds are recomputed.
    """
    done = g.setdefault("oversight_facts_checked", set())
    if id(scope) in done:
        return
    done.add(id(scope))
    stale = list(
        db.session.scalars(
            select(Child.id)
            .outerjoin(facts, facts.c.child_id == Child.id)
            .where(scope.children_in_scope(), visit_facts.stale_condition())
        )
    )
    if stale:
        visit_facts.refresh(db.session, stale)
        db.session.commit()  # a cache fill: the next request finds it done


def _state(today: date):
    soon = (today + timedelta(days=DUE_SOON_DAYS)).isoformat()
    return case(
        (or_(facts.c.due_on.is_(None), facts.c.due_on < today.isoformat()), "overdue"),
        (facts.c.due_on <= soon, "due_soon"),
        else_="later",
    )


def settled(today: date):
    # A seen visit dated after `today` must not count yet; those few children are worked out exactly (_unsettled).
    return or_(facts.c.last_seen_on.is_(None), facts.c.last_seen_on <= today.isoformat())


def _child_columns():
    return (
        Child.id,
        Child.public_id,
        Child.team_id,
        Child.case_number,
        Child.first_name,
        Child.last_name,
        Child.legal_status,
    )


def _unsettled(scope: Scope, today: date) -> list[ChildDue]:
    """Children whose latest seen visit is dated after `today`: their due date counts from the visit before."""
    last_seen = (
        select(records.c.child_id, func.max(records.c.occurred_on).label("last_seen"))
        .where(
            _seen_visits(),
            records.c.occurred_on <= today.isoformat(),
            records.c.child_id.in_(select(facts.c.child_id).where(~settled(today))),
        )
        .group_by(records.c.child_id)
        .subquery()
    )
    query = with_current_worker(
        select(
            *_child_columns(),
            Child.placement_start,
            Child.permanent_placement,
            Child.cp_visit_interval_working_days,
            last_seen.c.last_seen,
        )
        .join(facts, facts.c.child_id == Child.id)
        .outerjoin(last_seen, last_seen.c.child_id == Child.id)
        .where(scope.children_in_scope(), ~settled(today)),
        scope,
    )
    soon = today + timedelta(days=DUE_SOON_DAYS)
    result = []
    for row in db.session.execute(query):
        seen = date.fromisoformat(row.last_seen) if row.last_seen else None
        due = next_visit_due(row, [seen] if seen else [], today)
        state = "overdue" if due.overdue else ("due_soon" if due.due_date <= soon else "later")
        result.append(_child_due(row, seen, due, state))
    return result


def _child_due(row, last_seen: date | None, due: DueInfo, state: str) -> ChildDue:
    """A list row (the _child_columns() of a child with its current worker) with its due date."""
    return ChildDue(
        row.public_id,
        row.team_id,
        row.case_number,
        f"{row.first_name} {row.last_name}",
        row.legal_status,
        row.worker_id,
        row.worker_name,
        last_seen,
        due,
        state,
    )


def _sort_key(item: ChildDue):
    return (item.state != "overdue", item.due.due_date or date.min, item.case_number)


def visits_due(scope: Scope, today: date, limit: int | None = None, attention_only: bool = False) -> list[ChildDue]:
    """Children in scope with their next statutory visit, overdue first, then by due date (NULL: visit now).

    Read from the facts kept on write (records/visit_facts.py); `attention_only` keeps overdue and due within
    7 days, and `limit` pages the list in SQL, so the page costs the same whatever the history behind it.
    """
    ensure_facts(scope)
    state = _state(today)
    query = (
        select(*_child_columns(), facts.c.last_seen_on, facts.c.due_on, facts.c.due_rule, state.label("state"))
        .join(facts, facts.c.child_id == Child.id)
        .where(scope.children_in_scope(), settled(today))
    )
    if attention_only:
        query = query.where(state != "later")
    order = (case((state == "overdue", 0), else_=1), func.coalesce(facts.c.due_on, ""), Child.case_number)
    result = [
        _child_due(
            row,
            date.fromisoformat(row.last_seen_on) if row.last_seen_on else None,
            DueInfo(date.fromisoformat(row.due_on) if row.due_on else None, row.due_rule, row.state == "overdue"),
            row.state,
        )
        for row in db.session.execute(page_with_current_worker(query, scope, order, limit))
    ]
    extra = [child for child in _unsettled(scope, today) if not attention_only or child.state != "later"]
    if extra:
        result = sorted(result + extra, key=_sort_key)[:limit]
    return result


def due_counts(scope: Scope, today: date) -> list[tuple[int | None, str | None, str, int]]:
    """(team id, current worker name, state, how many) over every child in scope: one GROUP BY on the kept facts."""
    ensure_facts(scope)
    children = with_current_worker(
        select(Child.team_id, _state(today).label("state"))
        .join(facts, facts.c.child_id == Child.id)
        .where(scope.children_in_scope(), settled(today)),
        scope,
    ).subquery()
    query = select(children.c.team_id, children.c.worker_name, children.c.state, func.count().label("n")).group_by(
        children.c.team_id, children.c.worker_id, children.c.worker_name, children.c.state
    )
    counts = Counter()
    for row in db.session.execute(query):
        counts[(row.team_id, row.worker_name, row.state)] += row.n
    for child in _unsettled(scope, today):
        counts[(child.team_id, child.worker_name, child.state)] += 1
    return [(team, worker, state, n) for (team, worker, state), n in counts.items()]


def due_summary(scope: Scope, today: date) -> list[dict]:
    """Overdue and due-soon counts per current worker (unallocated children under their own heading)."""
    per_worker: dict[str, Counter] = {}
    for _team, worker, state, n in due_counts(scope, today):
        per_worker.setdefault(worker or UNALLOCATED, Counter())[state] += n
    return _worker_rows(per_worker)


def due_by_worker(children: list[ChildDue]) -> list[dict]:
    """Overdue and due-soon counts per current worker (unallocated children under their own heading)."""
    counts: dict[str, Counter] = {}
    for child in children:
        counts.setdefault(child.worker_name or UNALLOCATED, Counter())[child.state] += 1
    return _worker_rows(counts)


def _worker_rows(counts: dict[str, Counter]) -> list[dict]:
    rows = [
        {"worker": name, "overdue": c["overdue"], "due_soon": c["due_soon"], "children": sum(c.values())}
        for name, c in counts.items()
    ]
    return sorted(rows, key=lambda row: (-row["overdue"], -row["due_soon"], row["worker"]))
