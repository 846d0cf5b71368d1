"""`fieldapp serve` on a fresh instance: gunicorn plus a supervised escalator, JSON logs with request ids, and no
personal data in any log line after a run over the demo data (pages, the API, a sealed push, a safety session)."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import time
import uuid

import psutil
import pytest
import requests

from fieldapp.crypto.sealing import b64url_decode, seal
from tests.production.serve_process import FIELDAPP, ServeProcess, fieldapp_env
from tests.record_cases import sos_map

DEMO_PASSWORD = "demo-password-for-serve-tests"
DEVICE_HEADER = "X-Fieldapp-Device"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("serve")
    # The demo manager signs in with a password alone here (two-step sign-in: tests/test_second_factor.py).
    env = fieldapp_env(
        workdir / "instance",
        FIELDAPP_DEMO_PASSWORD=DEMO_PASSWORD,
        FIELDAPP_LOGIN_RATE_LIMIT="100 per minute",
        FIELDAPP_REQUIRE_SECOND_FACTOR="none",
    )
    subprocess.run([*FIELDAPP, "demo"], env=env, cwd=workdir, check=True, capture_output=True, timeout=120)
    server = ServeProcess(workdir, env)
    server.database = workdir / "instance" / "fieldapp.sqlite3"
    yield server
    assert server.stop() == 0, server.text()[-2000:]


def demo_children(database) -> list[dict]:
    with sqlite3.connect(database) as connection:
        connection.row_factory = sqlite3.Row
        return [
            dict(row)
            for row in connection.execute("SELECT public_id, case_number, first_name, last_name, address FROM children")
        ]


def api_session(url: str, username: str, device_id: str | None = None) -> requests.Session:
    session = requests.Session()
    if device_id:
        session.headers[DEVICE_HEADER] = device_id
    session.headers["X-CSRFToken"] = session.get(f"{url}/api/session").json()["csrf_token"]
    signed_in = session.post(f"{url}/api/session", json={"username": username, "password": DEMO_PASSWORD})
    assert signed_in.status_code == 200, signed_in.text
    session.headers["X-CSRFToken"] = signed_in.json()["csrf_token"]
    return session


def test_serve_runs_gunicorn_workers_and_one_escalator(served):
    serve = psutil.Process(served.process.pid)
    children = serve.children()
    commands = [" ".join(child.cmdline()) for child in children]
    assert len(children) == 2, commands
    assert any("gunicorn" in command for command in commands), commands
    assert any(command.endswith("-m fieldapp escalator") for command in commands), commands
    gunicorn = next(child for child in children if "gunicorn" in " ".join(child.cmdline()))
    assert len(gunicorn.children()) >= 1  # the master forks its workers
    response = requests.get(f"{served.url}/login", timeout=60)
    assert response.status_code == 200 and "fieldapp" in response.text


def test_a_killed_escalator_is_logged_and_started_again(served):
    [first] = served.escalator_pids()[-1:]
    lines_before = len(served.text().splitlines())
    psutil.Process(first).send_signal(signal.SIGKILL)
    served.wait_for_line(lambda line: "escalator died (killed by signal 9)" in line, 15, after=lines_before)
    served.wait_for_line(lambda line: '"escalator started"' in line, 15, after=lines_before)
    restarted = served.escalator_pids()[-1]
    assert restarted != first and psutil.Process(restarted).is_running()
    assert psutil.Process(restarted).ppid() == served.process.pid


def test_every_response_has_a_request_id_that_the_audit_trail_and_the_log_carry(served):
    children = demo_children(served.database)
    manager = api_session(served.url, "demo.manager")
    response = manager.get(f"{served.url}/children/{children[0]['public_id']}")
    assert response.status_code == 200
    request_id = response.headers["X-Request-Id"]
    assert len(request_id) == 32
    with sqlite3.connect(served.database) as connection:
        actions = [
            row[0] for row in connection.execute("SELECT action FROM audit_events WHERE request_id = ?", (request_id,))
        ]
    assert actions == ["view_child"]
    [line] = [line for line in served.json_lines() if line.get("request_id") == request_id]
    assert line["route"] == "/children/<public_id>" and line["status"] == 200
    with sqlite3.connect(served.database) as connection:
        [(manager_id,)] = connection.execute("SELECT id FROM users WHERE username = 'demo.manager'")
    assert line["user_id"] == manager_id  # who asked, known without reading the user again after the commit
    # A refused request (no CSRF token) still gets an id; an id offered by a client is not trusted without a proxy.
    refused = requests.post(f"{served.url}/logout", headers={"X-Request-Id": "client-chosen-id-123"}, timeout=60)
    assert refused.status_code == 400 and len(refused.headers["X-Request-Id"]) == 32


def test_logs_are_json_lines_without_personal_data(served):
    children = demo_children(served.database)
    url, child = served.url, children[0]
    worker = api_session(url, "demo.worker", device_id=str(uuid.uuid4()))
    assert worker.post(f"{url}/api/devices", json={"id": worker.headers[DEVICE_HEADER], "name": "tablet"}).ok
    caseload = worker.get(f"{url}/api/caseload").json()
    mine = caseload["children"][0]
    key = worker.get(f"{url}/api/keys/sealing").json()
    op_id, record_id = str(uuid.uuid4()), str(uuid.uuid4())
    body = {
        **sos_map(),
        "id": record_id,
        "child_id": mine["public_id"],
        "complicating_factors": f"{mine['first_name']} {mine['last_name']} at {mine.get('address', '')}",
    }
    op = {
        "op_id": op_id,
        "record_id": record_id,
        "record_type": "sos_map",
        "schema_version": 1,
        "device_id": worker.headers[DEVICE_HEADER],
        "device_seq": 1,
        "base_revision": 0,
        "child_id": mine["public_id"],
        "body": body,
    }
    envelope = seal(json.dumps(op).encode(), b64url_decode(key["public_key"]), key["kid"])
    pushed = worker.post(f"{url}/api/sync/push", json={"ops": [{"op_id": op_id, "envelope": envelope}]})
    assert pushed.json()["results"][0]["status"] == "applied", pushed.text
    bad = worker.post(
        f"{url}/api/sync/push", json={"ops": [{"op_id": "x", "envelope": {"v": 1, "kid": child["first_name"]}}]}
    )
    assert bad.status_code == 200
    assert worker.get(f"{url}/api/sync/pull?after=0").ok
    started = worker.post(
        f"{url}/api/safety/sessions",
        json={
            "minutes": 30,
            "child_id": mine["public_id"],
            "address": child["address"],
            "notes": f"visiting {child['last_name']}",
        },
    )
    assert started.status_code == 201, started.text
    assert worker.post(f"{url}/api/safety/panic", json={"address": child["address"]}).ok
    manager = api_session(url, "demo.manager")
    for path in (
        "/caseload",
        f"/children/{child['public_id']}",
        f"/children/{child['public_id']}/records",
        f"/records/{record_id}",
        "/oversight/",
        "/safety/board",
        "/api/safety/board",
        "/review/awaiting",
        f"/children/{child['first_name']}%20{child['last_name']}",
        f"/caseload?q={child['first_name']}+{child['last_name']}",
    ):
        assert manager.get(f"{url}{path}").status_code in (200, 404), path
    deadline = time.monotonic() + 20  # the escalator sweeps (tick 0.5 s) and logs; a loaded machine is slower
    while True:
        text = served.text()
        json_lines = [line for line in text.splitlines() if line.startswith("{")]
        parsed = [json.loads(line) for line in json_lines]
        escalator_lines = [line for line in parsed if line["logger"] == "fieldapp.escalator"]
        if (
            any(line.get("request_id", "").startswith("escalator-") for line in escalator_lines)
            or time.monotonic() > deadline
        ):
            break
        time.sleep(0.5)
    assert len(json_lines) > 30
    # Each line carries the id of what it serves: the escalator's run, or the web request whose panic it sends.
    assert escalator_lines and all(line.get("request_id") for line in escalator_lines)
    assert any(line["request_id"].startswith("escalator-") for line in escalator_lines)
    forbidden = set()
    for person in demo_children(served.database):
        forbidden |= {f"{person['first_name']} {person['last_name']}", person["case_number"], person["address"]}
    forbidden |= {"Example Street", "Demo Town", "ZZ99 9ZZ", "Wren Example", "Morgan Placeholder"}
    leaked = sorted(word for word in forbidden if word and word.lower() in text.lower())
    assert leaked == [], leaked
