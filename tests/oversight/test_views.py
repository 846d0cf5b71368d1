"""Oversight pages over HTTP: access, filters (bad values are 400s with a message), CSV, allocate-to, queries."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import event, select, update

from fieldapp.extensions import db
from fieldapp.models import Allocation, AuditEvent, LegalStatus, Role, User
from sync.scope import worker_scope
from sync.tables import records


@pytest.fixture
def world(make_team, make_user, make_child):
    ours, theirs = make_team("Our team (fictional)"), make_team("Their team (fictional)")
    people = {
        "manager": make_user(Role.MANAGER, ours),
        "worker": make_user(Role.WORKER, ours, display_name="Wyn Worker"),
        "part": make_user(Role.WORKER, ours, display_name="Pat Parttime", part_time=True, caseload_limit=1),
        "admin": make_user(Role.ADMIN, None),
        "support": make_user(Role.SUPPORT, ours),
        "theirs": make_user(Role.WORKER, theirs, display_name="Tam Theirs"),
    }
    held = make_child(ours, people["part"], first_name="Held")
    make_child(ours, people["part"], first_name="Second")
    waiting = make_child(ours, None, first_name="Waiting", last_name="Unallocated")
    foreign = make_child(theirs, None, first_name="Foreign", last_name="Child")
    return {**people, "ours": ours, "theirs_team": theirs, "held": held, "waiting": waiting, "foreign": foreign}


@pytest.mark.parametrize("role, status", [("manager", 200), ("admin", 302), ("worker", 403), ("support", 403)])
def test_who_may_open_the_dashboard(client, login_as, world, role, status):
    login_as(world[role])
    assert client.get("/oversight/").status_code == status


def test_manager_dashboard_shows_figures_charts_and_is_audited(client, login_as, world):
    login_as(world["manager"])
    page = client.get("/oversight/").get_data(as_text=True)
    assert "Waiting Unallocated" in page and "Foreign Child" not in page
    assert "Over limit by 1" in page  # Pat: 2 children, own limit 1
    assert 'role="img"' in page and "1 of 2 workers are over their caseload limit: Pat Parttime 2 of 1." in page
    assert "Pat Parttime — 2 of 1 (over limit)" in page and "Wyn Worker — 0 of 22" in page
    main = page.split("<main", 1)[1]  # the nav always links to sign-off; the dashboard only when something waits
    assert 'href="/review/awaiting"' not in main  # nothing awaiting: no link needed
    assert 'href="/safety/report"' in page
    assert ' style="' not in page and "<script>" not in page  # strict CSP
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert "view_oversight" in actions


def test_admin_service_view_aggregates_without_naming_children(client, login_as, world):
    login_as(world["admin"])
    response = client.get("/oversight/", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Service oversight" in page
    assert "Our team (fictional)" in page and "Their team (fictional)" in page and "Tam Theirs" in page
    assert "Waiting" not in page and "Foreign" not in page


@pytest.mark.parametrize(
    "query, message",
    [
        ("from=2026-02-30", "The start of the period must be a date"),
        ("to=yesterday", "The end of the period must be a date"),
        ("from=2026-03-01&to=2026-02-01", "must not be after its end"),
        ("from=2010-01-01&to=2026-01-01", "at most five years"),
        ("status=orphan", "Legal status must be one of"),
        ("worker=abc", "Worker must be a whole number"),
        ("worker=-3", "Worker must be a whole number"),
        ("last=0", "Number of last visits must be a whole number from 1 to 20"),
        ("last=99999999999999999999", "Number of last visits"),
        ("months=37", "Months since a map was reviewed"),
        ("team=1.5", "Team must be a whole number"),
    ],
)
def test_bad_filters_are_400_with_a_message(client, login_as, world, query, message):
    login_as(world["manager"])
    for url in (f"/oversight/?{query}", f"/oversight/visits-due.csv?{query}"):
        response = client.get(url)
        assert response.status_code == 400, url
        assert message in response.get_data(as_text=True)


def test_filter_naming_someone_outside_the_view_is_400(client, login_as, world):
    login_as(world["manager"])
    assert client.get(f"/oversight/?worker={world['theirs'].id}").status_code == 400
    assert client.get(f"/oversight/?team={world['theirs_team'].id}").status_code == 400
    assert client.get(f"/oversight/?worker={world['part'].id}&status=child_in_need").status_code == 200
    login_as(world["admin"])
    assert client.get("/oversight/service?team=999999").status_code == 400


def read_csv(response):
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


@pytest.mark.parametrize(
    "name",
    [
        "caseloads",
        "unallocated",
        "visits-due",
        "seen-alone",
        "not-seen-alone",
        "awaiting-signoff",
        "maps-not-reviewed",
        "teams",
    ],
)
def test_every_list_exports_as_csv(client, login_as, world, name):
    login_as(world["manager"])
    rows = read_csv(client.get(f"/oversight/{name}.csv"))
    assert rows[0] and all(len(row) == len(rows[0]) for row in rows)


def test_csv_rows_match_the_page_and_guard_against_formulas(client, login_as, world):
    world["waiting"].first_name = "=HYPERLINK(1)"
    db.session.commit()
    login_as(world["manager"])
    unallocated = read_csv(client.get("/oversight/unallocated.csv"))
    assert [row[1] for row in unallocated[1:]] == ["'=HYPERLINK(1) Unallocated"]
    loads = {row[0]: row for row in read_csv(client.get("/oversight/caseloads.csv"))[1:]}
    assert loads["Pat Parttime"][3:7] == ["2", "1", "worker", "yes"]
    only_pat = read_csv(client.get(f"/oversight/caseloads.csv?worker={world['part'].id}"))
    assert [row[0] for row in only_pat[1:]] == ["Pat Parttime"]


def test_admin_may_export_aggregates_but_not_lists_naming_children(client, login_as, world):
    login_as(world["admin"])
    teams = read_csv(client.get("/oversight/teams.csv"))
    assert {row[0] for row in teams[1:]} == {"Our team (fictional)", "Their team (fictional)"}
    assert client.get("/oversight/unallocated.csv").status_code == 403
    assert client.get("/oversight/nonsense.csv").status_code == 404


def test_allocate_from_the_dashboard_grows_the_caseload_and_reaches_the_device_scope(client, login_as, world):
    login_as(world["manager"])
    response = client.post(
        "/oversight/allocate", data={"child": world["waiting"].public_id, "worker": world["worker"].id}
    )
    assert response.status_code == 303
    assert world["waiting"].public_id in worker_scope(db.session, world["worker"].id)
    loads = {row[0]: row[3] for row in read_csv(client.get("/oversight/caseloads.csv"))[1:]}
    assert loads["Wyn Worker"] == "1"
    event = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "allocate").order_by(AuditEvent.id.desc())
    ).first()
    assert event.child_public_id == world["waiting"].public_id and event.actor_id == world["manager"].id


def test_allocate_refuses_what_is_not_the_managers_to_give(client, login_as, world):
    login_as(world["manager"])
    assert (
        client.post(
            "/oversight/allocate", data={"child": world["foreign"].public_id, "worker": world["worker"].id}
        ).status_code
        == 404
    )
    assert (
        client.post(
            "/oversight/allocate", data={"child": world["waiting"].public_id, "worker": world["theirs"].id}
        ).status_code
        == 400
    )
    assert (
        client.post("/oversight/allocate", data={"child": world["waiting"].public_id, "worker": "x"}).status_code == 400
    )
    assert (
        client.post(
            "/oversight/allocate", data={"child": world["waiting"].public_id, "worker": world["manager"].id}
        ).status_code
        == 400
    )
    # Already held (another manager got there first): nothing moves.
    response = client.post(
        "/oversight/allocate",
        data={"child": world["held"].public_id, "worker": world["worker"].id},
        follow_redirects=True,
    )
    assert "already allocated to Pat Parttime; nothing changed" in response.get_data(as_text=True)
    holder = db.session.scalar(
        select(Allocation.worker_id).where(Allocation.child_id == world["held"].id, Allocation.ended_at.is_(None))
    )
    assert holder == world["part"].id
    assert db.session.scalar(select(User).where(User.id == world["worker"].id)).role == Role.WORKER


def count_queries(client, url) -> int:
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(statements)


def test_query_count_does_not_grow_with_children(client, login_as, world, make_child, make_visit, make_map):
    login_as(world["manager"])

    def add_children(n):
        for i in range(n):
            status = list(LegalStatus)[i % 4]
            child = make_child(
                world["ours"],
                world["worker"] if i % 3 else None,
                legal_status=status,
                cp_visit_interval_working_days=10,
            )
            if i % 3:
                make_visit(child, world["worker"], "2026-01-0" + str(1 + i % 9), alone=bool(i % 2))
                make_map(child, world["worker"], "2025-01-01")

    add_children(4)
    small = count_queries(client, "/oversight/")
    add_children(24)
    db.session.execute(update(records).values(review_state="submitted"))
    db.session.commit()
    large = count_queries(client, "/oversight/")
    assert small == large, (small, large)
    assert large < 40
