"""The worker's side of an alert: a late (offline) panic keeps its pressed-at time and is raised once; the worker is
told when their alert is raised, taken and resolved (never after a duress); managers hear of a check-out after an
alert; the board lists live alerts first and never counts a closed session as overdue."""

from __future__ import annotations

import uuid
from datetime import UTC, timedelta
from email import message_from_string, policy

import pytest
from sqlalchemy import select

from fieldapp.extensions import db
from fieldapp.models import AlertKind, SafetyAlert, SafetySession, utcnow
from fieldapp.safety import board, sessions
from fieldapp.safety.escalator import sweep
from tests.conftest import login
from tests.safety.test_escalation import kinds, pushes


def iso(moment):
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def test_late_panic_keeps_its_pressed_time_whatever_the_device_clock_and_a_resend_raises_nothing(client, ladder):
    login(client, ladder.worker.user)
    device_clock = utcnow() + timedelta(hours=3)  # this tablet's clock is three hours fast
    body = {
        "client_id": str(uuid.uuid4()),
        "pressed_at": iso(device_clock - timedelta(minutes=10)),
        "sent_at": iso(device_clock),
    }
    first = client.post("/api/safety/panic", json=body)
    assert first.status_code == 200 and first.json["repeated"] is False
    session = db.session.scalar(select(SafetySession))
    waited = (session.panic_at - session.panic_pressed_at).total_seconds()
    assert 595 <= waited <= 605, waited  # ten minutes on the device's own clock, placed on the server's
    again = client.post("/api/safety/panic", json=body)  # the response was lost; the queue sends it again
    assert again.status_code == 200 and again.json["repeated"] is True
    assert again.json["pressed_at"] == first.json["pressed_at"]
    assert [a.kind for a in db.session.scalars(select(SafetyAlert).where(SafetyAlert.kind == AlertKind.PANIC))] == [
        AlertKind.PANIC
    ]


@pytest.mark.parametrize(
    ("pressed", "sent", "status"),
    [
        ("yesterday", None, 400),
        ("2026-12-01T10:00:00", None, 400),  # no time zone
        (timedelta(minutes=-1), timedelta(minutes=-5), 400),  # pressed after it was sent
        (timedelta(hours=-25), None, 422),  # too old to call everyone out
        (timedelta(hours=-30), timedelta(hours=-5), 422),  # 25 h on the device's own clock
        (timedelta(hours=2), None, 200),  # device clock ahead: taken as received, not refused
        ("0001-01-01T00:00:00+00:00", "9999-12-31T23:59:59+00:00", 422),  # found by schemathesis: was a 500
        ("0001-01-01T00:00:00+05:00", None, 400),  # before the calendar's start once made UTC: was a 500
    ],
)
def test_pressed_at_is_bounded(client, ladder, pressed, sent, status):
    login(client, ladder.worker.user)
    now = utcnow()
    body = {
        "client_id": str(uuid.uuid4()),
        "pressed_at": iso(now + pressed) if isinstance(pressed, timedelta) else pressed,
        "sent_at": iso(now + sent) if isinstance(sent, timedelta) else sent,
    }
    answer = client.post("/api/safety/panic", json=body)
    assert answer.status_code == status, answer.json
    if status == 200:
        session = db.session.scalar(select(SafetySession))
        assert session.panic_pressed_at <= session.panic_at
    else:
        assert answer.json["message"] and db.session.scalars(select(SafetyAlert)).all() == []


def test_another_workers_panic_id_is_refused(client, ladder, make_user):
    login(client, ladder.worker.user)
    body = {"client_id": str(uuid.uuid4())}
    assert client.post("/api/safety/panic", json=body).status_code == 200
    client.post("/logout")
    login(client, make_user("worker", ladder.team))
    assert client.post("/api/safety/panic", json=body).status_code == 400
    assert client.post("/api/safety/panic", json={"client_id": "'; drop table"}).status_code == 400


def test_worker_is_told_when_their_alert_is_raised_taken_and_resolved(app, client, ladder, push_service, smtp):
    ladder.worker.user.phone = "07700 900111"
    app.config["PUBLIC_URL"] = "https://fieldapp.example.invalid"
    session = sessions.start(ladder.worker.user, utcnow() - timedelta(minutes=40), 30, address="1 Example Street")
    db.session.commit()
    sweep(utcnow())  # grace and amber are both due
    assert kinds(push_service, ladder.worker)[-1] == "worker_update"
    assert "managers have been alerted" in pushes(push_service, ladder.worker)[-1]["title"]
    # Read as a mail client would: the body may be quoted-printable, wrapping a long link over two lines.
    email = message_from_string(smtp.to(ladder.line_managers[0].user.email)[0], policy=policy.default).get_content()
    assert "07700 900111" in email
    assert f"https://fieldapp.example.invalid/safety/board#session-{session.public_id}" in email

    manager = ladder.line_managers[0].user
    login(client, manager)
    assert client.post(f"/api/safety/sessions/{session.public_id}/acknowledge").json["acknowledged"] is True
    assert (
        client.post(
            f"/api/safety/sessions/{session.public_id}/resolve",
            json={"outcome": "safe_after_contact", "notes": "rang her"},
        ).status_code
        == 200
    )
    sweep(utcnow())
    titles = [m["title"] for m in pushes(push_service, ladder.worker) if m["kind"] == "worker_update"]
    # Taken and closed go out in the same sweep on parallel sender threads: either may arrive first.
    assert titles[0] == "Your managers have been alerted"
    assert sorted(titles[1:]) == sorted(
        [f"Your alert was taken by {manager.display_name}", "Your alert was closed: Worker safe after contact"]
    )
    assert all(m["url"] == "/safety" for m in pushes(push_service, ladder.worker))

    client.post("/logout")
    login(client, ladder.worker.user)
    updates = client.get("/api/safety/me").json["updates"]
    assert [u["title"] for u in updates] == [  # newest first on the page, in the order they happened
        "Your alert was closed: Worker safe after contact",
        f"Your alert was taken by {manager.display_name}",
        "Your managers have been alerted",
    ]


def test_a_duress_alert_is_never_mentioned_to_the_worker(client, ladder, push_service):
    login(client, ladder.worker.user)
    client.post("/api/safety/pins", json={"checkout_pin": "2468", "duress_pin": "1357"})
    sid = client.post("/api/safety/sessions", json={"minutes": 45, "address": "4 Example Street"}).json["session"]["id"]
    client.post(f"/api/safety/sessions/{sid}/check-out", json={"pin": "1357"})
    client.post("/logout")
    login(client, ladder.line_managers[0].user)
    client.post(f"/api/safety/sessions/{sid}/acknowledge")
    client.post(f"/api/safety/sessions/{sid}/resolve", json={"outcome": "police_called"})
    sweep(utcnow())
    assert kinds(push_service, ladder.worker) == []
    assert db.session.scalars(select(SafetyAlert).where(SafetyAlert.kind == AlertKind.WORKER_UPDATE)).all() == []


def test_managers_hear_when_the_worker_checks_out_after_an_alert(client, ladder, push_service):
    session = sessions.start(ladder.worker.user, utcnow() - timedelta(minutes=40), 30, address="8 Example Street")
    db.session.commit()
    sweep(utcnow())
    login(client, ladder.worker.user)
    assert client.post(f"/api/safety/sessions/{session.public_id}/check-out", json={}).status_code == 200
    sweep(utcnow())
    for manager in ladder.line_managers:
        assert kinds(push_service, manager) == ["overdue", "checked_out"]
        assert "checked out after the alert" in pushes(push_service, manager)[-1]["title"]
    client.post("/logout")
    login(client, ladder.line_managers[0].user)
    row = client.get("/api/safety/board").json["sessions"][0]
    assert row["checked_out_after_alert"] is True and row["closed_at_local"]


def test_board_lists_live_alerts_first_and_closed_sessions_last(client, ladder, make_user):
    now = utcnow()

    def worker(name):
        return make_user("worker", ladder.team, display_name=name)

    closed = sessions.start(worker("Closed"), now - timedelta(hours=2), 30, address="a")
    sessions.check_out(closed, now - timedelta(hours=1))
    sessions.start(worker("Running"), now, 60, address="b")
    sessions.start(worker("Overdue"), now - timedelta(minutes=40), 30, address="c")
    db.session.commit()
    sweep(now)  # "Overdue" gets its amber alert
    sessions.panic(worker("Panic"), now, address="d")
    taken, _ = sessions.panic(worker("Taken"), now - timedelta(minutes=5), address="e")
    db.session.commit()
    board.acknowledge(taken, ladder.line_managers[0].user, now)
    db.session.commit()
    login(client, ladder.line_managers[0].user)
    rows = client.get("/api/safety/board").json["sessions"]
    assert [r["worker"] for r in rows] == ["Panic", "Overdue", "Taken", "Running", "Closed"]
    assert rows[-1]["closed_at"] and rows[-1]["state"] == "closed"
