"""The HTTP sync API end to end: sealed ops in, results out, records pulled back, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from fieldapp.cases.services import allocate
from fieldapp.extensions import db
from fieldapp.models import AuditEvent, Role
from sync.tables import records, sync_ops
from tests.conftest import login
from tests.record_cases import sos_map, statutory_visit
from tests.sync.device import HEADER, Device, ensure_sealing_key


@pytest.fixture
def world(app, client, make_team, make_user, make_child):
    ensure_sealing_key(app)
    team = make_team()
    worker = make_user(Role.WORKER, team)
    child = make_child(team, worker)
    login(client, worker)
    return team, worker, child, Device(client).register()


def count(table) -> int:
    return db.session.scalar(select(func.count()).select_from(table))


def test_sealed_record_is_stored_and_pulled_back(world):
    _, _, child, device = world
    today = date.today().isoformat()  # inside the pull window (older records stay on the server: test_pull_window)
    visit = {**statutory_visit(), "visit_date": today, "planned_date": today, "observations": "Fictional observations"}
    op = device.op(child.public_id, visit)
    response = device.push(op)
    assert response.status_code == 200
    [result] = response.json["results"]
    assert (result["status"], result["revision"], result["op_id"]) == ("applied", 1, op["op_id"])
    pulled, scope, cursor = device.pull_all()
    assert [r["body"]["observations"] for r in pulled] == ["Fictional observations"]
    assert scope["child_ids"] == [child.public_id] and cursor > 0
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"record_applied", "device_pull"} <= actions


def test_replay_of_the_same_envelope_is_answered_from_the_store(world):
    _, _, child, device = world
    op = device.op(child.public_id, sos_map())
    envelope = device.envelope(op)
    first = device.push(op, envelopes=[envelope]).json
    again = device.push(op, envelopes=[envelope]).json
    assert first == again
    assert (count(records), count(sync_ops)) == (1, 1)


def test_invalid_record_comes_back_with_field_errors_and_its_body(world):
    _, _, child, device = world
    body = {**statutory_visit(), "child_seen": None}
    body.pop("child_seen")
    op = device.op(child.public_id, body)
    [result] = device.push(op, device.op(child.public_id, sos_map())).json["results"][:1]
    assert result["status"] == "rejected" and result["code"] == "invalid"
    assert "/child_seen" in [e["path"] for e in result["errors"]]
    assert result["body"]["observations"] == body["observations"]  # handed back: nothing lost
    assert count(records) == 1  # the good op in the same batch was stored


def test_tampered_envelope_is_rejected_alone_and_kept_sealed(world):
    _, _, child, device = world
    good, bad = device.op(child.public_id, sos_map()), device.op(child.public_id, sos_map())
    envelope = device.envelope(bad)
    envelope["ct"] = ("A" if envelope["ct"][0] != "A" else "B") + envelope["ct"][1:]
    results = device.push(good, bad, envelopes=[device.envelope(good), envelope]).json["results"]
    assert [r["status"] for r in results] == ["applied", "rejected"]
    assert results[1]["code"] == "unsealable" and "body" not in results[1]


def test_outer_op_id_must_match_the_sealed_one(world):
    _, _, child, device = world
    op = device.op(child.public_id, sos_map())
    response = device.client.post(
        "/api/sync/push",
        headers={HEADER: device.id},
        json={"ops": [{"op_id": "someone-elses", "envelope": device.envelope(op)}]},
    )
    assert response.json["results"][0]["code"] == "op_mismatch"


@pytest.mark.parametrize(
    "payload",
    [
        None,
        [],
        {"ops": "x"},
        {"ops": [1]},
        {"ops": [{"op_id": "a"}]},
        {"ops": [{"op_id": "", "envelope": {}}]},
        {"ops": [{}] * 201},
    ],
)
def test_malformed_push_gets_a_400_with_a_message(world, payload):
    _, _, _, device = world
    response = device.client.post("/api/sync/push", json=payload, headers={HEADER: device.id})
    assert response.status_code == 400 and response.json["error"] == "malformed_push" and response.json["message"]


def test_push_needs_a_registered_device(world):
    _, _, child, device = world
    op = device.op(child.public_id, sos_map())
    response = device.client.post(
        "/api/sync/push", json={"ops": [{"op_id": op["op_id"], "envelope": device.envelope(op)}]}
    )
    assert response.status_code == 403 and response.json["error"] == "device_required"


@pytest.mark.parametrize("query", ["after=-1", "after=x", "limit=0", "limit=501", "limit=1.5"])
def test_malformed_pull_gets_a_400(world, query):
    _, _, _, device = world
    response = device.client.get(f"/api/sync/pull?{query}", headers={HEADER: device.id})
    assert response.status_code == 400 and response.json["error"] == "malformed_pull"


def test_reassigned_child_leaves_the_old_devices_scope(world, make_user):
    team, _, child, device = world
    device.push(device.op(child.public_id, sos_map()))
    _, before, _ = device.pull_all()
    allocate(child, make_user(Role.WORKER, team), by=None)
    db.session.commit()
    pulled, after, _ = device.pull_all()
    assert before["child_ids"] == [child.public_id] and after["child_ids"] == [] and pulled == []
    assert before["hash"] != after["hash"]


def test_items_from_the_same_workers_earlier_device_are_delivered(world, client):
    """A revoked-and-wiped device keeps its sealed outbox; after re-registration those items still land."""
    _, _, child, old = world
    op = old.op(child.public_id, sos_map())
    envelope = old.envelope(op)
    new = Device(client).register()
    [result] = new.push(op, envelopes=[envelope]).json["results"]
    assert result["status"] == "applied"


def test_managers_and_support_cannot_push(world, login_as, make_user):
    team, _, child, device = world
    login_as(make_user(Role.MANAGER, team))
    op = device.op(child.public_id, sos_map())
    response = device.client.post("/api/sync/push", json={"ops": [{"op_id": op["op_id"], "envelope": {}}]})
    assert response.status_code == 403


def _three_houses_with_photo(photo: bytes, size: int | None = None) -> tuple[dict, list[dict]]:
    import base64
    import uuid as uuid_module

    from tests.record_cases import three_houses

    attachment_id = str(uuid_module.uuid4())
    body = {
        **three_houses(),
        "drawing": {
            "attachment_id": attachment_id,
            "mime": "image/png",
            "size": size if size is not None else len(photo),
        },
    }
    return body, [
        {
            "attachment_id": attachment_id,
            "mime": "image/png",
            "size": len(photo),
            "data": base64.b64encode(photo).decode(),
        }
    ]


def test_a_drawing_photo_is_stored_encrypted_with_its_record(world):
    from fieldapp.records.store import record_cipher
    from sync.tables import record_attachments

    _, _, child, device = world
    photo = b"\x89PNG fictional drawing bytes MARKER"
    body, attachments = _three_houses_with_photo(photo)
    op = {**device.op(child.public_id, body), "attachments": attachments}
    [result] = device.push(op).json["results"]
    assert result["status"] == "applied"
    device.push(op)  # a replay stores nothing twice
    [row] = db.session.execute(select(record_attachments)).all()
    assert b"MARKER" not in row.data and row.record_id == op["record_id"]
    assert record_cipher().decrypt_bytes(row.body_key_id, row.data, f"attachment:{row.id}") == photo


def test_a_photo_that_does_not_match_its_record_is_refused_and_handed_back(world):
    _, _, child, device = world
    body, attachments = _three_houses_with_photo(b"fictional photo", size=999)
    op = {**device.op(child.public_id, body), "attachments": attachments}
    [result] = device.push(op).json["results"]
    assert result["status"] == "rejected" and result["errors"][0]["path"] == "/drawing"
    assert result["body"]["drawing"]["size"] == 999 and result["attachments"] == attachments
    assert count(records) == 0


@pytest.mark.parametrize("after", ["first.1", "first.1.x", "first.-1.2", "first.1.2.3", "firsts.1.2"])
def test_a_first_pull_token_the_server_never_gave_gets_a_400(world, after):
    _, _, _, device = world
    response = device.client.get(f"/api/sync/pull?after={after}", headers={HEADER: device.id})
    assert response.status_code == 400 and response.json["error"] == "malformed_pull"
