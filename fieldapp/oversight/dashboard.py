"""The figures of one dashboard, gathered with a bounded number of queries whatever the number of children."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select

from ..extensions import db
from ..models import Allocation, Child, Team
from ..safety import report
from . import caseloads, charts, reviews, seen_alone, visits
from .scope import LIST_LIMIT, Scope


def team_dashboard(scope: Scope, today: date, now: datetime) -> dict:
    """Everything the team dashboard shows; lists are cut at LIST_LIMIT rows (totals are not)."""
    loads = caseloads.worker_loads(scope)
    unallocated_count, unallocated = caseloads.unallocated(scope, LIST_LIMIT)
    by_worker = visits.due_summary(scope, today)
    attention = visits.visits_due(scope, today, LIST_LIMIT, attention_only=True)
    seen_total, seen_by_worker = seen_alone.seen_alone_rates(scope)
    lately_count, lately = seen_alone.not_seen_alone_lately(scope, today, LIST_LIMIT)
    maps_count, maps_cutoff, maps = reviews.maps_not_reviewed(scope, today, LIST_LIMIT)
    return {
        "loads": loads,
        "caseload_chart": charts.caseload_chart(loads),
        "candidates": sorted((load for load in loads if load.active), key=lambda load: (load.count, load.name)),
        "unallocated_count": unallocated_count,
        "unallocated": unallocated,
        "due_attention": attention,
        "due_attention_count": sum(row["overdue"] + row["due_soon"] for row in by_worker),
        "overdue_count": sum(row["overdue"] for row in by_worker),
        "due_soon_count": sum(row["due_soon"] for row in by_worker),
        "due_by_worker": by_worker,
        "due_chart": charts.due_chart(by_worker),
        "seen_alone_total": seen_total,
        "seen_alone_by_worker": seen_by_worker,
        "not_seen_alone_count": lately_count,
        "not_seen_alone": lately,
        "awaiting": reviews.awaiting_signoff_summary(scope),
        "awaiting_list": reviews.awaiting_signoff(scope, 10),
        "maps_count": maps_count,
        "maps_cutoff": maps_cutoff,
        "maps": maps,
        "safety": report.monthly(scope.team_id, today.replace(day=1)) if scope.team_id is not None else None,
        "now": now,
        "list_limit": LIST_LIMIT,
    }


def service_by_team(scope: Scope, today: date, loads: list | None = None) -> list[dict]:
    """Per-team aggregates for the service view (no child is named): workers over limit, unallocated, visits."""
    teams = list(db.session.scalars(select(Team).order_by(Team.name)))
    if scope.team_id is not None:
        teams = [team for team in teams if team.id == scope.team_id]
    rows = {
        team.id: {
            "team": team,
            "workers": 0,
            "over_limit": 0,
            "children_held": 0,
            "unallocated": 0,
            "overdue": 0,
            "due_soon": 0,
        }
        for team in teams
    }
    for load in caseloads.worker_loads(scope) if loads is None else loads:
        if load.team_id in rows:
            row = rows[load.team_id]
            row["workers"] += 1
            row["over_limit"] += load.over_limit
            row["children_held"] += load.count
    for team_id, _worker, state, n in visits.due_counts(scope, today):
        if team_id in rows and state != "later":
            rows[team_id][state] += n
    held = select(Allocation.child_id).where(Allocation.ended_at.is_(None))
    for team_id, count in db.session.execute(
        select(Child.team_id, func.count())
        .where(scope.children_in_scope(), Child.id.not_in(held))
        .group_by(Child.team_id)
    ):
        if team_id in rows:
            rows[team_id]["unallocated"] = count
    return list(rows.values())


def service_dashboard(scope: Scope, today: date) -> dict:
    """The admins' view: per-team aggregates, caseloads of every worker, seen-alone rates; no child named."""
    loads = caseloads.worker_loads(scope)
    total, per_worker = seen_alone.seen_alone_rates(scope)
    return {
        "by_team": service_by_team(scope, today, loads),
        "loads": loads,
        "caseload_chart": charts.caseload_chart(loads),
        "seen_alone_total": total,
        "seen_alone_by_worker": per_worker,
    }
