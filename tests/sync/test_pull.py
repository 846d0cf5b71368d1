"""pull(): scoped, paged, cursor-based, and a reassigned child leaves the old worker's scope."""

from __future__ import annotations

from fieldapp.cases.services import allocate
from fieldapp.extensions import db
from sync import apply_push, pull, scope_hash, worker_scope
from tests.sync.conftest import context_for, make_op


def _push(worker, cipher, ops):
    results = apply_push(db.session, ops, context_for(db.session, worker, cipher))
    db.session.commit()
    return results


def test_pull_pages_through_every_change_once(app, sync_world, cipher):
    _, worker, child = sync_world
    scope = worker_scope(db.session, worker.id)
    _push(worker, cipher, [make_op(child, body={"title": "already on the device"})])
    cursor = pull(db.session, scope, 0, cipher).cursor  # a first pull sends whole children: see test_first_pull
    ops = [make_op(child, body={"title": f"note {n}"}) for n in range(7)]
    _push(worker, cipher, ops)
    seen, pages = [], 0
    while True:
        page = pull(db.session, scope, cursor, cipher, limit=3)
        seen += [r.body["title"] for r in page.records]
        cursor, pages = page.cursor, pages + 1
        if not page.more:
            break
    assert sorted(seen) == sorted(f"note {n}" for n in range(7))
    assert pages == 3
    assert pull(db.session, scope, cursor, cipher).records == []


def test_pull_sends_only_the_latest_state_of_a_record_changed_twice(app, sync_world, cipher):
    _, worker, child = sync_world
    op = make_op(child, body={"title": "first"})
    _push(worker, cipher, [op])
    _push(worker, cipher, [make_op(child, record_id=op.record_id, base=1, body={"title": "second"})])
    page = pull(db.session, worker_scope(db.session, worker.id), 0, cipher)
    assert [(r.revision, r.body["title"]) for r in page.records] == [(2, "second")]


def test_pull_after_a_cursor_returns_only_newer_changes(app, sync_world, cipher):
    _, worker, child = sync_world
    _push(worker, cipher, [make_op(child, body={"title": "old"})])
    scope = worker_scope(db.session, worker.id)
    cursor = pull(db.session, scope, 0, cipher).cursor
    _push(worker, cipher, [make_op(child, body={"title": "new"})])
    assert [r.body["title"] for r in pull(db.session, scope, cursor, cipher).records] == ["new"]


def test_other_workers_children_are_never_pulled(app, sync_world, cipher, make_user, make_child):
    team, worker, child = sync_world
    colleague = make_user("worker", team)
    theirs = make_child(team, colleague)
    _push(colleague, cipher, [make_op(theirs, body={"title": "not for you"})])
    page = pull(db.session, worker_scope(db.session, worker.id), 0, cipher)
    assert page.records == [] and page.scope_child_ids == [child.public_id]


def test_reassigned_child_leaves_scope_and_the_hash_changes(app, sync_world, cipher, make_user):
    team, worker, child = sync_world
    before = pull(db.session, worker_scope(db.session, worker.id), 0, cipher)
    allocate(child, make_user("worker", team), by=None)
    db.session.commit()
    after = pull(db.session, worker_scope(db.session, worker.id), 0, cipher)
    assert child.public_id in before.scope_child_ids and after.scope_child_ids == []
    assert before.scope_hash != after.scope_hash == scope_hash([])
