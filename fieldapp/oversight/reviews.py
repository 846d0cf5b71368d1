"""Records waiting for a manager's sign-off, and Signs of Safety maps overdue a review."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select

from sync.states import ReviewState
from sync.tables import records

from ..extensions import db
from ..models import Child, User
from ..models.types import UTCDateTime
from ..records.visit_due import add_months
from .scope import CHILD_REF_COLUMNS, ChildRef, Scope, child_ref, page_with_current_worker, total_rows

AWAITING_SIGNOFF_URL = "/review/awaiting"  # the sign-off queue (issue 6); a plain href so this view never depends on it


@dataclass(frozen=True)
class AwaitingSummary:
    count: int
    oldest: datetime | None
    by_author: list[tuple[str, int, datetime]]  # (author, how many, waiting since)


def _awaiting_where(scope: Scope):
    conditions = [records.c.review_state == ReviewState.SUBMITTED, records.c.child_id.in_(scope.child_ids)]
    if scope.filters.worker_id is not None:
        conditions.append(records.c.author_id == scope.filters.worker_id)
    return conditions


def awaiting_signoff_summary(scope: Scope) -> AwaitingSummary:
    """How many records wait for sign-off, per author, and since when (last submitted = updated_at)."""
    since = func.min(records.c.updated_at)
    rows = db.session.execute(
        select(User.display_name, func.count(), since)
        .select_from(records)
        .join(User, User.id == records.c.author_id)
        .where(*_awaiting_where(scope))
        .group_by(User.id, User.display_name)
        .order_by(since)
    ).all()
    # min() over a UTCDateTime loses the type on SQLite (a string comes back): read it through the column type.
    by_author = [(name, n, _as_utc(at)) for name, n, at in rows]
    return AwaitingSummary(sum(n for _, n, _ in by_author), min((at for *_, at in by_author), default=None), by_author)


def _as_utc(value) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return UTCDateTime().process_result_value(value, None)


def awaiting_signoff(scope: Scope, limit: int | None) -> list:
    """The records themselves, longest waiting first: (record id, type, occurred_on, waiting since, author, child)."""
    return db.session.execute(
        select(
            records.c.id,
            records.c.record_type,
            records.c.occurred_on,
            records.c.updated_at,
            User.display_name.label("author"),
            Child.case_number,
            Child.first_name,
            Child.last_name,
            Child.public_id,
        )
        .select_from(records)
        .join(User, User.id == records.c.author_id)
        .join(Child, Child.id == records.c.child_id)
        .where(*_awaiting_where(scope))
        .order_by(records.c.updated_at, records.c.id)
        .limit(limit)
    ).all()


@dataclass(frozen=True)
class MapOverdue:
    child: ChildRef
    worker_name: str | None
    mapped_on: str  # ISO date of the child's latest map


def maps_not_reviewed(scope: Scope, today: date, limit: int | None) -> tuple[int, date, list[MapOverdue]]:
    """Children whose latest Signs of Safety map is older than N months: (how many, cutoff, rows oldest first).

    A map dated exactly N months ago is still in time. Children with no map at all are not listed.
    """
    cutoff = add_months(today, -scope.filters.map_months)
    # One join of the team's children to their maps (a group per child), not an IN list of them joined again.
    mapped_on = func.max(records.c.occurred_on)
    query = (
        select(*CHILD_REF_COLUMNS, mapped_on.label("mapped_on"))
        .select_from(records)
        .join(Child, Child.id == records.c.child_id)
        .where(records.c.record_type == "sos_map", scope.children_in_scope())
        .group_by(*CHILD_REF_COLUMNS)
        .having(mapped_on < cutoff.isoformat())
    )
    page = db.session.execute(page_with_current_worker(query, scope, (mapped_on, Child.case_number), limit))
    rows = page.all()
    return total_rows(rows), cutoff, [MapOverdue(child_ref(row), row.worker_name, row.mapped_on) for row in rows]
