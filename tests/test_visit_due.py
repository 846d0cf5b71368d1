"""Worked examples for each visit-due rule, including boundaries (due today, weekends, bank holidays, year one)."""

from __future__ import annotations

from datetime import date

import pytest

from fieldapp.models import Child, LegalStatus
from fieldapp.records.visit_due import (
    NO_SEEN_VISIT,
    add_working_days,
    bank_holidays,
    dates_child_was_seen,
    load_rules,
    next_visit_due,
)

D = date.fromisoformat


def child(status: LegalStatus, start: str | None = None, permanent: bool = False, cp_days: int | None = None):
    return Child(
        first_name="Testchild",
        last_name="Example",
        date_of_birth=D("2015-01-01"),
        legal_status=status,
        placement_start=D(start) if start else None,
        permanent_placement=permanent,
        cp_visit_interval_working_days=cp_days,
    )


LAC, CP, PF, CIN = (
    LegalStatus.LOOKED_AFTER,
    LegalStatus.CHILD_PROTECTION,
    LegalStatus.PRIVATE_FOSTERING,
    LegalStatus.CHILD_IN_NEED,
)

WORKED_EXAMPLES = [
    # (why, child, seen visit dates, today, expected due, rule, overdue)
    (
        "new placement: within one week",
        child(LAC, "2025-03-03"),
        [],
        "2025-03-05",
        "2025-03-10",
        "looked_after_reg28_new_placement",
        False,
    ),
    (
        "new placement: due exactly today is not overdue",
        child(LAC, "2025-03-03"),
        [],
        "2025-03-10",
        "2025-03-10",
        "looked_after_reg28_new_placement",
        False,
    ),
    (
        "new placement: the day after is overdue",
        child(LAC, "2025-03-03"),
        [],
        "2025-03-11",
        "2025-03-10",
        "looked_after_reg28_new_placement",
        True,
    ),
    (
        "a visit before the placement began does not count",
        child(LAC, "2025-03-03"),
        ["2025-02-20"],
        "2025-03-04",
        "2025-03-10",
        "looked_after_reg28_new_placement",
        False,
    ),
    (
        "first year: six weeks, calendar days even over Good Friday",
        child(LAC, "2025-03-03"),
        ["2025-03-07"],
        "2025-03-08",
        "2025-04-18",
        "looked_after_reg28_first_year",
        False,
    ),
    (
        "last day of the first year still six weeks",
        child(LAC, "2024-03-04", permanent=True),
        ["2025-03-03"],
        "2025-03-10",
        "2025-04-14",
        "looked_after_reg28_first_year",
        False,
    ),
    (
        "first anniversary, permanent: three months",
        child(LAC, "2024-03-04", permanent=True),
        ["2025-03-04"],
        "2025-03-10",
        "2025-06-04",
        "looked_after_reg28_permanent",
        False,
    ),
    (
        "first anniversary, not permanent: six weeks",
        child(LAC, "2024-03-04"),
        ["2025-03-04"],
        "2025-03-10",
        "2025-04-15",
        "looked_after_reg28_after_first_year",
        False,
    ),
    (
        "three months from 30 November clamps to 28 February",
        child(LAC, "2020-01-06", permanent=True),
        ["2025-11-30"],
        "2026-03-01",
        "2026-02-28",
        "looked_after_reg28_permanent",
        True,
    ),
    (
        "only the latest seen visit counts",
        child(LAC, "2020-01-06"),
        ["2025-01-02", "2025-02-03", "2025-01-20"],
        "2025-02-04",
        "2025-03-17",
        "looked_after_reg28_after_first_year",
        False,
    ),
    (
        "child protection default: ten working days",
        child(CP),
        ["2025-03-03"],
        "2025-03-04",
        "2025-03-17",
        "child_protection_plan",
        False,
    ),
    (
        "ten working days from a Friday skip two weekends",
        child(CP),
        ["2025-03-07"],
        "2025-03-21",
        "2025-03-21",
        "child_protection_plan",
        False,
    ),
    (
        "Easter and May Day bank holidays skipped",
        child(CP),
        ["2025-04-17"],
        "2025-05-06",
        "2025-05-06",
        "child_protection_plan",
        False,
    ),
    (
        "plan sets five working days; Christmas skipped",
        child(CP, cp_days=5),
        ["2025-12-19"],
        "2025-12-31",
        "2025-12-30",
        "child_protection_plan",
        True,
    ),
    (
        "2026 Boxing Day substitute Monday skipped",
        child(CP, cp_days=1),
        ["2026-12-24"],
        "2026-12-24",
        "2026-12-29",
        "child_protection_plan",
        False,
    ),
    (
        "a visit dated after today is ignored",
        child(CP),
        ["2025-03-03", "2025-03-20"],
        "2025-03-18",
        "2025-03-17",
        "child_protection_plan",
        True,
    ),
    (
        "private fostering: no visit yet, six weeks from the start",
        child(PF, "2025-01-06"),
        [],
        "2025-01-07",
        "2025-02-17",
        "private_fostering_new_arrangement",
        False,
    ),
    (
        "private fostering first year: six weeks",
        child(PF, "2025-01-06"),
        ["2025-06-02"],
        "2025-06-03",
        "2025-07-14",
        "private_fostering_first_year",
        False,
    ),
    (
        "private fostering from the first anniversary: twelve weeks",
        child(PF, "2024-01-08"),
        ["2025-01-08"],
        "2025-01-09",
        "2025-04-02",
        "private_fostering_after_first_year",
        False,
    ),
    (
        "child in need: local default of twenty working days",
        child(CIN),
        ["2025-03-03"],
        "2025-03-04",
        "2025-03-31",
        "child_in_need",
        False,
    ),
]


@pytest.mark.parametrize(
    "why, subject, seen, today, due, rule, overdue", WORKED_EXAMPLES, ids=[example[0] for example in WORKED_EXAMPLES]
)
def test_worked_example(why, subject, seen, today, due, rule, overdue):
    info = next_visit_due(subject, [D(day) for day in seen], D(today))
    assert (info.due_date, info.rule_id, info.overdue) == (D(due), rule, overdue)


@pytest.mark.parametrize("subject", [child(CP), child(CIN), child(LAC), child(PF)])
def test_nothing_to_count_from_means_visit_now(subject):
    info = next_visit_due(subject, [], D("2025-03-03"))
    assert (info.due_date, info.rule_id, info.overdue) == (None, NO_SEEN_VISIT, True)


def test_only_statutory_visits_where_the_child_was_seen_count():
    visits = [
        {"visit_type": "child_protection_plan", "visit_date": "2025-03-03", "child_seen": True},
        {"visit_type": "child_protection_plan", "visit_date": "2025-03-10", "child_seen": False},
        {"visit_type": "other", "visit_date": "2025-03-11", "child_seen": True},
        {"visit_type": "child_in_need", "visit_date": "2025-03-12"},
    ]
    seen = dates_child_was_seen(visits)
    assert seen == [D("2025-03-03")]
    assert next_visit_due(child(CP), seen, D("2025-03-18")).overdue


def test_rules_table_is_data_a_council_can_change():
    rules = [dict(rule) for rule in load_rules()]
    for rule in rules:
        if rule["id"] == "child_in_need":
            rule["interval"] = {"working_days": 30}
    assert next_visit_due(child(CIN), [D("2025-03-03")], D("2025-03-04"), rules).due_date == D("2025-04-14")


def test_every_legal_status_has_a_rule_and_ids_are_unique():
    ids = [rule["id"] for rule in load_rules()]
    assert len(ids) == len(set(ids))
    assert {rule["when"]["legal_status"] for rule in load_rules()} == {status.value for status in LegalStatus}


def test_bank_holidays_cover_2025_to_2027_and_fall_on_weekdays():
    holidays = bank_holidays()
    assert {day.year for day in holidays} >= {2025, 2026, 2027}
    assert all(day.weekday() < 5 for day in holidays)
    assert D("2027-12-27") in holidays and D("2027-12-28") in holidays  # Christmas on a weekend: substitutes


def test_bank_holiday_data_covers_this_year():
    # Fails on the first day of a year the data does not cover: extend bank_holidays_england.json.
    assert date.today().year in {day.year for day in bank_holidays()}


def test_working_days_never_land_on_a_weekend():
    start = D("2025-01-01")
    for count in range(1, 60):
        assert add_working_days(start, count).weekday() < 5
