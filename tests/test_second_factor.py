"""Two-step sign-in for local accounts, tested as attacks: replayed, wrong and guessed codes, the half-signed-in
state, a manager who never enrolled, the app's JSON re-authentication and an admin's reset."""

from __future__ import annotations

import re
import time
import uuid

import pyotp
import pytest
from sqlalchemy import select

from fieldapp.auth import second_step
from fieldapp.auth.second_factor import enrol_without_code, factor_of
from fieldapp.config import settings_from_env
from fieldapp.extensions import db
from fieldapp.models import AuditEvent, RecoveryCode, Role, TotpFactor, User
from fieldapp.records.store import record_cipher
from tests.conftest import PASSWORD, make_app


@pytest.fixture
def app(backend, tmp_path, request):
    """The production default: managers and admins must have a second factor."""
    app = make_app(backend, tmp_path, request, SECOND_FACTOR_REQUIRED_ROLES=["manager", "admin"])
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def enrolled(user) -> str:
    """Give `user` a confirmed second factor (as the enrolment page would); returns the secret."""
    secret = enrol_without_code(user)
    db.session.commit()
    return secret


def password_step(client, user):
    return client.post("/login", data={"username": user.username, "password": PASSWORD})


def code_step(client, code: str):
    return client.post("/login/second-factor", data={"code": code})


def sign_in(client, user, secret: str, at: float | None = None):
    assert password_step(client, user).headers["Location"] == "/login/second-factor"
    response = code_step(client, pyotp.TOTP(secret).at(at or time.time()))
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return response


def signed_in(client) -> bool:
    return client.get("/api/session").get_json()["authenticated"]


def events(action: str) -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def test_the_default_configuration_requires_a_second_factor_of_managers_and_admins(monkeypatch, tmp_path):
    monkeypatch.delenv("FIELDAPP_REQUIRE_SECOND_FACTOR", raising=False)
    assert settings_from_env(str(tmp_path))["SECOND_FACTOR_REQUIRED_ROLES"] == ["manager", "admin"]
    monkeypatch.setenv("FIELDAPP_REQUIRE_SECOND_FACTOR", "none")
    assert settings_from_env(str(tmp_path))["SECOND_FACTOR_REQUIRED_ROLES"] == []
    monkeypatch.setenv("FIELDAPP_REQUIRE_SECOND_FACTOR", "managers,bosses")
    with pytest.raises(ValueError, match="bosses"):
        settings_from_env(str(tmp_path))


def test_enrolment_needs_a_valid_code_and_shows_ten_recovery_codes_once(client, make_user):
    worker = make_user(Role.WORKER)
    client.post("/login", data={"username": worker.username, "password": PASSWORD})
    page = client.get("/account/second-factor").get_data(as_text=True)
    assert 'src="data:image/png;base64,' in page
    secret = re.search(r'id="totp-secret"[^>]*>([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    assert client.get("/account/second-factor").get_data(as_text=True).count(secret[:4]) >= 1  # same secret
    wrong = client.post(
        "/account/second-factor", data={"code": "000000" if pyotp.TOTP(secret).now() != "000000" else "111111"}
    )
    assert wrong.status_code == 400 and factor_of(worker).confirmed_at is None
    done = client.post("/account/second-factor", data={"code": pyotp.TOTP(secret).now()})
    codes = re.findall(r"<code>([0-9a-f-]{24})</code>", done.get_data(as_text=True))
    assert done.status_code == 200 and len(set(codes)) == 10
    db.session.expire_all()
    assert factor_of(worker).confirmed_at is not None
    assert not re.findall(r"<code>[0-9a-f-]{24}</code>", client.get("/account/second-factor").get_data(as_text=True))
    stored = db.session.scalars(select(RecoveryCode.code_hash)).all()
    assert len(stored) == 10 and not set(codes) & set(stored)
    assert [e.detail for e in events("second_factor_enrolled")] == [f"user={worker.username} factor=totp"]


def test_the_secret_is_encrypted_at_rest_and_bound_to_its_user(app, make_user):
    worker, other = make_user(Role.WORKER), make_user(Role.WORKER)
    secret = enrolled(worker)
    row = db.session.get(TotpFactor, worker.id)
    assert secret.encode() not in row.secret_ciphertext
    with pytest.raises(Exception, match="authentication"):
        record_cipher().decrypt_bytes(row.secret_key_id, row.secret_ciphertext, f"totp-secret:{other.id}")


def test_sign_in_with_a_valid_code(client, make_user):
    worker = make_user(Role.WORKER)
    secret = enrolled(worker)
    assert password_step(client, worker).status_code == 302
    assert not signed_in(client)
    response = code_step(client, pyotp.TOTP(secret).now())
    assert response.status_code == 302 and response.headers["Location"] == "/app"
    assert signed_in(client)
    assert events("login")[-1].detail == "method=password factor=totp"


def test_a_code_from_the_next_step_works_but_one_from_two_steps_away_does_not(client, make_user):
    worker = make_user(Role.WORKER)
    totp = pyotp.TOTP(enrolled(worker))
    password_step(client, worker)
    assert code_step(client, totp.at(time.time() + 95)).status_code == 400
    assert code_step(client, totp.at(time.time() + 30)).status_code == 302


def test_a_reused_code_is_refused(client, make_user, app):
    worker = make_user(Role.WORKER)
    secret = enrolled(worker)
    code = pyotp.TOTP(secret).now()
    password_step(client, worker)
    assert code_step(client, code).status_code == 302
    client.post("/logout")
    password_step(client, worker)
    again = code_step(client, code)
    assert again.status_code == 400 and "used already" in again.get_data(as_text=True)
    assert not signed_in(client)
    # An older step's code (still inside the ±1 window) is refused too once a later one was used.
    assert code_step(client, pyotp.TOTP(secret).at(time.time() - 30)).status_code == 400
    assert [e.detail for e in events("second_factor_failed")][:1] == [
        f"user={worker.username} reason=reused_code via=form"
    ]


def test_a_wrong_code_is_refused_and_too_many_send_you_back_to_the_password(client, make_user, app):
    worker = make_user(Role.WORKER)
    secret = enrolled(worker)
    right = pyotp.TOTP(secret).now()
    wrong = f"{(int(right) + 1) % 1000000:06d}"
    password_step(client, worker)
    for _attempt in range(app.config["SECOND_FACTOR_MAX_TRIES"] - 1):
        response = code_step(client, wrong)
        assert response.status_code == 400 and "not right" in response.get_data(as_text=True)
    assert not signed_in(client)
    assert code_step(client, wrong).headers["Location"] == "/login"  # the half-signed-in state is gone
    assert code_step(client, right).headers["Location"] == "/login"  # even the right code needs the password again
    assert not signed_in(client)
    failures = events("second_factor_failed")
    assert len(failures) == app.config["SECOND_FACTOR_MAX_TRIES"]
    assert {e.detail for e in failures} == {f"user={worker.username} reason=wrong_code via=form"}


def test_a_recovery_code_works_once(client, make_user):
    worker = make_user(Role.WORKER)
    client.post("/login", data={"username": worker.username, "password": PASSWORD})
    page = client.get("/account/second-factor").get_data(as_text=True)
    secret = re.search(r'id="totp-secret"[^>]*>([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    codes = re.findall(
        r"<code>([0-9a-f-]{24})</code>",
        client.post("/account/second-factor", data={"code": pyotp.TOTP(secret).now()}).get_data(as_text=True),
    )
    client.post("/logout")
    password_step(client, worker)
    response = code_step(client, codes[3].upper().replace("-", " "))  # typed loosely: still the same code
    assert response.status_code == 302 and signed_in(client)
    assert events("login")[-1].detail == "method=password factor=recovery"
    client.post("/logout")
    password_step(client, worker)
    again = code_step(client, codes[3])
    assert again.status_code == 400 and "used already" in again.get_data(as_text=True)
    assert not signed_in(client)
    assert code_step(client, "abcd-abcd-abcd-abcd-abcd").status_code == 400
    assert [e.detail.split()[1] for e in events("second_factor_failed")] == [
        "reason=used_recovery_code",
        "reason=wrong_code",
    ]


def _get_routes(app):
    """Every GET route, with made-up arguments where it takes some."""
    samples = {"int": "1", "uuid": str(uuid.uuid4())}
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        path = rule.rule
        for argument in rule.arguments:
            converter = type(rule._converters[argument]).__name__.lower().replace("converter", "")
            value = samples.get({"integer": "int"}.get(converter, converter), "x")
            path = re.sub(rf"<[^>]*\b{argument}>", value, path)
        yield rule.endpoint, path


def test_the_half_signed_in_state_reaches_nothing_an_anonymous_visitor_cannot(app, make_user):
    worker, manager = make_user(Role.WORKER), make_user(Role.MANAGER)
    enrolled(worker), enrolled(manager)
    anonymous = app.test_client()
    for person in (worker, manager):
        half = app.test_client()
        assert password_step(half, person).headers["Location"] == "/login/second-factor"
        for endpoint, path in _get_routes(app):
            if endpoint in {"auth.second_factor_step", "auth.login"}:
                continue
            seen, expected = half.get(path), anonymous.get(path)
            assert seen.status_code == expected.status_code, (path, seen.status_code)
            assert seen.headers.get("Location") == expected.headers.get("Location"), path
        assert not half.get("/api/session").get_json()["authenticated"]


def test_the_half_signed_in_state_expires(client, make_user, monkeypatch, app):
    worker = make_user(Role.WORKER)
    secret = enrolled(worker)
    password_step(client, worker)
    later = time.time() + app.config["SECOND_FACTOR_STEP_SECONDS"] + 1
    monkeypatch.setattr(second_step, "clock", lambda: later)
    response = code_step(client, pyotp.TOTP(secret).now())
    assert response.headers["Location"] == "/login" and not signed_in(client)


@pytest.mark.parametrize("role", [Role.MANAGER, Role.ADMIN])
def test_a_manager_or_admin_without_a_second_factor_reaches_only_enrolment(client, make_user, make_team, app, role):
    person = make_user(role, team=make_team())
    assert password_step(client, person).status_code == 302  # the password alone starts a session...
    reached = []
    for endpoint, path in _get_routes(app):
        if endpoint in second_step.OPEN_DURING_ENROLMENT:
            continue
        response = client.get(path)
        if path.startswith("/api/"):
            if response.status_code != 403 or response.get_json()["error"] != "second_factor_enrolment_required":
                reached.append((path, response.status_code))
        elif response.headers.get("Location") != "/account/second-factor":
            reached.append((path, response.status_code))
    assert reached == []  # ...but nothing opens for it except enrolment
    assert client.post("/logout").status_code == 302  # signing out still works


def test_once_enrolled_a_manager_reaches_their_pages(client, make_user, make_team):
    manager = make_user(Role.MANAGER, team=make_team())
    client.post("/login", data={"username": manager.username, "password": PASSWORD})
    page = client.get("/account/second-factor").get_data(as_text=True)
    assert "Your role requires two-step sign-in" in page
    secret = re.search(r'id="totp-secret"[^>]*>([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    assert client.post("/account/second-factor", data={"code": pyotp.TOTP(secret).now()}).status_code == 200
    assert client.get("/caseload").status_code == 200
    client.post("/logout")
    sign_in(client, manager, secret, at=time.time() + 30)  # the enrolment spent this step's code
    assert client.get("/caseload").status_code == 200


def test_a_worker_is_not_required_to_enrol(client, make_user):
    worker = make_user(Role.WORKER)
    client.post("/login", data={"username": worker.username, "password": PASSWORD})
    assert client.get("/caseload").status_code == 200


def test_the_apps_json_re_authentication_needs_the_code(client, make_user):
    worker = make_user(Role.WORKER)
    totp = pyotp.TOTP(enrolled(worker))
    credentials = {"username": worker.username, "password": PASSWORD}
    missing = client.post("/api/session", json=credentials)
    assert missing.status_code == 401 and missing.get_json()["error"] == "second_factor_required"
    wrong = client.post("/api/session", json={**credentials, "code": "12345x"})
    assert wrong.status_code == 401 and wrong.get_json()["error"] == "second_factor_invalid"
    assert not signed_in(client)
    code = totp.now()
    assert client.post("/api/session", json={**credentials, "code": code}).status_code == 200
    assert signed_in(client)
    client.post("/logout")
    replay = client.post("/api/session", json={**credentials, "code": code})
    assert replay.status_code == 401 and "used already" in replay.get_json()["message"]
    bad_password = client.post("/api/session", json={**credentials, "password": "wrong-password-x", "code": code})
    assert bad_password.get_json()["error"] == "invalid_credentials"
    assert [e.detail for e in events("second_factor_failed")] == [
        f"user={worker.username} reason=wrong_code via=app",
        f"user={worker.username} reason=reused_code via=app",
    ]


def test_an_admin_resets_a_second_factor_audited_and_the_manager_enrols_again(app, make_user, make_team):
    admin, manager = make_user(Role.ADMIN), make_user(Role.MANAGER, team=make_team())
    admin_secret, manager_secret = enrolled(admin), enrolled(manager)
    as_manager, as_admin = app.test_client(), app.test_client()
    sign_in(as_manager, manager, manager_secret)
    sign_in(as_admin, admin, admin_secret)
    assert as_admin.get(f"/admin/users/{manager.id}/second-factor").status_code == 200
    assert as_admin.post(f"/admin/users/{manager.id}/second-factor").status_code == 302
    db.session.expire_all()
    assert (
        factor_of(manager) is None
        and not db.session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == manager.id)).all()
    )
    [reset] = events("second_factor_reset")
    assert reset.detail == f"user={manager.username}" and reset.actor_id == admin.id
    assert not signed_in(as_manager)  # their sessions ended
    assert password_step(as_manager, manager).headers["Location"] == "/caseload"
    assert as_manager.get("/caseload").headers["Location"] == "/account/second-factor"


def test_only_an_admin_resets_a_second_factor(client, make_user, make_team):
    manager, worker = make_user(Role.MANAGER, team=make_team()), make_user(Role.WORKER)
    enrolled(worker)
    sign_in(client, manager, enrolled(manager))
    assert client.post(f"/admin/users/{worker.id}/second-factor").status_code == 403
    assert factor_of(worker) is not None


def test_the_demo_says_who_must_enrol_and_a_rerun_clears_the_demo_users_second_factors(migrated_app, monkeypatch):
    from fieldapp.cli import main as fieldapp_cli

    migrated_app.config["SECOND_FACTOR_REQUIRED_ROLES"] = ["manager", "admin"]
    monkeypatch.setenv("FIELDAPP_DEMO_PASSWORD", "demo-password-for-tests")
    first = migrated_app.test_cli_runner().invoke(fieldapp_cli, ["demo"])
    assert first.exit_code == 0 and "Two-step sign-in is required for: manager, admin" in first.output
    manager = db.session.scalar(select(User).where(User.username == "demo.manager"))
    enrolled(manager)
    again = migrated_app.test_cli_runner().invoke(fieldapp_cli, ["demo"])
    assert again.exit_code == 0, again.output
    db.session.expire_all()
    assert db.session.get(TotpFactor, manager.id) is None


def test_guessing_codes_is_throttled_per_user_across_fresh_password_steps(backend, tmp_path, request):
    app = make_app(backend, tmp_path, request, LOGIN_RATE_LIMIT="3 per minute")
    with app.app_context():
        worker = User(username="throttled.worker", display_name="Test Worker", role=Role.WORKER)
        worker.set_password(PASSWORD)
        db.session.add(worker)
        db.session.commit()
        totp = pyotp.TOTP(enrolled(worker))
        wrong = f"{(int(totp.now()) + 1) % 1000000:06d}"
        client = app.test_client()
        password_step(client, worker)
        assert [code_step(client, wrong).status_code for _ in range(3)] == [400, 400, 400]
        assert code_step(client, wrong).status_code == 429
        fresh = app.test_client()  # a new half-signed-in state (the password again) does not reset the count
        password_step(fresh, worker)
        assert code_step(fresh, totp.now()).status_code == 429
        db.session.remove()
        db.engine.dispose()


def test_a_wrong_code_is_told_to_the_user_at_their_next_sign_in(client, make_user):
    worker = make_user(Role.WORKER)
    totp = pyotp.TOTP(enrolled(worker))
    password_step(client, worker)
    code_step(client, f"{(int(totp.now()) + 1) % 1000000:06d}")  # someone who knows the password, not the phone
    code_step(client, totp.now())
    assert "1 failed sign-in attempt on your account" in client.get("/caseload").get_data(as_text=True)
