"""Oversight pages: a manager's team dashboard, the admins' service view, CSV exports and allocate-to."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from .. import audit
from ..access import children_visible_to, roles_required
from ..cases.services import AllocationError, allocate
from ..extensions import db
from ..models import Allocation, Child, LegalStatus, Role, Team, User, utcnow
from ..records.visit_due import NO_SEEN_VISIT
from . import bp
from .dashboard import service_dashboard, team_dashboard
from .exports import EXPORTS, render_csv
from .filters import Filters, parse_filters
from .reviews import AWAITING_SIGNOFF_URL
from .scope import Scope, scope_for


def _today() -> date:
    # Due dates are calendar days where the team works, not UTC days.
    return datetime.now(ZoneInfo(current_app.config.get("TIMEZONE", "Europe/London"))).date()


def _team_workers(team_id: int | None) -> list[User]:
    query = select(User).where(User.role == Role.WORKER).order_by(User.display_name)
    if team_id is not None:
        query = query.where(User.team_id == team_id)
    return list(db.session.scalars(query))


def _checked_scope(filters: Filters) -> tuple[Scope, list[User]]:
    """The caller's scope; a worker or team outside it is a 400 naming the value, not an empty page."""
    if current_user.role == Role.MANAGER:
        if current_user.team_id is None:
            abort(403, "You are not in a team, so there is no team dashboard to show.")
        if filters.team_id not in (None, current_user.team_id):
            abort(400, "Managers see their own team only; remove the team filter.")
    elif filters.team_id is not None and db.session.get(Team, filters.team_id) is None:
        abort(400, f"There is no team {filters.team_id}.")
    scope = scope_for(current_user, filters)
    workers = _team_workers(scope.team_id)
    if filters.worker_id is not None and filters.worker_id not in {worker.id for worker in workers}:
        abort(400, f"There is no social worker {filters.worker_id} in this view.")
    return scope, workers


@bp.get("/")
@roles_required(Role.MANAGER, Role.ADMIN)
def dashboard():
    if current_user.role == Role.ADMIN:
        return redirect(url_for("oversight.service", **request.args))
    today = _today()
    scope, workers = _checked_scope(parse_filters(request.args, today))
    figures = team_dashboard(scope, today, utcnow())
    audit.record("view_oversight", detail=f"team={scope.team_id} unallocated={figures['unallocated_count']}")
    return render_template(
        "oversight/dashboard.html",
        title="Team oversight",
        f=figures,
        filters=scope.filters,
        workers=workers,
        statuses=list(LegalStatus),
        today=today,
        no_seen_visit=NO_SEEN_VISIT,
        awaiting_url=AWAITING_SIGNOFF_URL,
    )


@bp.get("/service")
@roles_required(Role.ADMIN)
def service():
    today = _today()
    scope, workers = _checked_scope(parse_filters(request.args, today))
    return render_template(
        "oversight/service.html",
        title="Service oversight",
        filters=scope.filters,
        workers=workers,
        statuses=list(LegalStatus),
        today=today,
        teams=list(db.session.scalars(select(Team).order_by(Team.name))),
        **service_dashboard(scope, today),
    )


@bp.get("/<name>.csv")
@roles_required(Role.MANAGER, Role.ADMIN)
def export(name: str):
    export = EXPORTS.get(name) or abort(404, f"There is no list called {name[:40]!r} to export.")
    if export.names_children and current_user.role != Role.MANAGER:
        abort(403, "Lists that name children are for the team's manager.")
    today = _today()
    scope, _ = _checked_scope(parse_filters(request.args, today))
    audit.record("export_oversight", detail=f"{name} team={scope.team_id}")
    return Response(
        render_csv(export, scope, today, utcnow()),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename=fieldapp-{name}-{today}.csv"},
    )


@bp.post("/allocate")
@roles_required(Role.MANAGER)
def allocate_child():
    """One step from the unallocated list: this child to that worker of the manager's team."""
    child = db.session.scalar(
        children_visible_to(current_user).where(Child.public_id == (request.form.get("child") or "")[:64])
    )
    if child is None:
        abort(404, "No child record here that you have access to.")
    raw_worker = (request.form.get("worker") or "").strip()
    worker = db.session.get(User, int(raw_worker)) if raw_worker.isdigit() else None
    if worker is None or worker.team_id != current_user.team_id:
        abort(400, "Choose a social worker from your team to allocate to.")
    held_by = db.session.scalar(
        select(User)
        .join(Allocation, Allocation.worker_id == User.id)
        .where(Allocation.child_id == child.id, Allocation.ended_at.is_(None))
    )
    if held_by is not None:
        # Two managers on the same list: the second must not silently move a child the first just placed.
        flash(f"{child.case_number} is already allocated to {held_by.display_name}; nothing changed.", "error")
        return redirect(url_for("oversight.dashboard") + "#unallocated", 303)
    try:
        allocate(child, worker, current_user)
    except AllocationError as error:
        abort(400, str(error))
    flash(f"{child.case_number} is now allocated to {worker.display_name}.", "success")
    return redirect(url_for("oversight.dashboard") + "#unallocated", 303)
