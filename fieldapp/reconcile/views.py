"""Support staff: the queue, one conflict side by side, resolve field by field or confirm a merge."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from sync.resolve import ResolutionError, StaleResolution, load_versions
from sync.states import ConflictKind

from .. import audit
from ..access import roles_required
from ..extensions import db
from ..models import Role
from ..records.definitions import RECORD_TYPES
from ..records.store import record_cipher
from ..review.display import RecordDisplay
from . import bp
from .choices import field_rows, parse_choices
from .queries import QueueFilters, conflict_case, filter_choices, open_conflicts
from .services import confirm, resolve

MAX_REASON = 2000


@bp.get("/")
@roles_required(Role.SUPPORT)
def queue():
    filters, problems = QueueFilters.from_args(request.args)
    rows = open_conflicts(filters)
    titles = {record_type: RecordDisplay(record_type).title for record_type in RECORD_TYPES}
    audit.record("view_conflict_queue", detail=f"{len(rows)} open conflicts listed")
    return render_template(
        "reconcile/queue.html", rows=rows, filters=filters, problems=problems, titles=titles, **filter_choices()
    )


def _open_conflict_or_404(conflict_id: int):
    case = conflict_case(conflict_id)
    if case is None:
        # Resolved conflicts leave support's view: they never had access to the rest of the record.
        audit.record_now("view_denied", detail=f"conflict {conflict_id}")
        abort(404, "No open conflict here. It may have been resolved already.")
    return case, load_versions(db.session, record_cipher(), conflict_id)


def _page(case, versions, errors=None, reason="", status=200):
    display = RecordDisplay(versions.record.record_type)
    rows = field_rows(versions, display)
    posted = request.form if request.method == "POST" else {}
    return render_template(
        "reconcile/conflict.html",
        case=case,
        versions=versions,
        display=display,
        rows=rows,
        errors=errors or {},
        reason=reason,
        posted=posted,
    ), status


@bp.get("/<int:conflict_id>")
@roles_required(Role.SUPPORT)
def conflict(conflict_id: int):
    case, versions = _open_conflict_or_404(conflict_id)
    audit.record(
        "view_conflict", child_public_id=case.public_id, detail=f"conflict {conflict_id} on record {versions.record.id}"
    )
    return _page(case, versions)


def _posted_revision() -> int:
    raw = request.form.get("revision", "")
    if not raw.isdigit() or len(raw) > 9:
        abort(400, "The form did not say which version of the record you compared.")
    return int(raw)


@bp.post("/<int:conflict_id>/resolve")
@roles_required(Role.SUPPORT)
def resolve_view(conflict_id: int):
    case, versions = _open_conflict_or_404(conflict_id)
    expected_revision = _posted_revision()
    if expected_revision != versions.record.revision:  # choices made against other values: never apply them
        abort(
            409,
            f"Not saved: the record changed (now version {versions.record.revision}) while you compared it. "
            "Open the conflict again to see the current values.",
        )
    reason = request.form.get("reason", "")[: MAX_REASON + 1]
    rows = field_rows(versions, RecordDisplay(versions.record.record_type))
    choices, errors = parse_choices(request.form, rows, RecordDisplay(versions.record.record_type))
    if not reason.strip():
        errors["reason"] = "Give a reason for this resolution"
    elif len(reason) > MAX_REASON:
        errors["reason"] = f"Keep the reason to {MAX_REASON} characters"
    if errors:
        return _page(case, versions, errors, reason)
    try:
        revision = resolve(current_user, versions, case.public_id, choices, reason, expected_revision)
    except StaleResolution as stale:
        db.session.rollback()
        abort(409, f"Not saved: {stale}. Open the conflict again to see the current values.")
    except ResolutionError as refusal:
        db.session.rollback()
        case, versions = _open_conflict_or_404(conflict_id)
        messages = {
            error.path.split("/")[1] if error.path.count("/") else "record": error.message for error in refusal.errors
        } or {"record": str(refusal)}
        return _page(case, versions, messages, reason)
    flash(f"Conflict resolved: the record is now version {revision}. The worker will be told.", "success")
    return redirect(url_for("reconcile.queue"))


@bp.post("/<int:conflict_id>/confirm")
@roles_required(Role.SUPPORT)
def confirm_view(conflict_id: int):
    case, versions = _open_conflict_or_404(conflict_id)
    if versions.conflict.kind != ConflictKind.SOFT:
        abort(400, "Only an automatic merge can be confirmed in one step; choose a value for each field.")
    confirm(current_user, versions, case.public_id, request.form.get("reason", "")[:MAX_REASON])
    flash("Merge confirmed. The worker will be told.", "success")
    return redirect(url_for("reconcile.queue"))
