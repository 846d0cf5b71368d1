"""apply_push(): store a batch of ops exactly once each, merging or holding conflicts, never overwriting."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .changes import stamp_changes
from .crypto import BodyCipher
from .merge import merge3
from .protocol import FieldError, OpResult, OpStatus, PushOp
from .tables import conflicts, record_revisions, records, sync_counter, sync_ops

Validator = Callable[[str, int, dict], list[FieldError]]
RecordFacts = Callable[[str, dict], dict]  # (record type, body) -> {"occurred_on": ..., "child_seen": ...}


@dataclass
class PushContext:
    author_id: int
    device_id: str
    allowed_children: dict[str, int]  # public id -> internal id, for children this author may write about
    validate: Validator
    cipher: BodyCipher
    now: datetime
    facts: RecordFacts = lambda record_type, body: {}


class OpIdReused(Exception):
    pass


def apply_push(session: Session, ops: list[PushOp], ctx: PushContext) -> list[OpResult]:
    """Apply each op in its own savepoint so one bad op never blocks the others. Flushes, never commits."""
    _take_write_lock_first(session)
    results, changed = [], []
    for op in ops:
        result = _apply_idempotently(session, op, ctx, changed)
        results.append(result)
    stamp_changes(session, changed)
    return results


def _take_write_lock_first(session: Session) -> None:
    # SQLite in WAL mode: a transaction that reads and then writes fails at once ("database is locked")
    # if another writer committed in between. Writing first takes the lock up front, waiting politely
    # (busy_timeout) instead. PostgreSQL needs nothing: row locks and the unique constraint do the work.
    if session.get_bind().dialect.name == "sqlite":
        session.execute(update(sync_counter).where(sync_counter.c.name == "changes").values(value=sync_counter.c.value))


def _apply_idempotently(session: Session, op: PushOp, ctx: PushContext, changed: list) -> OpResult:
    content_hash = op.content_hash()
    previous = _stored_result(session, op.op_id, content_hash)
    if previous is not None:
        return previous
    for _attempt in range(2):
        savepoint = session.begin_nested()
        try:
            if op.device_id != ctx.device_id:
                result = _rejected(op, "device_mismatch", "op was made on another device")
            else:
                result = _apply_one(session, op, ctx)
            session.execute(insert(sync_ops).values(
                op_id=op.op_id, device_id=op.device_id, device_seq=op.device_seq, record_id=op.record_id,
                author_id=ctx.author_id, content_hash=content_hash, status=result.status.value,
                result=result.to_dict(), received_at=ctx.now))
            savepoint.commit()
        except IntegrityError:
            # Another request stored this op (or created this record) first: answer from what it stored.
            savepoint.rollback()
            previous = _stored_result(session, op.op_id, content_hash)
            if previous is not None:
                return previous
            continue
        if result.status != OpStatus.REJECTED:
            changed.append((op.record_id, ctx.allowed_children[op.child_id], result.revision))
        return result
    return _rejected(op, "retry", "the record changed while this op was applied; send it again")


def _stored_result(session: Session, op_id: str, content_hash: str) -> OpResult | None:
    row = session.execute(select(sync_ops.c.content_hash, sync_ops.c.result).where(sync_ops.c.op_id == op_id)).first()
    if row is None:
        return None
    if row.content_hash != content_hash:
        return OpResult(op_id=op_id, status=OpStatus.REJECTED, record_id=row.result["record_id"],
                        code="op_id_reused",
                        message="this op id was already used for different content; the device must mint a new op id")
    return OpResult.from_dict(row.result)


def _rejected(op: PushOp, code: str, message: str, errors: list[FieldError] | None = None) -> OpResult:
    return OpResult(op_id=op.op_id, status=OpStatus.REJECTED, record_id=op.record_id, code=code, message=message,
                    errors=errors or [])


def _apply_one(session: Session, op: PushOp, ctx: PushContext) -> OpResult:
    if op.child_id not in ctx.allowed_children:
        return _rejected(op, "not_allocated", "this child is not, and never was, allocated to you")
    errors = ctx.validate(op.record_type, op.schema_version, op.body)
    if errors:
        return _rejected(op, "invalid", "the record does not pass its schema", errors)
    current = session.execute(select(records).where(records.c.id == op.record_id).with_for_update()).first()
    if current is None:
        if op.base_revision != 0:
            return _rejected(op, "unknown_record", "edited from a revision the server never had")
        return _create(session, op, ctx)
    if current.record_type != op.record_type or current.child_id != ctx.allowed_children[op.child_id]:
        return _rejected(op, "record_mismatch", "record id already belongs to another child or record type")
    if op.base_revision == current.revision:
        return _next_revision(session, op, ctx, current, op.body, OpStatus.APPLIED, kind="device")
    if op.base_revision > current.revision or op.base_revision < 1:
        return _rejected(op, "bad_base", f"base revision {op.base_revision} does not exist (server has "
                                         f"{current.revision})")
    return _merge(session, op, ctx, current)


def _create(session: Session, op: PushOp, ctx: PushContext) -> OpResult:
    key_id, blob = ctx.cipher.encrypt(op.body, f"{op.record_id}:1")
    session.execute(insert(records).values(
        id=op.record_id, child_id=ctx.allowed_children[op.child_id], record_type=op.record_type,
        schema_version=op.schema_version, revision=1, author_id=ctx.author_id, created_at=ctx.now,
        updated_at=ctx.now, conflict_state="none", review_state="submitted", body_key_id=key_id, body=blob,
        **ctx.facts(op.record_type, op.body)))
    _keep_revision(session, op, ctx, 1, op.body, "device")
    return OpResult(op_id=op.op_id, status=OpStatus.APPLIED, record_id=op.record_id, revision=1)


def _next_revision(session, op, ctx, current, body, status, kind, conflict_state=None) -> OpResult:
    revision = current.revision + 1
    key_id, blob = ctx.cipher.encrypt(body, f"{op.record_id}:{revision}")
    values = dict(revision=revision, schema_version=op.schema_version, updated_at=ctx.now, body_key_id=key_id,
                  body=blob, review_state="submitted", **ctx.facts(op.record_type, body))
    if conflict_state:
        values["conflict_state"] = conflict_state
    # The WHERE on the old revision is the optimistic lock: a concurrent writer makes this match nothing.
    updated = session.execute(update(records).where(records.c.id == op.record_id,
                                                    records.c.revision == current.revision).values(**values))
    if updated.rowcount != 1:
        raise IntegrityError("concurrent revision", None, Exception("record moved on"))
    _keep_revision(session, op, ctx, revision, body, kind)
    return OpResult(op_id=op.op_id, status=status, record_id=op.record_id, revision=revision)


def _merge(session: Session, op: PushOp, ctx: PushContext, current) -> OpResult:
    base = _revision_body(session, ctx.cipher, op.record_id, op.base_revision)
    server = ctx.cipher.decrypt(current.body_key_id, current.body, f"{op.record_id}:{current.revision}")
    outcome = merge3(base, server, op.body)
    if outcome.is_hard:
        conflict_id = _hold_conflict(session, op, ctx, current.revision, "hard", outcome.conflicting_fields, None)
        session.execute(update(records).where(records.c.id == op.record_id).values(conflict_state="hard"))
        return OpResult(op_id=op.op_id, status=OpStatus.CONFLICT, record_id=op.record_id,
                        revision=current.revision, conflict_id=conflict_id,
                        message="changed on the server too; kept both versions for support staff to reconcile")
    errors = ctx.validate(op.record_type, op.schema_version, outcome.merged)
    if errors:  # each side valid, the combination not: a person must decide
        conflict_id = _hold_conflict(session, op, ctx, current.revision, "hard", outcome.device_fields, None)
        session.execute(update(records).where(records.c.id == op.record_id).values(conflict_state="hard"))
        return OpResult(op_id=op.op_id, status=OpStatus.CONFLICT, record_id=op.record_id,
                        revision=current.revision, conflict_id=conflict_id, errors=errors,
                        message="the merged record would not pass its schema; held for support staff")
    result = _next_revision(session, op, ctx, current, outcome.merged, OpStatus.MERGED, kind="merge",
                            conflict_state="hard" if current.conflict_state == "hard" else "soft")
    result.conflict_id = _hold_conflict(session, op, ctx, current.revision, "soft", outcome.device_fields,
                                        result.revision)
    return result


def _hold_conflict(session, op, ctx, server_revision, kind, fields, result_revision) -> int:
    key_id, blob = ctx.cipher.encrypt(op.body, f"conflict:{op.op_id}")
    return session.execute(insert(conflicts).values(
        record_id=op.record_id, kind=kind, state="open", base_revision=op.base_revision,
        server_revision=server_revision, result_revision=result_revision, fields=list(fields), op_id=op.op_id,
        device_id=op.device_id, author_id=ctx.author_id, created_at=ctx.now, body_key_id=key_id,
        device_body=blob).returning(conflicts.c.id)).scalar_one()


def _keep_revision(session, op, ctx, revision, body, kind) -> None:
    key_id, blob = ctx.cipher.encrypt(body, f"{op.record_id}:{revision}")
    session.execute(insert(record_revisions).values(
        record_id=op.record_id, revision=revision, kind=kind, author_id=ctx.author_id, device_id=op.device_id,
        op_id=op.op_id, created_at=ctx.now, body_key_id=key_id, body=blob))


def _revision_body(session: Session, cipher: BodyCipher, record_id: str, revision: int) -> dict:
    row = session.execute(select(record_revisions.c.body_key_id, record_revisions.c.body).where(
        record_revisions.c.record_id == record_id, record_revisions.c.revision == revision)).one()
    return cipher.decrypt(row.body_key_id, row.body, f"{record_id}:{revision}")
