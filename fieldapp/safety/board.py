"""The managers' side: who may see a session, the live board, acknowledge, resolve and test alerts."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select, update

from ..extensions import db
from ..models import AlertKind, EscalationPolicy, SafetySession, SessionState, User
from . import alerts
from .sessions import SafetyError

OUTCOMES = {
    "safe": "Worker safe, no help needed",
    "safe_after_contact": "Worker safe after contact",
    "help_sent": "Help sent (colleague or manager attended)",
    "police_called": "Police called (999)",
    "false_alarm": "False alarm",
    "other": "Other (see notes)",
}
RECENT = timedelta(hours=12)


def teams_covered_by(manager: User) -> list[int]:
    """The manager's own team, plus every team whose escalation policy names theirs as the duty team."""
    if manager.team_id is None:
        return []
    covered = db.session.scalars(select(EscalationPolicy.team_id).where(
        EscalationPolicy.duty_team_id == manager.team_id))
    return [manager.team_id, *covered]


def visible_session(manager: User, public_id: str) -> SafetySession:
    session = db.session.scalar(select(SafetySession).where(
        SafetySession.public_id == public_id, SafetySession.team_id.in_(teams_covered_by(manager))))
    if session is None:
        raise SafetyError("No safety session on your board with that id.", 404, "not_found")
    return session


def board_sessions(manager: User, now: datetime) -> list[SafetySession]:
    """Open sessions of the covered teams, and those closed in the last hours (so others see what happened)."""
    return list(db.session.scalars(select(SafetySession).where(
        SafetySession.team_id.in_(teams_covered_by(manager)),
        or_(SafetySession.state != SessionState.CLOSED, SafetySession.resolved_at >= now - RECENT,
            SafetySession.checked_out_at >= now - RECENT),
    ).order_by(SafetySession.expected_end)))


def level_of(session: SafetySession, now: datetime) -> str:
    """What the board shows: alert (red), overdue (amber), acknowledged, active or closed."""
    if session.state == SessionState.ALERT:
        return "alert"
    if session.state == SessionState.OVERDUE or (session.state == SessionState.ACTIVE and session.expected_end < now):
        return "overdue"
    return session.state.value


def serialise(session: SafetySession, now: datetime) -> dict:
    """A session for the managers' board. Unlike the worker's view, this says whether it was duress or panic."""
    kind = "duress" if session.duress else "panic" if session.panic_at else "overdue" if session.alert_raised_at \
        else None
    return {
        "id": session.public_id, "level": level_of(session, now), "state": session.state.value, "alert_kind": kind,
        "worker": session.worker.display_name, "address": session.address, "risk_notes": session.risk_notes,
        "notes": session.notes, "case_number": session.child.case_number if session.child else None,
        "expected_end": session.expected_end.isoformat(), "expected_end_local": alerts.local_time(session.expected_end),
        "seconds_remaining": int((session.expected_end - now).total_seconds()),
        "alert_raised_at": session.alert_raised_at.isoformat() if session.alert_raised_at else None,
        "acknowledged_by": session.acknowledged_by.display_name if session.acknowledged_by else None,
        "acknowledged_at_local": alerts.local_time(session.acknowledged_at) if session.acknowledged_at else None,
        "resolved_by": session.resolved_by.display_name if session.resolved_by else None,
        "outcome": OUTCOMES.get(session.outcome or "", session.outcome),
        "location": None if session.last_location_at is None else {
            "lat": session.last_lat, "lon": session.last_lon, "accuracy_m": session.last_accuracy_m,
            "age_seconds": int((now - session.last_location_at).total_seconds())},
    }


def acknowledge(session: SafetySession, manager: User, now: datetime) -> bool:
    """Take the alert: escalation stops and everyone sees who took it. False if someone else was first."""
    if session.state != SessionState.ALERT and not (session.state == SessionState.OVERDUE):
        raise SafetyError("Only an overdue or alerted session can be acknowledged.", 409, "conflict")
    taken = db.session.execute(
        update(SafetySession).where(SafetySession.id == session.id, SafetySession.acknowledged_at.is_(None),
                                    SafetySession.version == session.version)
        .values(state=SessionState.ACKNOWLEDGED, acknowledged_at=now, acknowledged_by_id=manager.id,
                next_step=None, next_due_at=None, version=session.version + 1)
        .execution_options(synchronize_session=False)
    ).rowcount == 1
    db.session.refresh(session)
    if taken:
        alerts.log(session, "acknowledged", now, manager)
    return taken


def resolve(session: SafetySession, manager: User, now: datetime, outcome: str, notes: str) -> None:
    if outcome not in OUTCOMES:
        raise SafetyError("Choose an outcome from the list.", 400, "invalid")
    if session.resolved_at is not None:
        raise SafetyError("This session is already resolved.", 409, "conflict")
    if session.acknowledged_at is None and session.state == SessionState.ALERT:
        session.acknowledged_at, session.acknowledged_by_id = now, manager.id
        alerts.log(session, "acknowledged", now, manager, with_resolution=True)
    session.state, session.next_step, session.next_due_at = SessionState.CLOSED, None, None
    session.resolved_at, session.resolved_by_id = now, manager.id
    session.outcome, session.outcome_notes = outcome, (notes or "").strip()[:4000]
    session.version += 1
    alerts.log(session, "resolved", now, manager, outcome=outcome, notes=session.outcome_notes)


def test_alert(manager: User, now: datetime):
    """A labelled TEST alert to the manager's own devices and email."""
    return alerts.raise_alert(None, AlertKind.TEST, stage_key=f"test-{now.timestamp():.0f}-{manager.id}", level=0,
                              to=[manager], now=now, actor=manager)
