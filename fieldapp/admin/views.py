"""Admin pages: users, teams, allocations and the audit export."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms import SelectChoice

from .. import audit
from ..access import roles_required
from ..cases.services import AllocationError, allocate
from ..csv_cells import csv_text
from ..extensions import db
from ..models import Role, Team, User
from . import bp, directory
from .accounts import AccountValues, save_account
from .forms import AllocationForm, TeamForm, UserForm
from .grants import pending_grants
from .teams import TeamNameTaken, save_team

admin_only = roles_required(Role.ADMIN)


def _team_choices():
    return [SelectChoice(0, "— none —")] + [SelectChoice(t.id, t.name) for t in directory.teams_by_name()]


@bp.get("/")
@admin_only
def index():
    return redirect(url_for("admin.users"))


@bp.get("/users")
@admin_only
def users():
    return render_template("admin/users.html", users=directory.users_by_name(), pending_grants=pending_grants())


@bp.route("/users/new", methods=["GET", "POST"])
@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@admin_only
def edit_user(user_id: int | None = None):
    user = db.get_or_404(User, user_id) if user_id else None
    form = UserForm(obj=user)
    form.team_id.choices = _team_choices()
    if request.method == "GET" and user is not None:
        form.team_id.data = user.team_id or 0
        form.role.data = user.role.value
    if form.validate_on_submit():
        if user is None and not form.password.data:
            form.password.errors.append("A new user needs a password.")
        elif user is None and directory.username_taken(form.username.data):
            form.username.errors.append("That username is taken.")
        else:
            user, grant = save_account(
                user,
                AccountValues(
                    username=form.username.data,
                    display_name=form.display_name.data,
                    email=form.email.data or None,
                    role=Role(form.role.data),
                    team_id=form.team_id.data or None,
                    part_time=form.part_time.data,
                    caseload_limit=form.caseload_limit.data,
                    active=form.active.data,
                    password=form.password.data or None,
                    phone=form.phone.data,
                ),
                by=current_user._get_current_object(),
            )
            waiting = f" The {grant.role.value} role waits for another admin to confirm it." if grant else ""
            flash(f"Saved {user.display_name}.{waiting}", "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=user), (400 if form.errors else 200)


@bp.get("/teams")
@admin_only
def teams():
    return render_template("admin/teams.html", teams=directory.teams_with_members())


@bp.route("/teams/new", methods=["GET", "POST"])
@bp.route("/teams/<int:team_id>", methods=["GET", "POST"])
@admin_only
def edit_team(team_id: int | None = None):
    team = db.get_or_404(Team, team_id) if team_id else None
    form = TeamForm(obj=team)
    if form.validate_on_submit():
        try:
            team = save_team(
                team,
                form.name.data,
                caseload_limit_full_time=form.caseload_limit_full_time.data,
                caseload_limit_part_time=form.caseload_limit_part_time.data,
            )
        except TeamNameTaken as taken:
            form.name.errors.append(str(taken))
        else:
            flash(f"Saved team {team.name}.", "success")
            return redirect(url_for("admin.teams"))
    return render_template("admin/team_form.html", form=form, team=team), (400 if form.errors else 200)


@bp.get("/allocations")
@admin_only
def allocations():
    return render_template("admin/allocations.html", children=directory.children_with_allocations())


@bp.route("/allocations/<public_id>", methods=["GET", "POST"])
@admin_only
def allocate_child(public_id: str):
    child = directory.child_by_public_id(public_id) or abort(404)
    form = AllocationForm()
    workers = directory.active_workers()
    form.worker_id.choices = [SelectChoice(0, "— unallocated —")] + [
        SelectChoice(w.id, w.display_name) for w in workers
    ]
    if request.method == "GET" and child.current_allocation:
        form.worker_id.data = child.current_allocation.worker_id
    if form.validate_on_submit():
        worker = db.session.get(User, form.worker_id.data) if form.worker_id.data else None
        try:
            allocate(child, worker, current_user)
        except AllocationError as error:
            form.worker_id.errors.append(str(error))
        else:
            flash(
                f"{child.case_number} is now {'allocated to ' + worker.display_name if worker else 'unallocated'}.",
                "success",
            )
            return redirect(url_for("admin.allocations"))
    return render_template("admin/allocate.html", form=form, child=child), (400 if form.errors else 200)


@bp.get("/audit.csv")
@admin_only
def audit_csv():
    """The whole audit trail (optionally one child's) as CSV, streamed in id order."""
    child_filter = request.args.get("child")
    audit.record("export_audit", child_public_id=child_filter, detail="audit CSV export")
    rows = directory.audit_csv_rows(child_filter)
    return Response(
        csv_text(directory.AUDIT_CSV_HEADER, rows),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=fieldapp-audit.csv"},
    )
