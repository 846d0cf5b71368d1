"""A first pull (cursor 0) reads the caseload's records directly, whole children a page at a time, and ends on
the change log's cursor as it stood before the first page, so nothing committed meanwhile is missed."""

from __future__ import annotations

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from fieldapp.extensions import db
from sync import apply_push, pull, worker_scope
from sync.first_pull import FirstPullPosition, first_pull
from sync.tables import change_log
from tests.sync.conftest import context_for, make_op


def _push(worker, cipher, ops, session=None):
    session = session or db.session
    results = apply_push(session, ops, context_for(session, getattr(worker, "id", worker), cipher))
    session.commit()
    return results


def _pull_pages(scope, cipher, after=0, limit=4) -> list:
    pages = []
    while True:
        page = pull(db.session, scope, after, cipher, limit=limit)
        pages.append(page)
        after = page.cursor
        if not page.more:
            return pages


def _last_seq() -> int:
    return db.session.scalar(select(func.max(change_log.c.seq)))


def test_first_pull_sends_each_child_whole_in_one_page_and_ends_on_the_log_cursor(app, sync_world, cipher, make_child):
    team, worker, child = sync_world
    kids = [child, *(make_child(team, worker) for _ in range(3))]
    for kid in kids:
        _push(worker, cipher, [make_op(kid, body={"title": f"{kid.public_id} {n}"}) for n in range(3)])
    ceiling = _last_seq()
    pages = _pull_pages(worker_scope(db.session, worker.id), cipher, limit=4)
    titles = [r.body["title"] for page in pages for r in page.records]
    assert sorted(titles) == sorted(f"{kid.public_id} {n}" for kid in kids for n in range(3))
    children_per_page = [{r.child_id for r in page.records} for page in pages]
    assert all(a.isdisjoint(b) for i, a in enumerate(children_per_page) for b in children_per_page[i + 1 :])
    assert len(pages) > 1 and all(isinstance(page.cursor, str) for page in pages[:-1])
    assert pages[-1].cursor == ceiling


def test_a_child_with_more_records_than_a_page_still_comes_whole(app, sync_world, cipher):
    _, worker, child = sync_world
    _push(worker, cipher, [make_op(child, body={"title": f"note {n}"}) for n in range(7)])
    [page] = _pull_pages(worker_scope(db.session, worker.id), cipher, limit=3)
    assert len(page.records) == 7 and not page.more


def test_changes_made_while_a_first_pull_pages_reach_the_device(app, sync_world, cipher, make_child):
    team, worker, child = sync_world
    other = make_child(team, worker)
    _push(worker, cipher, [make_op(child, body={"title": "first"}), make_op(other, body={"title": "other"})])
    scope = worker_scope(db.session, worker.id)
    page = pull(db.session, scope, 0, cipher, limit=1)
    assert page.more and len(page.records) == 1
    # Between pages: the record already sent changes, and a new one is written about a child already sent.
    sent = page.records[0]
    edited = make_op(sent.child_id, record_id=sent.record_id, base=1, body={"title": "edited"})
    _push(worker, cipher, [edited, make_op(sent.child_id, body={"title": "new"})])
    pages = [page, *_pull_pages(scope, cipher, after=page.cursor, limit=1)]
    pages.append(pull(db.session, scope, pages[-1].cursor, cipher))  # the next sync
    device = {}  # as the device stores them: by record id, the last one pulled wins
    for record in (r for page in pages for r in page.records):
        device[record.record_id] = (record.body["title"], record.revision)
    assert sorted(device.values()) == [("edited", 2), ("new", 1), ("other", 1)]


def test_a_push_committed_between_the_ceiling_and_the_read_comes_on_the_next_pull(app, sync_world, cipher):
    """The ceiling is read before the records: a change committing between the two is above it."""
    _, worker, child = sync_world
    _push(worker, cipher, [make_op(child, body={"title": "before"})])
    scope, worker_id = worker_scope(db.session, worker.id), worker.id
    statements = []

    def push_after_the_first_statement(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)
        if len(statements) == 2:  # the pull has read one thing; a device's push commits now
            with Session(db.engine) as other:
                _push(worker_id, cipher, [make_op(child.public_id, body={"title": "meanwhile"})], other)

    event.listen(db.engine, "before_cursor_execute", push_after_the_first_statement)
    try:
        first = pull(db.session, scope, 0, cipher)
    finally:
        event.remove(db.engine, "before_cursor_execute", push_after_the_first_statement)
    assert not first.more
    later = pull(db.session, scope, first.cursor, cipher)
    titles = [r.body["title"] for r in first.records + later.records]
    assert "meanwhile" in [r.body["title"] for r in later.records] and "before" in titles


def test_first_pull_pages_are_bounded_by_bytes_at_child_boundaries(app, sync_world, cipher, make_child):
    team, worker, child = sync_world
    kids = [child, make_child(team, worker), make_child(team, worker)]
    for kid in kids:
        _push(worker, cipher, [make_op(kid, body={"title": "x" * 100}) for _ in range(2)])
    scope, position, pages = worker_scope(db.session, worker.id), None, []
    while True:  # a byte budget smaller than one child's bodies: one whole child a page
        page = first_pull(db.session, scope, position, cipher, limit=500, max_bytes=150)
        pages.append(page)
        if not page.more:
            break
        position = FirstPullPosition.parse(page.cursor)
    assert [len(page.records) for page in pages] == [2, 2, 2]
    assert [len({r.child_id for r in page.records}) for page in pages] == [1, 1, 1]
