"""The device's side of revocation without loss: its sync report, and unfinished drafts handed back.

POST /api/devices/report   {"drafts": n, "outbox": n} — counts only, stored on the device row for the admin.
GET  /api/drafts/unfinished — drafts a revoked device sealed to the server (no content), waiting for a device.
POST /api/drafts/unfinished/take {"ids": [...]} — this device continues them: their content, handed out once.
"""

from __future__ import annotations

from flask import g, request
from flask_login import current_user

from .. import audit
from ..access import roles_required
from ..devices.reports import BadReport, record_sync_report
from ..errors import error_response
from ..models import Role
from ..records.unfinished import take, waiting_for
from . import bp

MAX_TAKEN_IDS = 500


def _device_required():
    return error_response(400, "device_required", "register this device first and send its id")


@bp.post("/devices/report")
@roles_required(Role.WORKER)
def device_report():
    if g.device is None:
        return _device_required()
    try:
        record_sync_report(g.device, request.get_json(silent=True))
    except BadReport as error:
        return error_response(400, "bad_report", str(error))
    return {"ok": True}


@bp.get("/drafts/unfinished")
@roles_required(Role.WORKER)
def unfinished_drafts():
    """What is waiting, without content: the worker chooses which device continues it."""
    if g.device is None:
        return _device_required()
    return {
        "drafts": [
            {
                "id": row.id,
                "child_id": child_id,
                "record_id": row.record_id,
                "record_type": row.record_type,
                "received_at": row.received_at.isoformat(),
            }
            for row, child_id in waiting_for(current_user)
        ]
    }


@bp.post("/drafts/unfinished/take")
@roles_required(Role.WORKER)
def take_unfinished_drafts():
    """Hand the drafts to this device (again, if its first answer was lost); another device no longer gets them."""
    if g.device is None:
        return _device_required()
    payload = request.get_json(silent=True)
    ids = payload.get("ids") if isinstance(payload, dict) else None
    if not isinstance(ids, list) or len(ids) > MAX_TAKEN_IDS or not all(isinstance(i, str) for i in ids):
        return error_response(400, "bad_ids", f'send JSON {{"ids": [...]}} with at most {MAX_TAKEN_IDS} ids')
    taken = take(current_user, ids, g.device)
    audit.record_many(
        [
            ("unfinished_draft_taken", child_id, f"{row.record_type} {row.record_id} to the device")
            for row, child_id, _content in taken
        ]
    )
    return {
        "drafts": [
            {
                "id": row.id,
                "child_id": child_id,
                "record_id": row.record_id,
                "record_type": row.record_type,
                "draft": content["draft"],
                "attachments": content["attachments"],
            }
            for row, child_id, content in taken
        ]
    }
