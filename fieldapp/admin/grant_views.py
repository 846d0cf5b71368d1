"""Admin pages for role grants: the pending ones (confirm or refuse) and the last month's decisions."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from ..access import roles_required
from ..extensions import db
from ..models import Role, RoleGrant
from . import bp
from .grants import GrantError, confirm_grant, pending_grants, recent_decisions, refuse_grant

admin_only = roles_required(Role.ADMIN)


@bp.get("/role-grants")
@admin_only
def role_grants():
    return render_template("admin/role_grants.html", pending_grants=pending_grants(), decided=recent_decisions())


@bp.post("/role-grants/<int:grant_id>/<any(confirm, refuse):decision>")
@admin_only
def decide_role_grant(grant_id: int, decision: str):
    grant = db.get_or_404(RoleGrant, grant_id)
    try:
        (confirm_grant if decision == "confirm" else refuse_grant)(grant, current_user._get_current_object())
    except GrantError as error:
        abort(error.status, str(error))
    verb = "Confirmed" if decision == "confirm" else "Refused"
    flash(f"{verb}: {grant.role.value} role for {grant.user.display_name}.", "success")
    return redirect(url_for("admin.role_grants"))
