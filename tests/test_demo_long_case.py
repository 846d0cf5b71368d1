"""The demo has a long-open case (issue 17): demo.worker's tablet is sent the last 12 months of it plus the latest
map and rating, and the rest — records over a year old — waits behind the child's "Older records" button."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import select

from fieldapp.api.history_views import pull_window
from fieldapp.cli import main as fieldapp_cli
from fieldapp.extensions import db
from fieldapp.models import User
from tests.conftest import login
from tests.sync.device import HEADER, Device

PASSWORD = "demo-password-for-tests"


def test_a_demo_worker_is_sent_a_window_of_the_long_open_case_and_its_older_records_on_request(
    migrated_app, monkeypatch
):
    monkeypatch.setenv("FIELDAPP_DEMO_PASSWORD", PASSWORD)
    result = migrated_app.test_cli_runner().invoke(fieldapp_cli, ["demo"])
    assert result.exit_code == 0, result.output
    worker = db.session.scalar(select(User).where(User.username == "demo.worker"))
    client = migrated_app.test_client()
    login(client, worker, PASSWORD)
    device = Device(client).register()

    pulled, scope, _ = device.pull_all()
    assert len(scope["child_ids"]) == 23  # the whole caseload, as before
    by_child = defaultdict(list)
    for record in pulled:
        by_child[record["child_id"]].append(record)
    assert len(by_child) >= 1
    child_id, recent = max(by_child.items(), key=lambda item: len(item[1]))
    since = pull_window(date.today()).since
    assert {"visit", "seen_alone", "sos_map", "safety_rating"} <= {r["record_type"] for r in recent}
    latest = {r["record_type"]: r["occurred_on"] for r in recent if r["record_type"] in ("sos_map", "safety_rating")}
    assert all(
        r["occurred_on"] is None or r["occurred_on"] >= since or r["occurred_on"] == latest.get(r["record_type"])
        for r in recent
    )

    answer = client.get(f"/api/sync/history?child_id={child_id}&limit=200", headers={HEADER: device.id}).json
    older = answer["records"]
    assert older and not answer["more"]
    assert {r["record_type"] for r in older} >= {"visit", "seen_alone", "sos_map"}
    assert all(r["occurred_on"] < since for r in older if r["occurred_on"])  # over 12 months old
    # The latest map travels though it is itself from before the window; the older ones wait on the server.
    assert latest["sos_map"] < since
    assert all(r["occurred_on"] < latest["sos_map"] for r in older if r["record_type"] == "sos_map")
