"""The worker's safety page and JSON API: start, extend, locate, check out, panic, PINs, push subscriptions."""

from __future__ import annotations

from flask import current_app, jsonify, render_template
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy import select

from ..access import roles_required
from ..audit import DEVICE_HEADER
from ..extensions import db
from ..models import PushSubscription, Role, SafetySession, SessionState
from . import bp, channels, deliver_after_response, panic, sessions, worker_feed
from .api import int_field, json_body, now, refusals_as_json, str_field
from .sessions import SafetyError


def worker_view(session: SafetySession | None, at) -> dict:
    """The session as the worker sees it. Never says duress; a duress check-out reads as checked out."""
    if session is None or session.checked_out_at is not None or session.state == SessionState.CLOSED:
        return {"session": None, "server_time": at.isoformat()}
    state = session.state.value if session.state != SessionState.ACKNOWLEDGED else "alert"
    return {"server_time": at.isoformat(), "session": {
        "id": session.public_id, "state": state, "address": session.address, "notes": session.notes,
        "child": session.child.full_name if session.child else None,
        "expected_end": session.expected_end.isoformat(),
        "seconds_remaining": int((session.expected_end - at).total_seconds()),
        "sharing_location": session.last_location_at is not None,
    }}


@bp.get("/safety")
def worker_page():
    """A static page (part of the offline shell, cached by the service worker): everything personal comes from
    /api/safety/me, so the panic button shows offline. Like /app it needs no sign-in to load."""
    return render_template("safety/worker.html")


@bp.get("/api/safety/me")
@roles_required(Role.WORKER, Role.MANAGER)
def me():
    at, session = now(), sessions.open_session_for(current_user)
    return {**worker_view(session, at), **worker_feed.page_context(current_user, session, at),
            "csrf_token": generate_csrf()}


@bp.post("/api/safety/sessions")
@roles_required(Role.WORKER, Role.MANAGER)
@refusals_as_json
def start_session():
    body, at = json_body(), now()
    session = sessions.start(current_user, at, int_field(body, "minutes"),
                             child_public_id=str_field(body, "child_id", 64) or None,
                             address=str_field(body, "address", 500), notes=str_field(body, "notes"))
    return worker_view(session, at), 201


@bp.post("/api/safety/sessions/<public_id>/extend")
@roles_required(Role.WORKER, Role.MANAGER)
@refusals_as_json
def extend_session(public_id: str):
    body, at = json_body(), now()
    session = sessions.own_session(current_user, public_id)
    sessions.extend(session, at, int_field(body, "minutes", 15))
    return worker_view(session, at)


@bp.post("/api/safety/sessions/<public_id>/location")
@roles_required(Role.WORKER, Role.MANAGER)
@refusals_as_json
def share_location(public_id: str):
    body, at = json_body(), now()
    session = sessions.own_session(current_user, public_id)
    sessions.update_location(session, at, body.get("lat"), body.get("lon"), body.get("accuracy"))
    return {"ok": True}


@bp.post("/api/safety/sessions/<public_id>/check-out")
@roles_required(Role.WORKER, Role.MANAGER)
@refusals_as_json
def check_out(public_id: str):
    body, at = json_body(), now()
    session = sessions.own_session(current_user, public_id)
    alert = sessions.check_out(session, at, pin=str_field(body, "pin", 16) or None)
    # Byte-for-byte the same answer whether or not the PIN was the duress PIN.
    response = jsonify(state="checked_out", message="You have checked out. Your safety session has ended.")
    deliver_after_response(response, alert)
    return response


@bp.post("/api/safety/panic")
@roles_required(Role.WORKER, Role.MANAGER)
@refusals_as_json
def panic_view():
    body, at = json_body(), now()
    session, alert = panic.receive(current_user, at, body)
    pressed = session.panic_pressed_at or at
    response = jsonify(state="alert", session=session.public_id, pressed_at=pressed.isoformat(),
                       received_at=(session.panic_at or at).isoformat(), repeated=alert is None,
                       message="Panic alert raised: your managers are being alerted now. If you can, call 999.")
    deliver_after_response(response, alert)
    return response


@bp.post("/api/safety/pins")
@roles_required(Role.WORKER, Role.MANAGER)
@refusals_as_json
def set_pins():
    body = json_body()
    sessions.set_pins(current_user, str_field(body, "checkout_pin", 16), str_field(body, "duress_pin", 16))
    return {"ok": True, "message": "Your check-out PIN and duress PIN are saved."}


@bp.get("/api/safety/push-key")
@roles_required(Role.WORKER, Role.MANAGER)
@refusals_as_json
def push_key():
    vapid = channels.load_vapid(current_app)
    if vapid is None:
        raise SafetyError("Push notifications are not set up on this server (no VAPID key).", 503, "unavailable")
    return {"public_key": channels.vapid_public_key(vapid)}


def _subscription_fields(body: dict) -> tuple[str, str, str]:
    keys = body.get("keys")
    endpoint = str_field(body, "endpoint", 1024)
    if not isinstance(keys, dict) or not endpoint.startswith(("https://", "http://")):
        raise SafetyError("A push subscription needs an endpoint URL and keys {p256dh, auth}.")
    p256dh, auth = str_field(keys, "p256dh", 200), str_field(keys, "auth", 64)
    if not p256dh or not auth:
        raise SafetyError("A push subscription needs keys {p256dh, auth}.")
    return endpoint, p256dh, auth


@bp.post("/api/safety/push-subscriptions")
@roles_required(Role.WORKER, Role.MANAGER)
@refusals_as_json
def subscribe():
    from flask import request

    endpoint, p256dh, auth = _subscription_fields(json_body())
    subscription = db.session.scalar(select(PushSubscription).where(PushSubscription.endpoint == endpoint))
    if subscription is None:
        subscription = PushSubscription(endpoint=endpoint)
        db.session.add(subscription)
    # A browser's endpoint belongs to whoever signed in on it last.
    subscription.user_id, subscription.p256dh, subscription.auth = current_user.id, p256dh, auth
    subscription.device_id = (request.headers.get(DEVICE_HEADER) or "")[:64] or None
    db.session.flush()
    return {"ok": True, "id": subscription.id}, 201


@bp.delete("/api/safety/push-subscriptions")
@roles_required(Role.WORKER, Role.MANAGER)
@refusals_as_json
def unsubscribe():
    endpoint = str_field(json_body(), "endpoint", 1024)
    db.session.execute(db.delete(PushSubscription).where(PushSubscription.endpoint == endpoint,
                                                         PushSubscription.user_id == current_user.id))
    return {"ok": True}
