"""Each dashboard figure against a hand-worked team (dates chosen so every answer can be checked by hand).

Today is Monday 16 March 2026 (no bank holidays within the working-day counts below).
Team T (limits 3 full-time / 2 part-time): Ann full-time, Bea part-time.
  c1 child protection (10 working days), Ann: seen 2 Feb (alone), 16 Feb (not alone), 2 Mar (not alone)
  c2 child protection, Ann: seen 13 Feb (not alone), 27 Feb (alone); 10 Mar child NOT seen; 20 Mar (future)
  c3 looked after since 2024, Ann then reallocated to Bea: Ann saw 5 Jan (alone), Bea saw 9 Feb (not alone)
  c4 looked after since 2024, Bea: seen 10 Feb, seen-alone record never synced
  c5 child in need, Bea: no visits;  c6 child in need, unallocated: no visits
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from sqlalchemy import update

from fieldapp.cases.services import allocate
from fieldapp.extensions import db
from fieldapp.models import LegalStatus, Role, utcnow
from fieldapp.oversight import caseloads, reviews, seen_alone, visits
from fieldapp.oversight.filters import Filters
from fieldapp.oversight.scope import scope_for
from sync.tables import records

TODAY = date(2026, 3, 16)
D = date.fromisoformat


@dataclass
class Team:
    manager: object
    ann: object
    bea: object
    children: dict


@pytest.fixture
def team(make_team, make_user, make_child, make_visit):
    team = make_team("Team T (fictional)", caseload_limit_full_time=3, caseload_limit_part_time=2)
    manager = make_user(Role.MANAGER, team)
    ann = make_user(Role.WORKER, team, display_name="Ann Example")
    bea = make_user(Role.WORKER, team, display_name="Bea Example", part_time=True)
    cp, lac, cin = LegalStatus.CHILD_PROTECTION, LegalStatus.LOOKED_AFTER, LegalStatus.CHILD_IN_NEED
    c = {
        "c1": make_child(team, ann, legal_status=cp, cp_visit_interval_working_days=10, case_number="C1"),
        "c2": make_child(team, ann, legal_status=cp, cp_visit_interval_working_days=10, case_number="C2"),
        "c3": make_child(team, ann, legal_status=lac, placement_start=D("2024-01-01"), case_number="C3"),
        "c4": make_child(team, bea, legal_status=lac, placement_start=D("2024-01-01"), case_number="C4"),
        "c5": make_child(team, bea, legal_status=cin, case_number="C5"),
        "c6": make_child(team, None, legal_status=cin, case_number="C6"),
    }
    for day, alone in (("2026-02-02", True), ("2026-02-16", False), ("2026-03-02", False)):
        make_visit(c["c1"], ann, day, alone)
    for day, alone in (("2026-02-13", False), ("2026-02-27", True), ("2026-03-20", True)):
        make_visit(c["c2"], ann, day, alone)
    make_visit(c["c2"], ann, "2026-03-10", seen=False)
    make_visit(c["c3"], ann, "2026-01-05", True)
    allocate(c["c3"], bea, by=manager)  # reallocated mid-period
    db.session.commit()
    make_visit(c["c3"], bea, "2026-02-09", False)
    make_visit(c["c4"], bea, "2026-02-10", None)
    return Team(manager, ann, bea, c)


def scope(team, **values):
    values.setdefault("period_from", D("2026-02-01"))
    values.setdefault("period_to", TODAY)
    return scope_for(team.manager, Filters(**values))


def test_caseloads_count_open_allocations_against_team_limits(team):
    loads = {load.name: load for load in caseloads.worker_loads(scope(team))}
    ann, bea = loads["Ann Example"], loads["Bea Example"]
    assert (ann.count, ann.limit, ann.limit_source, ann.over_limit) == (2, 3, "team", False)
    # Bea holds c3 (taken over from Ann), c4 and c5: 3 against the part-time limit of 2.
    assert (bea.count, bea.limit, bea.limit_source, bea.over_limit) == (3, 2, "team", True)


def test_worker_limit_beats_team_limit_and_defaults_are_22_and_15(team, make_team, make_user, make_child):
    team.bea.caseload_limit = 3
    bare = make_team("No limits (fictional)")
    full, part = (
        make_user(Role.WORKER, bare, display_name="Cy Full"),
        make_user(Role.WORKER, bare, display_name="Di Part", part_time=True),
    )
    db.session.commit()
    loads = {load.name: load for load in caseloads.worker_loads(scope(team))}
    assert (loads["Bea Example"].limit, loads["Bea Example"].limit_source, loads["Bea Example"].over_limit) == (
        3,
        "worker",
        False,
    )
    admin_scope = scope_for(make_user(Role.ADMIN), Filters(TODAY, TODAY, team_id=bare.id))
    bare_loads = {
        load.worker_id: (load.count, load.limit, load.limit_source) for load in caseloads.worker_loads(admin_scope)
    }
    assert bare_loads == {full.id: (0, 22, "service default"), part.id: (0, 15, "service default")}


def test_inactive_worker_listed_only_while_holding_children(team, make_user, make_child):
    idle = make_user(Role.WORKER, team.ann.team, display_name="Idle Leaver", active=False)
    holding = make_user(Role.WORKER, team.ann.team, display_name="Holding Leaver")
    make_child(team.ann.team, holding)
    holding.active = False
    db.session.commit()
    names = {load.name for load in caseloads.worker_loads(scope(team))}
    assert "Holding Leaver" in names and idle.display_name not in names


def test_unallocated_children_longest_waiting_first(team, make_child):
    now = utcnow()
    make_child(team.ann.team, None, case_number="NEW", created_at=now - timedelta(days=5))
    make_child(team.ann.team, None, case_number="OLD", created_at=now - timedelta(days=10))
    released = make_child(team.ann.team, team.ann, case_number="REL", created_at=now - timedelta(days=30))
    allocate(released, None, by=team.manager)  # unallocated now: waited 0 days, though added 30 days ago
    db.session.commit()
    team.children["c6"].created_at = now - timedelta(days=2)
    db.session.commit()
    total, rows = caseloads.unallocated(scope(team), limit=None)
    assert [row.child.case_number for row in rows] == ["OLD", "NEW", "C6", "REL"]
    assert total == 4 and rows[0].days_waiting(now.date()) == 10
    assert caseloads.unallocated(scope(team), limit=2)[0] == 4  # the total ignores the page limit


def test_visits_due_and_overdue_including_the_due_date_itself(team):
    due = {child.case_number: child for child in visits.visits_due(scope(team), TODAY)}
    assert {n: (c.due.due_date, c.state) for n, c in due.items()} == {
        "C1": (D("2026-03-16"), "due_soon"),  # due exactly today: not overdue
        "C2": (D("2026-03-13"), "overdue"),  # 10 Mar not seen and 20 Mar in the future: neither counts
        "C3": (D("2026-03-23"), "due_soon"),  # six weeks from 9 Feb: due in exactly 7 days
        "C4": (D("2026-03-24"), "later"),
        "C5": (None, "overdue"),
        "C6": (None, "overdue"),  # no seen visit on record: visit now
    }
    assert due["C3"].worker_name == "Bea Example" and due["C6"].worker_name is None


def test_due_counts_per_current_worker(team):
    rows = {row["worker"]: row for row in visits.due_by_worker(visits.visits_due(scope(team), TODAY))}
    assert {name: (r["overdue"], r["due_soon"], r["children"]) for name, r in rows.items()} == {
        "Ann Example": (1, 1, 2),
        "Bea Example": (1, 1, 3),
        "Unallocated": (1, 0, 1),
    }


def test_due_filters_by_worker_and_legal_status(team):
    by_bea = visits.visits_due(scope(team, worker_id=team.bea.id), TODAY)
    assert sorted(child.case_number for child in by_bea) == ["C3", "C4", "C5"]
    cp_only = visits.visits_due(scope(team, legal_status=LegalStatus.CHILD_PROTECTION), TODAY)
    assert sorted(child.case_number for child in cp_only) == ["C1", "C2"]


def test_seen_alone_rate_over_the_period_credits_the_visiting_worker(team):
    total, per_worker = seen_alone.seen_alone_rates(scope(team))
    assert (total.visits, total.seen_alone, total.not_seen_alone, total.not_recorded) == (7, 2, 4, 1)
    assert total.rate == pytest.approx(2 / 7)
    assert {r.worker: (r.visits, r.seen_alone, r.not_recorded) for r in per_worker} == {
        "Ann Example": (5, 2, 0),
        "Bea Example": (2, 0, 1),
    }
    # From 1 January Ann's visit to c3 before it moved to Bea counts for Ann, not Bea.
    _, since_january = seen_alone.seen_alone_rates(scope(team, period_from=D("2026-01-01")))
    assert {r.worker: (r.visits, r.seen_alone) for r in since_january} == {"Ann Example": (6, 3), "Bea Example": (2, 0)}


def test_children_not_seen_alone_in_their_last_n_visits(team):
    def listed(n, **values):
        return sorted(
            (row.child.case_number, row.visits)
            for row in seen_alone.not_seen_alone_lately(scope(team, last_visits=n, **values), TODAY, None)[1]
        )

    assert listed(2) == [("C1", 2), ("C4", 1)]
    assert listed(1) == [("C1", 1), ("C3", 1), ("C4", 1)]
    assert listed(1, worker_id=team.bea.id) == [("C3", 1), ("C4", 1)]
    assert listed(3) == [("C4", 1)]  # c1's 2 Feb visit was alone


def test_records_awaiting_signoff_and_how_long(team):
    now = utcnow()
    c1_records = [
        row.id for row in db.session.execute(records.select().where(records.c.child_id == team.children["c1"].id))
    ]
    db.session.execute(update(records).values(review_state="signed_off"))
    db.session.execute(
        update(records)
        .where(records.c.id == c1_records[0])
        .values(review_state="submitted", updated_at=now - timedelta(days=9))
    )
    db.session.execute(
        update(records)
        .where(records.c.id == c1_records[1])
        .values(review_state="submitted", updated_at=now - timedelta(days=2))
    )
    db.session.commit()
    summary = reviews.awaiting_signoff_summary(scope(team))
    assert summary.count == 2 and (now - summary.oldest).days == 9
    assert [(name, n) for name, n, _ in summary.by_author] == [("Ann Example", 2)]
    assert [row.id for row in reviews.awaiting_signoff(scope(team), None)] == c1_records[:2]
    assert reviews.awaiting_signoff_summary(scope(team, worker_id=team.bea.id)).count == 0


def test_maps_not_reviewed_in_n_months(team, make_map):
    make_map(team.children["c1"], team.ann, "2025-09-16")  # exactly six months ago: still in time
    make_map(team.children["c2"], team.ann, "2025-09-15")  # a day older: overdue a review
    make_map(team.children["c3"], team.bea, "2025-01-01")
    make_map(team.children["c3"], team.bea, "2026-01-01")  # the latest map is what counts
    total, cutoff, rows = reviews.maps_not_reviewed(scope(team), TODAY, None)
    assert cutoff == D("2025-09-16") and total == 1
    assert [(row.child.case_number, row.mapped_on, row.worker_name) for row in rows] == [
        ("C2", "2025-09-15", "Ann Example")
    ]
    assert reviews.maps_not_reviewed(scope(team, map_months=3), TODAY, None)[0] == 2


def test_manager_sees_only_their_own_team(team, make_team, make_user, make_child):
    other = make_team("Other (fictional)")
    make_child(other, make_user(Role.WORKER, other))
    make_child(other, None)
    assert caseloads.unallocated(scope(team), None)[0] == 1
    assert len(visits.visits_due(scope(team), TODAY)) == 6


def test_paged_lists_count_every_row_and_apply_the_worker_filter_before_the_page(team, make_map):
    make_map(team.children["c1"], team.ann, "2025-01-01")
    make_map(team.children["c3"], team.bea, "2025-02-01")
    make_map(team.children["c4"], team.bea, "2025-03-01")
    total, _, page = reviews.maps_not_reviewed(scope(team), TODAY, 1)
    assert (total, [(row.child.case_number, row.worker_name) for row in page]) == (3, [("C1", "Ann Example")])
    total, _, page = reviews.maps_not_reviewed(scope(team, worker_id=team.bea.id), TODAY, 1)
    assert (total, [row.child.case_number for row in page]) == (2, ["C3"])
    every = seen_alone.not_seen_alone_lately(scope(team, last_visits=1), TODAY, None)[1]
    total, page = seen_alone.not_seen_alone_lately(scope(team, last_visits=1), TODAY, 1)
    assert (total, page) == (len(every), every[:1])
    total, page = caseloads.unallocated(scope(team), 1)
    assert (total, [row.child.case_number for row in page]) == (1, ["C6"])
