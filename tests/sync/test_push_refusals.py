"""Refusals carry no content unless the caller's own device sealed it for a child they may write; a former
worker may only add records dated within their allocation and edit their own; no revision numbers leak."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from fieldapp.cases.services import allocate
from fieldapp.extensions import db
from fieldapp.models import Allocation, Device, Role
from sync.tables import records
from tests.conftest import login
from tests.record_cases import sos_map, statutory_visit
from tests.sync.device import Device as Tablet
from tests.sync.device import ensure_sealing_key
from tests.sync.test_sync_api import _three_houses_with_photo

MARKER = "Fictional words only their author may read again"


@pytest.fixture
def two_workers(app, client, make_team, make_user, make_child):
    ensure_sealing_key(app)
    team = make_team()
    worker_a, worker_b = make_user(Role.WORKER, team), make_user(Role.WORKER, team)
    child_a, child_b = make_child(team, worker_a), make_child(team, worker_b)
    device_b = Tablet(client)  # worker B's tablet, found by worker A
    db.session.add(Device(id=device_b.id, user=worker_b, name="B's tablet"))
    db.session.commit()
    login(client, worker_a)
    return worker_a, worker_b, child_a, child_b, Tablet(client).register(), device_b


def _push_as_a(device_a, op, envelope):
    response = device_a.push(op, envelopes=[envelope])
    assert response.status_code == 200
    assert MARKER.encode() not in response.data
    [result] = response.json["results"]
    assert result["status"] == "rejected" and "body" not in result and "attachments" not in result
    return result


def test_another_workers_sealed_item_reveals_nothing_to_the_finder(two_workers):
    _, _, _, child_b, device_a, device_b = two_workers
    op = device_b.op(child_b.public_id, {**statutory_visit(), "observations": MARKER})
    result = _push_as_a(device_a, op, device_a.envelope(op))
    assert result["code"] in {"device_mismatch", "not_allocated"}


def test_another_devices_item_about_my_own_child_is_not_handed_back_either(two_workers):
    _, _, child_a, _, device_a, device_b = two_workers
    op = device_b.op(child_a.public_id, {**statutory_visit(), "observations": MARKER})
    assert _push_as_a(device_a, op, device_a.envelope(op))["code"] == "device_mismatch"


def test_my_own_item_about_a_child_i_may_not_write_is_not_handed_back(two_workers):
    _, _, _, child_b, device_a, _ = two_workers
    op = device_a.op(child_b.public_id, {**statutory_visit(), "observations": MARKER})
    assert _push_as_a(device_a, op, device_a.envelope(op))["code"] == "not_allocated"


def test_a_bad_photo_on_another_workers_item_hands_back_neither_record_nor_photo(two_workers):
    _, _, _, child_b, device_a, device_b = two_workers
    body, attachments = _three_houses_with_photo(MARKER.encode(), size=999)
    op = {**device_b.op(child_b.public_id, {**body, "worries": [MARKER]}), "attachments": attachments}
    response = device_a.push(op, envelopes=[device_a.envelope(op)])
    [result] = response.json["results"]
    assert result["status"] == "rejected" and "body" not in result and "attachments" not in result
    assert MARKER.encode() not in response.data and attachments[0]["data"].encode() not in response.data


def test_my_own_fixable_item_still_comes_back_to_me(two_workers):
    _, _, child_a, _, device_a, _ = two_workers
    body = {**statutory_visit(), "observations": MARKER}
    body.pop("child_seen")
    [result] = device_a.push(device_a.op(child_a.public_id, body)).json["results"]
    assert result["code"] == "invalid" and result["body"]["observations"] == MARKER


# ---- ended allocations ------------------------------------------------------------------------------------


@pytest.fixture
def former_worker(app, client, make_team, make_user, make_child):
    """Worker A held the child from 30 to 10 days ago; worker B holds it now and wrote a map on it."""
    ensure_sealing_key(app)
    team = make_team()
    worker_a, worker_b = make_user(Role.WORKER, team), make_user(Role.WORKER, team)
    child = make_child(team, worker_a)
    login(client, worker_a)
    device_a = Tablet(client).register()
    own = device_a.op(child.public_id, sos_map())
    assert device_a.push(own).json["results"][0]["status"] == "applied"
    allocate(child, worker_b, by=None)
    allocation = db.session.scalar(select(Allocation).where(Allocation.worker_id == worker_a.id))
    ended = allocation.ended_at
    db.session.execute(
        update(Allocation)
        .where(Allocation.id == allocation.id)
        .values(started_at=ended - timedelta(days=30), ended_at=ended - timedelta(days=10))
    )
    theirs_id = str(uuid.uuid4())
    db.session.commit()
    # B's record on the child, written through the real path (B's device).
    from flask import g

    g.pop("_login_user", None)
    client_b = app.test_client()
    login(client_b, worker_b)
    device_b = Tablet(client_b).register()
    theirs = device_b.op(child.public_id, sos_map(), record_id=theirs_id)
    assert device_b.push(theirs).json["results"][0]["status"] == "applied"
    g.pop("_login_user", None)
    return child, device_a, own, theirs, ended


def _visit_on(day) -> dict:
    return {**statutory_visit(), "visit_date": day.date().isoformat()}


def test_a_former_worker_may_still_send_a_visit_dated_within_the_allocation(former_worker):
    child, device_a, _, _, ended = former_worker
    op = device_a.op(child.public_id, _visit_on(ended - timedelta(days=20)))
    [result] = device_a.push(op).json["results"]
    assert result["status"] == "applied", result


def test_a_former_worker_cannot_add_a_record_dated_after_the_allocation_ended(former_worker):
    child, device_a, _, _, ended = former_worker
    op = device_a.op(child.public_id, _visit_on(ended - timedelta(days=2)))
    [result] = device_a.push(op).json["results"]
    assert (result["status"], result["code"]) == ("rejected", "allocation_ended")
    assert db.session.scalar(select(records.c.id).where(records.c.id == op["record_id"])) is None


def test_a_former_worker_cannot_overwrite_the_current_workers_record(former_worker):
    child, device_a, _, theirs, _ = former_worker
    edit = device_a.op(child.public_id, {**sos_map(), "next_steps": []}, record_id=theirs["record_id"], base_revision=1)
    [result] = device_a.push(edit).json["results"]
    assert (result["status"], result["code"]) == ("rejected", "allocation_ended")
    assert result.get("revision") is None and "body" not in result
    db.session.expire_all()
    assert db.session.scalar(select(records.c.revision).where(records.c.id == theirs["record_id"])) == 1


def test_a_former_worker_may_still_correct_their_own_record(former_worker):
    child, device_a, own, _, _ = former_worker
    edit = device_a.op(child.public_id, sos_map(), record_id=own["record_id"], base_revision=1)
    [result] = device_a.push(edit).json["results"]
    assert result["status"] in {"applied", "merged"}, result


def test_refusals_name_no_current_revision(two_workers):
    _, _, child_a, _, device_a, _ = two_workers
    op = device_a.op(child_a.public_id, sos_map())
    device_a.push(op)
    for _ in range(2):
        again = device_a.op(child_a.public_id, sos_map(), record_id=op["record_id"], base_revision=1)
        device_a.push(again)
    stale = device_a.op(child_a.public_id, sos_map(), record_id=op["record_id"], base_revision=7)
    [result] = device_a.push(stale).json["results"]
    assert result["code"] == "bad_base" and "3" not in result["message"] and result.get("revision") is None
