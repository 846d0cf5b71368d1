"""Facts moved forward by a push (visit_facts_push.py) equal a recount from the records, over random histories:
each child's row and its seen visits with their answers.

Random batches as tablets send them: new visits (mostly dated after the last one, some back-dated, some the same
day, some with the child not seen), their seen-alone answers in the same batch, before the visit or later, yes or
no, and edits of stored visits. After every batch, the kept rows must equal what visit_facts.refresh() counts
from the records. Runs on SQLite and PostgreSQL (the `app` fixture).
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, timedelta
from itertools import count

import pytest
from sqlalchemy import select

from fieldapp.extensions import db
from fieldapp.models import LegalStatus, Role
from fieldapp.models.visit_facts import child_visit_facts, seen_visit_facts
from fieldapp.records import visit_facts
from fieldapp.records.store import push_context
from sync import OpStatus, PushOp, apply_push
from tests.oversight.conftest import VISIT_TYPE
from tests.record_cases import not_seen_alone, seen_alone, statutory_visit

_seq = count(1)


def _op(child, body: dict, record_id: str, base_revision: int = 0) -> PushOp:
    return PushOp(
        op_id=str(uuid.uuid4()),
        record_id=record_id,
        record_type=body["record_type"],
        schema_version=body["schema_version"],
        device_id="facts-device",
        device_seq=next(_seq),
        base_revision=base_revision,
        child_id=child.public_id,
        body={**body, "id": record_id, "child_id": child.public_id},
    )


def _visit_body(child, day: date, seen: bool, answer_id: str) -> dict:
    body = {
        **statutory_visit(),
        "visit_type": VISIT_TYPE[child.legal_status],
        "visit_date": day.isoformat(),
        "planned_date": day.isoformat(),
        "seen_alone_record_id": answer_id,
    }
    if not seen:
        body.update(child_seen=False, child_not_seen_reason="Child was at a hospital appointment")
        body.pop("seen_alone_record_id")
    return body


def _answer(child, visit_id: str, yes: bool) -> PushOp:
    return _op(child, {**(seen_alone() if yes else not_seen_alone()), "visit_id": visit_id}, str(uuid.uuid4()))


def _kept() -> dict:
    """Each child's facts row, with its seen visits and their answers (seen_visit_facts)."""
    visits = sorted(tuple(row) for row in db.session.execute(select(seen_visit_facts)))
    return {
        row.child_id: (tuple(row), [v for v in visits if v[1] == row.child_id])
        for row in db.session.execute(select(child_visit_facts))
    }


def _recounted(child_ids) -> dict:
    visit_facts.refresh(db.session, child_ids)
    rows = _kept()
    db.session.rollback()
    return rows


@pytest.mark.parametrize("seed", range(4))
def test_facts_moved_forward_by_pushes_equal_a_recount(app, make_team, make_user, make_child, seed):
    rng = random.Random(seed)
    team = make_team()
    worker = make_user(Role.WORKER, team)
    children = [
        make_child(team, worker, legal_status=status)
        for status in (LegalStatus.CHILD_PROTECTION, LegalStatus.LOOKED_AFTER, LegalStatus.CHILD_IN_NEED)
    ]
    stored: list[tuple] = []  # (child, visit id, revision, seen) of visits on the server
    unanswered: list[tuple] = []  # (child, visit id) of seen visits with no answer yet
    moved = 0
    late: list[tuple] = []  # (op, stored entry) of visits whose answer went in the batch before
    previous: list[PushOp] = []
    for step in range(30):
        ops, stored, late = [op for op, _ in late], stored + [entry for _, entry in late], []
        for _ in range(rng.randint(1, 6)):
            child, roll = rng.choice(children), rng.random()
            if roll < 0.7 or not stored:
                visit_id, answer_id, seen = str(uuid.uuid4()), str(uuid.uuid4()), rng.random() < 0.85
                day = date(2026, 1, 5) + timedelta(days=3 * step + rng.choice([0, 0, 1, 2, -1, -7]))
                visit = _op(child, _visit_body(child, day, seen, answer_id), visit_id)
                answer = _answer(child, visit_id, rng.random() < 0.6)
                when = rng.random()
                if seen and when < 0.45:
                    ops += [visit, answer]  # together, as a tablet sends them
                elif seen and when < 0.6:
                    ops += [answer, visit]  # the answer first in the batch
                elif seen and when < 0.7:
                    ops.append(answer)  # the answer a batch before its visit
                    late.append((visit, (child, visit_id, 1, seen)))
                    continue
                else:
                    ops.append(visit)
                    if seen:
                        unanswered.append((child, visit_id))
                stored.append((child, visit_id, 1, seen))
            elif roll < 0.85 and unanswered:
                child, visit_id = unanswered.pop(rng.randrange(len(unanswered)))
                ops.append(_answer(child, visit_id, rng.random() < 0.5))  # a later answer for a stored visit
            else:
                index = rng.randrange(len(stored))
                child, visit_id, revision, seen = stored[index]
                day = date(2026, 1, 5) + timedelta(days=rng.randint(0, 3 * step + 3))
                ops.append(_op(child, _visit_body(child, day, seen, str(uuid.uuid4())), visit_id, revision))
                stored[index] = (child, visit_id, revision + 1, seen)
        if previous and rng.random() < 0.2:
            ops += rng.sample(previous, min(2, len(previous)))  # a replay (the device did not see the answer)
        previous = ops
        before = _kept()
        results = apply_push(db.session, ops, push_context(worker.id, "facts-device", datetime.now(UTC)))
        db.session.commit()
        assert all(result.status != OpStatus.REJECTED for result in results), results
        stored = _revisions_as_stored(stored, ops, results)
        after = _kept()
        moved += sum(after[c.id] != before[c.id] for c in children)
        assert after == _recounted([c.id for c in children]), f"seed {seed}, batch {step}"
    assert moved >= 20  # the histories did move the facts (the comparison above is not between empty rows)


def _revisions_as_stored(stored: list[tuple], ops: list[PushOp], results) -> list[tuple]:
    """The server's revision of each visit after the batch (an edit that merged or conflicted may differ)."""
    revision = {op.record_id: result.revision for op, result in zip(ops, results, strict=True) if result.revision}
    return [(child, visit_id, revision.get(visit_id, rev), seen) for child, visit_id, rev, seen in stored]
