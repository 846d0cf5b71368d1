"""/api/caseload: last seen visit, next statutory visit due and the latest Signs of Safety map per child."""

from __future__ import annotations

from sqlalchemy import event

from fieldapp.extensions import db
from fieldapp.models import LegalStatus, Role
from tests.conftest import use_registered_device
from tests.record_cases import changed, sos_map
from tests.test_devices_api import login


def visit(day: str, seen: bool = True) -> dict:
    if seen:
        return changed("visit", visit_type="child_protection_plan", visit_date=day, planned_date=day)
    return changed(
        "visit",
        visit_type="child_protection_plan",
        visit_date=day,
        planned_date=day,
        child_seen=False,
        child_not_seen_reason="Not at home",
        drop=("seen_alone_record_id",),
    )


def test_caseload_carries_last_seen_visit_due_date_and_latest_map(
    client, make_team, make_user, make_child, make_record
):
    team = make_team()
    worker = make_user(Role.WORKER, team)
    visited = make_child(team, worker, first_name="Aaa", legal_status=LegalStatus.CHILD_PROTECTION)
    never = make_child(team, worker, first_name="Bbb", legal_status=LegalStatus.CHILD_PROTECTION)
    make_record(visited, worker, visit("2025-03-20"))
    make_record(visited, worker, visit("2025-03-27"))  # Thursday; CP default: 10 working days
    make_record(visited, worker, visit("2025-04-03", seen=False))  # not seen: does not count
    make_record(
        visited,
        worker,
        changed("visit", visit_type="other", visit_date="2025-04-04", drop=("child_seen", "seen_alone_record_id")),
    )  # not statutory
    make_record(visited, worker, changed("sos_map", sos_map, mapped_on="2025-01-10"))
    latest = make_record(visited, worker, changed("sos_map", sos_map, mapped_on="2025-03-01"))
    make_record(never, worker, changed("sos_map", sos_map, mapped_on="2025-03-05"))
    login(client, worker)
    use_registered_device(client)

    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        children = {c["first_name"]: c for c in client.get("/api/caseload").json["children"]}
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)

    seen = children["Aaa"]
    assert seen["last_seen_visit"] == "2025-03-27"
    assert seen["next_visit_due"] == "2025-04-10" and seen["visit_overdue"] is True
    assert seen["latest_sos_map"] == {"record_id": latest.record_id, "revision": 1, "mapped_on": "2025-03-01"}
    unseen = children["Bbb"]
    assert unseen["last_seen_visit"] is None and unseen["next_visit_due"] is None and unseen["visit_overdue"] is True
    assert unseen["latest_sos_map"]["mapped_on"] == "2025-03-05"
    assert sum("FROM records" in s for s in statements) == 2  # grouped for the caseload, not one per child


def test_caseload_due_date_in_the_future_is_not_overdue(client, make_team, make_user, make_child, make_record):
    from datetime import date, timedelta

    team = make_team()
    worker = make_user(Role.WORKER, team)
    child = make_child(team, worker, legal_status=LegalStatus.CHILD_PROTECTION)
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    make_record(child, worker, visit(yesterday))
    login(client, worker)
    use_registered_device(client)
    [entry] = client.get("/api/caseload").json["children"]
    assert entry["last_seen_visit"] == yesterday
    assert entry["next_visit_due"] > date.today().isoformat() and entry["visit_overdue"] is False
    assert entry["latest_sos_map"] is None
