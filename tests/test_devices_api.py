"""The app's JSON API: who am I, device registration and revocation, caseload, sealing key, re-auth."""

from __future__ import annotations

import base64
import uuid

import pytest
from flask import g
from sqlalchemy import select

from fieldapp.crypto.sealing import generate_key
from fieldapp.extensions import db, limiter
from fieldapp.models import AuditEvent, Device, Role
from tests.conftest import PASSWORD, login, make_app, use_registered_device

HEADER = "X-Fieldapp-Device"


def register(client, device_id=None, name="Blue tablet"):
    device_id = device_id or str(uuid.uuid4())
    response = client.post("/api/devices", json={"id": device_id, "name": name}, headers={HEADER: device_id})
    return device_id, response


def forget_cached_user():
    """Two clients in one test share the fixture's app context, where Flask-Login caches the user in `g`."""
    g.pop("_login_user", None)


def audit_actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


@pytest.fixture
def worker(make_team, make_user):
    return make_user(Role.WORKER, make_team())


def test_api_without_a_session_answers_401_json(client):
    response = client.get("/api/me")
    assert response.status_code == 401
    assert response.json["error"] == "session_expired"
    assert response.headers["Cache-Control"] == "no-store"


def test_worker_signs_in_and_lands_in_the_app_shell(client, worker):
    assert login(client, worker).headers["Location"] == "/app"


def test_me_tells_the_app_who_is_signed_in_and_the_vault_settings(client, worker):
    login(client, worker)
    body = client.get("/api/me").json
    assert body["user"] == {"id": worker.id, "username": worker.username, "display_name": worker.display_name}
    assert body["role"] == "worker" and body["csrf_token"]
    assert body["device"] == {"status": "unregistered"}
    assert body["vault"] == {"idle_seconds": 300, "max_pin_attempts": 5}


def test_device_registration_is_idempotent_and_audited(client, worker):
    login(client, worker)
    device_id, first = register(client)
    assert first.status_code == 201 and first.json["id"] == device_id and first.json["name"] == "Blue tablet"
    _, again = register(client, device_id)
    assert again.status_code == 200
    assert client.get("/api/me", headers={HEADER: device_id}).json["device"]["status"] == "registered"
    device = db.session.get(Device, device_id)
    assert device.user_id == worker.id and device.last_seen_at is not None
    assert audit_actions().count("device_registered") == 1


@pytest.mark.parametrize("bad_id", ["", "not-a-uuid", "../../etc/passwd"])
def test_device_id_must_be_a_uuid(client, worker, bad_id):
    login(client, worker)
    response = client.post("/api/devices", json={"id": bad_id, "name": "x"})
    assert response.status_code == 400 and response.json["error"] == "invalid_device_id"


@pytest.mark.parametrize("body", ["[1, 2]", '"text"', "null", '{"id": 5, "name": 7}', '{"id": {"a": 1}}', "not json"])
def test_malformed_registrations_get_a_4xx_json_answer(client, worker, body):
    login(client, worker)
    response = client.post("/api/devices", data=body, content_type="application/json")
    expected = "malformed_json" if body == "not json" else "invalid_device_id"  # the API guard reads JSON once
    assert response.status_code == 400 and response.json["error"] == expected and response.json["message"]


@pytest.mark.parametrize("body", ["[1]", '{"username": 5, "password": ["x"]}', "{}", "not json"])
def test_malformed_sign_ins_get_a_4xx_json_answer(client, worker, body):
    response = client.post("/api/session", data=body, content_type="application/json")
    assert response.status_code == 401 and response.json["error"] == "invalid_credentials"


def test_a_device_name_that_is_not_text_gets_a_default(client, worker):
    login(client, worker)
    response = client.post("/api/devices", json={"id": str(uuid.uuid4()), "name": ["not", "text"]})
    assert response.status_code == 201 and response.json["name"] == "Unnamed device"


def test_only_workers_register_devices(client, make_user):
    manager = make_user(Role.MANAGER)
    login(client, manager)
    assert register(client)[1].status_code == 403


def test_a_device_id_cannot_be_taken_over_by_another_worker(client, worker, make_user, login_as):
    login(client, worker)
    device_id, _ = register(client)
    other = make_user(Role.WORKER)
    login_as(other)
    assert register(client, device_id)[1].json["error"] == "device_other_user"
    response = client.get("/api/me", headers={HEADER: device_id})
    assert response.status_code == 403 and response.json["error"] == "device_other_user"


def test_revoked_device_gets_410_on_every_call_even_without_a_session(app, client, worker, make_user):
    login(client, worker)
    device_id, _ = register(client)
    admin = make_user(Role.ADMIN)
    admin_client = app.test_client()
    forget_cached_user()
    login(admin_client, admin)
    assert "Blue tablet" in admin_client.get("/admin/devices/").get_data(as_text=True)
    revoked = admin_client.post(f"/admin/devices/{device_id}/revoke", data={"confirm": "yes"})
    assert revoked.status_code == 302
    forget_cached_user()

    for method, path in [
        ("get", "/api/me"),
        ("get", "/api/caseload"),
        ("post", "/api/devices"),
        ("get", "/api/keys/sealing"),
    ]:
        response = getattr(client, method)(path, headers={HEADER: device_id}, json={} if method == "post" else None)
        assert response.status_code == 410, path
        assert response.json["error"] == "device_revoked" and response.json["revoked_at"]
    # The revoked device's session was ended; a fresh client with only the id is refused the same way.
    assert client.get("/api/me").status_code == 401
    assert app.test_client().get("/api/session", headers={HEADER: device_id}).status_code == 410
    device = db.session.get(Device, device_id)
    assert device.revoked_by_id == admin.id
    actions = audit_actions()
    assert "device_revoked" in actions and "revoked_device_contact" in actions


def test_revoking_is_for_admins_only(app, client, worker, make_user):
    login(client, worker)
    device_id, _ = register(client)
    assert client.post(f"/admin/devices/{device_id}/revoke").status_code == 403
    assert client.get("/admin/devices/").status_code == 403
    assert db.session.get(Device, device_id).revoked_at is None


def test_caseload_lists_only_the_workers_allocated_children(client, make_team, make_user, make_child):
    team = make_team()
    worker = make_user(Role.WORKER, team)
    mine = make_child(team, worker, first_name="Mine", address="1 Example Road", address_risk_notes="dog")
    make_child(team, make_user(Role.WORKER, team), first_name="Theirs")
    make_child(team, None, first_name="Unallocated")
    login(client, worker)
    use_registered_device(client)
    children = client.get("/api/caseload").json["children"]
    assert [c["first_name"] for c in children] == ["Mine"]
    entry = children[0]
    assert entry["public_id"] == mine.public_id and entry["date_of_birth"] == "2016-05-04"
    assert entry["legal_status"] == "child_in_need" and entry["legal_status_label"] == "Child in need"
    assert entry["address"] == "1 Example Road" and entry["address_risk_notes"] == "dog"
    assert isinstance(entry["age"], int)
    # One audit event per child sent to the device, in that child's trail, with the registered device.
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "device_caseload")).all()
    assert event.child_public_id == mine.public_id and event.device_id == client.environ_base["HTTP_X_FIELDAPP_DEVICE"]


def test_managers_get_no_device_caseload(client, make_user):
    login(client, make_user(Role.MANAGER))
    assert client.get("/api/caseload").status_code == 403


def test_sealing_key_is_served_once_generated(app, client, worker):
    login(client, worker)
    missing = client.get("/api/keys/sealing")
    assert missing.status_code == 503 and missing.json["error"] == "no_sealing_key"
    key = generate_key(app.config["SEALING_KEYS_DIR"])
    body = client.get("/api/keys/sealing").json
    assert body["kid"] == key.kid
    raw = base64.urlsafe_b64decode(body["public_key"] + "=" * (-len(body["public_key"]) % 4))
    assert raw == key.public_raw and len(raw) == 65


def test_json_sign_in_renews_a_session(client, worker):
    assert client.get("/api/session").json["authenticated"] is False
    bad = client.post("/api/session", json={"username": worker.username, "password": "nope"})
    assert bad.status_code == 401 and bad.json["error"] == "invalid_credentials"
    good = client.post("/api/session", json={"username": worker.username.upper(), "password": PASSWORD})
    assert good.status_code == 200 and good.json["user"]["username"] == worker.username
    assert client.get("/api/me").status_code == 200


def test_json_sign_in_shares_the_login_forms_rate_limit(app, client, worker):
    limiter.reset()
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    client.post("/login", data={"username": worker.username, "password": "wrong"})
    client.post("/api/session", json={"username": worker.username, "password": "wrong"})
    client.post("/login", data={"username": worker.username, "password": "wrong"})
    refused = client.post("/api/session", json={"username": worker.username, "password": PASSWORD})
    assert refused.status_code == 429 and refused.json["error"] == "too_many_requests"
    limiter.reset()


def test_api_changes_need_the_csrf_token_in_a_header(backend, tmp_path, request, make_team):
    app = make_app(backend, tmp_path, request, WTF_CSRF_ENABLED=True)
    with app.app_context():
        from fieldapp.models import User

        user = User(username="csrf.worker", display_name="CSRF Worker", role=Role.WORKER)
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.commit()
        client = app.test_client()
        token = client.get("/api/session").json["csrf_token"]
        assert client.post("/api/session", json={"username": "csrf.worker", "password": PASSWORD}).status_code == 400
        signed_in = client.post(
            "/api/session", json={"username": "csrf.worker", "password": PASSWORD}, headers={"X-CSRFToken": token}
        )
        assert signed_in.status_code == 200
        device_id = str(uuid.uuid4())
        refused = client.post("/api/devices", json={"id": device_id, "name": "x"})
        assert refused.status_code == 400 and refused.json["error"] == "csrf_failed"
        accepted = client.post(
            "/api/devices", json={"id": device_id, "name": "x"}, headers={"X-CSRFToken": signed_in.json["csrf_token"]}
        )
        assert accepted.status_code == 201
        db.session.remove()
        db.engine.dispose()
