"""Keep each child's visit facts (last seen visit, next due) on write, so oversight reads them instead of history.

refresh() recomputes the rows of the given children from their records in two statements whatever their
number: it runs in the sync push after visits are stored (PushContext.on_stored), after a conflict is
resolved, and on read for rows that are missing or whose child's details changed (stale_children()).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import Connection, and_, event, func, inspect, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from sync.tables import records

from ..models import Child
from ..models.visit_facts import child_visit_facts as facts
from .visit_due import next_visit_due

FACT_TYPES = frozenset({"visit"})  # only these record types move a child's visit facts
_INPUTS = ("legal_status", "placement_start", "permanent_placement", "cp_visit_interval_working_days")


def seen_visits():
    """Visits that count towards statutory frequency (record_facts() sets child_seen)."""
    return and_(records.c.record_type == "visit", records.c.child_seen == 1)


def refresh(session: Session | Connection, child_ids: Iterable[int]) -> None:
    """Recompute and store the facts of these children (one aggregate, one upsert)."""
    ids = sorted(set(child_ids))
    if not ids:
        return
    last = (select(records.c.child_id, func.max(records.c.occurred_on).label("last"))
            .where(seen_visits(), records.c.child_id.in_(ids)).group_by(records.c.child_id).subquery())
    rows = session.execute(select(Child.id, *(getattr(Child, name) for name in _INPUTS), last.c.last)
                           .outerjoin(last, last.c.child_id == Child.id).where(Child.id.in_(ids))).all()
    values = [_row(row) for row in rows]
    if values:
        dialect = session.dialect if isinstance(session, Connection) else session.get_bind().dialect
        insert = (postgresql if dialect.name == "postgresql" else sqlite).insert(facts)
        statement = insert.values(values)
        session.execute(statement.on_conflict_do_update(
            index_elements=[facts.c.child_id],
            set_={name: statement.excluded[name] for name in values[0] if name != "child_id"}))


def _row(row) -> dict:
    seen = date.fromisoformat(row.last) if row.last else None
    # The due date does not depend on today (only "overdue" does, which readers decide): count every seen visit.
    due = next_visit_due(row, [seen] if seen else [], date.max)
    return {"child_id": row.id, "last_seen_on": row.last, "due_on": due.due_date.isoformat() if due.due_date else None,
            "due_rule": due.rule_id, "legal_status": getattr(row.legal_status, "value", row.legal_status),
            **{name: getattr(row, name) for name in _INPUTS[1:]}}


def stale_condition():
    """Children (joined to their facts row, outer) whose row is missing or was computed from other details."""
    return or_(facts.c.child_id.is_(None), *(facts.c[name].is_distinct_from(getattr(Child, name))
                                              for name in _INPUTS))


def on_stored(session: Session, ctx, stored: list) -> None:
    """PushContext hook: refresh the children whose visits a push batch stored (applied or merged)."""
    refresh(session, {ctx.allowed_children[op.child_id] for op, _result in stored if op.record_type in FACT_TYPES})


@event.listens_for(Session, "after_flush")
def _children_changed(session: Session, _context) -> None:
    """A child added, or whose legal status or placement changed, gets its facts in the same transaction."""
    changed = [child for child in session.new | session.dirty if isinstance(child, Child)
               and (child in session.new or any(inspect(child).attrs[name].history.has_changes() for name in _INPUTS))]
    if changed:
        refresh(session.connection(), [child.id for child in changed])
