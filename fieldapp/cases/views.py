"""Caseload and child pages."""

from __future__ import annotations

from datetime import date

from flask import render_template
from flask_login import current_user, login_required
from sqlalchemy.orm import selectinload

from .. import audit
from ..access import child_or_404, roles_required
from ..models import Allocation, Child, Role
from . import bp
from .queries import audit_trail, caseload_for


@bp.get("/caseload")
@roles_required(Role.WORKER, Role.MANAGER)
def caseload():
    rows = caseload_for(current_user)
    title = "My caseload" if current_user.role == Role.WORKER else "Team caseload"
    audit.record("view_caseload", detail=f"{len(rows)} children listed")
    return render_template("cases/caseload.html", rows=rows, title=title, today=date.today())


def _child_with_allocations_or_404(public_id: str):
    # Allocations and their workers in the same look-up: the child page lists them.
    return child_or_404(public_id, selectinload(Child.allocations).selectinload(Allocation.worker))


@bp.get("/children/<public_id>")
@login_required  # any role may ask; only the access query decides, and a refusal is a 404 plus an audit event
def child(public_id: str):
    child = _child_with_allocations_or_404(public_id)
    audit.record("view_child", child_public_id=child.public_id)
    return render_template("cases/child.html", child=child, today=date.today())


@bp.get("/children/<public_id>/audit")
@roles_required(Role.MANAGER)
def child_audit(public_id: str):
    child = _child_with_allocations_or_404(public_id)
    audit.record("view_audit", child_public_id=child.public_id)
    return render_template("cases/audit.html", child=child, events=audit_trail(child))


@bp.get("/support")
@roles_required(Role.SUPPORT)
def support_home():
    return render_template("cases/support.html")
