"""CSRF, login throttling, cookies, headers and password storage."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from fieldapp.extensions import db
from fieldapp.models import AuditEvent, Role, User
from fieldapp.security import CONTENT_SECURITY_POLICY
from tests.conftest import PASSWORD, login, make_app


@pytest.fixture
def csrf_app(backend, tmp_path, request):
    app = make_app(backend, tmp_path, request, WTF_CSRF_ENABLED=True, LOGIN_RATE_LIMIT="3 per minute")
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def _csrf_token(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def test_login_form_without_csrf_token_is_rejected(csrf_app, make_user):
    user = make_user(Role.WORKER)
    client = csrf_app.test_client()
    response = client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert response.status_code == 400
    assert "form had expired" in response.get_data(as_text=True)
    assert client.get("/caseload").status_code == 302  # still signed out


def test_login_form_with_csrf_token_signs_in(csrf_app, make_user):
    user = make_user(Role.WORKER)
    client = csrf_app.test_client()
    token = _csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"username": user.username, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302 and response.location.endswith("/app")  # workers land in the app shell


def test_admin_form_without_csrf_token_is_rejected(csrf_app, make_user):
    admin = make_user(Role.ADMIN)
    client = csrf_app.test_client()
    token = _csrf_token(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"username": admin.username, "password": PASSWORD, "csrf_token": token})
    response = client.post("/admin/teams/new", data={"name": "Sneaky team"})
    assert response.status_code == 400
    assert db.session.scalar(select(User).where(User.username == "Sneaky team")) is None


def test_login_is_throttled_after_repeated_failures(csrf_app, make_user):
    user = make_user(Role.WORKER)
    client = csrf_app.test_client()
    token = _csrf_token(client.get("/login").get_data(as_text=True))
    statuses = [
        client.post("/login", data={"username": user.username, "password": "wrong", "csrf_token": token}).status_code
        for _ in range(3)
    ]
    assert statuses == [400, 400, 400]
    throttled = client.post("/login", data={"username": user.username, "password": PASSWORD, "csrf_token": token})
    assert throttled.status_code == 429
    assert "Too many sign-in attempts" in throttled.get_data(as_text=True)
    # Each failure was audited even though the request itself failed.
    failures = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "login_failed")).all()
    assert len(failures) == 3


def test_throttle_follows_the_username_across_addresses(csrf_app, make_user):
    # The per-username budget slows strangers spread over many addresses (tests/test_sign_in_attacks.py shows the
    # user's own browser is exempt from it).
    csrf_app.config["LOGIN_USERNAME_RATE_LIMIT"] = "3 per minute"
    user = make_user(Role.WORKER)
    token_client = csrf_app.test_client()
    token = _csrf_token(token_client.get("/login").get_data(as_text=True))
    for number in range(3):
        token_client.post(
            "/login",
            data={"username": user.username, "password": "wrong", "csrf_token": token},
            environ_base={"REMOTE_ADDR": f"10.0.0.{number}"},
        )
    response = token_client.post(
        "/login",
        data={"username": user.username, "password": "x", "csrf_token": token},
        environ_base={"REMOTE_ADDR": "10.0.0.99"},
    )
    assert response.status_code == 429


def test_security_headers_and_strict_csp(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert csp == CONTENT_SECURITY_POLICY
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"


def test_templates_carry_no_inline_script_or_style(client, make_user, login_as, make_child, make_team):
    team = make_team()
    worker = make_user(Role.WORKER, team)
    child = make_child(team, worker)
    login_as(worker)
    for url in ["/login", "/caseload", f"/children/{child.public_id}"]:
        html = client.get(url).get_data(as_text=True)
        assert "<script>" not in html and " style=" not in html and " onclick=" not in html, url


def test_session_cookie_is_httponly_and_samesite_and_secure_over_https(app, make_user):
    user = make_user(Role.WORKER)
    plain = app.test_client()
    login(plain, user)
    cookie = plain.get_cookie("fieldapp_session")
    assert cookie.http_only and cookie.same_site == "Lax" and not cookie.secure

    https = app.test_client()
    response = https.post(
        "/login", data={"username": user.username, "password": PASSWORD}, base_url="https://fieldapp.example.invalid"
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    set_cookie = response.headers["Set-Cookie"]
    assert "Secure" in set_cookie and "HttpOnly" in set_cookie and "SameSite=Lax" in set_cookie
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_passwords_are_stored_hashed(app, make_user):
    user = make_user(Role.WORKER)
    assert PASSWORD not in user.password_hash
    assert user.password_hash.startswith(("scrypt:", "pbkdf2:"))


def test_login_ignores_offsite_next_parameter(client, make_user):
    user = make_user(Role.WORKER)
    response = client.post("/login?next=//evil.example/", data={"username": user.username, "password": PASSWORD})
    assert response.location == "/app"


def test_disabled_user_cannot_sign_in(client, make_user):
    user = make_user(Role.WORKER, active=False)
    response = client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert response.status_code == 400
    assert "do not match an active account" in response.get_data(as_text=True)


def test_malformed_login_gets_a_4xx_not_a_500(client):
    assert client.post("/login", data={"username": "x" * 5000}).status_code == 400
    assert client.post("/login", data=b"\xff\xfe", content_type="application/x-www-form-urlencoded").status_code == 400
