"""The one guard in front of every /api rule (the API blueprint and the area blueprints nested in it).

Order: a revoked device is refused first (even without a session), then the session, then the device:
a worker (the only role that uses the offline app) needs a live device registered to them on every
endpoint that sends or takes case data. Fail closed: an endpoint needs the device unless listed below.
"""

from __future__ import annotations

from flask import g, jsonify, request
from flask_login import current_user, logout_user

from .. import audit
from ..audit import DEVICE_HEADER
from ..devices.services import find_device, touch
from ..errors import error_response
from ..models import Role
from . import bp
from .limits import allow_larger_body_where_needed, refuse_unreadable_json

# Reachable without a session: the app needs them to renew one.
SIGNED_OUT_ENDPOINTS = {"api.session_status", "api.sign_in", "api.openapi"}
# No case data, and needed before (or to) register a device: who am I, register, the public sealing key,
# the record definitions (also read by the form preview web page).
DEVICE_NOT_NEEDED = {"api.me", "api.register", "api.sealing_key", "api.records.record_types", "api.records.record_type"}
# The lone-worker safety net (api.safety.*) is never refused for want of the offline app: a worker may
# check in from the /safety page of any browser. A device id sent there must still be live and theirs.
SAFETY_PREFIX = "api.safety."
DEVICE_USERS = {Role.WORKER}


def device_needed(endpoint: str | None) -> bool:
    """Does this endpoint need a live registered device when a device user calls it?"""
    return not (
        endpoint is None
        or endpoint in SIGNED_OUT_ENDPOINTS
        or endpoint in DEVICE_NOT_NEEDED
        or endpoint.startswith(SAFETY_PREFIX)
    )


def device_revoked_response(device):
    """410: the app wipes everything readable on the device when it sees this."""
    body = jsonify(
        error="device_revoked",
        revoked_at=device.revoked_at.isoformat(),
        message="An administrator revoked this device. Its readable data is being removed.",
    )
    return body, 410


@bp.before_request
def refuse_revoked_devices_and_expired_sessions():
    # Only a registered device reaches g (and so the audit trail); anything else in the header is dropped.
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
    if device is not None and device.user_id != current_user.id:
        g.device = None
        return error_response(403, "device_other_user", "This device is registered to another worker.")
    if device is None and current_user.role in DEVICE_USERS and device_needed(request.endpoint):
        return error_response(
            403,
            "device_required",
            f"This needs a device registered to you: set up the app on this device and send its id in {DEVICE_HEADER}.",
        )
    if device is not None:
        touch(device)
    # Bodies are read only now, for a caller who passed the checks above (sign-in reads its own, after its throttle).
    allow_larger_body_where_needed()
    return refuse_unreadable_json()
