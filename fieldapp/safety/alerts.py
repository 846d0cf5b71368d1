"""Raising an alert: what it says, who gets it, one delivery row per recipient and channel."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app, has_request_context, request
from sqlalchemy import select

from ..extensions import db
from ..models import (
    PRIORITY_ALERT_KINDS,
    AlertKind,
    PushSubscription,
    SafetyAlert,
    SafetyDelivery,
    SafetyEvent,
    SafetySession,
    User,
)
from . import news

WORKER_KINDS = (AlertKind.REMINDER, AlertKind.GRACE, AlertKind.WORKER_UPDATE)
EMERGENCY_LINE = "fieldapp is not a monitored BS 8484 service: in an emergency call 999."

TITLES = {
    AlertKind.REMINDER: "Your visit time ends in {minutes} minutes: check out or extend",
    AlertKind.GRACE: "Your visit time has ended: check out, extend or confirm you are safe",
    AlertKind.OVERDUE: "OVERDUE: {worker} has not checked out",
    AlertKind.ESCALATION: "ESCALATED: {worker} is overdue and no manager has acknowledged",
    AlertKind.PANIC: "PANIC: {worker} pressed the panic button",
    AlertKind.DURESS: "DURESS: {worker} checked out with the duress PIN (silent alert)",
    AlertKind.TEST: "TEST ALERT from fieldapp safety: not a real alert",
    AlertKind.WORKER_UPDATE: "Your safety alert",
    AlertKind.CHECKED_OUT: "{worker} checked out after the alert",
    AlertKind.WRONG_PINS: "POSSIBLE DURESS: {worker} entered a wrong check-out PIN {minutes} times",
}


def local_time(moment: datetime | None, seconds: bool = False) -> str:
    if moment is None:
        return "not given"
    zone = ZoneInfo(current_app.config.get("TIMEZONE", "Europe/London"))
    return moment.astimezone(zone).strftime("%H:%M:%S" if seconds else "%H:%M")


def public_url(path: str) -> str:
    """An absolute link for emails and pushes: PUBLIC_URL, else the current request's own address."""
    base = current_app.config.get("PUBLIC_URL") or (request.url_root.rstrip("/") if has_request_context() else "")
    return f"{base}{path}"


def board_link(session: SafetySession) -> str:
    return public_url(f"/safety/board#session-{session.public_id}")


def panic_times(session: SafetySession) -> str:
    """Pressed and received: a panic pressed with no signal may reach the server minutes later."""
    pressed, received = session.panic_pressed_at or session.panic_at, session.panic_at
    if pressed is None:
        return ""
    line = f"Panic pressed at {local_time(pressed, seconds=True)}, received {local_time(received, seconds=True)}"
    late = int((received - pressed).total_seconds()) if received else 0
    if late >= 60:
        line += f" ({late // 60} min {late % 60} s later: sent when the phone had signal again)"
    return line


def _minutes(delta) -> int:
    return max(0, int(delta.total_seconds() // 60))


def describe_session(session: SafetySession, now: datetime) -> str:
    """What every manager alert carries: worker, visit, address, risk notes, last location and its age."""
    visit = f"case {session.child.case_number}" if session.child else "no child recorded"
    if session.last_location_at is not None:
        age = _minutes(now - session.last_location_at)
        location = (
            f"{session.last_lat:.5f}, {session.last_lon:.5f} (±{session.last_accuracy_m or 0:.0f} m), {age} min old"
        )
    else:
        location = "not shared"
    lines = [
        f"Worker: {session.worker.display_name}",
        f"Worker's phone: {session.worker.phone or 'not recorded'}",
        f"Visit: {visit}",
        f"Address: {session.address or 'not given'}",
        f"Risk notes: {session.risk_notes or 'none recorded'}",
        f"Expected end: {local_time(session.expected_end)}",
        f"Last known location: {location}",
    ]
    if session.notes:
        lines.insert(5, f"Worker's notes: {session.notes}")
    if session.panic_at is not None:
        lines.insert(1, panic_times(session))
    lines.append(f"Open the alert: {board_link(session)}")
    return "\n".join(lines)


def _body(kind: AlertKind, session: SafetySession | None, now: datetime) -> str:
    if kind == AlertKind.TEST:
        return "This is a test of your safety alert devices. No worker needs help. " + EMERGENCY_LINE
    if kind in WORKER_KINDS:
        return "Open fieldapp to check out or extend. If you are in danger, press and hold the panic button."
    text = describe_session(session, now)
    if kind == AlertKind.DURESS:
        # The worker may be with the person threatening them: the alert must stay silent on their side.
        text += "\nThe worker may not be able to talk freely: do not reveal that an alert was raised."
    return text + "\n" + EMERGENCY_LINE


def email_enabled() -> bool:
    return bool(current_app.config.get("SMTP_HOST"))


def raise_alert(
    session: SafetySession | None,
    kind: AlertKind,
    *,
    stage_key: str,
    level: int,
    to: list[User],
    now: datetime,
    actor: User | None = None,
    minutes: int = 0,
    subscriptions_of=None,
    title: str | None = None,
    body: str | None = None,
) -> SafetyAlert:
    """Record the alert and queue its deliveries in the caller's transaction; the escalator sends them."""
    worker = session.worker.display_name if session else ""
    alert = SafetyAlert(
        session_id=session.id if session else None,
        team_id=session.team_id if session else None,
        kind=kind,
        stage_key=stage_key,
        level=level,
        triggered_at=now,
        title=title or TITLES[kind].format(worker=worker, minutes=minutes),
        body=body or _body(kind, session, now),
    )
    if kind == AlertKind.TEST and actor is not None:
        alert.team_id = actor.team_id
    db.session.add(alert)
    db.session.flush()
    queued, priority = [], kind in PRIORITY_ALERT_KINDS
    subscriptions_of = subscriptions_of or (
        lambda user_id: db.session.scalars(select(PushSubscription.id).where(PushSubscription.user_id == user_id)).all()
    )
    for person in to:
        for subscription_id in subscriptions_of(person.id):
            db.session.add(
                SafetyDelivery(
                    alert_id=alert.id,
                    recipient_id=person.id,
                    channel="push",
                    subscription_id=subscription_id,
                    next_attempt_at=now,
                    priority=priority,
                )
            )
            queued.append({"to": person.id, "channel": "push", "subscription": subscription_id})
        # Managers get email as well as push: a push accepted by the push service may still never be seen.
        if kind not in WORKER_KINDS and person.email and email_enabled():
            db.session.add(
                SafetyDelivery(
                    alert_id=alert.id, recipient_id=person.id, channel="email", next_attempt_at=now, priority=priority
                )
            )
            queued.append({"to": person.id, "channel": "email"})
    db.session.add(
        SafetyEvent(
            session_id=alert.session_id,
            alert_id=alert.id,
            at=now,
            kind=f"alert_{kind.value}",
            actor_id=actor.id if actor else None,
            detail={"stage": stage_key, "level": level, "recipients": [p.id for p in to], "queued": queued},
        )
    )
    if session is not None and kind in news.TOLD_TO_WORKER:
        news.alert_raised(session, kind, stage_key, now, subscriptions_of)
    return alert  # deliveries and the event flush with the caller's next flush or commit


def log(session: SafetySession | None, kind: str, now: datetime, actor: User | None = None, **detail) -> None:
    """Append one event to the safety log (in the caller's transaction)."""
    db.session.add(
        SafetyEvent(
            session_id=session.id if session else None,
            at=now,
            kind=kind,
            actor_id=actor.id if actor else None,
            detail=detail,
        )
    )
