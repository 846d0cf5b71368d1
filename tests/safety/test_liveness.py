"""The escalator cannot be absent unnoticed: heartbeat, banner, outage email once, backstop sweep, /readyz, /metrics;
and one session whose step raises never stops the others."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from fieldapp.cli.keys import ensure_sealing_key
from fieldapp.extensions import db
from fieldapp.logs import current_request_id
from fieldapp.models import EscalatorHeartbeat, SafetyEvent, SafetySession, utcnow
from fieldapp.safety import sessions
from fieldapp.safety.escalator import sweep
from fieldapp.safety.liveness import wait_for_backstop
from fieldapp.safety.runtime import start_in_process, stop_in_process
from tests.conftest import login


def overdue(worker, address="1 Example Street"):
    """A 30-minute visit that started 40 minutes ago: grace and amber are both due."""
    session = sessions.start(worker, utcnow() - timedelta(minutes=40), 30, address=address)
    db.session.commit()
    return session


def wait_until(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def watched(app):
    app.config.update(SAFETY_LIVENESS_CHECK=True, SAFETY_BACKSTOP_SECONDS=0, ESCALATOR_HEARTBEAT_STALE_SECONDS=30)
    ensure_sealing_key()
    yield app
    app.config["SAFETY_LIVENESS_CHECK"] = False
    assert wait_for_backstop(app), "a backstop sweep is still running"


def test_no_escalator_banner_email_backstop_and_not_ready(watched, client, ladder, push_service, smtp):
    push_service.reset()
    session = overdue(ladder.worker.user)
    manager = ladder.line_managers[0]
    assert client.get("/readyz").status_code == 503
    assert client.get("/readyz").json["checks"]["escalator"].startswith("no fresh heartbeat")
    login(client, manager.user)
    for _ in range(3):
        page = client.get("/safety/board").get_data(as_text=True)
        assert "Safety alerts are not being sent" in page
    assert "Safety alerts are not being sent" in client.get("/safety/report").get_data(as_text=True)
    # The backstop, started by those requests, sends the overdue alert with no escalator anywhere.
    wait_until(lambda: push_service.messages_for(manager.browser), 15, "the backstop's overdue push")
    assert push_service.messages_for(manager.browser)[0]["kind"] == "overdue"
    db.session.rollback()
    assert db.session.get(SafetySession, session.id).state.value == "alert"
    wait_until(lambda: smtp.to(manager.user.email), 10, "the outage email")
    client.get("/safety/board")
    time.sleep(0.5)
    outage = [m for m in smtp.to(manager.user.email) if "not being sent" in m]
    assert len(outage) == 1, "one email per outage, not one per request"
    assert smtp.to(ladder.duty.user.email), "the duty team's managers are told too"


def test_the_backstops_log_lines_carry_an_id_of_the_request_that_started_it(watched, client, ladder):
    lines = []

    class Catch(logging.Handler):
        def emit(self, record):
            lines.append((record.getMessage(), current_request_id()))

    catch = Catch()
    logging.getLogger("fieldapp.escalator").addHandler(catch)
    try:
        ids = {client.get("/login").headers["X-Request-Id"]}  # the first request starts the backstop
        assert wait_for_backstop(watched)
    finally:
        logging.getLogger("fieldapp.escalator").removeHandler(catch)
    [(_, run_id)] = [line for line in lines if line[0].startswith("no fresh escalator heartbeat")]
    # The sweep runs in its own thread (no request context there): its lines still say what they serve.
    assert run_id in {f"backstop-{request_id}" for request_id in ids}


def test_fresh_heartbeat_no_banner_and_ready(watched, client, ladder):
    db.session.add(EscalatorHeartbeat(process_id="test:1", beat_at=utcnow()))
    db.session.commit()
    answer = client.get("/readyz")
    assert answer.status_code == 200, answer.json
    assert answer.json["checks"] == {"database": "ok", "sealing_key": "ok", "vapid_key": "ok", "escalator": "ok"}
    login(client, ladder.line_managers[0].user)
    assert "not being sent" not in client.get("/safety/board").get_data(as_text=True)
    assert client.get("/healthz").json == {"status": "ok"}


def test_the_running_escalator_beats_and_a_clean_stop_says_so(watched, client):
    stop = start_in_process(watched, tick=0.1)
    try:
        wait_until(lambda: client.get("/readyz").status_code == 200, 10, "the escalator's first heartbeat")
    finally:
        stop_in_process(watched, stop)
    assert client.get("/readyz").status_code == 503


def test_metrics_loopback_or_token(app, client, ladder):
    overdue(ladder.worker.user)
    body = client.get("/metrics").get_data(as_text=True)
    for name in (
        "fieldapp_safety_sweep_lag_seconds",
        "fieldapp_safety_oldest_unsent_alert_seconds",
        "fieldapp_safety_deliveries",
        "fieldapp_safety_active_sessions 1.0",
        "fieldapp_safety_escalator_up 0.0",
    ):
        assert name in body
    lag = float(
        next(line.split()[1] for line in body.splitlines() if line.startswith("fieldapp_safety_sweep_lag_seconds "))
    )
    assert lag > 9 * 60  # the reminder at T-10 is ten minutes late: nobody swept
    sweep(utcnow())
    assert 'fieldapp_safety_deliveries{channel="push",outcome="sent"}' in client.get("/metrics").get_data(as_text=True)
    assert client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"}).status_code == 403
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code == 403
    app.config["METRICS_TOKEN"] = "s3cret-token"
    assert client.get("/metrics").status_code == 403
    assert (
        client.get(
            "/metrics", environ_base={"REMOTE_ADDR": "203.0.113.9"}, headers={"Authorization": "Bearer s3cret-token"}
        ).status_code
        == 200
    )


def test_a_session_whose_step_raises_is_flagged_and_never_blocks_the_others(app, client, ladder, push_service):
    push_service.reset()
    broken = overdue(ladder.worker.user, "1 Broken Data Street")
    db.session.execute(db.update(SafetySession).where(SafetySession.id == broken.id).values(next_step="no-such-step"))
    db.session.commit()
    healthy_worker = ladder.line_managers[1].user  # anyone in the team: a manager can run a session too
    healthy = overdue(healthy_worker, "2 Healthy Street")
    stop = start_in_process(app, tick=0.1)  # the real loop: it must survive the broken session
    try:
        manager = ladder.line_managers[0]
        wait_until(
            lambda: any(
                m["tag"].startswith(f"safety-{healthy.public_id}") for m in push_service.messages_for(manager.browser)
            ),
            15,
            "the healthy alert",
        )
        assert app.extensions["fieldapp_escalator_thread"].is_alive()
    finally:
        stop_in_process(app, stop)
    db.session.rollback()
    flagged = db.session.get(SafetySession, broken.id)
    assert "no-such-step" in flagged.step_error
    assert db.session.scalars(
        select(SafetyEvent).where(SafetyEvent.session_id == broken.id, SafetyEvent.kind == "step_failed")
    ).first()
    login(client, manager.user)
    board = client.get("/safety/board").get_data(as_text=True)
    assert f"step-failed-{broken.public_id}" in board and "1 Broken Data Street" in board
