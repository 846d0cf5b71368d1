"""Monthly figures per team in the style of BS 8484: sessions, alerts by kind, time to deliver and to acknowledge."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime

from sqlalchemy import func, select

from ..extensions import db
from ..models import AlertKind, SafetyAlert, SafetyDelivery, SafetySession
from ..models.safety import MANAGER_ALERT_KINDS


def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile: a value that actually occurred, as BS 8484-style reports quote."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def _summary(values: list[float]) -> dict:
    return {
        "count": len(values),
        "median": percentile(values, 50),
        "p90": percentile(values, 90),
        "p99": percentile(values, 99),
    }


def _bounds(month: date) -> tuple[datetime, datetime]:
    start = datetime(month.year, month.month, 1, tzinfo=UTC)
    end = datetime(month.year + (month.month == 12), month.month % 12 + 1, 1, tzinfo=UTC)
    return start, end


def monthly(team_id: int | None, month: date) -> dict:
    """Figures for one team and calendar month (UTC)."""
    start, end = _bounds(month)
    sessions = db.session.scalar(
        select(func.count())
        .select_from(SafetySession)
        .where(SafetySession.team_id == team_id, SafetySession.started_at >= start, SafetySession.started_at < end)
    )
    by_kind = dict(
        db.session.execute(
            select(SafetyAlert.kind, func.count())
            .where(
                SafetyAlert.team_id == team_id,
                SafetyAlert.triggered_at >= start,
                SafetyAlert.triggered_at < end,
            )
            .group_by(SafetyAlert.kind)
        ).all()
    )
    first_sent = (
        select(SafetyDelivery.alert_id, func.min(SafetyDelivery.sent_at).label("first"))
        .where(SafetyDelivery.state == "sent")
        .group_by(SafetyDelivery.alert_id)
        .subquery()
    )
    rows = db.session.execute(
        select(SafetyAlert.triggered_at, first_sent.c.first)
        .outerjoin(first_sent, first_sent.c.alert_id == SafetyAlert.id)
        .where(
            SafetyAlert.team_id == team_id,
            SafetyAlert.kind.in_(MANAGER_ALERT_KINDS),
            SafetyAlert.triggered_at >= start,
            SafetyAlert.triggered_at < end,
        )
    ).all()

    # min() over a UTCDateTime column loses the type: SQLite hands back a string, PostgreSQL an aware datetime.
    def aware(moment):
        if isinstance(moment, str):
            moment = datetime.fromisoformat(moment)
        return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=UTC)

    deliver = [(aware(first) - aware(at)).total_seconds() for at, first in rows if first is not None]
    acks = db.session.execute(
        select(SafetySession.alert_raised_at, SafetySession.acknowledged_at).where(
            SafetySession.team_id == team_id,
            SafetySession.alert_raised_at >= start,
            SafetySession.alert_raised_at < end,
            SafetySession.acknowledged_at.is_not(None),
        )
    ).all()
    acknowledge = [(aware(ack) - aware(raised)).total_seconds() for raised, ack in acks]
    return {
        "month": f"{month:%Y-%m}",
        "sessions": sessions,
        "alerts_by_kind": {kind.value: by_kind.get(kind, 0) for kind in AlertKind},
        "manager_alerts": len(rows),
        "never_delivered": sum(1 for _, first in rows if first is None),
        "seconds_to_first_delivery": _summary(deliver),
        "seconds_to_acknowledge": _summary(acknowledge),
    }
