"""Seen-alone rates over a period, and children not seen alone in their last visits.

Rates read the seen visits kept on write with their answers (seen_visit_facts, records/visit_facts.py): the
visits dated in the period, not a join of every visit to its answers. "Not seen alone lately" reads the streak
kept per child; the few children with a seen visit dated after today are worked out from their records.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, func, select

from sync.tables import records

from ..extensions import db
from ..models import Child, User
from ..models.visit_facts import child_visit_facts as facts
from ..models.visit_facts import seen_visit_facts as seen
from ..records import visit_facts
from .scope import CHILD_REF_COLUMNS, ChildRef, Scope, child_ref, page_with_current_worker, total_rows
from .visits import ensure_facts, settled


@dataclass(frozen=True)
class SeenAloneRate:
    worker: str
    visits: int
    seen_alone: int
    not_seen_alone: int
    not_recorded: int  # statutory visits with no seen-alone record synced yet

    @property
    def rate(self) -> float | None:
        return self.seen_alone / self.visits if self.visits else None


def seen_alone_rates(scope: Scope) -> tuple[SeenAloneRate, list[SeenAloneRate]]:
    """(all, per worker who made the visit) for statutory visits where the child was seen, in the period.

    Credited to the visit's author, so a child reallocated mid-period counts for whoever visited. Read from the
    seen visits kept on write with their answers (records/visit_facts.py): the visits dated in the period only.
    """
    ensure_facts(scope)
    conditions = [
        seen.c.occurred_on >= scope.filters.period_from.isoformat(),
        seen.c.occurred_on <= scope.filters.period_to.isoformat(),
        seen.c.child_id.in_(scope.child_ids),
    ]
    if scope.filters.worker_id is not None:
        conditions.append(seen.c.author_id == scope.filters.worker_id)
    alone = seen.c.alone
    query = (
        select(
            User.display_name,
            func.count(),
            func.sum(case((alone == 1, 1), else_=0)),
            func.sum(case((alone == 0, 1), else_=0)),
            func.sum(case((alone.is_(None), 1), else_=0)),
        )
        .select_from(seen)
        .join(User, User.id == seen.c.author_id)
        .where(*conditions)
        .group_by(User.id, User.display_name)
        .order_by(User.display_name)
    )
    per_worker = [
        SeenAloneRate(name, n, int(yes), int(no), int(missing))
        for name, n, yes, no, missing in db.session.execute(query)
    ]
    total = SeenAloneRate(
        "All workers",
        *(sum(getattr(r, f) for r in per_worker) for f in ("visits", "seen_alone", "not_seen_alone", "not_recorded")),
    )
    return total, per_worker


@dataclass(frozen=True)
class NotSeenAlone:
    child: ChildRef
    worker_name: str | None
    visits: int  # the latest seen visits considered (N, or fewer when the child has fewer)
    last: str  # ISO date of the latest of them


def _not_seen_alone_page(query, scope: Scope, order, limit: int | None) -> tuple[int, list[NotSeenAlone]]:
    rows = db.session.execute(page_with_current_worker(query, scope, order, limit)).all()
    return total_rows(rows), [NotSeenAlone(child_ref(row), row.worker_name, row.visits, row.last) for row in rows]


def not_seen_alone_lately(scope: Scope, today: date, limit: int | None) -> tuple[int, list[NotSeenAlone]]:
    """Children not seen alone on any of their last N statutory visits (or all of them, if fewer than N).

    A visit without a seen-alone record counts as not seen alone: the record says nothing either way.
    Read from the streak kept on write; children with a seen visit dated after `today` are worked out from
    their records (_not_seen_alone_from_records), as the kept streak counts that visit.
    """
    ensure_facts(scope)
    n = scope.filters.last_visits
    considered = case((facts.c.seen_visits < n, facts.c.seen_visits), else_=n)
    query = (
        select(*CHILD_REF_COLUMNS, considered.label("visits"), facts.c.last_seen_on.label("last"))
        .join(facts, facts.c.child_id == Child.id)
        .where(
            scope.children_in_scope(), settled(today), facts.c.seen_visits > 0, facts.c.not_alone_streak >= considered
        )
    )
    unsettled = select(facts.c.child_id).where(~settled(today))
    extra_total, extra = _not_seen_alone_from_records(scope, today, limit, unsettled)
    total, rows = _not_seen_alone_page(query, scope, (facts.c.last_seen_on, Child.case_number), limit)
    if extra:
        rows = sorted(rows + extra, key=lambda row: (row.last, row.child.case_number))[:limit]
    return total + extra_total, rows


def _not_seen_alone_from_records(
    scope: Scope, today: date, limit: int | None, child_ids
) -> tuple[int, list[NotSeenAlone]]:
    """not_seen_alone_lately() for the children of `child_ids` only, from their visits (the few not settled)."""
    visit = records.alias("visit")
    # Window over the per-visit rows (computed after their GROUP BY): position 1 is the child's latest visit.
    rank = func.row_number().over(
        partition_by=visit.c.child_id, order_by=(visit.c.occurred_on.desc(), visit.c.created_at.desc(), visit.c.id)
    )
    ranked = (
        visit_facts.seen_visits_with_answer(
            visit,
            visit.c.occurred_on <= today.isoformat(),
            visit.c.child_id.in_(scope.child_ids),
            visit.c.child_id.in_(child_ids),
            extra=(visit.c.occurred_on, visit.c.created_at),
        )
        .add_columns(rank.label("position"))
        .subquery()
    )
    latest = (
        select(ranked.c.child_id, func.count().label("visits"), func.max(ranked.c.occurred_on).label("last"))
        .where(ranked.c.position <= scope.filters.last_visits)
        .group_by(ranked.c.child_id)
        .having(func.max(func.coalesce(ranked.c.alone, 0)) == 0)
        .subquery()
    )
    query = select(*CHILD_REF_COLUMNS, latest.c.visits, latest.c.last).join(latest, latest.c.child_id == Child.id)
    return _not_seen_alone_page(query, scope, (latest.c.last, Child.case_number), limit)
