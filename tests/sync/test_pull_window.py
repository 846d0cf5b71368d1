"""A long-open case is pulled as a window (recent months + the latest map); older records come on demand."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from fieldapp.api.history_views import pull_window
from fieldapp.extensions import db
from fieldapp.models import AuditEvent, Role
from fieldapp.records.store import record_cipher
from sync import pull, worker_scope
from sync.pull import changes_since
from tests.conftest import login
from tests.record_cases import seen_alone, sos_map, statutory_visit
from tests.sync.device import HEADER, Device, ensure_sealing_key


def days_ago(n: int) -> str:
    return (date.today() - timedelta(days=n)).isoformat()


@pytest.fixture
def long_case(app, client, make_team, make_user, make_child, make_record):
    ensure_sealing_key(app)
    app.config["PULL_WINDOW_MONTHS"] = 6
    app.config["PULL_LATEST_TYPES"] = "sos_map"
    team = make_team()
    worker = make_user(Role.WORKER, team)
    child = make_child(team, worker)
    stored = {}
    for label, when in (("old visit", 400), ("recent visit", 10)):
        visit = {
            **statutory_visit(),
            "visit_date": days_ago(when),
            "planned_date": days_ago(when),
            "observations": label,
        }
        stored[label] = make_record(child, worker, visit, with_seen_alone=False).record_id  # its own note, below
        stored[f"seen alone at {label}"] = make_record(
            child, worker, {**seen_alone(), "visit_id": stored[label], "where_seen": f"seen alone at {label}"}
        ).record_id
    for label, when in (("oldest map", 700), ("latest map", 500)):
        stored[label] = make_record(
            child, worker, {**sos_map(), "mapped_on": days_ago(when), "complicating_factors": label}
        ).record_id
    login(client, worker)
    return child, Device(client).register(), {record_id: label for label, record_id in stored.items()}


def test_pull_sends_recent_months_and_the_latest_map_only(long_case):
    _, device, labels = long_case
    pulled, _, _ = device.pull_all()
    assert sorted(labels[r["record_id"]] for r in pulled) == [
        "latest map",
        "recent visit",
        "seen alone at recent visit",
    ]


def test_older_records_come_on_demand_newest_first_and_audited(long_case, client):
    child, device, labels = long_case
    response = client.get(f"/api/sync/history?child_id={child.public_id}&limit=2", headers={HEADER: device.id})
    assert response.status_code == 200, response.get_data(as_text=True)
    first = response.json
    rest = client.get(
        f"/api/sync/history?child_id={child.public_id}&offset={first['next_offset']}", headers={HEADER: device.id}
    ).json
    names = [labels[r["record_id"]] for r in first["records"] + rest["records"]]
    assert first["more"] and not rest["more"]
    assert sorted(names) == ["old visit", "oldest map", "seen alone at old visit"]
    assert names.index("old visit") < names.index("oldest map")  # newest first
    assert first["records"][0]["body"]["record_type"] in {"visit", "seen_alone"}
    details = db.session.scalars(select(AuditEvent.child_public_id).where(AuditEvent.action == "device_history"))
    assert set(details) == {child.public_id}


def test_history_of_a_child_outside_the_caseload_is_refused(long_case, client, make_child):
    _, device, _ = long_case
    stranger = make_child()
    response = client.get(f"/api/sync/history?child_id={stranger.public_id}", headers={HEADER: device.id})
    assert response.status_code == 404
    assert client.get("/api/sync/history?child_id=x&limit=0", headers={HEADER: device.id}).status_code == 400


def test_window_off_sends_every_record(long_case, app):
    _, device, labels = long_case
    app.config["PULL_WINDOW_MONTHS"] = 0
    pulled, _, _ = device.pull_all()
    assert len(pulled) == len(labels)


@pytest.mark.parametrize("months", [6, 0])
def test_first_pull_sends_what_walking_the_change_log_sends(long_case, app, months):
    """The first pull reads records directly; it must choose exactly what the change-log walk chooses."""
    child, _, labels = long_case
    app.config["PULL_WINDOW_MONTHS"] = months
    window = pull_window(date.today())
    scope = worker_scope(db.session, child.allocations[0].worker_id)
    cipher = record_cipher()
    first = pull(db.session, scope, 0, cipher, limit=500, window=window)
    walked = changes_since(db.session, scope, 0, cipher, limit=500, window=window)
    assert not first.more and not walked.more
    assert sorted(r.record_id for r in first.records) == sorted(r.record_id for r in walked.records)
    assert len(walked.records) == (len(labels) if months == 0 else 3)


def test_the_window_is_on_by_default_twelve_months_and_the_latest_map_and_rating(app):
    """Unless configured otherwise a device gets the last 12 months plus the latest Signs of Safety map (which holds
    the safety plan: danger statements with their safety goals, and next steps) and the latest safety rating."""
    assert app.config["PULL_WINDOW_MONTHS"] == 12
    window = pull_window(date(2026, 7, 15))
    assert window.since == "2025-07-01"
    assert window.latest_types == {"sos_map", "safety_rating"}
