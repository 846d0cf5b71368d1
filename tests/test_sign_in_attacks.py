"""Attacks on signing in: open redirects, telling users apart by timing, locking a worker out, huge bodies."""

from __future__ import annotations

import statistics
import time
from urllib.parse import urlsplit

import pytest

from fieldapp.extensions import db
from fieldapp.models import Role
from tests.conftest import PASSWORD, login, make_app


@pytest.mark.parametrize(
    "target",
    [
        "/%09/evil.example",
        "/%0a/evil.example",
        "/%0d%0a/evil.example",
        "%09//evil.example",
        "/%5Cevil.example",
        "//evil.example",
        "https://evil.example/",
        "/\\evil.example",
        "%20//evil.example",
        "/%00/evil.example",
        "javascript:alert(1)",
        "http:/evil.example",
        "/%E2%80%8B/evil.example",
    ],
)
def test_next_never_leaves_the_site(client, make_user, target):
    user = make_user(Role.MANAGER)
    response = client.post(f"/login?next={target}", data={"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    location = response.headers["Location"]
    parts = urlsplit(location)
    assert not parts.scheme and not parts.netloc, location
    assert location.startswith("/") and not location.startswith(("//", "/\\")), location
    assert not any(ord(c) < 0x21 or ord(c) > 0x7E for c in location), location


def test_a_same_site_next_is_followed(client, make_user):
    user = make_user(Role.MANAGER)
    response = client.post("/login?next=/caseload%3Fpage%3D2", data={"username": user.username, "password": PASSWORD})
    assert response.headers["Location"] == "/caseload?page=2"


def _timed_sign_in(client, username: str) -> float:
    start = time.perf_counter()
    response = client.post("/login", data={"username": username, "password": "not-the-password-at-all"})
    elapsed = time.perf_counter() - start
    assert response.status_code == 400
    return elapsed


def test_sign_in_takes_as_long_for_an_unknown_user_as_for_a_known_one(client, make_user):
    user = make_user(Role.WORKER)
    _timed_sign_in(client, user.username), _timed_sign_in(client, "warm-up")
    known = statistics.median(_timed_sign_in(client, user.username) for _ in range(5))
    unknown = statistics.median(_timed_sign_in(client, f"nobody-{n}") for n in range(5))
    # Before: about 120 ms against 5 ms. The password hash dominates; both sides must pay it.
    assert unknown > 0.6 * known, (unknown, known)


@pytest.fixture
def throttle_app(backend, tmp_path, request):
    app = make_app(
        backend,
        tmp_path,
        request,
        LOGIN_RATE_LIMIT="3 per minute",
        LOGIN_USERNAME_RATE_LIMIT="10 per minute",
        LOGIN_ADDRESS_RATE_LIMIT="3 per minute",
    )
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def _wrong(client, username, address):
    return client.post(
        "/login", data={"username": username, "password": "guess-guess-guess"}, environ_base={"REMOTE_ADDR": address}
    ).status_code


def test_guessing_from_one_address_is_blocked(throttle_app, make_user):
    user = make_user(Role.WORKER)
    client = throttle_app.test_client()
    assert [_wrong(client, user.username, "203.0.113.5") for _ in range(4)] == [400, 400, 400, 429]


def test_a_stranger_cannot_lock_a_worker_out(throttle_app, make_user):
    user = make_user(Role.MANAGER)
    own = throttle_app.test_client()
    login(own, user)  # the worker's own browser, signed in here before
    own.post("/logout")
    stranger = throttle_app.test_client()
    statuses = [_wrong(stranger, user.username, f"198.51.100.{n}") for n in range(30)]
    # Guessing is slowed: only the per-username budget got through to the password check ...
    assert statuses.count(400) == 10 and statuses.count(429) == 20
    # ... while the worker, from their own browser on a new address, still signs in.
    response = own.post(
        "/login", data={"username": user.username, "password": PASSWORD}, environ_base={"REMOTE_ADDR": "192.0.2.44"}
    )
    assert response.status_code == 302
    landing = own.get(response.headers["Location"]).get_data(as_text=True)
    assert "10 failed sign-in attempts" in landing  # the worker is told
    assert "10 failed sign-in attempts" not in own.get("/caseload").get_data(as_text=True)  # told once
    assert "Last failed sign-in attempt" in own.get("/account/password").get_data(as_text=True)  # and on their account


def test_a_stranger_with_the_right_password_but_a_blocked_username_must_wait(throttle_app, make_user):
    user = make_user(Role.MANAGER)
    stranger = throttle_app.test_client()
    for n in range(12):
        _wrong(stranger, user.username, f"198.51.100.{n}")
    response = stranger.post(
        "/login", data={"username": user.username, "password": PASSWORD}, environ_base={"REMOTE_ADDR": "198.51.100.200"}
    )
    assert response.status_code == 429


class UnreadableBody:
    """A 150 MB request body that fails the test if anything reads it."""

    def __init__(self, size=150 * 1024 * 1024):
        self.size, self.position = size, 0

    def tell(self):
        return self.position

    def seek(self, offset, whence=0):
        self.position = self.size if whence == 2 else offset

    def read(self, *args):
        raise AssertionError("the sign-in body was read before the throttle refused it")

    readline = readinto = read


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/api/session", "application/json"),
        ("/login", "multipart/form-data; boundary=x"),
        ("/login", "application/x-www-form-urlencoded"),
    ],
)
def test_a_huge_sign_in_body_is_counted_and_refused_unread(throttle_app, make_user, path, content_type):
    user = make_user(Role.WORKER)
    client = throttle_app.test_client()
    for _ in range(3):
        response = client.post(path, input_stream=UnreadableBody(), content_type=content_type)
        assert response.status_code == 413
    # The three refused bodies counted against the address: the next (small, right) attempt must wait.
    response = client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert response.status_code == 429
