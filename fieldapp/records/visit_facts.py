"""Keep each child's visit facts (last seen visit, next due) on write, so oversight reads them instead of history.

refresh() recomputes the rows of the given children from their records, and their seen visits with their answers
(seen_visit_facts), four statements per 1,000 children:
it runs after a push stored what the kept row cannot simply move forward by (visit_facts_push.py), after a
conflict is resolved, when a child is added or its details change (after_flush), and on read for rows that
are missing or stale (stale_condition(); e.g. bulk imports, the migration's backfill).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import Connection, and_, case, delete, event, func, insert, inspect, or_, select
from sqlalchemy.orm import Session

from sync.sql import insert_rows
from sync.tables import records

from ..models import Child
from ..models.visit_facts import child_visit_facts as facts
from ..models.visit_facts import seen_visit_facts
from .visit_due import next_visit_due

FACT_TYPES = frozenset({"visit", "seen_alone"})  # only these record types move a child's visit facts
CHUNK = 1000
INPUTS = ("legal_status", "placement_start", "permanent_placement", "cp_visit_interval_working_days")


def refresh(session: Session | Connection, child_ids: Iterable[int]) -> None:
    """Recompute and store the facts of these children and their seen visits (four statements per 1,000)."""
    ids = sorted(set(child_ids))
    for start in range(0, len(ids), CHUNK):  # bound the parameters per statement (PostgreSQL allows 65,535)
        _refresh_chunk(session, ids[start : start + CHUNK])


def _refresh_chunk(session: Session | Connection, ids: list[int]) -> None:
    # The counting is done in SQL: pulling each child's whole visit history into Python made the facts most of
    # a push's cost, growing with the child's history.
    seen = _seen_visits(ids)
    facts_of = _aggregates(seen)
    rows = session.execute(
        select(
            Child.id.label("child"),
            *(getattr(Child, name) for name in INPUTS),
            facts_of.c.seen_visits,
            facts_of.c.last_seen_on,
            facts_of.c.not_alone_streak,
        )
        .outerjoin(facts_of, facts_of.c.child_id == Child.id)
        .where(Child.id.in_(ids))
    ).all()
    store(
        session,
        [facts_row(row, row.last_seen_on, row.seen_visits or 0, row.not_alone_streak or 0) for row in rows],
    )
    # Their seen visits, each with its answer, rewritten from the same query (in the database, no rows in Python).
    session.execute(delete(seen_visit_facts).where(seen_visit_facts.c.child_id.in_(ids)))
    columns = ["visit_id", "child_id", "author_id", "occurred_on", "alone"]
    session.execute(
        insert(seen_visit_facts).from_select(
            columns, select(seen.c.id, seen.c.child_id, seen.c.author_id, seen.c.occurred_on, seen.c.alone)
        )
    )


def store(session: Session | Connection, values: list[dict]) -> None:
    """Insert or replace these facts rows (facts_row() dicts), in one statement whatever their number."""
    insert_rows(session, (facts, values, ["child_id"]))


def seen_visits_with_answer(visit, *conditions, extra=()):
    """Statutory visits where the child was seen, one row each with its seen-alone answer as `alone`.

    1/0, or None when no seen-alone record arrived; a visit with two such records counts once, as alone if any.
    One join on the answer's visit id and a group per visit: the planner probes the index once per visit.
    """
    answer = records.alias("answer")
    return (
        select(visit.c.id, visit.c.child_id, func.max(answer.c.seen_alone).label("alone"), *extra)
        .select_from(visit)
        .outerjoin(
            answer,
            and_(
                answer.c.visit_id == visit.c.id,
                answer.c.record_type == "seen_alone",
                answer.c.child_id == visit.c.child_id,
            ),
        )
        .where(visit.c.record_type == "visit", visit.c.child_seen == 1, *conditions)
        .group_by(visit.c.id, visit.c.child_id, *extra)
    )


def _seen_visits(ids: list[int]):
    visit = records.alias("visit")
    extra = (visit.c.occurred_on, visit.c.created_at, visit.c.author_id)
    return seen_visits_with_answer(visit, visit.c.child_id.in_(ids), extra=extra).subquery()


def _aggregates(seen):
    """Per child: seen visits, the latest one's date, and how many of the latest in a row have no "alone" yes."""
    # Latest first as the oversight list orders them (date, then arrival, then id); "alone so far" stays 0
    # until the first visit with a yes, so the streak is the number of rows where it is still 0.
    latest_first = [func.coalesce(seen.c.occurred_on, "").desc(), seen.c.created_at.desc(), seen.c.id.asc()]
    ranked = select(
        seen.c.child_id,
        seen.c.occurred_on,
        func.max(case((seen.c.alone == 1, 1), else_=0))
        .over(partition_by=seen.c.child_id, order_by=latest_first, rows=(None, 0))
        .label("alone_so_far"),
    ).subquery()
    return (
        select(
            ranked.c.child_id,
            func.count().label("seen_visits"),
            func.max(ranked.c.occurred_on).label("last_seen_on"),
            func.sum(case((ranked.c.alone_so_far == 0, 1), else_=0)).label("not_alone_streak"),
        )
        .group_by(ranked.c.child_id)
        .subquery()
    )


def facts_row(child, last_seen_on: str | None, seen_visits: int, not_alone_streak: int) -> dict:
    """The facts row of `child` (its id as `.child`, its details by name) from its seen-visit counts."""
    seen = date.fromisoformat(last_seen_on) if last_seen_on else None
    # The due date does not depend on today (only "overdue" does, which readers decide): count every seen visit.
    due = next_visit_due(child, [seen] if seen else [], date.max)
    return {
        "child_id": child.child,
        "last_seen_on": last_seen_on,
        "due_on": due.due_date.isoformat() if due.due_date else None,
        "due_rule": due.rule_id,
        "seen_visits": seen_visits,
        "not_alone_streak": not_alone_streak,
        "legal_status": getattr(child.legal_status, "value", child.legal_status),
        **{name: getattr(child, name) for name in INPUTS[1:]},
    }


def stale_condition():
    """Children (joined to their facts row, outer) whose row is missing or was computed from other details."""
    return or_(facts.c.child_id.is_(None), *(facts.c[name].is_distinct_from(getattr(Child, name)) for name in INPUTS))


@event.listens_for(Session, "after_flush")
def _children_changed(session: Session, _context) -> None:
    """A child added, or whose legal status or placement changed, gets its facts in the same transaction."""
    changed = [
        child
        for child in session.new | session.dirty
        if isinstance(child, Child)
        and (child in session.new or any(inspect(child).attrs[name].history.has_changes() for name in INPUTS))
    ]
    if changed:
        refresh(session.connection(), [child.id for child in changed])
