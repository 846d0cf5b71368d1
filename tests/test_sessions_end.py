"""Sessions that really end: a cookie captured before logout, a password change or reset, a deactivation or a
device revocation reads nothing afterwards; idle and absolute timeouts; the CSRF token is renewed at sign-in."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from fieldapp.devices.services import revoke_device
from fieldapp.extensions import db
from fieldapp.models import AuditEvent, Device, Role
from tests.conftest import PASSWORD, login, make_app, register_device

HEADER = "X-Fieldapp-Device"
COOKIE = "fieldapp_session"


@pytest.fixture
def worker(make_team, make_user, make_child):
    team = make_team()
    worker = make_user(Role.WORKER, team)
    make_child(team, worker)
    return worker


def register(client):
    """Workers' data calls need a live registered device (the API guard)."""
    return {HEADER: register_device(client)}


def capture(client):
    """What an attacker copies off the wire or the disk: the session cookie's value."""
    return client.get_cookie(COOKIE).value


def replay(app, cookie_value):
    attacker = app.test_client()
    attacker.set_cookie(COOKIE, cookie_value)
    return attacker


def assert_signed_out(client):
    api = client.get("/api/caseload")
    assert api.status_code == 401 and api.json["error"] == "session_expired"  # the offline app's re-auth path
    page = client.get("/caseload")
    assert page.status_code == 302 and page.location.startswith("/login")


def test_cookie_captured_before_logout_reads_nothing_after(app, client, worker):
    login(client, worker)
    device = register(client)
    stolen = capture(client)
    assert replay(app, stolen).get("/api/caseload", headers=device).status_code == 200  # it worked before
    client.post("/logout")
    assert_signed_out(replay(app, stolen))


def _admin_saves(app, make_user, worker, **fields):
    admin_client = app.test_client()
    login(admin_client, make_user(Role.ADMIN))
    data = {
        "username": worker.username,
        "display_name": worker.display_name,
        "role": "worker",
        "team_id": worker.team_id,
        **fields,
    }
    response = admin_client.post(f"/admin/users/{worker.id}", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:400]


def test_admin_password_reset_ends_the_workers_sessions(app, client, worker, make_user):
    login(client, worker)
    stolen = capture(client)
    _admin_saves(app, make_user, worker, active="y", password="a-new-long-passphrase-for-reset")
    assert_signed_out(client)
    assert_signed_out(replay(app, stolen))


def test_deactivation_ends_the_workers_sessions(app, client, worker, make_user):
    login(client, worker)
    stolen = capture(client)
    _admin_saves(app, make_user, worker)  # "active" unticked
    assert_signed_out(replay(app, stolen))


def test_device_revocation_ends_the_session_even_without_the_device_header(app, client, worker, make_user):
    login(client, worker)
    device_id = register_device(client, "Lost tablet")
    stolen = capture(client)
    admin = make_user(Role.ADMIN)
    assert revoke_device(db.session.get(Device, device_id), admin)
    db.session.commit()
    assert_signed_out(replay(app, stolen))  # no device header: the revoked device's cookie alone
    events = db.session.scalars(select(AuditEvent.action).where(AuditEvent.action == "sessions_ended")).all()
    assert events


def test_sign_in_again_after_logout_works(app, client, worker):
    login(client, worker)
    device = register(client)
    client.post("/logout")
    login(client, worker)
    assert client.get("/api/caseload", headers=device).status_code == 200


@pytest.fixture
def clock(monkeypatch):
    """The session clock, moved by the test instead of waiting half an hour."""
    from fieldapp.auth import sessions

    now = {"t": 1_900_000_000.0}
    monkeypatch.setattr(sessions, "clock", lambda: now["t"])

    def advance(seconds):
        now["t"] += seconds

    return advance


def test_idle_session_ends_after_the_idle_timeout(app, client, worker, clock):
    assert app.config["SESSION_IDLE_SECONDS"] == 30 * 60
    login(client, worker)
    device = register(client)
    clock(29 * 60)
    assert client.get("/api/caseload", headers=device).status_code == 200  # activity keeps it alive
    clock(29 * 60)
    assert client.get("/api/caseload", headers=device).status_code == 200
    clock(31 * 60)
    assert_signed_out(client)


def test_busy_session_still_ends_at_the_absolute_lifetime(app, client, worker, clock):
    login(client, worker)
    for _ in range(int(app.permanent_session_lifetime.total_seconds() // (20 * 60))):
        clock(20 * 60)
        client.get("/api/me")
    clock(20 * 60)
    assert_signed_out(client)


def test_idle_timeout_is_configurable(tmp_path, monkeypatch):
    from fieldapp.config import settings_from_env

    assert settings_from_env(str(tmp_path))["SESSION_IDLE_SECONDS"] == 1800
    monkeypatch.setenv("FIELDAPP_SESSION_IDLE_SECONDS", "600")
    assert settings_from_env(str(tmp_path))["SESSION_IDLE_SECONDS"] == 600


@pytest.fixture
def csrf_app(backend, tmp_path, request):
    app = make_app(backend, tmp_path, request, WTF_CSRF_ENABLED=True)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def test_csrf_token_is_renewed_at_sign_in(csrf_app, make_user):
    user = make_user(Role.MANAGER)
    client = csrf_app.test_client()
    planted = client.get("/api/session").json["csrf_token"]  # a token known before sign-in (fixation)
    response = client.post("/login", data={"username": user.username, "password": PASSWORD, "csrf_token": planted})
    assert response.status_code == 302
    refused = client.post("/logout", data={"csrf_token": planted})
    assert refused.status_code == 400  # the pre-sign-in token no longer works
    page = client.get("/caseload").get_data(as_text=True)
    fresh = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post("/logout", data={"csrf_token": fresh}).status_code == 302
