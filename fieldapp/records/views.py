"""Record-type definitions for the device, and a form preview page for workers and tests."""

from __future__ import annotations

from flask import abort, jsonify, render_template
from flask_login import login_required

from ..access import roles_required
from ..models import Role
from . import api_bp, bp
from .definitions import RECORD_TYPES, UnknownRecordType, all_definitions, definition


def _definition_or_404(record_type: str) -> dict:
    try:
        return definition(record_type)
    except UnknownRecordType:
        abort(404, f"There is no record type called {record_type[:40]!r}.")


@api_bp.get("/record-types")
@login_required
def record_types():
    return jsonify(record_types=all_definitions())


@api_bp.get("/record-types/<record_type>")
@login_required
def record_type(record_type: str):
    return jsonify(_definition_or_404(record_type))


@bp.get("/records/form-preview")
@roles_required(Role.WORKER, Role.MANAGER)
def form_previews():
    return render_template("records/form_previews.html", definitions=all_definitions())


@bp.get("/records/form-preview/<record_type>")
@roles_required(Role.WORKER, Role.MANAGER)
def form_preview(record_type: str):
    shown = _definition_or_404(record_type)
    return render_template("records/form_preview.html", definition=shown, record_types=RECORD_TYPES)
