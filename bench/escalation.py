"""Benchmark the safety escalator: sweep cost as active sessions grow, burst due→first push, panic→first delivery.

Run from the repository root:  .venv/bin/python bench/escalation.py [--backend postgresql|sqlite]
Bursts: 100 and 1,000 sessions fall due in the same second beside 10,000 active ones; the figure is, per session,
the time from its due moment to the first of its pushes arriving (goals: p99 <= 2 s and <= 5 s).
Pushes go to a local push service on 127.0.0.1 that decrypts each message (http_ece) and checks its VAPID JWT,
so every figure includes the real encryption, signing and HTTP. Baselines are measured in the same run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from datetime import timedelta

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import requests  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from common import bench_app, drop_schema  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from fieldapp.extensions import db  # noqa: E402
from fieldapp.models import PushSubscription, Role, SafetySession, SessionState, Team, User, utcnow  # noqa: E402
from fieldapp.safety import channels  # noqa: E402
from fieldapp.safety.escalator import sweep  # noqa: E402
from fieldapp.safety.report import percentile  # noqa: E402
from fieldapp.safety.runtime import start_in_process, stop_in_process  # noqa: E402
from tests.safety.doubles import PushService  # noqa: E402

PASSWORD = "bench-password-not-secret"  # noqa: S105  (fictional bench users on a throwaway schema)


def make_app(backend: str, workdir: str):
    app, schema = bench_app(
        backend, workdir, VAPID_SUBJECT="mailto:bench@example.invalid", SMTP_HOST=None, SAFETY_LIVENESS_CHECK=False
    )
    channels.generate_vapid_key(app.instance_path)
    return app, schema


def subscribe(user_id: int, push: PushService) -> str:
    browser = push.new_browser()
    info = browser.subscription(push.base_url)
    db.session.add(
        PushSubscription(
            user_id=user_id, endpoint=info["endpoint"], p256dh=info["keys"]["p256dh"], auth=info["keys"]["auth"]
        )
    )
    return browser.token


def grow_sessions(team_id: int, start: int, stop: int) -> None:
    """Workers start-..stop-1, each with one active session ending in two hours (nothing due for 110 min)."""
    now, hash_ = utcnow(), User(username="x").password_hash or "not-a-login"
    db.session.execute(
        sa.insert(User),
        [
            {
                "username": f"bench.w{n}",
                "display_name": f"Bench Worker {n} (fictional)",
                "password_hash": hash_,
                "role": Role.WORKER,
                "team_id": team_id,
            }
            for n in range(start, stop)
        ],
    )
    ids = dict(db.session.execute(sa.select(User.username, User.id).where(User.username.like("bench.w%"))).all())
    db.session.execute(
        sa.insert(SafetySession),
        [
            {
                "public_id": str(uuid.uuid4()),
                "worker_id": ids[f"bench.w{n}"],
                "team_id": team_id,
                "address": f"{n} Example Street",
                "started_at": now,
                "expected_end": now + timedelta(hours=2),
                "state": SessionState.ACTIVE,
                "next_step": "reminder-10",
                "next_due_at": now + timedelta(minutes=110),
            }
            for n in range(start, stop)
        ],
    )
    db.session.commit()


def idle_tick_ms(app, ticks: int = 30) -> float:
    with app.app_context():
        timings = []
        for _ in range(ticks):
            began = time.perf_counter()
            sweep(utcnow())
            timings.append((time.perf_counter() - began) * 1000)
        db.session.remove()
    return statistics.median(timings)


def raw_push_ms(app, push: PushService, token: str, count: int = 30) -> float:
    """Baseline: one pywebpush send to the same push service, no database."""
    browser = push.browsers[token]
    info = browser.subscription(push.base_url)
    target = channels.PushTarget(info["endpoint"], info["keys"]["p256dh"], info["keys"]["auth"])
    timings = []
    with app.app_context():
        for _ in range(count):
            began = time.perf_counter()
            payload = {"title": "bench", "body": "", "url": "/", "tag": "b", "kind": "test"}
            assert channels.send_push(app, target, payload).ok
            timings.append((time.perf_counter() - began) * 1000)
    return statistics.median(timings)


def wait_pushes(push: PushService, count: int, timeout: float = 60) -> None:
    push.wait_for(count, timeout)


def burst(app, push: PushService, first_id: int, count: int, managers: int) -> list[float]:
    """`count` sessions (ids from `first_id`) fall due together; per session: due -> its first push (ms)."""
    push.reset()
    due_at = utcnow() + timedelta(seconds=0.5)
    due_mono = time.monotonic() + 0.5
    with app.app_context():
        rows = db.session.execute(
            sa.select(SafetySession.id, SafetySession.public_id)
            .where(SafetySession.id >= first_id)
            .order_by(SafetySession.id)
            .limit(count)
        ).all()
        db.session.execute(
            sa.update(SafetySession)
            .where(SafetySession.id.in_([r.id for r in rows]))
            .values(
                state=SessionState.OVERDUE, next_step="amber", next_due_at=due_at, version=SafetySession.version + 1
            )
        )
        db.session.commit()
    try:
        wait_pushes(push, count * managers, timeout=180)
    except AssertionError as error:
        print(f"  (incomplete: {error})")
    first: dict[str, float] = {}
    for received in push.received:
        public_id = received.payload["tag"][len("safety-") : -len("-amber")]
        first.setdefault(public_id, received.at)
    missing = len({r.public_id for r in rows} - set(first))
    if missing:
        print(f"  {missing} of {count} sessions had no push within the wait: counted as the wait (180 s)")
    return [(at - due_mono) * 1000 for at in first.values()] + [180_000.0] * missing


def report_burst(label: str, lags: list[float], goal_ms: float, baseline_push: float) -> None:
    p99 = percentile(lags, 99)
    print(
        f"burst {label}: due -> first push per session: p50 {percentile(lags, 50):.0f} ms, p99 {p99:.0f} ms, "
        f"max {max(lags):.0f} ms (goal p99 <= {goal_ms:.0f} ms: {'met' if p99 <= goal_ms else 'MISSED'}; "
        f"{p99 / baseline_push:.0f}x one raw push)"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--panics", type=int, default=20)
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="fieldapp-bench-")
    app, schema = make_app(args.backend, workdir)
    push = PushService()
    app.config["PUSH_TEST_ORIGINS"] = [push.base_url]  # the loopback push service, admitted by configuration
    try:
        run(app, push, args)
    finally:
        push.close()
        with app.app_context():
            db.engine.dispose()
        drop_schema(schema)


def run(app, push: PushService, args):
    with app.app_context():
        team = Team(name="Bench Team (fictional)")
        db.session.add(team)
        db.session.flush()
        managers = []
        for n in range(2):
            manager = User(username=f"bench.m{n}", display_name=f"Bench Manager {n}", role=Role.MANAGER, team=team)
            manager.set_password(PASSWORD)
            db.session.add(manager)
            db.session.flush()
            managers.append(subscribe(manager.id, push))
        db.session.commit()
        team_id = team.id
        grow_sessions(team_id, 0, 1000)
    print(
        f"backend: {args.backend}; load average at start {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores "
        "(figures scale with it: this is a shared machine)"
    )
    baseline_push = raw_push_ms(app, push, managers[0])
    print(f"baseline: one raw pywebpush send to the loopback push service: {baseline_push:.1f} ms (median)")
    tick_1k = idle_tick_ms(app)
    with app.app_context():
        grow_sessions(team_id, 1000, 10000)
    tick_10k = idle_tick_ms(app)
    print(
        f"sweep cost per tick, nothing due: 1,000 active {tick_1k:.2f} ms; 10,000 active {tick_10k:.2f} ms; "
        f"ratio {tick_10k / tick_1k:.2f}x (goal: flat, ~1x)"
    )

    tick = app.config["ESCALATOR_TICK_SECONDS"]
    stop = start_in_process(app)  # the embedded default: one escalator thread at the configured tick
    try:
        print(f"escalator in-process, tick {tick}s, 10,000 active sessions in the background")
        report_burst("100 due at once", burst(app, push, 1, 100, len(managers)), 2000, baseline_push)
        report_burst("1,000 due at once", burst(app, push, 101, 1000, len(managers)), 5000, baseline_push)

        panic_ms = []
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        for n in range(args.panics):
            with app.app_context():
                worker = db.session.scalar(sa.select(User).where(User.username == f"bench.w{9999 - n}"))
                worker.set_password(PASSWORD)
                db.session.commit()
                username = worker.username
            client = requests.Session()  # a real HTTP client against a real server, as a tablet would be
            login = client.post(
                f"{base}/login", data={"username": username, "password": PASSWORD}, allow_redirects=False
            )
            assert login.status_code == 302
            before = len(push.received)
            began = time.monotonic()
            assert client.post(f"{base}/api/safety/panic", json={}).status_code == 200
            wait_pushes(push, before + 1, timeout=10)
            panic_ms.append((push.received[before].at - began) * 1000)
            wait_pushes(push, before + len(managers), timeout=10)
        print(
            f"panic -> first delivery ({args.panics} panics, 10,000 active): p50 {percentile(panic_ms, 50):.0f} ms, "
            f"p99 {percentile(panic_ms, 99):.0f} ms, max {max(panic_ms):.0f} ms (goal <= 1000 ms; "
            f"{percentile(panic_ms, 50) / baseline_push:.1f}x one raw push)"
        )
        server.shutdown()
    finally:
        stop_in_process(app, stop)  # its last sweep finishes before the schema is dropped


if __name__ == "__main__":
    main()
