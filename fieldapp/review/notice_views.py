"""Notices for workers: JSON for the device after it syncs, and a page on the web."""

from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..models import Role
from . import api_bp, bp
from .notices import mark_read, notices_for, unread_count


@bp.app_context_processor
def _unread_notices():
    # Only workers receive notices; everyone else is spared the query.
    if current_user and current_user.is_authenticated and current_user.role == Role.WORKER:
        return {"unread_notices": unread_count(current_user)}
    return {"unread_notices": None}


def _after() -> int:
    raw = request.args.get("after", "0")
    if not raw.isdigit() or len(raw) > 18:
        abort(400, "after must be a notice id (a whole number, 0 or more).")
    return int(raw)


@api_bp.get("/notifications")
@login_required
def api_notifications():
    """The caller's notices after `after` (a notice id), oldest first, at most 100."""
    return jsonify(notifications=notices_for(current_user, _after()))


@api_bp.post("/notifications/read")
@login_required
def api_mark_read():
    data = request.get_json(silent=True)
    ids = data.get("ids") if isinstance(data, dict) else None
    if (
        not isinstance(ids, list)
        or not ids
        or len(ids) > 500
        or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids)
    ):
        abort(400, 'Send {"ids": [notice ids]} (1 to 500 whole numbers).')
    return jsonify(marked=mark_read(current_user, ids))


@bp.get("/notifications")
@login_required
def notifications_page():
    notices = list(reversed(notices_for(current_user, 0, limit=500)))
    return render_template("review/notifications.html", notices=notices)


@bp.post("/notifications/read")
@login_required
def notifications_read():
    ids = [notice["id"] for notice in notices_for(current_user, 0, limit=500) if not notice["read"]]
    if ids:
        mark_read(current_user, ids)
    flash("Notices marked as read.", "success")
    return redirect(url_for("review.notifications_page"))
