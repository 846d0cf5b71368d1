"""When each child's next statutory visit is due, from a rules table held as data (visit_rules_england.json).

The table is an ordered list: the first rule whose conditions ("when") match the child and their visit history
decides the interval and the date it counts from. Only visits where the child was seen count.
"""

from __future__ import annotations

import calendar
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path

HERE = Path(__file__).resolve().parent
ENGLAND_RULES = HERE / "visit_rules_england.json"
ENGLAND_BANK_HOLIDAYS = HERE / "bank_holidays_england.json"
NO_SEEN_VISIT = "no_seen_visit_on_record"
STATUTORY_VISIT_TYPES = frozenset({"looked_after_reg28", "child_protection_plan", "child_in_need", "private_fostering"})
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DueInfo:
    due_date: date | None  # None: nothing to count from (no seen visit, no placement start) — visit now
    rule_id: str
    overdue: bool


@cache
def load_rules(path: Path = ENGLAND_RULES) -> tuple[dict, ...]:
    return tuple(json.loads(Path(path).read_text(encoding="utf-8"))["rules"])


@cache
def bank_holidays(path: Path = ENGLAND_BANK_HOLIDAYS) -> frozenset[date]:
    return frozenset(date.fromisoformat(day) for day in json.loads(Path(path).read_text())["dates"])


def add_months(day: date, months: int) -> date:
    """Same day of the month `months` later, clamped to the month's last day (31 Jan + 1 month = 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def add_working_days(day: date, count: int, holidays: frozenset[date] | None = None) -> date:
    """The date `count` working days after `day`, skipping weekends and bank holidays."""
    holidays = bank_holidays() if holidays is None else holidays
    known_years = _years_of(holidays)
    while count > 0:
        day += timedelta(days=1)
        if day.year not in known_years:
            # Better a date that ignores an unknown holiday than no date at all; the data needs extending.
            log.warning("no bank holiday data for %s; counting weekends only", day.year)
        if day.weekday() < 5 and day not in holidays:
            count -= 1
    return day


@cache
def _years_of(holidays: frozenset[date]) -> frozenset[int]:
    # Once per holiday table, not per call: every due date a push keeps counts working days.
    return frozenset(holiday.year for holiday in holidays)


def dates_child_was_seen(visits: Iterable[dict]) -> list[date]:
    """Dates of statutory visits (record bodies) where the child was seen; the only visits that count."""
    return [
        date.fromisoformat(visit["visit_date"])
        for visit in visits
        if visit.get("child_seen") is True and visit.get("visit_type") in STATUTORY_VISIT_TYPES
    ]


def _facts(child, seen: list[date]) -> dict:
    start = child.placement_start
    last = max(seen) if seen else None
    return {
        "legal_status": getattr(child.legal_status, "value", child.legal_status),
        "permanent_placement": bool(child.permanent_placement),
        "seen_since_placement_start": bool(seen) and (start is None or last >= start),
        "last_seen_in_first_year": last is not None and start is not None and last < add_months(start, 12),
        "placement_start": start,
        "last_seen_visit": last,
    }


def _interval_end(anchor: date, interval: dict, child) -> date:
    if "days" in interval:
        return anchor + timedelta(days=interval["days"])
    if "weeks" in interval:
        return anchor + timedelta(weeks=interval["weeks"])
    if "months" in interval:
        return add_months(anchor, interval["months"])
    if "working_days" in interval:
        return add_working_days(anchor, interval["working_days"])
    per_child = getattr(child, interval["working_days_from_child"], None)
    return add_working_days(anchor, per_child or interval["default_working_days"])


def next_visit_due(
    child, seen_visit_dates: Iterable[date], today: date, rules: Iterable[dict] | None = None
) -> DueInfo:
    """The next statutory visit date for `child`, the rule that set it, and whether it has passed.

    `seen_visit_dates` are dates of visits where the child was seen (see dates_child_was_seen); visits after
    `today` are ignored. Due exactly today is not overdue.
    """
    seen = [day for day in seen_visit_dates if day <= today]
    facts = _facts(child, seen)
    for rule in load_rules() if rules is None else rules:
        if all(facts[name] == expected for name, expected in rule["when"].items()):
            anchor = facts[rule["from"]]
            if anchor is None:
                return DueInfo(None, NO_SEEN_VISIT, True)
            due = _interval_end(anchor, rule["interval"], child)
            return DueInfo(due, rule["id"], today > due)
    raise LookupError(f"no visit rule matches legal status {facts['legal_status']!r}")
