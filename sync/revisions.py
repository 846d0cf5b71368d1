"""One op at a time: create, next revision, merge or hold a conflict. Used when the batch fast path cannot."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .crypto import BodyCipher
from .merge import merge3
from .protocol import FieldError, OpResult, OpStatus, PushOp
from .states import AMENDABLE, ConflictKind, ConflictState, ReviewState, RevisionKind
from .tables import conflicts, record_revisions, records


def rejected(op: PushOp, code: str, message: str, errors: list[FieldError] | None = None) -> OpResult:
    return OpResult(
        op_id=op.op_id,
        status=OpStatus.REJECTED,
        record_id=op.record_id,
        code=code,
        message=message,
        errors=errors or [],
    )


def precheck(op: PushOp, ctx) -> OpResult | None:
    """Rejections that need no database: wrong device, child never allocated, schema errors."""
    if op.device_id != ctx.device_id and op.device_id not in ctx.other_devices:
        return rejected(op, "device_mismatch", "op was made on another device")
    if op.child_id not in ctx.allowed_children:
        return rejected(op, "not_allocated", "this child is not, and never was, allocated to you")
    errors = ctx.validate(op)
    if errors:
        return rejected(op, "invalid", "the record does not pass its schema", errors)
    return None


def apply_one(session: Session, op: PushOp, ctx) -> OpResult:
    """Apply one op that passed precheck()."""
    current = session.execute(select(records).where(records.c.id == op.record_id).with_for_update()).first()
    if current is None:
        if op.base_revision != 0:
            return rejected(op, "unknown_record", "edited from a revision the server never had")
        return create(session, op, ctx)
    if current.record_type != op.record_type or current.child_id != ctx.allowed_children[op.child_id]:
        return rejected(op, "record_mismatch", "record id already belongs to another child or record type")
    if op.base_revision == current.revision:
        # After a manager returned or signed off the record, the worker's next version is an amendment (to sign off).
        kind = RevisionKind.AMENDMENT if current.review_state in AMENDABLE else RevisionKind.DEVICE
        return _next_revision(session, op, ctx, current, op.body, OpStatus.APPLIED, kind=kind)
    if op.base_revision > current.revision or op.base_revision < 1:
        # The server's current revision is not named: a refusal must not tell the caller how the record moved on.
        return rejected(op, "bad_base", f"base revision {op.base_revision} does not exist on the server")
    return _merge(session, op, ctx, current)


def create(session: Session, op: PushOp, ctx) -> OpResult:
    record, revision = first_revision_rows(op, ctx)
    session.execute(insert(records).values(**record))
    session.execute(insert(record_revisions).values(**revision))
    return OpResult(op_id=op.op_id, status=OpStatus.APPLIED, record_id=op.record_id, revision=1)


def first_revision_rows(op: PushOp, ctx) -> tuple[dict, dict]:
    """The `records` row of a new record and its first `record_revisions` row (also the push's fast path).

    Encoded and encrypted once: both rows hold the same ciphertext (same row context "<id>:1", so each
    decrypts where it stands and nowhere else). Every row has the same keys, as a multi-row insert needs.
    """
    sealed = ctx.cipher.encrypt_bytes(op.encoded_body, f"{op.record_id}:1")
    record = dict(
        id=op.record_id,
        child_id=ctx.allowed_children[op.child_id],
        record_type=op.record_type,
        schema_version=op.schema_version,
        revision=1,
        author_id=ctx.author_id,
        created_at=ctx.now,
        updated_at=ctx.now,
        conflict_state=ConflictState.NONE,
        review_state=ReviewState.SUBMITTED,
        body_key_id=sealed[0],
        body=sealed[1],
        **{"occurred_on": None, "child_seen": None, **ctx.facts(op.record_type, op.body)},
    )
    return record, revision_row(op, ctx, 1, sealed, RevisionKind.DEVICE)


def _next_revision(session, op, ctx, current, body, status, kind, conflict_state=None) -> OpResult:
    revision = current.revision + 1
    key_id, blob = ctx.cipher.encrypt(body, f"{op.record_id}:{revision}")
    values = dict(
        revision=revision,
        schema_version=op.schema_version,
        updated_at=ctx.now,
        body_key_id=key_id,
        body=blob,
        review_state=ReviewState.SUBMITTED,
        **ctx.facts(op.record_type, body),
    )
    if conflict_state:
        values["conflict_state"] = conflict_state
    # The WHERE on the old revision is the optimistic lock: a concurrent writer makes this match nothing.
    updated = session.execute(
        update(records).where(records.c.id == op.record_id, records.c.revision == current.revision).values(**values)
    )
    if updated.rowcount != 1:
        raise IntegrityError("concurrent revision", None, Exception("record moved on"))
    keep_revision(session, op, ctx, revision, (key_id, blob), kind)
    return OpResult(op_id=op.op_id, status=status, record_id=op.record_id, revision=revision)


def _merge(session: Session, op: PushOp, ctx, current) -> OpResult:
    base = revision_body(session, ctx.cipher, op.record_id, op.base_revision)
    server = ctx.cipher.decrypt(current.body_key_id, current.body, f"{op.record_id}:{current.revision}")
    outcome = merge3(base, server, op.body)
    if outcome.is_hard:
        conflict_id = _hold_conflict(
            session, op, ctx, current.revision, ConflictKind.HARD, outcome.conflicting_fields, None
        )
        session.execute(update(records).where(records.c.id == op.record_id).values(conflict_state=ConflictState.HARD))
        return OpResult(
            op_id=op.op_id,
            status=OpStatus.CONFLICT,
            record_id=op.record_id,
            revision=current.revision,
            conflict_id=conflict_id,
            message="changed on the server too; kept both versions for support staff to reconcile",
        )
    errors = ctx.validate(replace(op, body=outcome.merged))
    if errors:  # each side valid, the combination not: a person must decide
        conflict_id = _hold_conflict(session, op, ctx, current.revision, ConflictKind.HARD, outcome.device_fields, None)
        session.execute(update(records).where(records.c.id == op.record_id).values(conflict_state=ConflictState.HARD))
        return OpResult(
            op_id=op.op_id,
            status=OpStatus.CONFLICT,
            record_id=op.record_id,
            revision=current.revision,
            conflict_id=conflict_id,
            errors=errors,
            message="the merged record would not pass its schema; held for support staff",
        )
    result = _next_revision(
        session,
        op,
        ctx,
        current,
        outcome.merged,
        OpStatus.MERGED,
        kind=RevisionKind.MERGE,
        conflict_state=ConflictState.HARD if current.conflict_state == ConflictState.HARD else ConflictState.SOFT,
    )
    result.conflict_id = _hold_conflict(
        session, op, ctx, current.revision, ConflictKind.SOFT, outcome.device_fields, result.revision
    )
    return result


def _hold_conflict(session, op, ctx, server_revision, kind, fields, result_revision) -> int:
    key_id, blob = ctx.cipher.encrypt(op.body, f"conflict:{op.op_id}")
    return session.execute(
        insert(conflicts)
        .values(
            record_id=op.record_id,
            kind=kind,
            state="open",
            base_revision=op.base_revision,
            server_revision=server_revision,
            result_revision=result_revision,
            fields=list(fields),
            op_id=op.op_id,
            device_id=op.device_id,
            author_id=ctx.author_id,
            created_at=ctx.now,
            body_key_id=key_id,
            device_body=blob,
        )
        .returning(conflicts.c.id)
    ).scalar_one()


def keep_revision(session, op, ctx, revision, sealed: tuple[str, bytes], kind) -> None:
    session.execute(insert(record_revisions).values(**revision_row(op, ctx, revision, sealed, kind)))


def revision_row(op, ctx, revision, sealed: tuple[str, bytes], kind) -> dict:
    """The revision row holds the same ciphertext as the record row it was written with (same context)."""
    key_id, blob = sealed
    return dict(
        record_id=op.record_id,
        revision=revision,
        kind=kind,
        author_id=ctx.author_id,
        device_id=op.device_id,
        op_id=op.op_id,
        created_at=ctx.now,
        body_key_id=key_id,
        body=blob,
    )


def revision_body(session: Session, cipher: BodyCipher, record_id: str, revision: int) -> dict:
    row = session.execute(
        select(record_revisions.c.body_key_id, record_revisions.c.body).where(
            record_revisions.c.record_id == record_id, record_revisions.c.revision == revision
        )
    ).one()
    return cipher.decrypt(row.body_key_id, row.body, f"{record_id}:{revision}")
