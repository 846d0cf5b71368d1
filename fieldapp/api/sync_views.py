"""POST /api/sync/push and GET /api/sync/pull: thin views over the framework-free sync engine.

The contract is docs/sync-protocol.md; /api/openapi.json describes it formally.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

from flask import g, request
from flask_login import current_user
from sqlalchemy import select

from sync import OpResult, OpStatus, PushOp, apply_push, pull, worker_scope

from .. import audit, jsonbody
from ..access import roles_required
from ..crypto.sealing import SealError, unseal
from ..errors import error_response
from ..extensions import db
from ..models import Device, Role
from ..records import unfinished
from ..records.attachments import decode_attachments, store_attachments
from ..records.ended_allocations import ended_allocation_refusals
from ..records.store import push_context, record_cipher
from . import bp

MAX_OPS_PER_PUSH = 200
MAX_PULL_PAGE = 500
# Rejections the worker can put right: the server hands the record back to become an editable draft again.
# Only ever to the op's author (see sync_push): never for `not_allocated` or `device_mismatch`, which say
# the caller is not the author, nor for `allocation_ended`, which no correction on the device can put right.
RETURNED_FOR_CORRECTION = {"invalid", "record_mismatch", "bad_base", "unknown_record"}
OP_FIELDS = {"op_id": str, "record_id": str, "record_type": str, "schema_version": int, "device_id": str,
             "device_seq": int, "base_revision": int, "child_id": str, "body": dict}


# Caps on what one op may carry, below the push request's own limit (SYNC_PUSH_MAX_BYTES): a record's words
# as JSON, and the whole sealed envelope, which fits one photo at its limit (schema: 10 MiB) base64-encoded
# inside the sealed op and base64url-encoded again outside it (16/9 of the photo) with room to spare.
MAX_RECORD_BODY_CHARS = 2 * 1024 * 1024  # far above any record the schemas allow in practice
MAX_ENVELOPE_CHARS = 20 * 1024 * 1024


class MalformedOp(ValueError):
    pass


class TooLarge(MalformedOp):
    code = "too_large"


def _unsealed(envelope) -> dict:
    """The JSON object sealed in one envelope, or raise SealError / MalformedOp."""
    if sum(len(value) for value in envelope.values() if isinstance(value, str)) > MAX_ENVELOPE_CHARS:
        raise TooLarge(f"the sealed item is larger than {MAX_ENVELOPE_CHARS // (1024 * 1024)} MiB")
    plaintext = unseal(envelope)
    try:
        data = jsonbody.loads(plaintext)
    except ValueError as error:  # not UTF-8, not JSON, or nested too deeply
        raise MalformedOp(f"the sealed item is not readable JSON ({error})") from None
    if not isinstance(data, dict):
        raise MalformedOp("the sealed item is not an op object")
    return data


def _sealed_op(data: dict) -> tuple[PushOp, object]:
    """One unsealed op as a PushOp and its raw attachments, or raise MalformedOp."""
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
    if len(json.dumps(data["body"], ensure_ascii=False)) > MAX_RECORD_BODY_CHARS:
        raise TooLarge(f"the record is larger than {MAX_RECORD_BODY_CHARS // (1024 * 1024)} MiB of text")
    return PushOp(**{name: data[name] for name in OP_FIELDS}), data.get("attachments")


def _parse_push_request() -> list[dict]:
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict) or not isinstance(payload.get("ops"), list):
        raise MalformedOp('send JSON {"ops": [{"op_id": …, "envelope": {…}}, …]}')
    ops = payload["ops"]
    if len(ops) > MAX_OPS_PER_PUSH:
        raise MalformedOp(f"at most {MAX_OPS_PER_PUSH} ops per push; send the rest in another request")
    for index, item in enumerate(ops):
        if not isinstance(item, dict) or not isinstance(item.get("op_id"), str) or not item["op_id"] \
                or len(item["op_id"]) > 64 or not isinstance(item.get("envelope"), dict):
            raise MalformedOp(f"ops[{index}] needs an op_id (text, ≤ 64) and an envelope object")
    return ops


def _rejection(op_id: str, code: str, message: str) -> OpResult:
    return OpResult(op_id=op_id, status=OpStatus.REJECTED, record_id="", code=code, message=message)


@bp.post("/sync/push")
@roles_required(Role.WORKER)
def sync_push():
    try:
        items = _parse_push_request()
    except MalformedOp as error:
        return error_response(400, "malformed_push", str(error))
    results: list[OpResult | None] = [None] * len(items)
    ops, positions, photos, raw_attachments, returned = [], [], {}, {}, {}
    own_devices = frozenset(db.session.scalars(select(Device.id).where(Device.user_id == current_user.id)))
    for index, item in enumerate(items):
        try:
            data = _unsealed(item["envelope"])
            if data.get("kind") == unfinished.KIND:  # a revoked device's draft: kept aside, never a revision
                results[index] = _keep_unfinished(item["op_id"], data, own_devices)
                continue
            op, raw_attachments[item["op_id"]] = _sealed_op(data)
        except SealError as error:
            results[index] = _rejection(item["op_id"], "unsealable", f"the server could not open this item: {error}")
            continue
        except MalformedOp as error:
            results[index] = _rejection(item["op_id"], getattr(error, "code", "malformed_op"), str(error))
            continue
        if op.op_id != item["op_id"]:
            results[index] = _rejection(item["op_id"], "op_mismatch", "the op id outside does not match the sealed one")
            continue
        attachments, errors = decode_attachments(op, raw_attachments.get(op.op_id))
        if errors:  # the record must not land without its photo: refuse both, hand both back
            results[index] = OpResult(op_id=op.op_id, status=OpStatus.REJECTED, record_id=op.record_id,
                                      code="invalid", message="the photo sent with this record is not right",
                                      errors=errors)
            returned[index] = (op, raw_attachments.get(op.op_id))
            continue
        photos[op.op_id] = attachments
        ops.append(op)
        positions.append(index)
    context = push_context(current_user.id, g.device.id, datetime.now(UTC))
    context.other_devices = own_devices
    ops, positions = _refuse_former_workers_changes(ops, positions, results)
    for index, op, result in zip(positions, ops, apply_push(db.session, ops, context), strict=True):
        results[index] = result
        if result.status == OpStatus.REJECTED:
            returned[index] = (op, raw_attachments.get(op.op_id))
        else:
            store_attachments(db.session, context.cipher, op.record_id, photos[op.op_id], context.now)
    _audit_pushed(ops, [results[i] for i in positions])
    # Content goes back only to its author: sealed by one of the caller's own devices, about a child they
    # may write. A sealed item found on someone else's tablet is refused without a word of what it holds.
    owned = {index for index, (op, _) in returned.items()
             if op.device_id in own_devices and op.child_id in context.allowed_children}
    return {"results": [_result_payload(result, *(returned[index] if index in owned else (None, None)))
                        for index, result in enumerate(results)]}


def _keep_unfinished(op_id: str, data: dict, own_devices: frozenset[str]) -> OpResult:
    if data.get("op_id") != op_id:
        return _rejection(op_id, "op_mismatch", "the op id outside does not match the sealed one")
    result = unfinished.keep_unfinished(current_user, data, own_devices)
    if result.status != OpStatus.REJECTED:
        audit.record("unfinished_draft_received", child_public_id=data["child_id"][:64],
                     detail=f"{data['record_type']} {result.record_id} from device {data['device_id'][:64]}")
    return result


def _refuse_former_workers_changes(ops: list[PushOp], positions: list[int], results: list) -> tuple[list, list]:
    """A former worker adds only records dated within the allocation and edits only their own."""
    refusals = ended_allocation_refusals(db.session, current_user.id, ops)
    for index, refusal in refusals.items():
        results[positions[index]] = OpResult(op_id=ops[index].op_id, status=OpStatus.REJECTED,
                                             record_id=ops[index].record_id, code=refusal.code,
                                             message=refusal.message)
    audit.record_many([("record_rejected", ops[i].child_id[:64], f"{ops[i].record_type} {ops[i].record_id} "
                        f"{refusals[i].code}") for i in sorted(refusals)])
    kept = [i for i in range(len(ops)) if i not in refusals]
    return [ops[i] for i in kept], [positions[i] for i in kept]


def _result_payload(result: OpResult, op: PushOp | None, attachments) -> dict:
    payload = result.to_dict()
    if op is not None and result.code in RETURNED_FOR_CORRECTION:
        payload["body"] = op.body  # back to the worker's device as an editable draft; nothing is lost
        if attachments:
            payload["attachments"] = attachments  # the photo too, as it came
    return payload


def _audit_pushed(ops: list[PushOp], results: list[OpResult]) -> None:
    """One audit event per record a device wrote (or tried to)."""
    audit.record_many([
        (f"record_{result.status.value}", op.child_id[:64],
         f"{op.record_type} {op.record_id} rev {result.revision or '-'} {result.code or ''}".strip())
        for op, result in zip(ops, results, strict=True)
    ])


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise MalformedOp(f"{name} must be a whole number") from None
    if not low <= value <= high:
        raise MalformedOp(f"{name} must be between {low} and {high}")
    return value


@bp.get("/sync/pull")
@roles_required(Role.WORKER)
def sync_pull():
    try:
        after = _int_arg("after", 0, 0, 2**62)
        limit = _int_arg("limit", 200, 1, MAX_PULL_PAGE)
    except MalformedOp as error:
        return error_response(400, "malformed_pull", str(error))
    page = pull(db.session, worker_scope(db.session, current_user.id), after, record_cipher(), limit)
    _audit_pulled({record.child_id for record in page.records})
    return {
        "records": [vars(record) for record in page.records],
        "cursor": page.cursor,
        "more": page.more,
        "scope": {"child_ids": page.scope_child_ids, "hash": page.scope_hash},
    }


def _audit_pulled(child_ids: set[str]) -> None:
    audit.record_many([("device_pull", child_id, "records sent to the device") for child_id in sorted(child_ids)])
