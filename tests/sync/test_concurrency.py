"""The same op sent 20 times at once gives exactly one row, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fieldapp.extensions import db
from sync import OpStatus, apply_push
from sync.tables import change_log, record_revisions, records, sync_ops
from tests.sync.conftest import context_for, make_op

SENDERS = 20


def test_same_op_sent_twenty_times_concurrently_stores_one_row(app, sync_world, cipher):
    _, worker, child = sync_world
    worker_id = worker.id
    op = make_op(child, body={"title": "sent over a flaky connection"})
    engine = db.engine  # threads have no app context; they share the engine, each with its own session
    barrier = threading.Barrier(SENDERS, timeout=30)
    results, errors = [], []

    def send():
        with Session(engine) as session:
            try:
                barrier.wait()
                [result] = apply_push(session, [op], context_for(session, worker_id, cipher))
                session.commit()
                results.append(result)
            except Exception as error:  # collected and asserted below, never swallowed
                session.rollback()
                errors.append(repr(error))

    threads = [threading.Thread(target=send) for _ in range(SENDERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(results) == SENDERS
    assert {(r.status, r.revision) for r in results} == {(OpStatus.APPLIED, 1)}
    counts = [
        db.session.scalar(select(func.count()).select_from(t))
        for t in (records, record_revisions, sync_ops, change_log)
    ]
    assert counts == [1, 1, 1, 1]


def test_concurrent_edits_of_one_record_never_lose_a_version(app, sync_world, cipher):
    """Ten devices edit the same field from revision 1 at once: one wins, nine are held as conflicts."""
    _, worker, child = sync_world
    first = make_op(child, body={"title": "v1", "text": "base"})
    apply_push(db.session, [first], context_for(db.session, worker, cipher))
    db.session.commit()
    devices = [f"dev-{n}" for n in range(10)]
    worker_id, child_id = worker.id, child.public_id
    engine = db.engine
    barrier = threading.Barrier(len(devices), timeout=30)
    outcomes, errors = [], []

    def edit(device):
        op = make_op(
            child_id,
            device=device,
            record_id=first.record_id,
            base=1,
            body={"title": "v1", "text": f"words from {device}"},
        )
        with Session(engine) as session:
            try:
                barrier.wait()
                [result] = apply_push(session, [op], context_for(session, worker_id, cipher, device))
                session.commit()
                outcomes.append(result.status)
            except Exception as error:
                session.rollback()
                errors.append(repr(error))

    threads = [threading.Thread(target=edit, args=(d,)) for d in devices]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(outcomes) == sorted([OpStatus.APPLIED] + [OpStatus.CONFLICT] * 9)
    from sync.tables import conflicts

    held = db.session.execute(select(conflicts.c.device_id)).scalars().all()
    assert len(held) == 9
