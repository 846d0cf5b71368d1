"""The ladder end to end: real pushes (decrypted, VAPID verified) and real email, driven by an injected clock."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from fieldapp.extensions import db
from fieldapp.models import SafetyAlert, SafetyEvent, SafetySession, utcnow
from fieldapp.safety import sessions
from fieldapp.safety.escalator import escalate_due, sweep
from tests.conftest import login


def pushes(push_service, person):
    return push_service.messages_for(person.browser)


def kinds(push_service, person):
    return [m["kind"] for m in pushes(push_service, person)]


def test_overdue_session_escalates_in_order_and_stops_when_acknowledged(app, client, ladder, push_service, smtp):
    t0 = utcnow()
    session = sessions.start(ladder.worker.user, t0, 30, address="1 Example Street, ZZ99 9ZZ", notes="marker-notes")
    db.session.commit()
    everyone = [ladder.worker, *ladder.line_managers, ladder.duty, ladder.outsider]

    def at(minutes):
        return sweep(t0 + timedelta(minutes=minutes, seconds=1))

    assert at(5) == {"steps": 0, "deliveries": 0}
    at(20)
    assert kinds(push_service, ladder.worker) == ["reminder"]
    assert "10 minutes" in pushes(push_service, ladder.worker)[0]["title"]
    at(25)
    at(30)
    assert kinds(push_service, ladder.worker) == ["reminder", "reminder", "grace"]
    assert all(kinds(push_service, p) == [] for p in [*ladder.line_managers, ladder.duty])
    assert db.session.get(SafetySession, session.id).state.value == "overdue"

    at(35)  # grace over: amber to the line managers only, by push and email
    for manager in ladder.line_managers:
        assert kinds(push_service, manager) == ["overdue"]
        message = pushes(push_service, manager)[0]
        assert message["url"] == f"/safety/board#session-{session.public_id}"
        assert "1 Example Street" in message["body"] and "marker-notes" in message["body"]
        assert len(smtp.to(manager.user.email)) == 1
    assert kinds(push_service, ladder.duty) == [] and smtp.to(ladder.duty.user.email) == []

    at(40)  # nobody acknowledged in 5 minutes: the duty desk
    assert kinds(push_service, ladder.duty) == ["escalation"]
    assert "ESCALATED" in smtp.to(ladder.duty.user.email)[0]

    login(client, ladder.line_managers[0].user)
    answer = client.post(f"/api/safety/sessions/{session.public_id}/acknowledge")
    assert answer.status_code == 200 and answer.json["acknowledged"] is True
    assert answer.json["session"]["acknowledged_by"] == ladder.line_managers[0].user.display_name
    before = {p.user.id: kinds(push_service, p) for p in everyone}
    at(60)  # no more alerts; only the worker hears who took theirs
    assert {p.user.id: kinds(push_service, p) for p in everyone} == {
        **before,
        ladder.worker.user.id: [*before[ladder.worker.user.id], "worker_update"],
    }
    assert "taken by line1" in pushes(push_service, ladder.worker)[-1]["title"]
    assert kinds(push_service, ladder.outsider) == [] and smtp.to(ladder.outsider.user.email) == []
    assert smtp.to(ladder.worker.user.email) == []  # reminders go by push and in-app, never email

    log = [
        e.kind
        for e in db.session.scalars(
            select(SafetyEvent).where(SafetyEvent.session_id == session.id).order_by(SafetyEvent.id)
        )
    ]
    stages = [
        k
        for k in log
        if k != "alert_worker_update"  # the worker's own news: see test_safety_client.py
        and (k.startswith("alert_") or k in ("started", "acknowledged"))
    ]
    assert stages == [
        "started",
        "alert_reminder",
        "alert_reminder",
        "alert_grace",
        "alert_overdue",
        "alert_escalation",
        "acknowledged",
    ]
    # worker pushes (3 before the alert, then raised, escalated, taken); 2 managers × push+email; duty push+email
    assert log.count("delivery_attempt") == 3 + 3 + 2 * 2 + 2


def test_unacknowledged_alert_repeats_to_every_level(app, ladder, push_service):
    t0 = utcnow()
    sessions.start(ladder.worker.user, t0, 1, address="2 Example Street")
    db.session.commit()
    for minute in (1, 6, 11, 16, 21):
        sweep(t0 + timedelta(minutes=minute, seconds=1))
    assert kinds(push_service, ladder.line_managers[0]) == ["overdue", "escalation", "escalation"]
    assert kinds(push_service, ladder.duty) == ["escalation", "escalation", "escalation"]


def test_panic_reaches_every_level_at_once(app, client, ladder, push_service, smtp):
    login(client, ladder.worker.user)
    started = client.post("/api/safety/sessions", json={"minutes": 60, "address": "3 Example Street"})
    assert started.status_code == 201
    answer = client.post("/api/safety/panic", json={})
    assert answer.status_code == 200 and answer.json["state"] == "alert"
    sweep(utcnow())
    for manager in [*ladder.line_managers, ladder.duty]:
        assert kinds(push_service, manager) == ["panic"]
        assert "PANIC" in smtp.to(manager.user.email)[0]
    assert kinds(push_service, ladder.worker) == ["worker_update"]  # told their panic arrived
    assert kinds(push_service, ladder.outsider) == []


def test_duress_checkout_answers_exactly_like_a_normal_one_and_alerts_everyone(
    app, client, ladder, push_service, smtp, make_user
):
    login(client, ladder.worker.user)
    assert client.post("/api/safety/pins", json={"checkout_pin": "2468", "duress_pin": "1357"}).status_code == 200

    def run(pin):
        session = client.post("/api/safety/sessions", json={"minutes": 45, "address": "4 Example Street"}).json
        answer = client.post(f"/api/safety/sessions/{session['session']['id']}/check-out", json={"pin": pin})
        return answer.status_code, answer.get_data(), client.get("/api/safety/me").json["session"]

    normal, duress = run("2468"), run("1357")
    assert normal == duress  # status, body bytes and what the worker's app then sees
    sweep(utcnow())
    for manager in [*ladder.line_managers, ladder.duty]:
        assert kinds(push_service, manager) == ["duress"]
        assert "DURESS" in smtp.to(manager.user.email)[0]
    assert kinds(push_service, ladder.worker) == []
    wrong = client.post("/api/safety/sessions", json={"minutes": 45, "address": "5 Example Street"}).json
    refused = client.post(f"/api/safety/sessions/{wrong['session']['id']}/check-out", json={"pin": "0000"})
    assert refused.status_code == 400 and refused.json["error"] == "wrong_pin"


def test_each_stage_happens_once_however_often_swept(app, ladder, push_service):
    t0 = utcnow()
    session = sessions.start(ladder.worker.user, t0, 1, address="6 Example Street")
    db.session.commit()
    late = t0 + timedelta(minutes=6, seconds=1)
    for _ in range(3):
        escalate_due(late)
    sweep(late)
    keys = db.session.scalars(select(SafetyAlert.stage_key).where(SafetyAlert.session_id == session.id)).all()
    assert sorted(keys) == ["amber", "grace", "told-raised-1"]
    assert kinds(push_service, ladder.line_managers[0]) == ["overdue"]


def test_gone_subscription_is_dropped_and_logged(app, ladder, push_service):
    push_service.status_for[ladder.line_managers[0].browser.token] = 410
    session, _ = sessions.panic(ladder.worker.user, utcnow(), address="7 Example Street")
    db.session.commit()
    sweep(utcnow())
    from fieldapp.models import PushSubscription

    mine = db.session.scalars(
        select(PushSubscription).where(PushSubscription.user_id == ladder.line_managers[0].user.id)
    ).all()
    assert mine == []
    dropped = db.session.scalars(select(SafetyEvent).where(SafetyEvent.kind == "subscription_dropped")).all()
    assert len(dropped) == 1 and dropped[0].detail["status"] == 410
    assert kinds(push_service, ladder.line_managers[1]) == ["panic"]
