"""apply_push(): store a batch of ops exactly once each, merging or holding conflicts, never overwriting.

Fast path: a batch's new records (the usual case: visits finalized offline) are stored with a handful
of multi-row statements. Anything else — an edit, a replay racing another request — takes the careful
one-op-per-savepoint path in revisions.py. Both end in the same rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace

from sqlalchemy import insert, literal, null, select, union_all, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .changes import stamp_changes
from .crypto import BodyCipher
from .protocol import FieldError, OpResult, OpStatus, PushOp
from .revisions import apply_one, first_revision_rows, precheck, rejected
from .sql import insert_rows, key_in
from .tables import record_revisions, records, sync_counter, sync_ops

Validator = Callable[[PushOp], list[FieldError]]  # schema (and any other) errors of an op's body
RecordFacts = Callable[[str, dict], dict]  # (record type, body) -> {"occurred_on": ..., "child_seen": ..., ...}


@dataclass
class PushContext:
    author_id: int
    device_id: str
    allowed_children: dict[str, int]  # public id -> internal id, for children this author may write about
    validate: Validator
    cipher: BodyCipher
    now: datetime
    facts: RecordFacts = lambda record_type, body: {}
    # Other devices of the same author whose sealed ops this device may deliver (e.g. its own earlier
    # registration, revoked and wiped, whose outbox survived).
    other_devices: frozenset[str] = frozenset()
    # Called once per batch, after the change log, with (op, result) of every op that changed a record
    # (applied or merged), so the app can keep derived per-child facts on write (e.g. last seen visit).
    on_stored: Callable[[Session, PushContext, list[tuple[PushOp, OpResult]]], None] | None = None


def apply_push(session: Session, ops: list[PushOp], ctx: PushContext) -> list[OpResult]:
    """One result per op, in order; one bad op never blocks the others. Flushes, never commits."""
    _take_write_lock_first(session)
    hashes = [op.content_hash() for op in ops]
    stored, existing = _look_up(session, ops)
    results: list[OpResult | None] = [
        _replayed(row, content_hash) if row is not None else None
        for row, content_hash in zip(stored, hashes, strict=True)
    ]
    changed: list[tuple[str, int, int]] = []
    quick, careful = _plan(ops, results, ctx, existing)
    if quick and not _store_quickly(session, ops, hashes, quick, results, ctx, changed):
        careful = sorted(careful + [i for i, _ in quick])
    for index in careful:
        results[index] = _apply_idempotently(session, ops[index], hashes[index], ctx, changed)
    stamp_changes(session, changed)
    # After stamp_changes on purpose: it holds the change counter's row lock until commit, so concurrent pushes
    # run on_stored one at a time, each seeing the others' committed records (the kept visit facts never miss one).
    if ctx.on_stored is not None:
        # Only what this call wrote: a replayed op answers "applied" again but changed nothing.
        made = {(record_id, revision) for record_id, _child, revision in changed}
        stored = [
            (op, result)
            for op, result in zip(ops, results, strict=True)
            if result.status in (OpStatus.APPLIED, OpStatus.MERGED) and (op.record_id, result.revision) in made
        ]
        if stored:
            ctx.on_stored(session, ctx, stored)
    return results


def _take_write_lock_first(session: Session) -> None:
    # SQLite in WAL mode: a transaction that reads and then writes fails at once ("database is locked")
    # if another writer committed in between. Writing first takes the lock up front, waiting politely
    # (busy_timeout) instead. PostgreSQL needs nothing: row locks and the unique constraint do the work.
    if session.get_bind().dialect.name == "sqlite":
        session.execute(update(sync_counter).where(sync_counter.c.name == "changes").values(value=sync_counter.c.value))


def _stored_rows(session: Session, ops: list[PushOp]) -> list:
    found = {
        row.op_id: row
        for row in session.execute(
            select(sync_ops.c.op_id, sync_ops.c.content_hash, sync_ops.c.result).where(
                key_in(session, sync_ops.c.op_id, {op.op_id for op in ops})
            )
        )
    }
    return [found.get(op.op_id) for op in ops]


def _replayed(row, content_hash: str) -> OpResult:
    """The stored answer to a replayed op, or a clear error if the op id now carries other content."""
    if row.content_hash != content_hash:
        return OpResult(
            op_id=row.op_id,
            status=OpStatus.REJECTED,
            record_id=row.result["record_id"],
            code="op_id_reused",
            message="this op id was already used for different content; the device must mint a new op id",
        )
    return OpResult.from_dict(row.result)


def _look_up(session: Session, ops: list[PushOp]) -> tuple[list, set[str]]:
    """In one round trip: the stored op row (or None) of each op, and which of their records exist."""
    found = session.execute(
        union_all(
            select(
                literal("op").label("kind"), sync_ops.c.op_id.label("key"), sync_ops.c.content_hash, sync_ops.c.result
            ).where(key_in(session, sync_ops.c.op_id, {op.op_id for op in ops})),
            select(literal("record"), records.c.id, null(), null()).where(
                key_in(session, records.c.id, {op.record_id for op in ops})
            ),
        )
    ).all()
    stored = {
        row.key: SimpleNamespace(op_id=row.key, content_hash=row.content_hash, result=row.result)
        for row in found
        if row.kind == "op"
    }
    return [stored.get(op.op_id) for op in ops], {row.key for row in found if row.kind == "record"}


def _plan(ops, results, ctx, existing: set[str]) -> tuple[list[tuple[int, OpResult]], list[int]]:
    """Split unanswered ops into (index, result) for the fast path and indexes for the careful path."""
    pending = [i for i, result in enumerate(results) if result is None]
    quick, careful, claimed = [], [], set()
    for index in pending:
        op = ops[index]
        if op.op_id in claimed or op.record_id in claimed:  # repeated within the batch: after its twin
            careful.append(index)
            continue
        claimed.update({op.op_id, op.record_id})
        refusal = precheck(op, ctx)
        if refusal is not None:
            quick.append((index, refusal))
        elif op.base_revision == 0 and op.record_id not in existing:
            quick.append((index, OpResult(op_id=op.op_id, status=OpStatus.APPLIED, record_id=op.record_id, revision=1)))
        else:
            careful.append(index)
    return quick, careful


def _store_quickly(session, ops, hashes, quick, results, ctx, changed) -> bool:
    """Insert the fast-path rows in one savepoint; False (nothing kept) if a concurrent request got there first."""
    record_rows, revision_rows, op_rows = [], [], []
    for index, result in quick:
        op = ops[index]
        op_rows.append(
            dict(
                op_id=op.op_id,
                device_id=op.device_id,
                device_seq=op.device_seq,
                record_id=op.record_id,
                author_id=ctx.author_id,
                content_hash=hashes[index],
                status=result.status.value,
                result=result.to_dict(),
                received_at=ctx.now,
            )
        )
        if result.status == OpStatus.APPLIED:
            record, revision = first_revision_rows(op, ctx)
            record_rows.append(record)
            revision_rows.append(revision)
    savepoint = session.begin_nested()
    try:
        insert_rows(session, (records, record_rows), (record_revisions, revision_rows), (sync_ops, op_rows))
        savepoint.commit()
    except IntegrityError:
        savepoint.rollback()
        return False
    for index, result in quick:
        results[index] = result
    changed.extend((row["id"], row["child_id"], 1) for row in record_rows)
    return True


def _apply_idempotently(session: Session, op: PushOp, content_hash: str, ctx: PushContext, changed: list) -> OpResult:
    for _attempt in range(2):
        [stored] = _stored_rows(session, [op])
        if stored is not None:
            return _replayed(stored, content_hash)
        savepoint = session.begin_nested()
        try:
            result = precheck(op, ctx) or apply_one(session, op, ctx)
            session.execute(
                insert(sync_ops).values(
                    op_id=op.op_id,
                    device_id=op.device_id,
                    device_seq=op.device_seq,
                    record_id=op.record_id,
                    author_id=ctx.author_id,
                    content_hash=content_hash,
                    status=result.status.value,
                    result=result.to_dict(),
                    received_at=ctx.now,
                )
            )
            savepoint.commit()
        except IntegrityError:
            # Another request stored this op (or this record) first: answer from what it stored.
            savepoint.rollback()
            continue
        if result.status != OpStatus.REJECTED:
            changed.append((op.record_id, ctx.allowed_children[op.child_id], result.revision))
        return result
    return rejected(op, "retry", "the record changed while this op was applied; send it again")
