"""For load balancers and monitors: /healthz (process up), /readyz (ready to keep workers safe), /metrics.

/metrics is Prometheus text. With FIELDAPP_METRICS_TOKEN set it needs `Authorization: Bearer <token>`; without a
token it answers loopback callers only (a scraper on the same host, or through a local proxy that adds the token).
"""

from __future__ import annotations

import hmac
import ipaddress
from datetime import timedelta

from flask import Blueprint, Response, current_app, jsonify, request
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from sqlalchemy import func, select, text

from ..crypto.sealing import current_keyring
from ..delivery.metrics import DeliveryCollector
from ..extensions import db
from ..models import SafetyAlert, SafetyDelivery, SafetySession, SessionState, utcnow
from . import channels, liveness

health_bp = Blueprint("health", __name__)
OPEN_STATES = (SessionState.ACTIVE, SessionState.OVERDUE, SessionState.ALERT, SessionState.ACKNOWLEDGED)


@health_bp.get("/healthz")
def healthz():
    return {"status": "ok"}


def _checks() -> dict[str, str]:
    checks = {}
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as error:  # noqa: BLE001  (reported, never raised: this is the health check)
        db.session.rollback()
        checks["database"] = f"unreachable: {error.__class__.__name__}"
    try:
        checks["sealing_key"] = "ok" if current_keyring().current_kid else "missing: run `fieldapp keys generate`"
    except Exception as error:  # noqa: BLE001
        checks["sealing_key"] = f"unreadable: {error.__class__.__name__}"
    checks["vapid_key"] = "ok" if channels.load_vapid(current_app) else "missing: run `fieldapp vapid generate`"
    if checks["database"] == "ok":
        newest = liveness.newest_beat()
        if liveness.heartbeat_fresh(utcnow(), newest):
            checks["escalator"] = "ok"
        else:
            checks["escalator"] = f"no fresh heartbeat (last {newest.isoformat() if newest else 'never'})"
    else:
        checks["escalator"] = "unknown: database unreachable"
    return checks


@health_bp.get("/readyz")
def readyz():
    checks = _checks()
    ready = all(value == "ok" for value in checks.values())
    return jsonify(status="ready" if ready else "not ready", checks=checks), 200 if ready else 503


class SafetyCollector:
    """Figures read from the database at scrape time, so every web process reports the same truth."""

    def collect(self):
        now = utcnow()
        oldest_due = db.session.scalar(
            select(func.min(SafetySession.next_due_at)).where(
                SafetySession.next_due_at <= now, SafetySession.state.in_(OPEN_STATES)
            )
        )
        yield _gauge(
            "fieldapp_safety_sweep_lag_seconds",
            "How late the most overdue escalation step is (0 when nothing is waiting).",
            _age(now, oldest_due),
        )
        oldest_unsent = db.session.scalar(
            select(func.min(SafetyAlert.triggered_at))
            .join(SafetyDelivery, SafetyDelivery.alert_id == SafetyAlert.id)
            .where(SafetyDelivery.state.in_(("pending", "sending")))
        )
        yield _gauge(
            "fieldapp_safety_oldest_unsent_alert_seconds",
            "Age of the oldest alert with a delivery not yet sent.",
            _age(now, oldest_unsent),
        )
        deliveries = GaugeMetricFamily(
            "fieldapp_safety_deliveries", "Deliveries by channel and outcome (state).", labels=["channel", "outcome"]
        )
        for channel, state, count in db.session.execute(
            select(SafetyDelivery.channel, SafetyDelivery.state, func.count()).group_by(
                SafetyDelivery.channel, SafetyDelivery.state
            )
        ):
            deliveries.add_metric([channel, state], count)
        yield deliveries
        active = db.session.scalar(
            select(func.count()).select_from(SafetySession).where(SafetySession.state.in_(OPEN_STATES))
        )
        yield _gauge("fieldapp_safety_active_sessions", "Safety sessions not yet closed.", active or 0)
        newest = liveness.newest_beat()
        yield _gauge(
            "fieldapp_safety_escalator_heartbeat_age_seconds",
            "Seconds since the freshest escalator heartbeat (-1: never).",
            _age(now, newest) if newest else -1,
        )
        yield _gauge(
            "fieldapp_safety_escalator_up",
            "1 when an escalator heartbeat is fresh.",
            1 if liveness.heartbeat_fresh(now, newest) else 0,
        )


def _age(now, moment) -> float:
    return max(0.0, (now - moment) / timedelta(seconds=1)) if moment else 0.0


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def _metrics_allowed() -> bool:
    token = current_app.config.get("METRICS_TOKEN")
    if token:
        given = request.headers.get("Authorization", "")
        return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())
    if request.headers.get("X-Forwarded-For") or request.headers.get("Forwarded"):
        return False  # a reverse proxy on this host makes everyone look like loopback
    try:
        return ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


@health_bp.get("/metrics")
def metrics():
    if not _metrics_allowed():
        return Response(
            "metrics: loopback only, or set FIELDAPP_METRICS_TOKEN and send it as a Bearer token\n",
            status=403,
            mimetype="text/plain",
        )
    registry = CollectorRegistry(auto_describe=False)
    registry.register(SafetyCollector())
    registry.register(DeliveryCollector())  # the case-record export queue (fieldapp/delivery/)
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
