"""Admin pages: every user's devices, and revoking one."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from ..access import roles_required
from ..models import Role
from . import bp
from .services import devices_by_user, find_device, revoke_device

admin_only = roles_required(Role.ADMIN)


@bp.get("/")
@admin_only
def index():
    return render_template("admin/devices.html", rows=devices_by_user())


@bp.post("/<device_id>/revoke")
@admin_only
def revoke(device_id: str):
    device = find_device(device_id) or abort(404, "No such device.")
    if revoke_device(device, current_user):
        flash(f"Revoked “{device.name}” of {device.user.display_name}. It will wipe its data on its next contact.",
              "success")
    else:
        flash(f"“{device.name}” was already revoked.", "info")
    return redirect(url_for("devices.index"))
