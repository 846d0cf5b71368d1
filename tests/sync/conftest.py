"""Fixtures for driving the sync engine directly on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
import os
import uuid
from datetime import UTC, datetime

import jsonschema
import pytest

from sync import BodyCipher, FieldError, PushContext, PushOp, writable_children

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
