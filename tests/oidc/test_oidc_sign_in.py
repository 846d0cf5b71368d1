"""Single sign-on against a real OpenID Connect provider (oidc-provider on loopback), not a mock of our code."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from fieldapp.auth import sessions
from fieldapp.extensions import db
from fieldapp.models import AuditEvent, OidcGrant, Role
from tests.conftest import PASSWORD
from tests.oidc.provider import sign_in_at_provider, start_provider

APP_URL = "http://localhost"
CALLBACK = f"{APP_URL}/login/oidc/callback"


@pytest.fixture
def backend():
    """SQLite for most of these (the flow does not depend on the store); the tests that bind subjects and claim
    re-validations run on PostgreSQL too (parametrized below)."""
    return "sqlite"


BOTH_STORES = pytest.mark.parametrize("backend", ["sqlite", "postgresql"])


@pytest.fixture(scope="module")
def provider():
    provider = start_provider([CALLBACK])
    yield provider
    provider.stop()


@pytest.fixture
def oidc_app(app, provider):
    provider.control("reset")
    app.config.update(provider.app_config())
    return app


@pytest.fixture
def ava(oidc_app, make_user):
    return make_user(Role.WORKER, username="ava.oidc", display_name="Ava Oidc (fictional)")


def begin(client, path="/login/oidc"):
    response = client.get(path)
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"]


def sign_in(client, subject, path="/login/oidc"):
    """The whole flow; returns the callback's response and the callback path (to replay it)."""
    back = sign_in_at_provider(begin(client, path), subject, stop_at=APP_URL)
    callback = back[len(APP_URL) :]
    return client.get(callback), callback


def signed_in(client) -> bool:
    return client.get("/api/session").get_json()["authenticated"]


def audit_details(action):
    return [e.detail for e in db.session.scalars(select(AuditEvent).where(AuditEvent.action == action))]


@BOTH_STORES
def test_first_sign_in_matches_the_username_claim_binds_the_subject_and_is_audited(ava, client, provider):
    authorize = urlsplit(begin(client))
    query = parse_qs(authorize.query)
    assert authorize.geturl().startswith(provider.issuer + "/auth")
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"][0]
    assert query["state"][0] and query["nonce"][0] and query["redirect_uri"] == [CALLBACK]

    response, _ = sign_in(client, "sub-ava-0001")
    assert response.status_code == 302 and response.headers["Location"].endswith("/app")
    assert signed_in(client)
    db.session.refresh(ava)
    assert (ava.oidc_issuer, ava.oidc_subject) == (provider.issuer, "sub-ava-0001")
    assert any("method=oidc subject=sub-ava-0001" in d for d in audit_details("login"))
    methods = client.get("/api/session").get_json()["sign_in"]
    assert methods == {"oidc": {"label": "Sign in with Test Council", "start": "/login/oidc"}, "passwords": "all"}


def test_refresh_token_is_kept_encrypted_on_the_server_never_in_the_cookie(ava, client):
    sign_in(client, "sub-ava-0001")
    grant = db.session.scalars(select(OidcGrant)).one()
    cookie = client.get_cookie("fieldapp_session").value
    assert grant.id in _session_payload(cookie) and len(cookie) < 400  # the row's id only
    from fieldapp.records.store import record_cipher

    token = record_cipher().decrypt_bytes(grant.key_id, grant.refresh_token, f"oidc-grant:{grant.id}")
    assert token and token not in grant.refresh_token


def _session_payload(cookie: str) -> str:
    import base64
    import zlib

    body = cookie.split(".")[0 if not cookie.startswith(".") else 1]
    raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    return (zlib.decompress(raw) if cookie.startswith(".") else raw).decode()


def test_a_replayed_callback_is_refused(ava, client):
    response, callback = sign_in(client, "sub-ava-0001")
    assert response.status_code == 302
    replay = client.get(callback)
    assert replay.status_code == 400
    assert "did not complete" in replay.get_data(as_text=True)


def test_a_session_cookie_rewritten_during_the_flow_does_not_lose_its_state(ava, client):
    """The app polls /api/session while the provider's popup is open: a response that rewrites the session cookie
    from an older copy must not drop the flow's state (seen in the browser test before the state had its own
    cookie)."""
    client.get("/api/session")
    before = client.get_cookie("fieldapp_session").value
    authorize = begin(client, "/login/oidc?popup=1")
    client.set_cookie("fieldapp_session", before)  # a racing response writes the old session back
    back = sign_in_at_provider(authorize, "sub-ava-0001", stop_at=APP_URL)
    response = client.get(back[len(APP_URL) :])
    assert response.status_code == 200 and "You are signed in again" in response.get_data(as_text=True)
    assert signed_in(client)


def test_a_callback_carried_to_another_browser_is_refused(ava, app, client):
    back = sign_in_at_provider(begin(client), "sub-ava-0001", stop_at=APP_URL)
    other = app.test_client()
    assert other.get(back[len(APP_URL) :]).status_code == 400
    assert not signed_in(other)
    assert any("method=oidc reason=mismatching_state" in d for d in audit_details("login_failed"))


@pytest.mark.parametrize(
    ("mischief", "reason"),
    [
        ("wrong_aud", "invalid_claim"),
        ("wrong_aud_our_azp", "invalid_claim"),
        ("expired", "expired_token"),
        ("bad_sig", "bad_signature"),
    ],
)
def test_an_id_token_that_does_not_check_out_is_refused(ava, client, provider, mischief, reason):
    provider.control("mischief", mode=mischief)
    response, _ = sign_in(client, "sub-ava-0001")
    assert response.status_code == 400, mischief
    assert "did not complete" in response.get_data(as_text=True)
    assert not signed_in(client)
    db.session.refresh(ava)
    assert ava.oidc_subject is None
    assert audit_details("login_failed") == [f"method=oidc reason={reason}"] and not audit_details("login")


def test_an_unknown_user_is_refused_with_a_clear_message_and_audited(ava, client):
    response, _ = sign_in(client, "sub-unknown-0002")
    assert response.status_code == 403
    assert "not linked to a fieldapp account" in response.get_data(as_text=True)
    assert not signed_in(client)
    assert audit_details("login_failed") == ["method=oidc reason=unknown_user subject=sub-unknown-0002"]


def test_a_display_name_alone_never_matches(ava, client):
    response, _ = sign_in(client, "sub-noname-0004")  # same name as Ava, no username claim
    assert response.status_code == 403 and not signed_in(client)


@BOTH_STORES
def test_once_bound_another_subject_with_the_same_username_is_refused(ava, app, client):
    sign_in(client, "sub-ava-0001")
    other = app.test_client()
    response, _ = sign_in(other, "sub-imposter-0003")
    assert response.status_code == 403
    assert "linked to a different council account" in response.get_data(as_text=True)
    assert not signed_in(other)
    assert "reason=subject_mismatch" in audit_details("login_failed")[0]


def test_an_inactive_fieldapp_account_is_refused(ava, client):
    ava.active = False
    db.session.commit()
    response, _ = sign_in(client, "sub-ava-0001")
    assert response.status_code == 403 and not signed_in(client)


@BOTH_STORES
def test_disabled_at_the_provider_ends_the_session_at_the_next_revalidation(ava, client, provider, monkeypatch):
    sign_in(client, "sub-ava-0001")
    now = sessions.clock()
    monkeypatch.setattr(sessions, "clock", lambda: now + 301)
    assert signed_in(client)  # re-validated at the provider: still fine
    provider.control("disable", sub="sub-ava-0001")
    monkeypatch.setattr(sessions, "clock", lambda: now + 400)
    assert signed_in(client)  # inside the window: not asked again yet
    monkeypatch.setattr(sessions, "clock", lambda: now + 602)
    assert not signed_in(client)
    assert client.get("/api/me").status_code == 401
    db.session.refresh(ava)
    assert ava.session_generation == 1
    assert audit_details("oidc_revalidation_refused") == ["user=ava.oidc subject=sub-ava-0001 error=invalid_grant"]
    assert audit_details("sessions_ended") == ["user=ava.oidc reason=identity provider refused re-validation"]
    assert db.session.scalars(select(OidcGrant)).all() == []


def test_an_unreachable_provider_keeps_the_session_and_logs_it(ava, app, client, monkeypatch, caplog):
    own = start_provider([CALLBACK])
    app.config.update(own.app_config())
    sign_in(client, "sub-ava-0001")
    own.stop()
    now = sessions.clock()
    monkeypatch.setattr(sessions, "clock", lambda: now + 301)
    assert signed_in(client)  # the device must keep working through a provider outage
    assert "provider unreachable" in caplog.text


def test_plain_http_issuer_is_refused_without_the_test_only_setting(ava, app, client):
    app.config["OIDC_ALLOW_HTTP_LOOPBACK"] = False
    response = client.get("/login/oidc")
    assert response.status_code == 503
    assert "not working right now" in response.get_data(as_text=True)


def test_single_sign_on_is_absent_when_not_configured(app, client):
    assert client.get("/login/oidc").status_code == 404
    assert client.get("/api/session").get_json()["sign_in"] == {"oidc": None, "passwords": "all"}
    assert "Sign in with" not in client.get("/login").get_data(as_text=True)


def test_break_glass_keeps_local_passwords_for_admins_only(oidc_app, client, make_user):
    oidc_app.config["LOCAL_PASSWORDS"] = "admins"
    worker = make_user(Role.WORKER)
    admin = make_user(Role.ADMIN)
    page = client.get("/login").get_data(as_text=True)
    assert "Sign in with Test Council" in page and "break-glass" in page
    refused = client.post("/login", data={"username": worker.username, "password": PASSWORD})
    assert refused.status_code == 400 and not signed_in(client)
    assert any("reason=local_passwords_off" in d for d in audit_details("login_failed"))
    assert client.post("/api/session", json={"username": worker.username, "password": PASSWORD}).status_code == 401
    assert client.post("/login", data={"username": admin.username, "password": PASSWORD}).status_code == 302


def test_passwords_off_hides_the_password_form(oidc_app, client, make_user):
    oidc_app.config["LOCAL_PASSWORDS"] = "off"
    page = client.get("/login").get_data(as_text=True)
    assert 'type="password"' not in page and "Sign in with Test Council" in page
    admin = make_user(Role.ADMIN)
    assert client.post("/login", data={"username": admin.username, "password": PASSWORD}).status_code == 400
    assert client.get("/api/session").get_json()["sign_in"]["passwords"] == "off"


@pytest.mark.parametrize(
    ("issuer", "allow_loopback", "ok"),
    [
        ("https://login.council.example/realms/staff", False, True),
        ("http://127.0.0.1:8080", False, False),
        ("http://127.0.0.1:8080", True, True),
        ("http://[::1]:8080", True, True),
        ("http://idp.council.example", True, False),  # the test setting never opens plain http beyond loopback
        ("ftp://idp.council.example", True, False),
    ],
)
def test_the_issuer_must_be_https_outside_a_loopback_test_provider(issuer, allow_loopback, ok):
    from fieldapp.auth.oidc.client import OidcMisconfigured, check_issuer

    if ok:
        check_issuer(issuer, allow_loopback)
    else:
        with pytest.raises(OidcMisconfigured):
            check_issuer(issuer, allow_loopback)
