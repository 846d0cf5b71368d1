"""Keep each child's visit facts (last seen visit, next due) on write, so oversight reads them instead of history.

refresh() recomputes the rows of the given children from their records, four statements per 1,000 children
(one read; one upsert of their facts; their seen visits, each with its seen-alone answer, deleted and written):
it runs in the sync push after visits or seen-alone answers are stored (PushContext.on_stored), after a
conflict is resolved, when a child is added or its details change (after_flush), and on read for rows that
are missing or stale (stale_condition(); e.g. bulk imports, the migration's backfill).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import Connection, and_, delete, event, func, insert, inspect, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from sync.tables import records

from ..models import Child
from ..models.visit_facts import child_visit_facts as facts
from ..models.visit_facts import seen_visit_facts
from .visit_due import next_visit_due

FACT_TYPES = frozenset({"visit", "seen_alone"})  # only these record types move a child's visit facts
CHUNK = 1000
_INPUTS = ("legal_status", "placement_start", "permanent_placement", "cp_visit_interval_working_days")


def refresh(session: Session | Connection, child_ids: Iterable[int]) -> None:
    """Recompute and store the facts of these children and of their seen visits (four statements per 1,000)."""
    ids = sorted(set(child_ids))
    for start in range(0, len(ids), CHUNK):  # bound the parameters per statement (PostgreSQL allows 65,535)
        _refresh_chunk(session, ids[start : start + CHUNK])


def _refresh_chunk(session: Session | Connection, ids: list[int]) -> None:
    visit, answer = records.alias("visit"), records.alias("answer")
    # Each seen visit with its seen-alone answer (1/0/None; a visit with two answers counts as alone if any).
    seen = (
        select(
            visit.c.child_id,
            visit.c.id,
            visit.c.occurred_on,
            visit.c.created_at,
            visit.c.author_id,
            func.max(answer.c.seen_alone).label("alone"),
        )
        .select_from(visit)
        .outerjoin(
            answer,
            and_(
                answer.c.visit_id == visit.c.id,
                answer.c.record_type == "seen_alone",
                answer.c.child_id == visit.c.child_id,
            ),
        )
        .where(visit.c.record_type == "visit", visit.c.child_seen == 1, visit.c.child_id.in_(ids))
        .group_by(visit.c.child_id, visit.c.id, visit.c.occurred_on, visit.c.created_at, visit.c.author_id)
        .subquery()
    )
    rows = session.execute(
        select(
            Child.id.label("child"),
            *(getattr(Child, name) for name in _INPUTS),
            seen.c.id,
            seen.c.occurred_on,
            seen.c.created_at,
            seen.c.author_id,
            seen.c.alone,
        )
        .outerjoin(seen, seen.c.child_id == Child.id)
        .where(Child.id.in_(ids))
    ).all()
    per_child: dict[int, tuple] = {}
    for row in rows:
        child, child_visits = per_child.setdefault(row.child, (row, []))
        if row.id is not None:
            child_visits.append(row)
    _store_seen_visits(session, ids, [visit for _child, child_visits in per_child.values() for visit in child_visits])
    values = [_row(child, child_visits) for child, child_visits in per_child.values()]
    if values:
        dialect = session.dialect if isinstance(session, Connection) else session.get_bind().dialect
        insert = (postgresql if dialect.name == "postgresql" else sqlite).insert(facts)
        statement = insert.values(values)
        session.execute(
            statement.on_conflict_do_update(
                index_elements=[facts.c.child_id],
                set_={name: statement.excluded[name] for name in values[0] if name != "child_id"},
            )
        )


def _store_seen_visits(session: Session | Connection, ids: list[int], seen: list) -> None:
    """Replace these children's rows of seen_visit_facts with their seen visits as just read."""
    session.execute(delete(seen_visit_facts).where(seen_visit_facts.c.child_id.in_(ids)))
    if seen:
        session.execute(
            insert(seen_visit_facts),
            [
                {
                    "visit_id": v.id,
                    "child_id": v.child,
                    "author_id": v.author_id,
                    "occurred_on": v.occurred_on,
                    "alone": v.alone,
                }
                for v in seen
            ],
        )


def _row(child, child_visits: list) -> dict:
    # Latest first as the oversight list orders them: date, then arrival, then id (stable sorts, last key first).
    child_visits.sort(key=lambda v: v.id)
    child_visits.sort(key=lambda v: (v.occurred_on or "", v.created_at), reverse=True)
    last = child_visits[0].occurred_on if child_visits else None
    seen = date.fromisoformat(last) if last else None
    # The due date does not depend on today (only "overdue" does, which readers decide): count every seen visit.
    due = next_visit_due(child, [seen] if seen else [], date.max)
    return {
        "child_id": child.child,
        "last_seen_on": last,
        "due_on": due.due_date.isoformat() if due.due_date else None,
        "due_rule": due.rule_id,
        "seen_visits": len(child_visits),
        "not_alone_streak": next((i for i, v in enumerate(child_visits) if v.alone == 1), len(child_visits)),
        "legal_status": getattr(child.legal_status, "value", child.legal_status),
        **{name: getattr(child, name) for name in _INPUTS[1:]},
    }


def stale_condition():
    """Children (joined to their facts row, outer) whose row is missing or was computed from other details."""
    return or_(facts.c.child_id.is_(None), *(facts.c[name].is_distinct_from(getattr(Child, name)) for name in _INPUTS))


def on_stored(session: Session, ctx, stored: list) -> None:
    """PushContext hook: refresh the children whose visits a push batch stored (applied or merged)."""
    refresh(session, {ctx.allowed_children[op.child_id] for op, _result in stored if op.record_type in FACT_TYPES})


@event.listens_for(Session, "after_flush")
def _children_changed(session: Session, _context) -> None:
    """A child added, or whose legal status or placement changed, gets its facts in the same transaction."""
    changed = [
        child
        for child in session.new | session.dirty
        if isinstance(child, Child)
        and (child in session.new or any(inspect(child).attrs[name].history.has_changes() for name in _INPUTS))
    ]
    if changed:
        refresh(session.connection(), [child.id for child in changed])
