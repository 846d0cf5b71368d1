"""Fixtures for driving the sync engine directly on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
import os
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime

import jsonschema
import pytest
from sqlalchemy import event

from fieldapp.extensions import db
from fieldapp.models import Role
from sync import BodyCipher, FieldError, PushContext, PushOp, writable_children
from tests.conftest import login
from tests.sync.device import Device, ensure_sealing_key

# A small schema standing in for the record definitions: the engine only needs "a validator".
NOTE_SCHEMA = {
    "type": "object",
    "required": ["title"],
    "properties": {
        "title": {"type": "string", "minLength": 1},
        "text": {"type": "string"},
        "seen": {"type": "boolean"},
        "score": {"type": "integer", "minimum": 0, "maximum": 10},
    },
}


def validate_note(op) -> list[FieldError]:
    validator = jsonschema.Draft202012Validator(NOTE_SCHEMA)
    return [FieldError("/" + "/".join(map(str, e.absolute_path)), e.message) for e in validator.iter_errors(op.body)]


@pytest.fixture
def cipher():
    return BodyCipher({"k1": os.urandom(32)}, "k1")


@pytest.fixture
def sync_world(make_team, make_user, make_child):
    team = make_team()
    worker = make_user("worker", team)
    child = make_child(team, worker)
    return team, worker, child


@pytest.fixture
def signed_in_tablet(app, client, make_team, make_user, make_child):
    """signed_in_tablet(n): a worker with n allocated children, signed in, with a registered device (over HTTP)."""

    def make(children: int) -> tuple[Device, list]:
        ensure_sealing_key(app)
        team = make_team()
        worker = make_user(Role.WORKER, team)
        kids = [make_child(team, worker) for _ in range(children)]
        login(client, worker)
        return Device(client).register(), kids

    return make


@contextmanager
def counted_statements():
    """The SQL statements run inside the block, as sent (for cost tests: how many per request)."""
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


_seq = itertools.count(1)


def make_op(child, device="dev-1", record_id=None, base=0, body=None, op_id=None, record_type="note") -> PushOp:
    return PushOp(
        op_id=op_id or str(uuid.uuid4()),
        record_id=record_id or str(uuid.uuid4()),
        record_type=record_type,
        schema_version=1,
        device_id=device,
        device_seq=next(_seq),
        base_revision=base,
        child_id=getattr(child, "public_id", child),
        body=body if body is not None else {"title": "Visit note"},
    )


def context_for(session, worker, cipher, device="dev-1") -> PushContext:
    author_id = getattr(worker, "id", worker)  # a User or a plain id (threads cannot touch ORM objects)
    return PushContext(
        author_id=author_id,
        device_id=device,
        allowed_children=writable_children(session, author_id),
        validate=validate_note,
        cipher=cipher,
        now=datetime.now(UTC),
    )
