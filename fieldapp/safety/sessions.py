"""Worker-side state changes: start, extend, locate, check out (normal or duress), panic. Flush, never commit."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from ..access import children_visible_to
from ..extensions import db
from ..models import (
    AlertKind,
    Child,
    SafetyAlert,
    SafetyEvent,
    SafetyProfile,
    SafetySession,
    SessionState,
    User,
    utcnow,
)
from . import alerts, news, stages

MAX_VISIT_MINUTES = 12 * 60


class SafetyError(ValueError):
    """A request the safety service refuses, with a message fit to show the worker."""

    def __init__(self, message: str, status: int = 400, code: str = "invalid"):
        super().__init__(message)
        self.status, self.code = status, code


def open_session_for(worker: User) -> SafetySession | None:
    """The worker's running session as *they* see it: a duress check-out counts as checked out."""
    return db.session.scalar(
        select(SafetySession)
        .where(
            SafetySession.worker_id == worker.id,
            SafetySession.checked_out_at.is_(None),
            SafetySession.state != SessionState.CLOSED,
        )
        .order_by(SafetySession.id.desc())
    )


def own_session(worker: User, public_id: str) -> SafetySession:
    session = open_session_for(worker)
    if session is None or session.public_id != public_id:
        raise SafetyError("No running safety session of yours with that id.", 404, "not_found")
    return session


def _schedule(session: SafetySession, now: datetime) -> None:
    step = stages.first_step(session, stages.policy_for(session.team_id), now)
    session.next_step, session.next_due_at = step.name, step.due_at
    session.version += 1


def start(
    worker: User, now: datetime, minutes: int, child_public_id: str | None = None, address: str = "", notes: str = ""
) -> SafetySession:
    """Start a timed visit; the server owns the timer from here."""
    if open_session_for(worker) is not None:
        raise SafetyError("You already have a safety session running: check out of it first.", 409, "conflict")
    if not 1 <= minutes <= MAX_VISIT_MINUTES:
        raise SafetyError(f"Visit length must be between 1 and {MAX_VISIT_MINUTES} minutes.")
    child = None
    if child_public_id:
        child = db.session.scalar(children_visible_to(worker).where(Child.public_id == child_public_id))
        if child is None:
            raise SafetyError("No child allocated to you with that id.", 404, "not_found")
    address = (address or "").strip() or (child.address if child else "")
    if not address:
        raise SafetyError("Give the address of the visit, or choose the child being visited.")
    session = SafetySession(
        worker=worker,
        worker_id=worker.id,
        team_id=worker.team_id,
        child=child,
        address=address[:500],
        notes=(notes or "").strip()[:2000],
        risk_notes=child.address_risk_notes if child else "",
        started_at=now,
        expected_end=now + timedelta(minutes=minutes),
        state=SessionState.ACTIVE,
        version=0,
    )
    db.session.add(session)
    _schedule(session, now)
    db.session.flush()
    alerts.log(session, "started", now, worker, expected_end=session.expected_end.isoformat(), minutes=minutes)
    return session


def extend(session: SafetySession, now: datetime, minutes: int) -> None:
    """Move the expected end to `minutes` from now (also how the worker confirms they are safe in grace)."""
    if not 1 <= minutes <= MAX_VISIT_MINUTES:
        raise SafetyError(f"Extend by between 1 and {MAX_VISIT_MINUTES} minutes.")
    was = session.state
    session.expected_end = now + timedelta(minutes=minutes)
    if was in (SessionState.ACTIVE, SessionState.OVERDUE):
        session.state = SessionState.ACTIVE
        _schedule(session, now)
    # Once managers are alerted only a manager stops the escalation: an extension might be made under threat.
    alerts.log(
        session,
        "extended",
        now,
        session.worker,
        minutes=minutes,
        state_before=was.value,
        expected_end=session.expected_end.isoformat(),
    )


def update_location(session: SafetySession, now: datetime, lat, lon, accuracy) -> None:
    try:
        lat, lon = float(lat), float(lon)
        accuracy = float(accuracy) if accuracy is not None else None
    except (TypeError, ValueError):
        raise SafetyError("Location needs numeric lat and lon.") from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (accuracy is not None and accuracy < 0):
        raise SafetyError("Location is out of range.")
    session.last_lat, session.last_lon, session.last_accuracy_m, session.last_location_at = lat, lon, accuracy, now


def set_pins(
    worker: User, checkout_pin: str, duress_pin: str, *, password: str | None = None, now: datetime | None = None
) -> None:
    """Store both PINs hashed; changing PINs already set needs the account password. Logged, never the PINs.

    They must differ, or a duress check-out could not be told from a normal one.
    """
    for pin in (checkout_pin, duress_pin):
        if not (pin or "").isdigit() or not 4 <= len(pin) <= 8:
            raise SafetyError("PINs are 4 to 8 digits.")
    if checkout_pin == duress_pin:
        raise SafetyError("The duress PIN must be different from your check-out PIN.")
    profile = db.session.get(SafetyProfile, worker.id) or SafetyProfile(user_id=worker.id)
    changing = bool(profile.checkout_pin_hash)
    # Whoever holds an unlocked tablet must not be able to learn a new duress PIN by setting one.
    if changing and not (password and worker.check_password(password)):
        raise SafetyError("Enter your account password to change your PINs.", 403, "password_required")
    profile.checkout_pin_hash = generate_password_hash(checkout_pin)
    profile.duress_pin_hash = generate_password_hash(duress_pin)
    db.session.add(profile)
    db.session.flush()
    alerts.log(None, "pins_changed" if changing else "pins_set", now or utcnow(), worker)


def has_pins(worker: User) -> bool:
    profile = db.session.get(SafetyProfile, worker.id)
    return bool(profile and profile.checkout_pin_hash)


def _is_duress(worker: User, pin: str | None) -> bool:
    profile = db.session.get(SafetyProfile, worker.id)
    if profile is None or not profile.checkout_pin_hash:
        return False
    pin = (pin or "").strip()
    # Check both hashes every time, so a duress check-out takes as long as a normal one.
    is_duress = bool(pin and profile.duress_pin_hash and check_password_hash(profile.duress_pin_hash, pin))
    is_normal = bool(pin and check_password_hash(profile.checkout_pin_hash, pin))
    if is_duress or is_normal:
        return is_duress
    raise SafetyError("That PIN is not right. Try again.", 400, "wrong_pin")


def _raise_everyone(session: SafetySession, kind: AlertKind, now: datetime, minutes: int = 0) -> SafetyAlert:
    """Panic and duress skip the ladder: every level at once, then repeat until acknowledged."""
    policy = stages.policy_for(session.team_id)
    count = (
        db.session.scalar(
            select(db.func.count())
            .select_from(SafetyAlert)
            .where(SafetyAlert.session_id == session.id, SafetyAlert.kind == kind)
        )
        or 0
    )
    session.state, session.alert_raised_at = SessionState.ALERT, session.alert_raised_at or now
    session.acknowledged_at = session.acknowledged_by_id = None
    session.next_step, session.next_due_at = "repeat-1", now + timedelta(minutes=policy.ack_minutes)
    session.version += 1
    return alerts.raise_alert(
        session,
        kind,
        stage_key=f"{kind.value}-{count + 1}",
        level=2,
        to=stages.recipients(session, policy, (1, 2)),
        now=now,
        minutes=minutes,
    )


def check_out(session: SafetySession, now: datetime, pin: str | None = None) -> SafetyAlert | None:
    """Check out. With the duress PIN the worker sees exactly the same, and every level is alerted silently."""
    duress = _is_duress(session.worker, pin)
    session.checked_out_at = now
    if duress:
        session.duress = True
        alerts.log(session, "checked_out", now, session.worker, duress=True)
        return _raise_everyone(session, AlertKind.DURESS, now)
    alerts.log(session, "checked_out", now, session.worker, after_alert=session.alert_raised_at is not None)
    session.state, session.next_step, session.next_due_at = SessionState.CLOSED, None, None
    session.version += 1
    if session.alert_raised_at is not None and session.resolved_at is None:
        session.outcome = "worker_checked_out"
        return news.checked_out_after_alert(session, now)
    return None


def wrong_checkout_pin(session: SafetySession, now: datetime, alert_at: int) -> SafetyAlert | None:
    """Log a wrong check-out PIN; the `alert_at`-th in one session alerts every level as a possible duress."""
    earlier = (
        db.session.scalar(
            select(db.func.count())
            .select_from(SafetyEvent)
            .where(SafetyEvent.session_id == session.id, SafetyEvent.kind == "wrong_checkout_pin")
        )
        or 0
    )
    alerts.log(session, "wrong_checkout_pin", now, session.worker, count=earlier + 1)
    if earlier + 1 != alert_at:
        return None
    return _raise_everyone(session, AlertKind.WRONG_PINS, now, minutes=earlier + 1)


def panic(
    worker: User, now: datetime, address: str = "", pressed_at: datetime | None = None
) -> tuple[SafetySession, SafetyAlert]:
    """Panic from a running session, or from none (a session is opened on the spot so the alert has a home).

    `pressed_at` is when the worker pressed it, if earlier than `now` (sent late from the device's offline queue).
    """
    session = open_session_for(worker)
    if session is None:
        session = SafetySession(
            worker=worker,
            worker_id=worker.id,
            team_id=worker.team_id,
            address=(address or "").strip()[:500] or "Not given (panic outside a visit)",
            started_at=pressed_at or now,
            expected_end=now,
            version=0,
        )
        db.session.add(session)
        db.session.flush()
    session.panic_at, session.panic_pressed_at = now, pressed_at or now
    alerts.log(session, "panic", now, worker, pressed_at=session.panic_pressed_at.isoformat())
    return session, _raise_everyone(session, AlertKind.PANIC, now)
