"""Benchmark the safety escalator: sweep cost as active sessions grow, due→push and panic→first delivery.

Run from the repository root:  .venv/bin/python bench/escalation.py [--backend postgresql|sqlite]
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

from fieldapp.cli.safety import start_in_process  # noqa: E402
from fieldapp.extensions import db  # noqa: E402
from fieldapp.models import PushSubscription, Role, SafetySession, SessionState, Team, User, utcnow  # noqa: E402
from fieldapp.safety import channels  # noqa: E402
from fieldapp.safety.escalator import sweep  # noqa: E402
from fieldapp.safety.report import percentile  # noqa: E402
from tests.safety.doubles import PushService  # noqa: E402

PASSWORD = "bench-password-not-secret"  # noqa: S105  (fictional bench users on a throwaway schema)


def make_app(backend: str, workdir: str):
    app, schema = bench_app(backend, workdir, VAPID_SUBJECT="mailto:bench@example.invalid", SMTP_HOST=None)
    channels.generate_vapid_key(app.instance_path)
    return app, schema


def subscribe(user_id: int, push: PushService) -> str:
    browser = push.new_browser()
    info = browser.subscription(push.base_url)
    db.session.add(PushSubscription(user_id=user_id, endpoint=info["endpoint"], p256dh=info["keys"]["p256dh"],
                                    auth=info["keys"]["auth"]))
    return browser.token


def grow_sessions(team_id: int, start: int, stop: int) -> None:
    """Workers start-..stop-1, each with one active session ending in two hours (nothing due for 110 min)."""
    now, hash_ = utcnow(), User(username="x").password_hash or "not-a-login"
    db.session.execute(sa.insert(User), [
        {"username": f"bench.w{n}", "display_name": f"Bench Worker {n} (fictional)", "password_hash": hash_,
         "role": Role.WORKER, "team_id": team_id} for n in range(start, stop)])
    ids = dict(db.session.execute(sa.select(User.username, User.id).where(User.username.like("bench.w%"))).all())
    db.session.execute(sa.insert(SafetySession), [
        {"public_id": str(uuid.uuid4()), "worker_id": ids[f"bench.w{n}"], "team_id": team_id,
         "address": f"{n} Example Street", "started_at": now, "expected_end": now + timedelta(hours=2),
         "state": SessionState.ACTIVE, "next_step": "reminder-10", "next_due_at": now + timedelta(minutes=110)}
        for n in range(start, stop)])
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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--due", type=int, default=100, help="sessions falling due at the same moment")
    parser.add_argument("--panics", type=int, default=20)
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="fieldapp-bench-")
    app, schema = make_app(args.backend, workdir)
    push = PushService()
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
    print(f"backend: {args.backend}")
    baseline_push = raw_push_ms(app, push, managers[0])
    print(f"baseline: one raw pywebpush send to the loopback push service: {baseline_push:.1f} ms (median)")
    tick_1k = idle_tick_ms(app)
    with app.app_context():
        grow_sessions(team_id, 1000, 10000)
    tick_10k = idle_tick_ms(app)
    print(f"sweep cost per tick, nothing due: 1,000 active {tick_1k:.2f} ms; 10,000 active {tick_10k:.2f} ms; "
          f"ratio {tick_10k / tick_1k:.2f}x (goal: flat, ~1x)")

    push.received.clear()
    stop = start_in_process(app, tick=1.0)  # the embedded default: one escalator thread, 1 s tick
    try:
        due_at = utcnow() + timedelta(seconds=0.5)
        due_mono = time.monotonic() + 0.5
        with app.app_context():
            ids = db.session.scalars(sa.select(SafetySession.id).order_by(SafetySession.id).limit(args.due)).all()
            db.session.execute(sa.update(SafetySession).where(SafetySession.id.in_(ids)).values(
                state=SessionState.OVERDUE, next_step="amber", next_due_at=due_at, version=SafetySession.version + 1))
            db.session.commit()
        wait_pushes(push, args.due * len(managers))
        lags = [(r.at - due_mono) * 1000 for r in push.received]
        print(f"due -> push received ({args.due} sessions due at once x {len(managers)} managers = {len(lags)} pushes, "
              f"10,000 active, 1 s tick): p50 {percentile(lags, 50):.0f} ms, p99 {percentile(lags, 99):.0f} ms "
              f"(goal p99 <= 2000 ms; {percentile(lags, 99) / baseline_push:.0f}x one raw push)")

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
            login = client.post(f"{base}/login", data={"username": username, "password": PASSWORD},
                                allow_redirects=False)
            assert login.status_code == 302
            before = len(push.received)
            began = time.monotonic()
            assert client.post(f"{base}/api/safety/panic", json={}).status_code == 200
            wait_pushes(push, before + 1, timeout=10)
            panic_ms.append((push.received[before].at - began) * 1000)
            wait_pushes(push, before + len(managers), timeout=10)
        print(f"panic -> first delivery ({args.panics} panics, 10,000 active): p50 {percentile(panic_ms, 50):.0f} ms, "
              f"p99 {percentile(panic_ms, 99):.0f} ms, max {max(panic_ms):.0f} ms (goal <= 1000 ms; "
              f"{percentile(panic_ms, 50) / baseline_push:.1f}x one raw push)")
        server.shutdown()
    finally:
        stop.set()
        app.extensions["fieldapp_escalator_wake"].set()
        time.sleep(1.2)  # let the escalator thread finish its last sweep before the schema is dropped


if __name__ == "__main__":
    main()
