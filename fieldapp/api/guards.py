"""Checks that run before every API call: a revoked device is refused first, then the session."""

from __future__ import annotations

from flask import g, jsonify, request
from flask_login import current_user, logout_user

from .. import audit
from ..audit import DEVICE_HEADER
from ..devices.services import find_device, touch
from ..errors import error_response
from . import bp

# Reachable without a session: the app needs them to renew one.
SIGNED_OUT_ENDPOINTS = {"api.session_status", "api.sign_in", "api.openapi"}


def device_revoked_response(device):
    """410: the app wipes everything readable on the device when it sees this."""
    body = jsonify(error="device_revoked", revoked_at=device.revoked_at.isoformat(),
                   message="An administrator revoked this device. Its readable data is being removed.")
    return body, 410


@bp.before_request
def refuse_revoked_devices_and_expired_sessions():
    device = find_device(request.headers.get(DEVICE_HEADER))
    g.device = device
    if device is not None and device.is_revoked:
        # Checked before the session: a stolen device must wipe even when its session is long gone.
        audit.record_now("revoked_device_contact", detail=f"device={device.id}", actor=device.user)
        if current_user.is_authenticated:
            logout_user()
        return device_revoked_response(device)
    if request.endpoint in SIGNED_OUT_ENDPOINTS:
        return None
    if not current_user.is_authenticated:
        return error_response(401, "session_expired", "Your session has ended. Enter your password to carry on.")
    if device is not None:
        if device.user_id != current_user.id:
            return error_response(403, "device_other_user", "This device is registered to another worker.")
        touch(device)
    return None
