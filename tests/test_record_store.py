"""The app's record store: real schemas through the sync engine, at-rest keys and their rotation."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import select

from fieldapp.cli import main as fieldapp_cli
from fieldapp.extensions import db
from fieldapp.records.store import get_record_row, push_context, read_body, record_cipher
from sync import OpStatus, PushOp, apply_push
from sync.tables import records
from tests.record_cases import sos_map, statutory_visit


def test_visit_is_stored_encrypted_with_its_facts_in_clear(app, make_team, make_user, make_child, make_record):
    team = make_team()
    worker = make_user("worker", team)
    child = make_child(team, worker)
    result = make_record(child, worker, {**statutory_visit(), "observations": "MARKER-observed"})
    row = get_record_row(result.record_id)
    assert (row.occurred_on, row.child_seen, row.review_state) == ("2025-03-27", 1, "submitted")
    assert b"MARKER" not in row.body
    assert read_body(row)["observations"] == "MARKER-observed"


def test_body_that_names_another_child_is_rejected(app, make_team, make_user, make_child):
    team = make_team()
    worker = make_user("worker", team)
    child, other = make_child(team, worker), make_child(team, worker)
    record_id = str(uuid.uuid4())
    body = {**sos_map(), "id": record_id, "child_id": other.public_id}
    op = PushOp(
        op_id=str(uuid.uuid4()),
        record_id=record_id,
        record_type="sos_map",
        schema_version=1,
        device_id="d",
        device_seq=1,
        base_revision=0,
        child_id=child.public_id,
        body=body,
    )
    [result] = apply_push(db.session, [op], push_context(worker.id, "d", datetime.now(UTC)))
    assert result.status == OpStatus.REJECTED
    assert [e.path for e in result.errors] == ["/child_id"]


def test_rotating_the_record_key_keeps_old_rows_readable(app, make_team, make_user, make_child, make_record):
    team = make_team()
    worker = make_user("worker", team)
    child = make_child(team, worker)
    old = make_record(child, worker, statutory_visit())
    first_key = record_cipher().current_key_id
    outcome = app.test_cli_runner().invoke(fieldapp_cli, ["keys", "rotate-record-key"])
    assert outcome.exit_code == 0, outcome.output
    new = make_record(child, worker, sos_map())
    key_ids = dict(db.session.execute(select(records.c.id, records.c.body_key_id)).all())
    assert key_ids[old.record_id] == first_key != key_ids[new.record_id] == record_cipher().current_key_id
    assert read_body(get_record_row(old.record_id))["visit_type"] == "looked_after_reg28"
