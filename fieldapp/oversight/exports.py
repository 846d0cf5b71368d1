"""Every dashboard list as CSV: the same queries as the page, without the row limit."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime

from ..csv_cells import csv_text  # one formula-injection guard for every CSV the app writes
from . import caseloads, dashboard, reviews, seen_alone, visits
from .scope import Scope


@dataclass(frozen=True)
class Export:
    header: list[str]
    rows: Callable[[Scope, date, datetime], Iterable[list]]
    names_children: bool  # lists naming children are for the team's manager only, never the service view


def _caseloads(scope, today, now):
    for load in caseloads.worker_loads(scope):
        yield [
            load.name,
            load.team_name,
            "part-time" if load.part_time else "full-time",
            load.count,
            load.limit,
            load.limit_source,
            "yes" if load.over_limit else "no",
            "yes" if load.active else "no",
        ]


def _unallocated(scope, today, now):
    for item in caseloads.unallocated(scope, None)[1]:
        child = item.child
        yield [
            child.case_number,
            child.full_name,
            child.legal_status.value,
            item.since.date().isoformat(),
            item.days_waiting(today),
        ]


def _visits_due(scope, today, now):
    for child in visits.visits_due(scope, today, attention_only=True):
        if child.state != "later":
            yield [
                child.case_number,
                child.name,
                child.legal_status.value,
                child.worker_name or visits.UNALLOCATED,
                child.last_seen.isoformat() if child.last_seen else "",
                child.due.due_date.isoformat() if child.due.due_date else "now (no seen visit on record)",
                child.state,
                child.due.rule_id,
            ]


def _seen_alone(scope, today, now):
    total, per_worker = seen_alone.seen_alone_rates(scope)
    for rate in [*per_worker, total]:
        yield [
            rate.worker,
            scope.filters.period_from.isoformat(),
            scope.filters.period_to.isoformat(),
            rate.visits,
            rate.seen_alone,
            rate.not_seen_alone,
            rate.not_recorded,
            "" if rate.rate is None else f"{rate.rate:.3f}",
        ]


def _not_seen_alone(scope, today, now):
    for row in seen_alone.not_seen_alone_lately(scope, today, None)[1]:
        yield [
            row.child.case_number,
            row.child.full_name,
            row.worker_name or visits.UNALLOCATED,
            scope.filters.last_visits,
            row.visits,
            row.last,
        ]


def _awaiting(scope, today, now):
    for row in reviews.awaiting_signoff(scope, None):
        yield [
            row.id,
            row.record_type,
            row.case_number,
            f"{row.first_name} {row.last_name}",
            row.author,
            row.occurred_on or "",
            row.updated_at.isoformat(),
            (now - row.updated_at).days,
        ]


def _maps(scope, today, now):
    for row in reviews.maps_not_reviewed(scope, today, None)[2]:
        yield [
            row.child.case_number,
            row.child.full_name,
            row.worker_name or visits.UNALLOCATED,
            row.mapped_on,
            scope.filters.map_months,
        ]


def _teams(scope, today, now):
    for row in dashboard.service_by_team(scope, today):
        yield [
            row["team"].name,
            row["workers"],
            row["over_limit"],
            row["children_held"],
            row["unallocated"],
            row["overdue"],
            row["due_soon"],
        ]


EXPORTS = {
    "caseloads": Export(
        ["worker", "team", "hours", "children", "limit", "limit_from", "over_limit", "active"], _caseloads, False
    ),
    "teams": Export(
        [
            "team",
            "workers",
            "workers_over_limit",
            "children_allocated",
            "children_unallocated",
            "visits_overdue",
            "visits_due_7_days",
        ],
        _teams,
        False,
    ),
    "unallocated": Export(
        ["case_number", "child", "legal_status", "unallocated_since", "days_waiting"], _unallocated, True
    ),
    "visits-due": Export(
        ["case_number", "child", "legal_status", "worker", "last_seen_visit", "next_visit_due", "state", "rule"],
        _visits_due,
        True,
    ),
    "seen-alone": Export(
        [
            "worker",
            "period_from",
            "period_to",
            "statutory_visits_child_seen",
            "seen_alone",
            "not_seen_alone",
            "no_seen_alone_record",
            "seen_alone_rate",
        ],
        _seen_alone,
        False,
    ),
    "not-seen-alone": Export(
        ["case_number", "child", "worker", "last_n", "visits_considered", "last_visit"], _not_seen_alone, True
    ),
    "awaiting-signoff": Export(
        [
            "record_id",
            "record_type",
            "case_number",
            "child",
            "author",
            "occurred_on",
            "waiting_since_utc",
            "days_waiting",
        ],
        _awaiting,
        True,
    ),
    "maps-not-reviewed": Export(["case_number", "child", "worker", "last_map", "months"], _maps, True),
}


def render_csv(export: Export, scope: Scope, today: date, now: datetime) -> str:
    return csv_text(export.header, export.rows(scope, today, now))
