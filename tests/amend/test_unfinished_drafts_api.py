"""Revocation without loss, server side: a device's sync report, sealed unfinished drafts kept aside (never a
revision) for a worker who may write about the child, and handed to exactly one next device."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from fieldapp.cases.services import allocate
from fieldapp.extensions import db
from fieldapp.models import AuditEvent, Device, Role, UnfinishedDraft
from sync.tables import record_revisions, records
from tests.conftest import login
from tests.sync.device import HEADER, ensure_sealing_key
from tests.sync.device import Device as ApiDevice

MARKER = "MARKER-UNFINISHED-words"


@pytest.fixture
def world(app, client, make_team, make_user, make_child):
    ensure_sealing_key(app)
    team = make_team()
    worker = make_user(Role.WORKER, team)
    child = make_child(team, worker)
    login(client, worker)
    return worker, child, ApiDevice(client).register()


def unfinished_op(device: ApiDevice, child: str, text: str = MARKER, **changes) -> dict:
    child_id = child
    record_id = str(uuid.uuid4())
    draft = {
        "id": str(uuid.uuid4()),
        "kind": "record",
        "recordType": "visit",
        "childId": child_id,
        "recordId": record_id,
        "baseRevision": 0,
        "groupId": record_id,
        "body": {
            "record_type": "visit",
            "schema_version": 1,
            "id": record_id,
            "child_id": child_id,
            "observations": text,
        },
    }  # unfinished: far from passing the visit schema
    return {
        "kind": "unfinished_draft",
        "op_id": str(uuid.uuid4()),
        "device_id": device.id,
        "device_seq": 1,
        "child_id": child_id,
        "record_id": record_id,
        "record_type": "visit",
        "draft": draft,
        "attachments": [],
        **changes,
    }


def count(model_or_table) -> int:
    return db.session.scalar(select(func.count()).select_from(model_or_table))


def test_an_unfinished_draft_is_kept_sealed_at_rest_and_never_as_a_revision(world):
    _, child, device = world
    op = unfinished_op(device, child.public_id)
    [result] = device.push(op).json["results"]
    assert (result["status"], result["record_id"]) == ("applied", op["record_id"])
    assert device.push(op).json["results"][0]["status"] == "applied"  # a replay stores it once
    assert (count(UnfinishedDraft), count(records), count(record_revisions)) == (1, 0, 0)
    stored = db.session.scalar(select(UnfinishedDraft))
    assert MARKER.encode() not in stored.body  # encrypted at rest like record bodies
    assert "unfinished_draft_received" in set(db.session.scalars(select(AuditEvent.action)))


def test_an_unfinished_draft_for_a_child_never_allocated_is_refused(world, make_team, make_child):
    _, _, device = world
    stranger = make_child(make_team())
    [result] = device.push(unfinished_op(device, stranger.public_id)).json["results"]
    assert (result["status"], result["code"]) == ("rejected", "not_allocated")
    assert count(UnfinishedDraft) == 0


@pytest.mark.parametrize(
    "changes",
    [
        {"draft": "text"},
        {"record_id": "not-a-uuid"},
        {"record_type": "essay"},
        {"child_id": None},
        {"attachments": {"a": 1}},
    ],
)
def test_a_malformed_unfinished_draft_is_refused_with_a_reason(world, changes):
    _, child, device = world
    [result] = device.push(unfinished_op(device, child.public_id, **changes)).json["results"]
    assert (result["status"], result["code"]) == ("rejected", "malformed_op") and result["message"]


def test_another_workers_device_cannot_hand_over_drafts(world, make_user, make_team):
    _, child, device = world
    [result] = device.push(unfinished_op(device, child.public_id, device_id=str(uuid.uuid4()))).json["results"]
    assert result["code"] == "device_mismatch"


def test_the_next_device_takes_the_draft_once(app, world, client):
    worker, child, device = world
    op = unfinished_op(device, child.public_id)
    device.push(op)
    # The revoked device's next device: a new registration of the same worker.
    db.session.get(Device, device.id).revoked_at = db.func.now()
    db.session.commit()
    login(client, worker)
    nxt = ApiDevice(client).register()
    listed = client.get("/api/drafts/unfinished", headers={HEADER: nxt.id}).json["drafts"]
    assert [(d["id"], d["child_id"], d["record_type"]) for d in listed] == [(op["op_id"], child.public_id, "visit")]
    assert "draft" not in listed[0]  # the list has no content: the worker chooses where to continue
    taken = client.post("/api/drafts/unfinished/take", json={"ids": [op["op_id"]]}, headers={HEADER: nxt.id}).json
    assert taken["drafts"][0]["draft"]["body"]["observations"] == MARKER
    again = client.post("/api/drafts/unfinished/take", json={"ids": [op["op_id"]]}, headers={HEADER: nxt.id}).json
    assert len(again["drafts"]) == 1  # the same device may ask again (its first answer may have been lost)
    assert client.get("/api/drafts/unfinished", headers={HEADER: nxt.id}).json["drafts"] == []
    other = ApiDevice(client).register()
    assert (
        client.post("/api/drafts/unfinished/take", json={"ids": [op["op_id"]]}, headers={HEADER: other.id}).json[
            "drafts"
        ]
        == []
    )
    assert "unfinished_draft_taken" in set(db.session.scalars(select(AuditEvent.action)))


def test_another_worker_never_sees_the_draft(world, client, make_user, login_as):
    worker, child, device = world
    device.push(unfinished_op(device, child.public_id))
    colleague = make_user(Role.WORKER, worker.team)
    allocate(child, colleague, by=worker)
    db.session.commit()
    login_as(colleague)
    theirs = ApiDevice(client).register()
    assert client.get("/api/drafts/unfinished", headers={HEADER: theirs.id}).json["drafts"] == []


def test_the_device_reports_counts_only_and_bad_reports_are_4xx(world, client):
    _, _, device = world
    assert (
        client.post("/api/devices/report", json={"drafts": 2, "outbox": 5}, headers={HEADER: device.id}).status_code
        == 200
    )
    row = db.session.get(Device, device.id)
    db.session.refresh(row)
    assert (row.reported_drafts, row.reported_outbox) == (2, 5) and row.reported_at is not None
    for bad in ({"drafts": -1, "outbox": 0}, {"drafts": "2", "outbox": 0}, {"drafts": True, "outbox": 1}, [], None):
        response = client.post("/api/devices/report", json=bad, headers={HEADER: device.id})
        assert response.status_code == 400 and response.json["error"] == "bad_report"
    assert client.post("/api/devices/report", json={"drafts": 1, "outbox": 1}).status_code in (400, 403)  # no device
    for bad in ({"ids": "x"}, {"ids": [1]}, {}, {"ids": ["a"] * 501}):
        assert client.post("/api/drafts/unfinished/take", json=bad, headers={HEADER: device.id}).status_code == 400
