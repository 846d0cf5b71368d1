"""GET /api/sync/history: the older records of one child that a windowed pull leaves on the server.

A long-open case is sent to the device as a window (recent months plus the latest map and rating,
PULL_WINDOW_MONTHS / PULL_LATEST_TYPES); a worker online asks for the rest of one child's file here.
"""

from __future__ import annotations

from datetime import date

from flask import current_app, request
from flask_login import current_user

from sync import PullWindow, history, worker_scope

from .. import audit
from ..access import roles_required
from ..errors import error_response
from ..extensions import db
from ..models import Role
from ..records.store import record_cipher
from . import bp
from .pull_wire import records_response

MAX_HISTORY_PAGE = 200


def pull_window(today: date) -> PullWindow | None:
    """The configured window, or None (send everything) when PULL_WINDOW_MONTHS is 0."""
    months = current_app.config["PULL_WINDOW_MONTHS"]
    if months <= 0:
        return None
    year, month = divmod(today.year * 12 + today.month - 1 - months, 12)
    since = date(year, month + 1, 1)  # the first of the month, N months back: stable all month long
    types = frozenset(t.strip() for t in current_app.config["PULL_LATEST_TYPES"].split(",") if t.strip())
    return PullWindow(since=since.isoformat(), latest_types=types)


def window_payload(window: PullWindow | None) -> dict | None:
    if window is None:
        return None
    return {"since": window.since, "latest_types": sorted(window.latest_types)}


@bp.get("/sync/history")
@roles_required(Role.WORKER)
def sync_history():
    child_public_id = request.args.get("child_id", "")
    try:
        offset = int(request.args.get("offset", 0))
        limit = int(request.args.get("limit", 100))
    except ValueError:
        return error_response(400, "malformed_history", "offset and limit must be whole numbers")
    if not 0 <= offset <= 10**6 or not 1 <= limit <= MAX_HISTORY_PAGE:
        return error_response(400, "malformed_history", f"offset 0..1000000, limit 1..{MAX_HISTORY_PAGE}")
    child_id = worker_scope(db.session, current_user.id).get(child_public_id)
    if child_id is None:
        return error_response(404, "not_in_caseload", "that child is not in your caseload")
    window = pull_window(date.today())
    records, more = (
        history(db.session, child_id, child_public_id, window, record_cipher(), offset, limit)
        if window is not None
        else ([], False)
    )
    audit.record("device_history", child_public_id, f"{len(records)} older records sent to the device")
    return records_response(records, more=more, next_offset=offset + len(records), window=window_payload(window))
