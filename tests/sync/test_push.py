"""apply_push on SQLite and PostgreSQL: exactly once, revisions, merges, conflicts, rejections."""

from __future__ import annotations

import subprocess
import sys

from sqlalchemy import func, select

from fieldapp.extensions import db
from sync import OpStatus, apply_push
from sync.tables import conflicts, record_revisions, records, sync_ops
from tests.sync.conftest import context_for, make_op


def push(worker, cipher, *ops, device="dev-1"):
    results = apply_push(db.session, list(ops), context_for(db.session, worker, cipher, device))
    db.session.commit()
    return results


def count(table) -> int:
    return db.session.scalar(select(func.count()).select_from(table))


def test_new_record_is_revision_one_and_encrypted_at_rest(app, sync_world, cipher):
    _, worker, child = sync_world
    op = make_op(child, body={"title": "MARKER-plain-words", "text": "child said MARKER-quote"})
    [result] = push(worker, cipher, op)
    assert (result.status, result.revision) == (OpStatus.APPLIED, 1)
    row = db.session.execute(select(records)).one()
    assert row.body_key_id == "k1" and b"MARKER" not in row.body
    assert cipher.decrypt(row.body_key_id, row.body, f"{op.record_id}:1")["text"] == "child said MARKER-quote"


def test_replayed_op_creates_one_row_and_returns_the_same_result(app, sync_world, cipher):
    _, worker, child = sync_world
    op = make_op(child)
    first = push(worker, cipher, op)
    again = push(worker, cipher, op, op)
    assert [r.to_dict() for r in again] == [first[0].to_dict()] * 2
    assert (count(records), count(record_revisions), count(sync_ops)) == (1, 1, 1)


def test_same_op_id_with_different_content_is_a_clear_error(app, sync_world, cipher):
    _, worker, child = sync_world
    op = make_op(child)
    push(worker, cipher, op)
    tampered = make_op(child, record_id=op.record_id, op_id=op.op_id, body={"title": "something else"})
    [result] = push(worker, cipher, tampered)
    assert result.status == OpStatus.REJECTED and result.code == "op_id_reused"
    assert count(record_revisions) == 1


def test_edit_from_current_revision_is_next_revision_and_history_kept(app, sync_world, cipher):
    _, worker, child = sync_world
    op = make_op(child, body={"title": "v1"})
    push(worker, cipher, op)
    [result] = push(worker, cipher, make_op(child, record_id=op.record_id, base=1, body={"title": "v2"}))
    assert (result.status, result.revision) == (OpStatus.APPLIED, 2)
    assert count(record_revisions) == 2


def test_disjoint_edits_from_an_old_base_merge_and_are_flagged_soft(app, sync_world, cipher):
    _, worker, child = sync_world
    op = make_op(child, body={"title": "v1", "text": "base"})
    push(worker, cipher, op)
    push(
        worker,
        cipher,
        make_op(child, record_id=op.record_id, base=1, body={"title": "v1", "text": "server"}),
        device="dev-1",
    )
    [result] = push(
        worker,
        cipher,
        make_op(child, device="dev-2", record_id=op.record_id, base=1, body={"title": "device title", "text": "base"}),
        device="dev-2",
    )
    assert (result.status, result.revision) == (OpStatus.MERGED, 3)
    row = db.session.execute(select(records)).one()
    assert cipher.decrypt(row.body_key_id, row.body, f"{op.record_id}:3") == {"title": "device title", "text": "server"}
    assert row.conflict_state == "soft"
    conflict = db.session.execute(select(conflicts)).one()
    assert (conflict.kind, conflict.fields, conflict.result_revision) == ("soft", ["title"], 3)


def test_same_field_changed_on_both_sides_is_a_hard_conflict_keeping_both(app, sync_world, cipher):
    _, worker, child = sync_world
    op = make_op(child, body={"title": "v1", "text": "base"})
    push(worker, cipher, op)
    push(worker, cipher, make_op(child, record_id=op.record_id, base=1, body={"title": "v1", "text": "server"}))
    device_body = {"title": "v1", "text": "device words"}
    [result] = push(
        worker, cipher, make_op(child, device="dev-2", record_id=op.record_id, base=1, body=device_body), device="dev-2"
    )
    assert result.status == OpStatus.CONFLICT and result.revision == 2 and result.conflict_id
    row = db.session.execute(select(records)).one()
    assert row.revision == 2 and row.conflict_state == "hard"
    assert cipher.decrypt(row.body_key_id, row.body, f"{op.record_id}:2")["text"] == "server"
    conflict = db.session.execute(select(conflicts)).one()
    assert conflict.fields == ["text"] and conflict.state == "open"
    assert cipher.decrypt(conflict.body_key_id, conflict.device_body, f"conflict:{conflict.op_id}") == device_body


def test_one_bad_op_never_blocks_the_others(app, sync_world, cipher, make_team, make_user, make_child):
    _, worker, child = sync_world
    stranger = make_child(make_team(), make_user("worker"))
    results = push(
        worker,
        cipher,
        make_op(child, body={"title": "good one"}),
        make_op(child, body={"title": ""}),
        make_op(stranger, body={"title": "not mine"}),
        make_op(child, base=4, body={"title": "unknown record"}),
        make_op(child, body={"title": "good two", "score": 7}),
    )
    assert [r.status for r in results] == [
        OpStatus.APPLIED,
        OpStatus.REJECTED,
        OpStatus.REJECTED,
        OpStatus.REJECTED,
        OpStatus.APPLIED,
    ]
    assert results[1].code == "invalid" and results[1].errors[0].path == "/title"
    assert results[2].code == "not_allocated" and results[3].code == "unknown_record"
    assert count(records) == 2


def test_record_made_before_a_reallocation_still_lands(app, sync_world, cipher, make_user):
    from fieldapp.cases.services import allocate

    team, worker, child = sync_world
    allocate(child, make_user("worker", team), by=None)
    db.session.commit()
    [result] = push(worker, cipher, make_op(child, body={"title": "visit done before the move"}))
    assert result.status == OpStatus.APPLIED


def test_rotated_key_still_opens_old_rows(app, sync_world, cipher):
    import os

    from sync import BodyCipher

    _, worker, child = sync_world
    op = make_op(child, body={"title": "old key"})
    push(worker, cipher, op)
    rotated = BodyCipher({**cipher.keys, "k2": os.urandom(32)}, "k2")
    push(worker, rotated, make_op(child, record_id=op.record_id, base=1, body={"title": "new key"}))
    rows = db.session.execute(select(record_revisions).order_by(record_revisions.c.revision)).all()
    assert [r.body_key_id for r in rows] == ["k1", "k2"]
    assert rotated.decrypt("k1", rows[0].body, f"{op.record_id}:1") == {"title": "old key"}


def test_sync_engine_imports_no_flask():
    code = (
        "import sys, sync, sync.push, sync.pull, sync.merge, sync.scope, sync.tables;"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'fieldapp', 'flask_sqlalchemy'));"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    finished = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert finished.returncode == 0, finished.stdout + finished.stderr
