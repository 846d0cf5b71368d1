"""Delivery to a real HTTPS receiver that checks the HMAC: the document, the allow-list, redirects, and exactly-once
delivery (by delivery id) through receiver failures and a delivery worker killed mid-run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from fieldapp.delivery.worker import deliver_due
from fieldapp.extensions import db
from fieldapp.models import AuditEvent, ExportJob, ExportState, Role
from tests.conftest import login
from tests.delivery.helpers import SECRET, signed_off_drawing, signed_off_visit
from tests.delivery.receiver import Receiver
from tests.record_cases import statutory_visit
from tests.review.helpers import team_with_child


@pytest.fixture
def people(make_team, make_user, make_child):
    return team_with_child(make_team, make_user, make_child)


def configure(app, receiver: Receiver, **extra):
    app.config.update(
        {
            "DELIVERY_WEBHOOK_URL": receiver.url,
            "DELIVERY_WEBHOOK_SECRET": SECRET,
            "DELIVERY_ALLOWED_HOSTS": [receiver.host],
            "DELIVERY_CA_BUNDLE": str(receiver.ca_path),
            "DELIVERY_FOLDER": None,
            "DELIVERY_RETRY_BASE_SECONDS": 0.05,
            **extra,
        }
    )


def states() -> dict[str, int]:
    return dict(db.session.execute(select(ExportJob.state, func.count()).group_by(ExportJob.state)).all())


def test_the_receiver_gets_the_signed_off_version_with_labels_and_attachments_by_reference(
    app, people, make_record, tmp_path
):
    with Receiver(SECRET, tmp_path) as receiver:
        configure(app, receiver)
        visit_id = signed_off_visit(make_record, people, observations="Kitchen clean; Sam showed me his room.")
        drawing_id = signed_off_drawing(make_record, people)
        # A later edit must not leak into the delivery of the version that was signed off.
        make_record(
            people.child,
            people.worker,
            {**statutory_visit(), "observations": "LATER EDIT"},
            record_id=visit_id,
            base_revision=1,
        )
        assert deliver_due() == 2
    assert receiver.refused_signatures == 0
    documents = {doc["record"]["id"]: doc for doc in receiver.deliveries.values()}
    visit = documents[visit_id]
    assert visit["record"]["revision"] == 1 and visit["record"]["record_type"] == "visit"
    assert visit["child"] == {"case_number": people.child.case_number}
    assert visit["author"]["username"] == people.worker.username
    assert visit["signed_off"]["by"]["username"] == people.manager.username
    assert visit["signed_off"]["comment"] == "Good record; actions agreed."
    observations = next(field for field in visit["fields"] if field["key"] == "observations")
    assert observations["value"] == "Kitchen clean; Sam showed me his room." and observations["label"]
    assert "LATER EDIT" not in str(visit)
    [attachment] = documents[drawing_id]["attachments"]
    assert set(attachment) == {"id", "mime", "size", "sha256"} and attachment["mime"] == "image/png"
    assert states() == {ExportState.DELIVERED: 2}


def test_a_wrong_secret_is_refused_by_the_receiver_and_retried(app, people, make_record, tmp_path):
    with Receiver("the-receivers-own-secret-xx", tmp_path) as receiver:
        configure(app, receiver)
        signed_off_visit(make_record, people)
        assert deliver_due(passes=1) == 0
    assert receiver.refused_signatures == 1 and receiver.deliveries == {}
    job = db.session.scalars(select(ExportJob)).one()
    assert (job.state, job.last_error) == (ExportState.PENDING, "webhook answered HTTP 401")


@pytest.mark.parametrize("problem", ["host not allow-listed", "plain http", "redirect"])
def test_the_server_only_posts_to_the_allow_listed_https_receiver(app, people, make_record, tmp_path, problem):
    with Receiver(SECRET, tmp_path) as elsewhere, Receiver(SECRET, tmp_path, redirect_to=elsewhere.url) as receiver:
        configure(app, receiver)
        if problem == "host not allow-listed":
            app.config["DELIVERY_ALLOWED_HOSTS"] = ["case-system.example.gov.uk"]
        elif problem == "plain http":
            app.config["DELIVERY_WEBHOOK_URL"] = receiver.url.replace("https://", "http://")
        signed_off_visit(make_record, people)
        assert deliver_due(passes=1) == 0
    assert elsewhere.requests == 0  # a redirect is never followed
    assert receiver.requests == (1 if problem == "redirect" else 0)
    job = db.session.scalars(select(ExportJob)).one()
    assert job.state == ExportState.PENDING and job.last_error


def test_a_permanently_failing_destination_is_parked_and_shown_to_admins(
    app, people, make_record, tmp_path, client, make_user
):
    with Receiver(SECRET, tmp_path, always_fail=True) as receiver:
        configure(app, receiver, DELIVERY_MAX_ATTEMPTS=3, DELIVERY_RETRY_BASE_SECONDS=0.01)
        signed_off_visit(make_record, people)
        deadline = time.monotonic() + 10
        while states().get(ExportState.PARKED) != 1 and time.monotonic() < deadline:
            deliver_due()
            time.sleep(0.02)
    assert states() == {ExportState.PARKED: 1} and receiver.failed_on_purpose == 3
    login(client, make_user(Role.ADMIN))
    assert "webhook answered HTTP 503" in client.get("/admin/deliveries").get_data(as_text=True)
    client.post("/logout")
    login(client, people.manager)
    assert "1 failed repeatedly" in client.get("/oversight/").get_data(as_text=True)


def worker_environment(app) -> dict:
    """What `fieldapp deliver` needs to share this test's store, keys and destination."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    options = app.config.get("SQLALCHEMY_ENGINE_OPTIONS", {}).get("connect_args", {}).get("options")
    if options:  # the PostgreSQL fixture's private schema
        url += ("&" if "?" in url else "?") + "options=" + options.replace("=", "%3D")
    env = {
        **os.environ,
        "FIELDAPP_DATABASE_URL": url,
        "FIELDAPP_INSTANCE_PATH": app.instance_path,
        "FIELDAPP_SECRET_KEY": app.config["SECRET_KEY"],
        "FIELDAPP_DELIVERY_WEBHOOK_URL": app.config["DELIVERY_WEBHOOK_URL"],
        "FIELDAPP_DELIVERY_WEBHOOK_SECRET": SECRET,
        "FIELDAPP_DELIVERY_ALLOWED_HOSTS": ",".join(app.config["DELIVERY_ALLOWED_HOSTS"]),
        "FIELDAPP_DELIVERY_CA_BUNDLE": app.config["DELIVERY_CA_BUNDLE"],
        "FIELDAPP_DELIVERY_RETRY_BASE_SECONDS": "0.05",
        "FIELDAPP_DELIVERY_MAX_ATTEMPTS": "50",
        # A killed worker's claims come back after this; short here so the test need not wait minutes.
        "FIELDAPP_DELIVERY_LEASE_SECONDS": "4",
    }
    env.pop("FIELDAPP_DELIVERY_FOLDER", None)
    return env


def start_worker(env, log):
    fieldapp_command = str(Path(sys.executable).parent / "fieldapp")
    return subprocess.Popen(
        [fieldapp_command, "deliver", "--tick", "0.05"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
        start_new_session=True,
    )


def test_200_sign_offs_reach_a_flaky_receiver_exactly_once_through_a_killed_worker(app, people, make_record, tmp_path):
    with Receiver(SECRET, tmp_path, fail_share=0.3, seed=19) as receiver:
        configure(app, receiver)
        record_ids = {signed_off_visit(make_record, people) for _ in range(200)}
        db.session.remove()
        env = worker_environment(app)
        log = (tmp_path / "deliver.log").open("w")
        worker = start_worker(env, log)
        deadline = time.monotonic() + 180  # generous: a loaded CI machine; the loop ends as soon as all arrive
        while len(receiver.deliveries) < 60 and time.monotonic() < deadline and worker.poll() is None:
            time.sleep(0.02)
        os.killpg(worker.pid, signal.SIGKILL)  # mid-run: some jobs claimed, some posted but not yet marked
        worker.wait()
        assert 0 < len(receiver.deliveries) < 200, (tmp_path / "deliver.log").read_text()[-2000:]
        worker = start_worker(env, log)
        try:
            while time.monotonic() < deadline:
                db.session.remove()
                if states().get(ExportState.DELIVERED) == 200:
                    break
                time.sleep(0.1)
        finally:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=10)
            log.close()
    assert states() == {ExportState.DELIVERED: 200}
    delivered = receiver.records_delivered()
    assert set(delivered) == record_ids
    assert all(len(ids) == 1 for ids in delivered.values())  # one delivery id per record: exactly once
    assert receiver.failed_on_purpose > 20  # the failures happened and were retried
    assert receiver.refused_signatures == 0
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) >= 200  # the sign-offs were audited
