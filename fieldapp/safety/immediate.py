"""Panic, duress and news for the worker are sent as soon as the request that raised them has committed, on the
priority lane (lane.py), not at the escalator's next tick; the escalator stays the backstop for anything missed."""

from __future__ import annotations

from flask import Flask, current_app

from ..extensions import db
from ..models import utcnow
from .deliveries import deliver_pending
from .lane import lanes


def deliver_after_response(response, alert) -> None:
    """Send `alert` as soon as the response (and so the commit) is done, not at the next escalator tick."""
    if alert is not None:
        app, alert_id = current_app._get_current_object(), alert.id
        response.call_on_close(lambda: deliver_soon(app, alert_id))


def deliver_soon(app: Flask, alert_id: int) -> None:
    """After a panic or duress commit: send this alert's deliveries now, on the priority lane, each on its own."""
    if not app.config.get("SAFETY_DELIVER_ON_REQUEST"):
        return
    # The escalator is the backstop: anything the lane fails to send stays queued for its next sweep.
    lanes().submit(True, _claim_and_send, app, alert_id)


def _claim_and_send(app: Flask, alert_id: int) -> None:
    with app.app_context():
        try:
            # wait=False: each delivery goes to its own lane thread; none waits for another's endpoint.
            deliver_pending(utcnow(), limit=500, alert_id=alert_id, clock=utcnow, priority=True, wait=False)
        finally:
            db.session.remove()
