"""One guard on every /api rule: the URL map is walked, so a route added anywhere under /api is covered.

Attacks: a revoked device, a session that has ended (or never began), and a worker's cookie without its
registered device (or with another worker's, or a made-up one) asking for data.
"""

from __future__ import annotations

import re
import uuid

import pytest
from flask import g

from fieldapp.api.guards import DEVICE_NOT_NEEDED, SIGNED_OUT_ENDPOINTS, device_needed
from fieldapp.devices.services import revoke_device
from fieldapp.extensions import db
from fieldapp.models import Device, Role
from tests.conftest import login, register_device

HEADER = "X-Fieldapp-Device"


def api_rules(app) -> list[tuple[str, str, str]]:
    """(endpoint, method, url) for every /api rule, path variables filled with harmless values."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/") and rule.rule != "/api":
            continue
        url = re.sub(r"<(?:[^:>]+:)?[^>]+>", "x", rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, method, url))
    return found


def call(client, method, url, device=None):
    headers = {HEADER: device} if device else {}
    return client.open(url, method=method, json={} if method != "GET" else None, headers=headers)


@pytest.fixture
def worker(make_team, make_user):
    return make_user(Role.WORKER, make_team())


def test_one_blueprint_owns_every_api_rule(app):
    rules = api_rules(app)
    assert len(rules) > 20
    assert [endpoint for endpoint, _, _ in rules if not endpoint.startswith("api.")] == []


def test_every_api_rule_refuses_a_revoked_device_even_without_a_session(app, client, worker):
    login(client, worker)
    device_id = register_device(client)
    revoke_device(db.session.get(Device, device_id), by=worker)
    db.session.commit()
    client.post("/logout")
    for endpoint, method, url in api_rules(app):
        response = call(client, method, url, device_id)
        assert (response.status_code, response.json["error"]) == (410, "device_revoked"), (endpoint, method)


def test_every_api_rule_but_the_sign_in_ones_refuses_a_missing_session(app, client):
    checked = 0
    for endpoint, method, url in api_rules(app):
        if endpoint in SIGNED_OUT_ENDPOINTS:
            continue
        response = call(client, method, url)
        assert (response.status_code, response.json["error"]) == (401, "session_expired"), (endpoint, method)
        checked += 1
    assert checked > 20


def test_every_api_rule_refuses_a_session_that_has_ended(app, client, worker):
    login(client, worker)
    app.config["PERMANENT_SESSION_LIFETIME"] = -1  # every cookie issued so far is now out of date
    try:
        for endpoint, method, url in api_rules(app):
            if endpoint in SIGNED_OUT_ENDPOINTS:
                continue
            response = call(client, method, url)
            assert response.status_code == 401, (endpoint, method, response.status_code)
    finally:
        app.config["PERMANENT_SESSION_LIFETIME"] = 8 * 3600


def test_data_endpoints_refuse_a_worker_without_a_live_registered_device(app, client, worker, make_user):
    login(client, worker)
    own = register_device(client)
    other_worker = make_user(Role.WORKER, worker.team)
    other = str(uuid.uuid4())
    db.session.add(Device(id=other, user=other_worker, name="Theirs"))
    db.session.commit()
    g.pop("_login_user", None)
    needing = [(e, m, u) for e, m, u in api_rules(app) if device_needed(e)]
    assert {"api.caseload", "api.sync_push", "api.sync_pull", "api.review.api_notifications"} <= {
        e for e, _, _ in needing
    }
    for endpoint, method, url in needing:
        for header, code in (
            (None, "device_required"),
            ("=cmd|' /C calc'!A0", "device_required"),
            (str(uuid.uuid4()), "device_required"),
            (other, "device_other_user"),
        ):
            response = call(client, method, url, header)
            assert (response.status_code, response.json["error"]) == (403, code), (endpoint, method, header)
    # With its own live device the worker gets past the guard (whatever the view then says).
    assert call(client, "GET", "/api/caseload", own).status_code == 200


def test_caseload_is_not_downloaded_with_the_cookie_alone(client, worker, make_child):
    make_child(worker.team, worker, first_name="Secretname")
    login(client, worker)
    register_device(client)
    response = client.get("/api/caseload")
    assert response.status_code == 403 and b"Secretname" not in response.data


def test_the_endpoints_without_a_device_are_the_documented_few(app):
    exempt = {e for e, _, _ in api_rules(app) if not device_needed(e)}
    assert exempt == SIGNED_OUT_ENDPOINTS | DEVICE_NOT_NEEDED | {e for e in exempt if e.startswith("api.safety.")}
    assert "api.caseload" not in exempt


def test_managers_are_not_device_users(app, client, make_user, make_team):
    manager = make_user(Role.MANAGER, make_team())
    login(client, manager)
    assert client.get("/api/notifications").status_code == 200
    assert client.get("/api/safety/board").status_code == 200
