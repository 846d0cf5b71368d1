"""Several real `fieldapp escalator` processes on PostgreSQL: no stage twice, and a SIGKILLed one loses nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from fieldapp.extensions import db
from fieldapp.models import Role, SafetyAlert, SafetyDelivery, utcnow
from fieldapp.safety import sessions
from fieldapp.safety.escalator import SEND_THREADS
from tests.conftest import PG_URL
from tests.safety.conftest import subscribe

pytestmark = pytest.mark.parametrize("backend", ["postgresql"])
SESSIONS = 30
# Per overdue session: a grace push to the worker (the reminders are stale by now, so skipped), then amber to
# 2 line managers by push and email, and a push telling the worker their managers were alerted.
EXPECTED_DELIVERIES = SESSIONS * (1 + 2 * 2 + 1)


def overdue_sessions(ladder, make_user, push_service) -> list:
    """SESSIONS workers, each 40 minutes into a 30-minute visit: grace and amber are both due."""
    started = utcnow() - timedelta(minutes=40)
    made = []
    for number in range(SESSIONS):
        worker = make_user(Role.WORKER, ladder.team, email=f"w{number}@example.invalid")
        subscribe(worker, push_service)
        made.append(sessions.start(worker, started, 30, address=f"{number} Example Street"))
    db.session.commit()
    return made


def escalator(app, smtp, *extra_env) -> subprocess.Popen:
    schema = app.config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"]["options"].split("=", 1)[1]
    env = {
        **os.environ,
        "FIELDAPP_DATABASE_URL": f"{PG_URL}?options=-csearch_path%3D{schema}",
        "FIELDAPP_INSTANCE_PATH": app.instance_path,
        "FIELDAPP_SMTP_HOST": "127.0.0.1",
        "FIELDAPP_SMTP_PORT": str(smtp.port),
        "FIELDAPP_VAPID_SUBJECT": "mailto:safety-tests@example.invalid",
        "FIELDAPP_SECRET_KEY": "test",
        "FIELDAPP_PUSH_TEST_ORIGINS": ",".join(app.config["PUSH_TEST_ORIGINS"]),
        "FIELDAPP_SMTP_SECURITY": "none",  # the SMTP double speaks plain text
        **dict(extra_env),
    }
    command = os.path.join(os.path.dirname(sys.executable), "fieldapp")
    log = open(os.path.join(app.instance_path, f"escalator-{time.monotonic_ns()}.log"), "w+b")  # noqa: SIM115
    process = subprocess.Popen([command, "escalator", "--tick", "0.2"], env=env, stdout=log, stderr=subprocess.STDOUT)
    process.log = log
    return process


def output(process) -> str:
    process.log.seek(0)
    return process.log.read().decode(errors="replace")[-3000:]


def wait_until(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what() if callable(what) else what}")


def sent_count() -> int:
    db.session.rollback()  # read what the escalator processes committed
    return db.session.scalar(select(func.count()).select_from(SafetyDelivery).where(SafetyDelivery.state == "sent"))


def stop(*processes):
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        process.wait(timeout=20)
        process.log.close()


def test_two_escalators_never_alert_a_stage_twice(app, ladder, make_user, push_service, smtp):
    overdue_sessions(ladder, make_user, push_service)
    first, second = escalator(app, smtp), escalator(app, smtp)
    try:
        wait_until(
            lambda: sent_count() >= EXPECTED_DELIVERIES,
            60,
            lambda: f"every delivery sent; {output(first)} / {output(second)}",
        )
        time.sleep(1)  # a few more ticks of both, to give a duplicate every chance to appear
    finally:
        stop(first, second)
    assert first.returncode == 0 and second.returncode == 0
    stages = Counter(db.session.execute(select(SafetyAlert.session_id, SafetyAlert.stage_key)).all())
    assert len(stages) == SESSIONS * 3 and set(stages.values()) == {1}  # grace, amber, worker told
    received = Counter((r.token, r.payload["tag"]) for r in push_service.received)
    assert len(received) == SESSIONS * 4 and set(received.values()) == {1}, push_service.errors
    assert len(smtp.messages) == SESSIONS * 2
    assert sent_count() == EXPECTED_DELIVERIES


def test_escalator_killed_mid_sweep_loses_no_alert(app, ladder, make_user, push_service, smtp):
    overdue_sessions(ladder, make_user, push_service)
    push_service.delay_seconds = 0.05  # slow enough that the kill lands in the middle of sending
    lease = ("FIELDAPP_SAFETY_DELIVERY_LEASE_SECONDS", "2")
    victim, survivor = escalator(app, smtp, lease), None
    try:
        wait_until(lambda: len(push_service.received) >= 10, 60, "the first pushes")
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=10)
        at_kill = len(push_service.received)
        assert sent_count() < EXPECTED_DELIVERIES, "the sweep finished before the kill; the test proves nothing"
        survivor = escalator(app, smtp, lease)
        wait_until(lambda: sent_count() >= EXPECTED_DELIVERIES, 90, "every delivery after the restart")
    finally:
        stop(*[p for p in (victim, survivor) if p is not None])
    stages = Counter(db.session.execute(select(SafetyAlert.session_id, SafetyAlert.stage_key)).all())
    assert len(stages) == SESSIONS * 3 and set(stages.values()) == {1}  # grace, amber, worker told
    received = Counter((r.token, r.payload["tag"]) for r in push_service.received)
    assert len(received) == SESSIONS * 4, "every push arrived"
    # A push in flight at the kill may be sent again after its lease: at least once, never lost.
    repeats = sum(received.values()) - len(received)
    print(f"\nkilled after {at_kill} pushes; pushes repeated after restart: {repeats}")
    assert repeats <= SEND_THREADS  # at most what was on the wire: one per sender thread
    assert {m["to"][0] for m in smtp.messages} >= {p.user.email for p in ladder.line_managers}


@pytest.fixture(autouse=True)
def _quiet_push_service(push_service):
    push_service.reset()
    yield
    push_service.reset()
