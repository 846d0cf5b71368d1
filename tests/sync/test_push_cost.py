"""What a push costs must not grow with the batch: statements per batch, the keyring read, bodies encoded once."""

from __future__ import annotations

import hashlib
import json

import pytest
from sqlalchemy import func, select

from fieldapp.crypto import sealing
from fieldapp.crypto.sealing import SealingKey, cached_keyring, generate_key
from fieldapp.extensions import db
from sync.tables import record_revisions, records
from tests.record_cases import statutory_visit
from tests.sync.conftest import counted_statements, make_op


@pytest.fixture
def tablet(signed_in_tablet):
    return signed_in_tablet(3)


def _push_new_visits(device, children, count: int) -> list[str]:
    ops = [device.op(children[n % len(children)].public_id, statutory_visit()) for n in range(count)]
    envelopes = [device.envelope(op) for op in ops]  # sealed before counting, as on the tablet
    with counted_statements() as statements:
        response = device.push(*ops, envelopes=envelopes)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert {r["status"] for r in response.json["results"]} == {"applied"}
    return statements


def test_statements_per_push_do_not_grow_with_the_batch(tablet):
    device, children = tablet
    _push_new_visits(device, children, 1)  # first push of the device: counters and caches exist afterwards
    small = _push_new_visits(device, children, 2)
    large = _push_new_visits(device, children, 60)
    assert len(large) == len(small), "\n".join(large)
    # PostgreSQL: device, user, the worker's children (writable and current, one read), one look-up, savepoint,
    # one insert of every row, release, change log, audit, and the children's visit facts: one read, then one
    # statement storing their new seen visits (seen_visit_facts, migration 0021) and replacing their facts rows.
    limit = 11 if db.engine.dialect.name == "postgresql" else 20
    assert len(large) <= limit, "\n".join(large)
    # The user is read once: the access log line after the commit takes the id it already knows.
    assert sum(" FROM users " in " ".join(statement.split()) + " " for statement in large) == 1, "\n".join(large)


def test_a_replayed_batch_costs_no_more_statements_than_a_single_replay(tablet):
    device, children = tablet
    ops = [device.op(children[0].public_id, statutory_visit()) for _ in range(40)]
    envelopes = [device.envelope(op) for op in ops]
    device.push(*ops, envelopes=envelopes)
    with counted_statements() as one:
        device.push(ops[0], envelopes=envelopes[:1])
    with counted_statements() as forty:
        device.push(*ops, envelopes=envelopes)
    assert len(forty) == len(one), "\n".join(forty)


def test_record_and_first_revision_share_one_ciphertext(app, sync_world, cipher):
    from tests.sync.test_push import push

    _, worker, child = sync_world
    op = make_op(child, body={"title": "once"})
    push(worker, cipher, op)
    body = db.session.scalar(select(records.c.body))
    assert db.session.scalar(select(record_revisions.c.body)) == body
    assert cipher.decrypt("k1", body, f"{op.record_id}:1") == {"title": "once"}
    assert db.session.scalar(select(func.count()).select_from(record_revisions)) == 1


def test_content_hash_is_unchanged_by_encoding_the_body_once(sync_world):
    _, _, child = sync_world
    body = {"title": "é ✓", "score": 3, "nested": {"b": [1, {"z": None}], "a": True}, "note": "\x00body\x00"}
    # An op id or device id holding the placeholder the body is spliced into must not move the splice.
    for op_id in (None, "\x00body\x00", 'op "quoted" \\ ✓'):
        op = make_op(child, body=body, op_id=op_id, device="\x00body\x00")
        fields = {name: getattr(op, name) for name in op.__dataclass_fields__}
        before = hashlib.sha256(json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str).encode())
        assert op.content_hash() == before.hexdigest()  # hashes stored by earlier versions still match


def test_keyring_is_parsed_once_until_the_folder_changes(tmp_path, monkeypatch):
    folder = tmp_path / "keys"
    first = generate_key(folder)
    parsed = []
    original = SealingKey.from_pem.__func__
    monkeypatch.setattr(SealingKey, "from_pem", classmethod(lambda cls, pem: parsed.append(1) or original(cls, pem)))
    monkeypatch.setattr(sealing, "_cache", {})
    assert cached_keyring(folder).current_kid == first.kid
    assert cached_keyring(folder).current_kid == first.kid
    assert len(parsed) == 1
    second = generate_key(folder)  # rotation: a new key file and a new `current`
    keyring = cached_keyring(folder)
    assert keyring.current_kid == second.kid and first.kid in keyring.keys
    assert len(parsed) == 3  # both files read again, once
