"""One worker's 64 slow push endpoints do not delay another worker's panic: the priority lane.

The embedded default (`fieldapp serve`: escalator in-process) behind a real HTTP server. A worker registers 64
endpoints that each take 10 s to answer, and their reminder falls due; while the escalator is sending to them, a
colleague presses panic. The manager's (real, decrypting) push service must have it within 1 s.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from werkzeug.serving import make_server

from fieldapp.extensions import db
from fieldapp.models import Role, SafetySession, utcnow
from fieldapp.safety.channels import generate_vapid_key
from fieldapp.safety.lane import lanes
from fieldapp.safety.runtime import start_in_process, stop_in_process
from tests.conftest import PASSWORD, make_app
from tests.safety.conftest import safety_config, subscribe

SLOW_ENDPOINTS = 64
SLOW_SECONDS = 10


class SlowPushService:
    """Accepts a connection, then answers only after SLOW_SECONDS (or when released at the end of the test)."""

    def __init__(self):
        self.started = 0
        self.release = threading.Event()
        service = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                service.started += 1
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                service.release.wait(SLOW_SECONDS)
                self.send_response(201)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def slow_service():
    service = SlowPushService()
    yield service
    service.close()


@pytest.fixture
def app(backend, tmp_path, request, smtp, push_service, slow_service):
    config = safety_config(smtp.port, push_service.base_url, slow_service.url)
    # Panic goes out straight after the request, as in production; the cap is raised so the lane itself is tested.
    config.update(
        SAFETY_DELIVER_ON_REQUEST=True,
        PUSH_MAX_SUBSCRIPTIONS_PER_USER=SLOW_ENDPOINTS,
        SMTP_HOST=None,
        PUSH_READ_TIMEOUT_SECONDS=SLOW_SECONDS + 5,
    )
    app = make_app(backend, tmp_path, request, **config)
    generate_vapid_key(app.instance_path)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def signed_in(base: str, user) -> requests.Session:
    client = requests.Session()
    answer = client.post(f"{base}/login", data={"username": user.username, "password": PASSWORD}, allow_redirects=False)
    assert answer.status_code == 302
    return client


def test_slow_endpoints_of_one_worker_do_not_delay_another_workers_panic(
    app, make_team, make_user, push_service, slow_service
):
    push_service.reset()
    team = make_team()
    manager = make_user(Role.MANAGER, team)
    manager_browser = subscribe(manager, push_service)
    hoarder, colleague = make_user(Role.WORKER, team), make_user(Role.WORKER, team)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    stop = None
    try:
        hoarders_client = signed_in(base, hoarder)
        for n in range(SLOW_ENDPOINTS):
            body = {
                "endpoint": f"{slow_service.url}/push/slow-{n}",
                "keys": {
                    "p256dh": manager_browser.subscription("x")["keys"]["p256dh"],
                    "auth": "tBHItJI5svbpez7KI4CCXg",
                },
            }
            assert hoarders_client.post(f"{base}/api/safety/push-subscriptions", json=body).status_code == 201
        started = hoarders_client.post(f"{base}/api/safety/sessions", json={"minutes": 30, "address": "1 Slow Road"})
        assert started.status_code == 201
        with app.app_context():  # their first reminder falls due now: 64 slow deliveries
            db.session.execute(db.update(SafetySession).values(next_due_at=utcnow() - timedelta(seconds=1)))
            db.session.commit()

        stop = start_in_process(app, tick=0.2)
        deadline = time.monotonic() + 15
        while slow_service.started < 8 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert slow_service.started >= 8, "the escalator never started on the slow endpoints"

        colleagues_client = signed_in(base, colleague)
        pressed = time.monotonic()
        assert colleagues_client.post(f"{base}/api/safety/panic", json={"address": "2 Fast Lane"}).status_code == 200
        arrived = push_service.wait_for(1, timeout=SLOW_SECONDS / 2)
        assert arrived[0].token == manager_browser.token and arrived[0].payload["kind"] == "panic"
        delay = arrived[0].at - pressed
        print(
            f"\npanic reached the manager {delay * 1000:.0f} ms after the press, "
            f"{slow_service.started} slow endpoints in flight"
        )
        assert delay <= 1.0
    finally:
        slow_service.release.set()
        if stop is not None:
            stop_in_process(app, stop)  # also waits for the lanes: no send outlives the test's database
        server.shutdown()
        assert lanes().drain(20)
