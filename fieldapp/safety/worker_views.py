"""The worker's safety page and JSON API: start, extend, locate, check out, panic, PINs, push subscriptions."""

from __future__ import annotations

from flask import current_app, g, jsonify, render_template
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from ..access import roles_required
from ..extensions import db
from ..models import Role, SafetySession, SessionState
from . import api_bp, bp, channels, panic, sessions, subscriptions, worker_feed
from .api import int_field, json_body, now, refusals_as_json, str_field
from .immediate import deliver_after_response
from .sessions import SafetyError


def worker_view(session: SafetySession | None, at) -> dict:
    """The session as the worker sees it. Never says duress; a duress check-out reads as checked out."""
    if session is None or session.checked_out_at is not None or session.state == SessionState.CLOSED:
        return {"session": None, "server_time": at.isoformat()}
    state = session.state.value if session.state != SessionState.ACKNOWLEDGED else "alert"
    return {
        "server_time": at.isoformat(),
        "session": {
            "id": session.public_id,
            "state": state,
            "address": session.address,
            "notes": session.notes,
            "child": session.child.full_name if session.child else None,
            "expected_end": session.expected_end.isoformat(),
            "seconds_remaining": int((session.expected_end - at).total_seconds()),
            "sharing_location": session.last_location_at is not None,
        },
    }


@bp.get("/safety")
def worker_page():
    """A static page (part of the offline shell, cached by the service worker): everything personal comes from
    /api/safety/me, so the panic button shows offline. Like /app it needs no sign-in to load."""
    return render_template("safety/worker.html")


@api_bp.get("/safety/me")
@roles_required(Role.WORKER, Role.MANAGER)
def me():
    at, session = now(), sessions.open_session_for(current_user)
    return {
        **worker_view(session, at),
        **worker_feed.page_context(current_user, session, at),
        "csrf_token": generate_csrf(),
    }


@api_bp.post("/safety/sessions")
@roles_required(Role.WORKER, Role.MANAGER)
@refusals_as_json
def start_session():
    body, at = json_body(), now()
    session = sessions.start(
        current_user,
        at,
        int_field(body, "minutes"),
        child_public_id=str_field(body, "child_id", 64) or None,
        address=str_field(body, "address", 500),
        notes=str_field(body, "notes"),
    )
    return worker_view(session, at), 201


@api_bp.post("/safety/sessions/<public_id>/extend")
@roles_required(Role.WORKER, Role.MANAGER)
@refusals_as_json
def extend_session(public_id: str):
    body, at = json_body(), now()
    session = sessions.own_session(current_user, public_id)
    sessions.extend(session, at, int_field(body, "minutes", 15))
    return worker_view(session, at)


@api_bp.post("/safety/sessions/<public_id>/location")
@roles_required(Role.WORKER, Role.MANAGER)
@refusals_as_json
def share_location(public_id: str):
    body, at = json_body(), now()
    session = sessions.own_session(current_user, public_id)
    sessions.update_location(session, at, body.get("lat"), body.get("lon"), body.get("accuracy"))
    return {"ok": True}


@api_bp.post("/safety/sessions/<public_id>/check-out")
@roles_required(Role.WORKER, Role.MANAGER)
@refusals_as_json
def check_out(public_id: str):
    body, at = json_body(), now()
    session = sessions.own_session(current_user, public_id)
    try:
        alert = sessions.check_out(session, at, pin=str_field(body, "pin", 16) or None)
    except SafetyError as error:
        if error.code != "wrong_pin":
            raise
        alert = sessions.wrong_checkout_pin(session, at, current_app.config["SAFETY_WRONG_PIN_ALERT_AT"])
        db.session.commit()  # a refusal rolls the request back: the wrong try, and any alert, must stay
        response = jsonify(error=error.code, message=str(error))
        deliver_after_response(response, alert)
        return response, error.status
    # Byte-for-byte the same answer whether or not the PIN was the duress PIN.
    response = jsonify(state="checked_out", message="You have checked out. Your safety session has ended.")
    deliver_after_response(response, alert)
    return response


@api_bp.post("/safety/panic")
@roles_required(Role.WORKER, Role.MANAGER)
@refusals_as_json
def panic_view():
    body, at = json_body(), now()
    session, alert = panic.receive(current_user, at, body)
    pressed = session.panic_pressed_at or at
    response = jsonify(
        state="alert",
        session=session.public_id,
        pressed_at=pressed.isoformat(),
        received_at=(session.panic_at or at).isoformat(),
        repeated=alert is None,
        message="Panic alert raised: your managers are being alerted now. If you can, call 999.",
    )
    deliver_after_response(response, alert)
    return response


@api_bp.post("/safety/pins")
@roles_required(Role.WORKER, Role.MANAGER)
@refusals_as_json
def set_pins():
    body = json_body()
    sessions.set_pins(
        current_user,
        str_field(body, "checkout_pin", 16),
        str_field(body, "duress_pin", 16),
        password=str_field(body, "password", 1024) or None,
        now=now(),
    )
    return {"ok": True, "message": "Your check-out PIN and duress PIN are saved."}


@api_bp.get("/safety/push-key")
@roles_required(Role.WORKER, Role.MANAGER)
@refusals_as_json
def push_key():
    vapid = channels.load_vapid(current_app)
    if vapid is None:
        raise SafetyError("Push notifications are not set up on this server (no VAPID key).", 503, "unavailable")
    return {"public_key": channels.vapid_public_key(vapid)}


@api_bp.post("/safety/push-subscriptions")
@roles_required(Role.WORKER, Role.MANAGER)
@refusals_as_json
def subscribe():
    endpoint, p256dh, auth = subscriptions.subscription_fields(json_body())
    device_id = g.device.id if g.device is not None else None  # registered devices only (API guard)
    subscription = subscriptions.subscribe(current_user, endpoint, p256dh, auth, device_id)
    return {"ok": True, "id": subscription.id}, 201


@api_bp.delete("/safety/push-subscriptions")
@roles_required(Role.WORKER, Role.MANAGER)
@refusals_as_json
def unsubscribe():
    subscriptions.unsubscribe(current_user, str_field(json_body(), "endpoint", 1024))
    return {"ok": True}
