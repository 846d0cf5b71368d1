"""JSON endpoints for the app shell: who am I, sign in again, register this device, caseload, sealing key."""

from __future__ import annotations

from datetime import date

from flask import current_app, g, jsonify, request
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from .. import audit
from ..access import roles_required
from ..auth.oidc.methods import sign_in_methods
from ..auth.second_step import check_code_in_json_sign_in
from ..auth.services import authenticate, complete_sign_in, throttled_sign_in
from ..crypto.sealing import ALGORITHM, NoSealingKey, current_keyring
from ..devices.services import DeviceError, register_device
from ..errors import error_response
from ..models import Device, Role, User
from . import bp
from .caseload import caseload_payload


def _json_object() -> dict:
    """The request's JSON body if it is an object; anything else counts as empty (and fails validation as such)."""
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


def _device_payload(device: Device | None) -> dict:
    if device is None:
        return {"status": "unregistered"}
    return {
        "status": "registered",
        "id": device.id,
        "name": device.name,
        "registered_at": device.registered_at.isoformat(),
    }


def me_payload(user: User, device: Device | None) -> dict:
    config = current_app.config
    return {
        "user": {"id": user.id, "username": user.username, "display_name": user.display_name},
        "role": user.role.value,
        "csrf_token": generate_csrf(),
        "device": _device_payload(device),
        "vault": {"idle_seconds": config["VAULT_IDLE_SECONDS"], "max_pin_attempts": config["VAULT_MAX_PIN_ATTEMPTS"]},
        "drafts": {"stale_after_days": config["STALE_DRAFT_DAYS"]},
        "sign_in": sign_in_methods(),
    }


@bp.get("/me")
def me():
    return me_payload(current_user, g.device)


@bp.get("/session")
def session_status():
    """Signed in or not, and a CSRF token to sign in with."""
    return {"authenticated": current_user.is_authenticated, "csrf_token": generate_csrf(), "sign_in": sign_in_methods()}


@bp.post("/session")
@throttled_sign_in
def sign_in():
    """Renew an expired session from inside the app, without leaving the page."""
    body = _json_object()
    user = authenticate(body.get("username"), body.get("password"))
    if user is None:
        return error_response(401, "invalid_credentials", "That username and password do not match an active account.")
    if g.device is not None and g.device.user_id != user.id:
        return error_response(403, "device_other_user", "This device is registered to another worker.")
    refusal, detail = check_code_in_json_sign_in(user, body.get("code"))  # a second factor, if the user has one
    if refusal is not None:
        return refusal
    complete_sign_in(user, detail=f"method=password {detail}")
    return me_payload(user, g.device)


@bp.post("/devices")
@roles_required(Role.WORKER)
def register():
    body = _json_object()
    try:
        device, created = register_device(current_user, body.get("id"), body.get("name"))
    except DeviceError as error:
        return error_response(error.status, error.code, str(error))
    return jsonify(_device_payload(device)), (201 if created else 200)


@bp.get("/caseload")
@roles_required(Role.WORKER)
def caseload():
    payload = caseload_payload(current_user, date.today())
    # One event per child: each child's trail shows that their details went to this device.
    audit.record_many([("device_caseload", child["public_id"], "sent to the device") for child in payload["children"]])
    return payload


@bp.get("/keys/sealing")
def sealing_key():
    try:
        key = current_keyring().current
    except NoSealingKey:
        return error_response(
            503,
            "no_sealing_key",
            "The server has no sealing key yet; an administrator must run `fieldapp keys generate`.",
        )
    return {"kid": key.kid, "alg": ALGORITHM, "public_key": key.public_b64}
