"""PINs: changing them needs the password and is logged; repeated wrong check-out PINs alert as a possible duress."""

from __future__ import annotations

from sqlalchemy import select

from fieldapp.extensions import db
from fieldapp.models import SafetyEvent, SafetySession, utcnow
from fieldapp.safety.escalator import sweep
from tests.conftest import PASSWORD, login

PINS = {"checkout_pin": "2468", "duress_pin": "1357"}
NEW = {"checkout_pin": "8642", "duress_pin": "7531"}


def events(kind):
    db.session.rollback()
    return db.session.scalars(select(SafetyEvent).where(SafetyEvent.kind == kind)).all()


def test_changing_pins_needs_the_password_and_is_logged(client, ladder):
    login(client, ladder.worker.user)
    assert client.post("/api/safety/pins", json=PINS).status_code == 200  # first set: just signed in
    for attempt in ({**NEW}, {**NEW, "password": "not-the-password"}):
        answer = client.post("/api/safety/pins", json=attempt)
        assert answer.status_code == 403 and answer.json["error"] == "password_required"
    assert client.post("/api/safety/pins", json={**NEW, "password": PASSWORD}).status_code == 200
    logged = events("pins_changed")
    assert [e.actor_id for e in logged] == [ladder.worker.user.id]
    assert "8642" not in str(logged[0].detail) and "7531" not in str(logged[0].detail)
    assert len(events("pins_set")) == 1
    session = client.post("/api/safety/sessions", json={"minutes": 30, "address": "1 Example Street"}).json
    assert (
        client.post(f"/api/safety/sessions/{session['session']['id']}/check-out", json={"pin": "2468"}).status_code
        == 400
    )  # the old PIN no longer works


def test_three_wrong_checkout_pins_alert_the_managers_as_possible_duress(client, ladder, push_service):
    push_service.reset()
    login(client, ladder.worker.user)
    client.post("/api/safety/pins", json=PINS)
    session = client.post("/api/safety/sessions", json={"minutes": 30, "address": "3 Example Street"}).json
    checkout = f"/api/safety/sessions/{session['session']['id']}/check-out"
    for pin in ("1111", "2222"):
        assert client.post(checkout, json={"pin": pin}).status_code == 400
    sweep(utcnow())
    assert all(push_service.messages_for(m.browser) == [] for m in ladder.line_managers), "two is not yet an alert"
    answer = client.post(checkout, json={"pin": "3333"})
    assert answer.status_code == 400 and answer.json["error"] == "wrong_pin"  # the worker sees the same refusal
    sweep(utcnow())
    for manager in [*ladder.line_managers, ladder.duty]:
        [message] = push_service.messages_for(manager.browser)
        assert message["kind"] == "wrong_pins" and "POSSIBLE DURESS" in message["title"]
    assert push_service.messages_for(ladder.outsider.browser) == []
    assert len(events("wrong_checkout_pin")) == 3
    row = db.session.scalar(select(SafetySession))
    assert row.checked_out_at is None and row.state.value == "alert"  # still open: managers must take it
    assert client.post(checkout, json={"pin": "2468"}).status_code == 200  # the right PIN still checks out
