"""The push pipeline behind POST /api/sync/push: open each sealed item, check it, store the batch, audit it,
and say what goes back to the device for each item.

Stages, in order (each a function here, so a rule about one stage changes one place):
  parse_push_items  the request's shape (≤ MAX_OPS_PER_PUSH items, each {op_id, envelope})
  open_items        unseal with the cached keyring, check the op's fields, decode its photo
  store_opened      the sync engine's apply_push, then the photos of the records it stored
  audit_pushed      one audit event per record a device wrote (or tried to), one statement
  result_payloads   each item's result; what a refusal carries back is decided in refusal_payload()
The view only checks who and which device is asking and commits (services flush, the request commits).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from sync import OpResult, OpStatus, PushOp, apply_push, worker_children

from .. import audit, jsonbody
from ..crypto.sealing import SealError, SealingKeyring, current_keyring, unseal
from ..models import Device, User
from ..records import unfinished
from ..records.attachments import decode_attachments, store_attachments
from ..records.ended_allocations import ended_allocation_refusals
from ..records.store import push_context

MAX_OPS_PER_PUSH = 200
# Rejections the worker can put right: the server hands the record back to become an editable draft again.
# Only ever to the op's author (see result_payloads): never for `not_allocated` or `device_mismatch`, which say
# the caller is not the author, nor for `allocation_ended`, which no correction on the device can put right.
RETURNED_FOR_CORRECTION = {"invalid", "record_mismatch", "bad_base", "unknown_record"}
OP_FIELDS = {
    "op_id": str,
    "record_id": str,
    "record_type": str,
    "schema_version": int,
    "device_id": str,
    "device_seq": int,
    "base_revision": int,
    "child_id": str,
    "body": dict,
}


# Caps on what one op may carry, below the push request's own limit (SYNC_PUSH_MAX_BYTES): a record's words
# as JSON, and the whole sealed envelope, which fits one photo at its limit (schema: 10 MiB) base64-encoded
# inside the sealed op and base64url-encoded again outside it (16/9 of the photo) with room to spare.
MAX_RECORD_BODY_CHARS = 2 * 1024 * 1024  # far above any record the schemas allow in practice
MAX_ENVELOPE_CHARS = 20 * 1024 * 1024


class MalformedOp(ValueError):
    pass


class TooLarge(MalformedOp):
    code = "too_large"


@dataclass
class OpenedBatch:
    """Where each item of a push stands after opening: a result already (refused), or an op to store."""

    results: list[OpResult | None]
    ops: list[PushOp] = field(default_factory=list)
    positions: list[int] = field(default_factory=list)  # index in the request of each op in `ops`
    photos: dict[str, list[dict]] = field(default_factory=dict)  # op id -> decoded attachments
    raw_attachments: dict[str, object] = field(default_factory=dict)  # op id -> attachments as sent
    returned: dict[int, PushOp] = field(default_factory=dict)  # index -> op whose content may go back
    # A revoked device's unfinished drafts (records/unfinished.py): kept aside, never a record revision.
    unfinished: list[tuple[int, str, dict]] = field(default_factory=list)  # (index, op id, unsealed item)
    authors: set[str] = field(default_factory=set)  # the caller's devices (content goes back only to these)
    writable: frozenset[str] = frozenset()  # children the caller may write about


def parse_push_items(payload) -> list[dict]:
    if not isinstance(payload, dict) or not isinstance(payload.get("ops"), list):
        raise MalformedOp('send JSON {"ops": [{"op_id": …, "envelope": {…}}, …]}')
    items = payload["ops"]
    if len(items) > MAX_OPS_PER_PUSH:
        raise MalformedOp(f"at most {MAX_OPS_PER_PUSH} ops per push; send the rest in another request")
    for index, item in enumerate(items):
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("op_id"), str)
            or not item["op_id"]
            or len(item["op_id"]) > 64
            or not isinstance(item.get("envelope"), dict)
        ):
            raise MalformedOp(f"ops[{index}] needs an op_id (text, ≤ 64) and an envelope object")
    return items


def unseal_item(envelope, keyring: SealingKeyring) -> dict:
    """The JSON object sealed in one envelope, or raise SealError / MalformedOp."""
    if sum(len(value) for value in envelope.values() if isinstance(value, str)) > MAX_ENVELOPE_CHARS:
        raise TooLarge(f"the sealed item is larger than {MAX_ENVELOPE_CHARS // (1024 * 1024)} MiB")
    plaintext = unseal(envelope, keyring)
    try:
        data = jsonbody.loads(plaintext)
    except ValueError as error:  # not UTF-8, not JSON, or nested too deeply
        raise MalformedOp(f"the sealed item is not readable JSON ({error})") from None
    if not isinstance(data, dict):
        raise MalformedOp("the sealed item is not an op object")
    return data


def unseal_op(envelope, keyring: SealingKeyring) -> tuple[PushOp, object]:
    """Unseal one envelope into a PushOp and its raw attachments, or raise SealError / MalformedOp."""
    return op_from(unseal_item(envelope, keyring))


def op_from(data: dict) -> tuple[PushOp, object]:
    """An unsealed record op as a PushOp and its raw attachments, or raise MalformedOp."""
    for name, kind in OP_FIELDS.items():
        value = data.get(name)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise MalformedOp(f"the sealed op has no valid {name}")
    if len(data["op_id"]) > 64 or len(data["device_id"]) > 64:
        raise MalformedOp("op_id and device_id must be at most 64 characters")
    try:
        uuid.UUID(data["record_id"])
    except ValueError:
        raise MalformedOp("record_id must be a UUID") from None
    op = PushOp(**{name: data[name] for name in OP_FIELDS})
    # Measured on the encoding that is stored and hashed anyway (encoded once per op, cached on it).
    if len(op.encoded_body) > MAX_RECORD_BODY_CHARS:
        raise TooLarge(f"the record is larger than {MAX_RECORD_BODY_CHARS // (1024 * 1024)} MiB as JSON")
    return op, data.get("attachments")


def _refused(op_id: str, code: str, message: str) -> OpResult:
    return OpResult(op_id=op_id, status=OpStatus.REJECTED, record_id="", code=code, message=message)


def open_items(items: list[dict]) -> OpenedBatch:
    """Unseal and check every item; the keyring is read once for the whole batch."""
    keyring = current_keyring()
    batch = OpenedBatch(results=[None] * len(items))
    for index, item in enumerate(items):
        try:
            data = unseal_item(item["envelope"], keyring)
            if data.get("kind") == unfinished.KIND:
                batch.unfinished.append((index, item["op_id"], data))
                continue
            op, raw = op_from(data)
        except SealError as error:
            batch.results[index] = _refused(
                item["op_id"], "unsealable", f"the server could not open this item: {error}"
            )
            continue
        except MalformedOp as error:
            batch.results[index] = _refused(item["op_id"], getattr(error, "code", "malformed_op"), str(error))
            continue
        if op.op_id != item["op_id"]:
            batch.results[index] = _refused(
                item["op_id"], "op_mismatch", "the op id outside does not match the sealed one"
            )
            continue
        batch.raw_attachments[op.op_id] = raw
        attachments, errors = decode_attachments(op, raw)
        if errors:  # the record must not land without its photo: refuse both, hand both back
            batch.results[index] = OpResult(
                op_id=op.op_id,
                status=OpStatus.REJECTED,
                record_id=op.record_id,
                code="invalid",
                message="the photo sent with this record is not right",
                errors=errors,
            )
            batch.returned[index] = op
            continue
        batch.photos[op.op_id] = attachments
        batch.ops.append(op)
        batch.positions.append(index)
    return batch


def store_opened(session: Session, batch: OpenedBatch, user_id: int, device_id: str, now: datetime) -> None:
    """Apply the opened ops (flushes, never commits) and store the photos of those that landed."""
    batch.authors = {device_id}
    ops = batch.ops + list(batch.returned.values())
    if batch.unfinished or any(op.device_id != device_id for op in ops):  # only then: one query fewer usually
        batch.authors |= set(session.scalars(select(Device.id).where(Device.user_id == user_id)))
    _keep_unfinished(session, batch, user_id)
    if not batch.ops and not batch.returned:
        return
    writable, current = worker_children(session, user_id)  # one query for both
    context = push_context(user_id, device_id, now, writable)
    context.other_devices = frozenset(batch.authors - {device_id})
    batch.writable = frozenset(writable)
    _refuse_former_workers_changes(session, batch, user_id, current)
    for index, op, result in zip(batch.positions, batch.ops, apply_push(session, batch.ops, context), strict=True):
        batch.results[index] = result
        if result.status == OpStatus.REJECTED:
            batch.returned[index] = op
        elif batch.photos[op.op_id]:
            store_attachments(session, context.cipher, op.record_id, batch.photos[op.op_id], now)


def _keep_unfinished(session: Session, batch: OpenedBatch, user_id: int) -> None:
    """Unfinished drafts from the caller's own (revoked) devices, kept for their next device; audited."""
    if not batch.unfinished:
        return
    user, own_devices = session.get(User, user_id), frozenset(batch.authors)
    for index, op_id, data in batch.unfinished:
        if data.get("op_id") != op_id:
            batch.results[index] = _refused(op_id, "op_mismatch", "the op id outside does not match the sealed one")
            continue
        result = unfinished.keep_unfinished(user, data, own_devices)
        batch.results[index] = result
        if result.status != OpStatus.REJECTED:
            audit.record(
                "unfinished_draft_received",
                child_public_id=data["child_id"][:64],
                detail=f"{data['record_type']} {result.record_id} from device {data['device_id'][:64]}",
            )


def _refuse_former_workers_changes(session: Session, batch: OpenedBatch, user_id: int, current: frozenset[str]) -> None:
    """A former worker adds only records dated within the allocation and edits only their own."""
    refusals = ended_allocation_refusals(session, user_id, batch.ops, current)
    for index, refusal in refusals.items():
        batch.results[batch.positions[index]] = OpResult(
            op_id=batch.ops[index].op_id,
            status=OpStatus.REJECTED,
            record_id=batch.ops[index].record_id,
            code=refusal.code,
            message=refusal.message,
        )
    audit.record_many(
        [
            (
                "record_rejected",
                batch.ops[i].child_id[:64],
                f"{batch.ops[i].record_type} {batch.ops[i].record_id} {refusals[i].code}",
            )
            for i in sorted(refusals)
        ]
    )
    kept = [i for i in range(len(batch.ops)) if i not in refusals]
    batch.ops, batch.positions = [batch.ops[i] for i in kept], [batch.positions[i] for i in kept]


def audit_pushed(batch: OpenedBatch) -> None:
    """One audit event per record a device wrote (or tried to), in one multi-row statement."""
    audit.record_many(
        [
            (
                f"record_{result.status.value}",
                op.child_id[:64],
                f"{op.record_type} {op.record_id} rev {result.revision or '-'} {result.code or ''}".strip(),
            )
            for op, result in ((op, batch.results[i]) for op, i in zip(batch.ops, batch.positions, strict=True))
        ]
    )


def refusal_payload(payload: dict, result: OpResult, op: PushOp | None, attachments) -> dict:
    """What a refused item carries back besides its result (the one place that decides it)."""
    if op is not None and result.code in RETURNED_FOR_CORRECTION:
        payload["body"] = op.body  # back to the worker's device as an editable draft; nothing is lost
        if attachments:
            payload["attachments"] = attachments  # the photo too, as it came
    return payload


def result_payloads(batch: OpenedBatch) -> list[dict]:
    payloads = []
    for index, result in enumerate(batch.results):
        op = batch.returned.get(index)
        payload = result.to_dict()
        # Content goes back only to its author: sealed by one of the caller's own devices, about a child they
        # may write. A sealed item found on someone else's tablet is refused without a word of what it holds.
        if op is not None and op.device_id in batch.authors and op.child_id in batch.writable:
            payload = refusal_payload(payload, result, op, batch.raw_attachments.get(op.op_id))
        payloads.append(payload)
    return payloads


def run_push(session: Session, items: list[dict], user_id: int, device_id: str, now: datetime) -> list[dict]:
    """The whole pipeline for one request's items; the caller commits."""
    batch = open_items(items)
    store_opened(session, batch, user_id, device_id, now)
    audit_pushed(batch)
    return result_payloads(batch)
