"""Admin pages: every user's devices, and revoking one."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..access import roles_required
from ..models import Role
from . import bp
from .reports import held_on
from .services import devices_by_user, find_device, revoke_device

admin_only = roles_required(Role.ADMIN)


@bp.get("/")
@admin_only
def index():
    return render_template("admin/devices.html", rows=devices_by_user())


@bp.get("/<device_id>/revoke")
@admin_only
def confirm_revoke(device_id: str):
    """Its own page: what the device still holds that has not reached the server, before anything happens."""
    device = find_device(device_id) or abort(404, "No such device.")
    return render_template("admin/revoke_device.html", device=device, held=held_on(device))


@bp.post("/<device_id>/revoke")
@admin_only
def revoke(device_id: str):
    device = find_device(device_id) or abort(404, "No such device.")
    if request.form.get("confirm") != "yes":  # only the confirmation page's button revokes
        return redirect(url_for("devices.confirm_revoke", device_id=device.id))
    if revoke_device(device, current_user):
        flash(
            f"Revoked “{device.name}” of {device.user.display_name}. It will wipe its data on its next contact.",
            "success",
        )
    else:
        flash(f"“{device.name}” was already revoked.", "info")
    return redirect(url_for("devices.index"))
