"""POST /api/sync/push and GET /api/sync/pull: thin views over the framework-free sync engine.

The contract is docs/sync-protocol.md; /api/openapi.json describes it formally.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from flask import current_app, g, request
from flask_login import current_user

from sync import pull, worker_scope
from sync.first_pull import FirstPullPosition

from .. import audit
from ..access import roles_required
from ..audit import DEVICE_HEADER
from ..errors import error_response
from ..extensions import db
from ..models import Role
from ..records.store import record_cipher
from . import bp
from .history_views import pull_window, window_payload
from .pull_wire import records_response
from .push_pipeline import MalformedOp, parse_push_items, run_push

MAX_PULL_PAGE = 500


class MalformedPull(ValueError):
    pass


@bp.post("/sync/push")
@roles_required(Role.WORKER)
def sync_push():
    """Thin: who is asking and from which device; the pipeline (push_pipeline.py) does the rest."""
    try:
        items = parse_push_items(request.get_json(silent=True))
    except MalformedOp as error:
        return error_response(400, "malformed_push", str(error))
    if g.device is None:
        return error_response(400, "device_required", f"register this device first and send its id in {DEVICE_HEADER}")
    return {"results": run_push(db.session, items, current_user.id, g.device.id, datetime.now(UTC))}


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise MalformedPull(f"{name} must be a whole number") from None
    if not low <= value <= high:
        raise MalformedPull(f"{name} must be between {low} and {high}")
    return value


@bp.get("/sync/pull")
@roles_required(Role.WORKER)
def sync_pull():
    try:
        after = _cursor_arg()
        limit = _int_arg("limit", 200, 1, MAX_PULL_PAGE)
    except MalformedPull as error:
        return error_response(400, "malformed_pull", str(error))
    if after == 0 or isinstance(after, str):
        # A first pull sends the whole caseload: a handful of big pages rather than dozens (PULL_FIRST_PAGE_RECORDS).
        limit = max(limit, current_app.config["PULL_FIRST_PAGE_RECORDS"])
    window = pull_window(date.today())
    page = pull(db.session, worker_scope(db.session, current_user.id), after, record_cipher(), limit, window)
    _audit_pulled({record.child_id for record in page.records})
    return records_response(
        page.records,
        cursor=page.cursor,
        more=page.more,
        scope={"child_ids": page.scope_child_ids, "hash": page.scope_hash},
        window=window_payload(window),
    )


def _cursor_arg() -> int | str:
    """A change-log seq, or the position token a first pull hands out between its pages."""
    raw = request.args.get("after", "0")
    if raw.startswith("first."):
        if FirstPullPosition.parse(raw) is None:
            raise MalformedPull("after is not a cursor this server gave out")
        return raw
    return _int_arg("after", 0, 0, 2**62)


def _audit_pulled(child_ids: set[str]) -> None:
    """One event per child whose records this page sent (a first pull sends each child on one page)."""
    audit.record_many([("device_pull", child_id, "records sent to the device") for child_id in sorted(child_ids)])
