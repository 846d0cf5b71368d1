"""Lone-worker safety: timed visit check-ins, panic and duress, staged escalation, web push, email, live board."""

from __future__ import annotations

import os

from flask import Blueprint, Flask

bp = Blueprint("safety", __name__)
# Its /api routes, nested in the API blueprint (fieldapp/api) so the API guard covers them.
api_bp = Blueprint("safety", __name__)


def _env(name: str, default=None):
    return os.environ.get(f"FIELDAPP_{name}", default)


def safety_settings() -> dict:
    """Safety settings from FIELDAPP_* variables; test_config given to create_app() wins over these."""
    return {
        "VAPID_PRIVATE_KEY": _env("VAPID_PRIVATE_KEY"),
        "VAPID_SUBJECT": _env("VAPID_SUBJECT", "mailto:fieldapp-admin@example.invalid"),
        "SMTP_HOST": _env("SMTP_HOST"),
        "SMTP_PORT": int(_env("SMTP_PORT", "25")),
        "SMTP_FROM": _env("SMTP_FROM", "fieldapp-safety@localhost"),
        "SMTP_USERNAME": _env("SMTP_USERNAME"),
        "SMTP_PASSWORD": _env("SMTP_PASSWORD"),
        "DUTY_DESK_PHONE": _env("DUTY_DESK_PHONE", ""),
        "TIMEZONE": _env("TIMEZONE", "Europe/London"),
        "ESCALATOR_TICK_SECONDS": float(_env("ESCALATOR_TICK_SECONDS", "0.5")),
        "SAFETY_DELIVERY_LEASE_SECONDS": int(_env("SAFETY_DELIVERY_LEASE_SECONDS", "60")),
        # Panic and duress are sent from the request's own thread straight after commit, not at the next tick.
        "SAFETY_DELIVER_ON_REQUEST": True,
    }


def init_app(app: Flask) -> None:
    for key, value in safety_settings().items():
        app.config.setdefault(key, value)
    from . import board_views, worker_views  # noqa: F401  (routes register on bp)
    from .health import health_bp
    from .liveness import backstop_before_request, banner_context

    app.register_blueprint(bp)
    app.register_blueprint(health_bp)
    app.context_processor(banner_context)
    app.before_request(backstop_before_request)  # cheap: re-checks at most every SAFETY_BACKSTOP_SECONDS


def deliver_after_response(response, alert) -> None:
    """Send `alert` as soon as the response (and so the commit) is done, not at the next escalator tick."""
    if alert is not None:
        from flask import current_app

        app, alert_id = current_app._get_current_object(), alert.id
        response.call_on_close(lambda: deliver_soon(app, alert_id))


def deliver_soon(app: Flask, alert_id: int) -> None:
    """After a panic or duress commit: send this alert's deliveries now, on the priority lane, each on its own."""
    if not app.config.get("SAFETY_DELIVER_ON_REQUEST"):
        return
    from .lane import lanes

    # The escalator is the backstop: anything the lane fails to send stays queued for its next sweep.
    lanes().submit(True, _claim_and_send, app, alert_id)


def _claim_and_send(app: Flask, alert_id: int) -> None:
    from ..extensions import db
    from ..models import utcnow
    from .deliveries import deliver_pending

    with app.app_context():
        try:
            # wait=False: each delivery goes to its own lane thread; none waits for another's endpoint.
            deliver_pending(utcnow(), limit=500, alert_id=alert_id, clock=utcnow, priority=True, wait=False)
        finally:
            db.session.remove()
