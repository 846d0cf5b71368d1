"""Each child's last seen visit and next due date are kept on write, and the dashboard reads them, not history.

Runs on SQLite and PostgreSQL (the `app` fixture). Dates avoid bank holidays: 2 Feb 2026 is a Monday.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select, update

from fieldapp.cases.services import allocate
from fieldapp.extensions import db
from fieldapp.models import LegalStatus, Role
from fieldapp.models.visit_facts import child_visit_facts
from fieldapp.oversight import seen_alone, visits
from fieldapp.oversight.filters import Filters
from fieldapp.oversight.scope import scope_for
from tests.oversight.conftest import VISIT_TYPE
from tests.oversight.test_views import count_queries
from tests.record_cases import statutory_visit


def kept(child) -> tuple:
    row = db.session.execute(select(child_visit_facts).where(child_visit_facts.c.child_id == child.id)).one()
    return row.last_seen_on, row.due_on, row.due_rule


def test_facts_follow_a_pushed_visit_an_amendment_a_status_change_and_an_ended_allocation(
    make_team, make_user, make_child, make_record, make_visit
):
    team = make_team("Facts team (fictional)")
    manager, worker = make_user(Role.MANAGER, team), make_user(Role.WORKER, team, display_name="Fay Example")
    child = make_child(team, worker, legal_status=LegalStatus.CHILD_PROTECTION, cp_visit_interval_working_days=10)
    assert kept(child) == (None, None, "no_seen_visit_on_record")  # a new child has its row at once

    visit_id = make_visit(child, worker, "2026-02-02", alone=True)
    assert kept(child)[:2] == ("2026-02-02", "2026-02-16")  # ten working days on

    amended = {
        **statutory_visit(),
        "visit_type": VISIT_TYPE[child.legal_status],
        "visit_date": "2026-02-09",
        "planned_date": "2026-02-09",
        "seen_alone_record_id": None,
    }
    amended.pop("seen_alone_record_id")
    make_record(
        child,
        worker,
        {**amended, "child_seen": False, "child_not_seen_reason": "Child was at a hospital appointment"},
        record_id=visit_id,
        base_revision=1,
    )
    assert kept(child) == (None, None, "no_seen_visit_on_record")  # the amendment says the child was not seen
    make_visit(child, worker, "2026-02-09", alone=False)
    assert kept(child)[:2] == ("2026-02-09", "2026-02-23")

    child.cp_visit_interval_working_days = 5
    db.session.commit()
    assert kept(child)[:2] == ("2026-02-09", "2026-02-16")
    child.legal_status = LegalStatus.CHILD_IN_NEED
    db.session.commit()
    assert kept(child)[0] == "2026-02-09" and kept(child)[2] == "child_in_need"

    scope = scope_for(manager, Filters(period_from=date(2026, 1, 1), period_to=date(2026, 3, 1)))
    assert [row["worker"] for row in visits.due_summary(scope, date(2026, 3, 16))] == ["Fay Example"]
    allocate(child, None, manager)  # the allocation ends: the child moves under "Unallocated", facts unchanged
    db.session.commit()
    assert [row["worker"] for row in visits.due_summary(scope, date(2026, 3, 16))] == [visits.UNALLOCATED]
    assert kept(child)[0] == "2026-02-09"


def test_a_visit_dated_after_today_does_not_count_yet(make_team, make_user, make_child, make_visit):
    team = make_team()
    manager, worker = make_user(Role.MANAGER, team), make_user(Role.WORKER, team)
    child = make_child(team, worker, legal_status=LegalStatus.CHILD_PROTECTION, cp_visit_interval_working_days=10)
    make_visit(child, worker, "2026-02-02", alone=True)
    make_visit(child, worker, "2026-03-20", alone=True)
    scope = scope_for(manager, Filters(period_from=date(2026, 1, 1), period_to=date(2026, 3, 1)))
    [due] = visits.visits_due(scope, date(2026, 3, 16))
    assert (due.last_seen, due.due.due_date, due.state) == (date(2026, 2, 2), date(2026, 2, 16), "overdue")


def test_missing_or_stale_rows_are_filled_on_read(make_team, make_user, make_child, make_visit):
    team = make_team()
    manager, worker = make_user(Role.MANAGER, team), make_user(Role.WORKER, team)
    child = make_child(team, worker, legal_status=LegalStatus.CHILD_PROTECTION, cp_visit_interval_working_days=10)
    make_visit(child, worker, "2026-02-02", alone=True)
    # As migration 0020 leaves them: last seen known, details unknown.
    db.session.execute(update(child_visit_facts).values(due_on=None, due_rule="backfill", legal_status=""))
    db.session.commit()
    scope = scope_for(manager, Filters(period_from=date(2026, 1, 1), period_to=date(2026, 3, 1)))
    [due] = visits.visits_due(scope, date(2026, 2, 10))
    assert (due.due.due_date, due.state) == (date(2026, 2, 16), "due_soon")
    assert kept(child)[1] == "2026-02-16"


def test_dashboard_statements_do_not_grow_with_history(
    client, login_as, make_team, make_user, make_child, make_visit, make_map
):
    team = make_team()
    manager, worker = make_user(Role.MANAGER, team), make_user(Role.WORKER, team)
    children = [
        make_child(team, worker, legal_status=list(LegalStatus)[i % 4], cp_visit_interval_working_days=10)
        for i in range(4)
    ]
    for child in children:
        make_visit(child, worker, "2025-01-06", alone=True)
    login_as(manager)
    one_visit = count_queries(client, "/oversight/")
    for child in children:
        for week in range(19):
            make_visit(
                child,
                worker,
                date.fromordinal(date(2025, 1, 13).toordinal() + 7 * week).isoformat(),
                alone=week % 2 == 0,
            )
    twenty_visits = count_queries(client, "/oversight/")
    assert one_visit == twenty_visits, (one_visit, twenty_visits)


def test_not_seen_alone_from_kept_streak_equals_the_answer_from_records(
    make_team, make_user, make_child, make_record, make_visit
):
    from tests.record_cases import not_seen_alone

    team = make_team()
    manager, worker = make_user(Role.MANAGER, team), make_user(Role.WORKER, team)
    child = make_child(team, worker, legal_status=LegalStatus.CHILD_IN_NEED)
    visit_ids = [
        make_visit(child, worker, day, alone=alone)
        for day, alone in (("2026-01-05", True), ("2026-01-12", False), ("2026-01-19", None))
    ]
    for visit_id in visit_ids[1:]:  # answers arriving later: "not seen alone" for the two latest visits
        make_record(child, worker, {**not_seen_alone(), "visit_id": visit_id})
    everyone = select(child_visit_facts.c.child_id)
    for n in (1, 2, 3, 4):
        scope = scope_for(manager, Filters(period_from=date(2026, 1, 1), period_to=date(2026, 3, 1), last_visits=n))
        kept_count = seen_alone.not_seen_alone_lately(scope, date(2026, 2, 1), None)[0]
        from_records = seen_alone._not_seen_alone_from_records(scope, date(2026, 2, 1), None, everyone)[0]
        assert kept_count == from_records, n
    row = db.session.execute(select(child_visit_facts.c.seen_visits, child_visit_facts.c.not_alone_streak)).one()
    assert row.seen_visits == 3


def test_cli_recomputes_every_childs_facts(app, make_team, make_user, make_child, make_visit):
    from fieldapp.cli import main as fieldapp_cli

    team = make_team()
    worker = make_user(Role.WORKER, team)
    child = make_child(team, worker, legal_status=LegalStatus.CHILD_PROTECTION, cp_visit_interval_working_days=10)
    make_visit(child, worker, "2026-02-02", alone=True)
    db.session.execute(update(child_visit_facts).values(due_on="1999-01-01", due_rule="wrong"))
    db.session.commit()
    outcome = app.test_cli_runner().invoke(fieldapp_cli, ["records", "refresh-visit-facts"])
    assert outcome.exit_code == 0, outcome.output
    db.session.expire_all()
    assert kept(child) == ("2026-02-02", "2026-02-16", "child_protection_plan")


def test_refresh_of_many_children_stays_within_parameter_limits(make_team, make_user, make_child):
    from fieldapp.models import Child
    from fieldapp.records import visit_facts

    team = make_team()
    child = make_child(team, make_user(Role.WORKER, team), legal_status=LegalStatus.CHILD_IN_NEED)
    db.session.execute(
        Child.__table__.insert(),
        [  # bulk rows, as an import would write them: no facts yet
            {
                "public_id": f"00000000-0000-4000-8000-{i:012d}",
                "case_number": f"BULK{i}",
                "first_name": "Bulkchild",
                "last_name": f"Example{i}",
                "date_of_birth": date(2015, 1, 1),
                "legal_status": "child_in_need",
                "permanent_placement": False,
                "team_id": team.id,
                "created_at": child.created_at,
                "address": "",
                "address_risk_notes": "",
            }
            for i in range(7000)
        ],
    )
    ids = list(db.session.scalars(select(Child.id)))
    visit_facts.refresh(db.session, ids)  # 7,001 children x 10 columns: more than one statement may carry
    db.session.commit()
    assert db.session.scalar(
        select(child_visit_facts.c.child_id).where(child_visit_facts.c.child_id == max(ids))
    ) == max(ids)
