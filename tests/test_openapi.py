"""/api/openapi.json describes every API endpoint, and a live server's answers conform to it (schemathesis)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import uuid

import pytest
from werkzeug.serving import make_server

from fieldapp.extensions import db
from tests.conftest import PASSWORD, make_app


def _documented(app) -> set[tuple[str, str]]:
    spec = app.test_client().get("/api/openapi.json").json
    return {(path, method.upper()) for path, item in spec["paths"].items() for method in item}


def _routed(app) -> set[tuple[str, str]]:
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
            found |= {(path, method) for method in rule.methods - {"HEAD", "OPTIONS"}}
    return found


def test_every_api_endpoint_is_documented_and_nothing_else(app):
    assert _documented(app) == _routed(app)


@pytest.fixture(params=["worker", "manager", "support", "admin"])
def signed_in_server(tmp_path, request):
    """A live server with a worker (on a registered device), a manager, support or admin signed in."""
    from datetime import date

    from fieldapp.cases.services import allocate
    from fieldapp.crypto.sealing import generate_key
    from fieldapp.models import Child, LegalStatus, Role, Team, User
    from fieldapp.safety.channels import generate_vapid_key

    app = make_app("sqlite", tmp_path, request, WTF_CSRF_ENABLED=True)
    with app.app_context():
        generate_key(app.config["SEALING_KEYS_DIR"])
        generate_vapid_key(app.instance_path)  # configured as in production: 503 "not configured" is not fuzzed
        team = Team(name="Fuzz team (fictional)")
        worker = User(username="fuzz.worker", display_name="Fuzz Worker", role=Role.WORKER, team=team)
        manager = User(username="fuzz.manager", display_name="Fuzz Manager", role=Role.MANAGER, team=team)
        support = User(username="fuzz.support", display_name="Fuzz Support", role=Role.SUPPORT, team=team)
        admin = User(username="fuzz.admin", display_name="Fuzz Admin", role=Role.ADMIN)
        for user in (worker, manager, support, admin):
            user.set_password(PASSWORD)
        child = Child(
            case_number="FUZZ-1",
            first_name="Fuzz",
            last_name="Example",
            date_of_birth=date(2016, 1, 1),
            legal_status=LegalStatus.CHILD_IN_NEED,
            team=team,
        )
        db.session.add_all([team, worker, manager, support, admin, child])
        db.session.flush()
        allocate(child, worker, by=None)
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}"
    client = app.test_client()
    token = client.get("/api/session").json["csrf_token"]
    client.post(
        "/api/session", json={"username": f"fuzz.{request.param}", "password": PASSWORD}, headers={"X-CSRFToken": token}
    )
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    headers = {"Cookie": f"{cookie.key}={cookie.value}", "X-CSRFToken": client.get("/api/session").json["csrf_token"]}
    if request.param == "worker":
        device = str(uuid.uuid4())
        assert (
            client.post(
                "/api/devices",
                json={"id": device, "name": "Fuzz tablet"},
                headers={"X-CSRFToken": headers["X-CSRFToken"], "X-Fieldapp-Device": device},
            ).status_code
            == 201
        )
        headers["X-Fieldapp-Device"] = device
    yield url, headers
    server.shutdown()
    with app.app_context():
        db.engine.dispose()


def test_schemathesis_finds_no_server_error_and_answers_conform(signed_in_server):
    url, headers = signed_in_server
    command = [
        os.path.join(os.path.dirname(sys.executable), "schemathesis"),
        "run",
        f"{url}/api/openapi.json",
        "--url",
        url,
        "--max-examples",
        os.environ.get("FIELDAPP_FUZZ_EXAMPLES", "12"),
        "--checks",
        "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
        "--generation-deterministic",
        "--request-timeout",
        "20",
        "--exclude-path",
        "/api/session",
    ]  # signing in/out with fuzz would end the session under test
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    finished = subprocess.run(command, capture_output=True, text=True, timeout=900)
    assert finished.returncode == 0, finished.stdout[-6000:] + finished.stderr[-2000:]
