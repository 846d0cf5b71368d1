"""Push endpoints cannot be abused: https on a known push service, no private address, no redirect, a few per user,
no takeover. Checked when subscribing and again at send time (a hostile row in the table is not sent to either)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from fieldapp.extensions import db
from fieldapp.models import PushSubscription, SafetyDelivery, SafetyEvent, utcnow
from fieldapp.safety import sessions
from fieldapp.safety.endpoints import EndpointRefused, check_endpoint
from fieldapp.safety.escalator import sweep
from tests.conftest import login

KEYS = {
    "p256dh": "BNcRdreALRFXTkOOUHK1EtK2wtaz5Ry4YfYCA_0QTpQtUbVlUls0VJXg7A8u-Ts1XbjhazAkj7I99e8QcYP7DkM",
    "auth": "tBHItJI5svbpez7KI4CCXg",
}


class Recorder:
    """An HTTP server on loopback that records every request; optionally answers with a redirect elsewhere."""

    def __init__(self, redirect_to: str | None = None):
        self.hits: list[str] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                recorder.hits.append(self.path)
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if redirect_to:
                    self.send_response(307)
                    self.send_header("Location", redirect_to)
                else:
                    self.send_response(201)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def recorder():
    server = Recorder()
    yield server
    server.close()


DEFAULTS = {
    "PUSH_ALLOWED_HOSTS": ["fcm.googleapis.com", "*.notify.windows.com", "localhost"],
    "PUSH_TEST_ORIGINS": ["http://127.0.0.1:9"],
}


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://fcm.googleapis.com/fcm/send/x", "https"),
        ("https://evil.example.com/push", "not a known browser push service"),
        ("https://notify.windows.com.evil.example/x", "not a known browser push service"),
        ("https://127.0.0.1/push", "not a known browser push service"),
        ("https://169.254.169.254/latest/meta-data", "not a known browser push service"),
        ("https://localhost/push", "private, loopback or link-local"),  # allow-listed name, loopback address
        ("http://127.0.0.1:10/push", "https"),  # a test origin admits its port only
        ("https://user:pw@fcm.googleapis.com/x", "not a valid"),
        ("not a url", "not a valid"),
    ],
)
def test_endpoint_policy_refuses(url, why):
    with pytest.raises(EndpointRefused, match=why):
        check_endpoint(url, DEFAULTS)


def test_endpoint_policy_checks_every_resolved_address():
    def rebinding(host, port):
        return ["142.250.1.1", "10.0.0.7"]  # one public answer and one private: refused

    with pytest.raises(EndpointRefused, match="private"):
        check_endpoint("https://fcm.googleapis.com/fcm/send/x", DEFAULTS, resolver=rebinding)
    assert check_endpoint(
        "https://wns2-par02p.notify.windows.com/w/?token=x", DEFAULTS, resolver=lambda h, p: ["20.42.0.1"]
    )
    assert check_endpoint("http://127.0.0.1:9/push/x", DEFAULTS)  # the configured test origin


def test_subscribing_refuses_abusive_endpoints(client, ladder, recorder):
    login(client, ladder.worker.user)
    for endpoint in (
        f"{recorder.url}/push/x",
        "http://169.254.169.254/latest",
        "https://169.254.169.254/latest",
        "https://evil.example.com/push",
        "https://localhost/push",
    ):
        answer = client.post("/api/safety/push-subscriptions", json={"endpoint": endpoint, "keys": KEYS})
        assert answer.status_code == 400, endpoint
        assert answer.json["error"] == "endpoint_refused" and answer.json["message"]
    assert db.session.scalar(select(PushSubscription).where(PushSubscription.endpoint.like("%169.254%"))) is None


def test_a_few_subscriptions_per_user(client, ladder, push_service):
    app = client.application
    app.config["PUSH_MAX_SUBSCRIPTIONS_PER_USER"] = 3
    login(client, ladder.duty.user)  # already has one (the ladder fixture's)
    bodies = [push_service.new_browser().subscription(push_service.base_url) for _ in range(3)]
    answers = [client.post("/api/safety/push-subscriptions", json=body) for body in bodies]
    assert [a.status_code for a in answers] == [201, 201, 409]
    assert answers[-1].json["error"] == "too_many_subscriptions"
    # Refreshing one already held (new keys after a browser update) is not a new one.
    assert client.post("/api/safety/push-subscriptions", json={**bodies[0], "keys": KEYS}).status_code == 201


def test_an_endpoint_registered_to_someone_else_is_not_taken_over(client, ladder, push_service):
    victim = ladder.line_managers[0]
    endpoint = victim.browser.subscription(push_service.base_url)["endpoint"]
    login(client, ladder.worker.user)
    answer = client.post("/api/safety/push-subscriptions", json={"endpoint": endpoint, "keys": KEYS})
    assert answer.status_code == 409 and answer.json["error"] == "endpoint_taken"
    db.session.rollback()
    row = db.session.scalar(select(PushSubscription).where(PushSubscription.endpoint == endpoint))
    assert row.user_id == victim.user.id and row.p256dh != KEYS["p256dh"]


def _hostile_row(user, endpoint):
    db.session.add(PushSubscription(user_id=user.id, endpoint=endpoint, **KEYS))
    db.session.commit()


def test_send_time_check_refuses_a_row_that_points_inside(app, ladder, recorder):
    # As if written before the policy existed, or the name now resolves inside: checked again before sending.
    _hostile_row(ladder.line_managers[0].user, f"{recorder.url}/metadata")
    sessions.panic(ladder.worker.user, utcnow(), address="9 Example Street")
    db.session.commit()
    sweep(utcnow())
    assert recorder.hits == []
    db.session.rollback()
    assert (
        db.session.scalar(select(PushSubscription).where(PushSubscription.endpoint.like(f"{recorder.url}%"))) is None
    ), "the hostile subscription is dropped"
    dropped = db.session.scalars(select(SafetyEvent).where(SafetyEvent.kind == "subscription_dropped")).all()
    assert any("refused" in e.detail["reason"] for e in dropped)


def test_redirects_are_not_followed(app, ladder, recorder):
    redirector = Recorder(redirect_to=f"{recorder.url}/inside")
    try:
        app.config["PUSH_TEST_ORIGINS"] = [*app.config["PUSH_TEST_ORIGINS"], redirector.url]
        _hostile_row(ladder.line_managers[0].user, f"{redirector.url}/push/redirecting")
        sessions.panic(ladder.worker.user, utcnow(), address="9 Example Street")
        db.session.commit()
        sweep(utcnow())
        assert redirector.hits == ["/push/redirecting"]
        assert recorder.hits == [], "the redirect was followed"
        db.session.rollback()
        states = {d.last_error for d in db.session.scalars(select(SafetyDelivery)) if "redirect" in d.last_error}
        assert states, "the delivery says the endpoint redirected"
    finally:
        redirector.close()
