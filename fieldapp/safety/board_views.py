"""The managers' live safety board, acknowledge / resolve, test alerts and the monthly report."""

from __future__ import annotations

from datetime import date

from flask import jsonify, render_template, request
from flask_login import current_user

from ..access import roles_required
from ..models import Role
from . import api_bp, board, bp, report
from .api import json_body, now, refusals_as_json, str_field
from .board_audit import audit_board_view
from .immediate import deliver_after_response
from .sessions import SafetyError


@bp.get("/safety/board")
@roles_required(Role.MANAGER)
def board_page():
    return render_template("safety/board.html", title="Safety board", outcomes=board.OUTCOMES)


@api_bp.get("/safety/board")
@roles_required(Role.MANAGER)
def board_feed():
    at = now()
    sessions = board.board_sessions(current_user, at)
    audit_board_view(current_user, sessions, at)
    rows = board.ordered([board.serialise(s, at) for s in sessions])
    return {
        "server_time": at.isoformat(),
        "sessions": rows,
        "alerts": sum(1 for r in rows if r["level"] == "alert" and not r["acknowledged_by"]),
    }


@api_bp.post("/safety/sessions/<public_id>/acknowledge")
@roles_required(Role.MANAGER)
@refusals_as_json
def acknowledge(public_id: str):
    at = now()
    session = board.visible_session(current_user, public_id)
    taken = board.acknowledge(session, current_user, at)
    response = jsonify(acknowledged=taken, session=board.serialise(session, at))
    deliver_after_response(response, board.latest_news(session) if taken else None)
    return response


@api_bp.post("/safety/sessions/<public_id>/resolve")
@roles_required(Role.MANAGER)
@refusals_as_json
def resolve(public_id: str):
    body, at = json_body(), now()
    session = board.visible_session(current_user, public_id)
    told = board.resolve(session, current_user, at, str_field(body, "outcome", 40), str_field(body, "notes", 4000))
    response = jsonify(session=board.serialise(session, at))
    deliver_after_response(response, told)
    return response


@api_bp.post("/safety/test-alert")
@roles_required(Role.MANAGER)
@refusals_as_json
def test_alert():
    alert = board.test_alert(current_user, now())
    response = jsonify(ok=True, message="Test alert sent to your devices and email. It is labelled TEST.")
    deliver_after_response(response, alert)
    return response


def _month() -> date:
    raw = request.args.get("month") or now().strftime("%Y-%m")
    try:
        year, month = (int(part) for part in raw.split("-"))
        return date(year, month, 1)
    except ValueError:
        raise SafetyError("month must look like 2026-11.") from None


@api_bp.get("/safety/report")
@roles_required(Role.MANAGER)
@refusals_as_json
def report_json():
    return report.monthly(current_user.team_id, _month())


@bp.get("/safety/report")
@roles_required(Role.MANAGER)
@refusals_as_json
def report_page():
    month = _month()
    return render_template(
        "safety/report.html", title="Safety report", month=month, figures=report.monthly(current_user.team_id, month)
    )
