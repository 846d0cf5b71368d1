"""The managers' side: who may see a session, the live board, acknowledge, resolve and test alerts."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select, update

from ..extensions import db
from ..models import AlertKind, EscalationPolicy, SafetyAlert, SafetySession, SessionState, User
from . import alerts, news
from .sessions import SafetyError

OUTCOMES = {
    "safe": "Worker safe, no help needed",
    "safe_after_contact": "Worker safe after contact",
    "help_sent": "Help sent (colleague or manager attended)",
    "police_called": "Police called (999)",
    "false_alarm": "False alarm",
    "other": "Other (see notes)",
}
# Shown on the board, never offered when resolving: the worker ended the alert themself.
OUTCOME_WORDS = {**OUTCOMES, "worker_checked_out": "Worker checked out after the alert"}
RECENT = timedelta(hours=12)


def teams_covered_by(manager: User) -> list[int]:
    """The manager's own team, plus every team whose escalation policy names theirs as the duty team."""
    if manager.team_id is None:
        return []
    covered = db.session.scalars(
        select(EscalationPolicy.team_id).where(EscalationPolicy.duty_team_id == manager.team_id)
    )
    return [manager.team_id, *covered]


def visible_session(manager: User, public_id: str) -> SafetySession:
    session = db.session.scalar(
        select(SafetySession).where(
            SafetySession.public_id == public_id, SafetySession.team_id.in_(teams_covered_by(manager))
        )
    )
    if session is None:
        raise SafetyError("No safety session on your board with that id.", 404, "not_found")
    return session


def board_sessions(manager: User, now: datetime) -> list[SafetySession]:
    """Open sessions of the covered teams, and those closed in the last hours (so others see what happened)."""
    return list(
        db.session.scalars(
            select(SafetySession)
            .where(
                SafetySession.team_id.in_(teams_covered_by(manager)),
                or_(
                    SafetySession.state != SessionState.CLOSED,
                    SafetySession.resolved_at >= now - RECENT,
                    SafetySession.checked_out_at >= now - RECENT,
                ),
            )
            .order_by(SafetySession.expected_end)
        )
    )


def ordered(rows: list[dict]) -> list[dict]:
    """Board order: unacknowledged alerts (panic and duress above overdue), then running sessions, then closed.

    Alerts longest-waiting first; running ones by who is due first; closed ones most recent first.
    """

    def rank(row: dict) -> tuple:
        if row["level"] == "alert" and not row["acknowledged_by"]:
            return (0 if row["alert_kind"] in ("panic", "duress") else 1, row["alert_raised_at"] or "")
        if row["state"] != SessionState.CLOSED.value:
            return (2 if row["level"] == "overdue" else 3, row["expected_end"])
        return (4, "")

    newest_closed_first = sorted(rows, key=lambda row: row["closed_at"] or "", reverse=True)
    return sorted(newest_closed_first, key=rank)  # stable: closed ones keep newest-first


def level_of(session: SafetySession, now: datetime) -> str:
    """What the board shows: alert (red), overdue (amber), acknowledged, active or closed."""
    if session.state == SessionState.ALERT:
        return "alert"
    if session.state == SessionState.OVERDUE or (session.state == SessionState.ACTIVE and session.expected_end < now):
        return "overdue"
    return session.state.value


def serialise(session: SafetySession, now: datetime) -> dict:
    """A session for the managers' board. Unlike the worker's view, this says whether it was duress or panic."""
    kind = (
        "duress" if session.duress else "panic" if session.panic_at else "overdue" if session.alert_raised_at else None
    )
    closed_at = session.resolved_at or session.checked_out_at if session.state == SessionState.CLOSED else None
    return {
        "id": session.public_id,
        "level": level_of(session, now),
        "state": session.state.value,
        "alert_kind": kind,
        "worker": session.worker.display_name,
        "address": session.address,
        "risk_notes": session.risk_notes,
        "notes": session.notes,
        "case_number": session.child.case_number if session.child else None,
        "expected_end": session.expected_end.isoformat(),
        "expected_end_local": alerts.local_time(session.expected_end),
        "seconds_remaining": int((session.expected_end - now).total_seconds()),
        "alert_raised_at": session.alert_raised_at.isoformat() if session.alert_raised_at else None,
        "acknowledged_by": session.acknowledged_by.display_name if session.acknowledged_by else None,
        "acknowledged_at_local": alerts.local_time(session.acknowledged_at) if session.acknowledged_at else None,
        "resolved_by": session.resolved_by.display_name if session.resolved_by else None,
        "outcome": OUTCOME_WORDS.get(session.outcome or "", session.outcome),
        "worker_phone": session.worker.phone,
        "panic_times": alerts.panic_times(session) if session.panic_at else None,
        "closed_at": closed_at.isoformat() if closed_at else None,
        "closed_at_local": alerts.local_time(closed_at) if closed_at else None,
        "checked_out_after_alert": session.outcome == "worker_checked_out",
        "location": None
        if session.last_location_at is None
        else {
            "lat": session.last_lat,
            "lon": session.last_lon,
            "accuracy_m": session.last_accuracy_m,
            "age_seconds": int((now - session.last_location_at).total_seconds()),
        },
    }


def acknowledge(session: SafetySession, manager: User, now: datetime) -> bool:
    """Take the alert: escalation stops and everyone sees who took it. False if someone else was first."""
    if session.state != SessionState.ALERT and not (session.state == SessionState.OVERDUE):
        raise SafetyError("Only an overdue or alerted session can be acknowledged.", 409, "conflict")
    taken = (
        db.session.execute(
            update(SafetySession)
            .where(
                SafetySession.id == session.id,
                SafetySession.acknowledged_at.is_(None),
                SafetySession.version == session.version,
            )
            .values(
                state=SessionState.ACKNOWLEDGED,
                acknowledged_at=now,
                acknowledged_by_id=manager.id,
                next_step=None,
                next_due_at=None,
                version=session.version + 1,
            )
            .execution_options(synchronize_session=False)
        ).rowcount
        == 1
    )
    db.session.refresh(session)
    if taken:
        alerts.log(session, "acknowledged", now, manager)
        news.alert_taken(session, manager, now)
    return taken


def resolve(session: SafetySession, manager: User, now: datetime, outcome: str, notes: str) -> SafetyAlert | None:
    """Close the session with an outcome; the worker is told who closed it and how (not after a duress)."""
    if outcome not in OUTCOMES:
        raise SafetyError("Choose an outcome from the list.", 400, "invalid")
    if session.resolved_at is not None:
        raise SafetyError("This session is already resolved.", 409, "conflict")
    if session.acknowledged_at is None and session.state == SessionState.ALERT:
        session.acknowledged_at, session.acknowledged_by_id = now, manager.id
        alerts.log(session, "acknowledged", now, manager, with_resolution=True)
        news.alert_taken(session, manager, now)
    session.state, session.next_step, session.next_due_at = SessionState.CLOSED, None, None
    session.resolved_at, session.resolved_by_id = now, manager.id
    session.outcome, session.outcome_notes = outcome, (notes or "").strip()[:4000]
    session.version += 1
    alerts.log(session, "resolved", now, manager, outcome=outcome, notes=session.outcome_notes)
    if session.alert_raised_at is None:
        return None  # a visit closed by a manager without any alert: nothing happened to tell about
    return news.alert_resolved(session, manager, now, OUTCOMES[outcome])


def test_alert(manager: User, now: datetime):
    """A labelled TEST alert to the manager's own devices and email."""
    return alerts.raise_alert(
        None,
        AlertKind.TEST,
        stage_key=f"test-{now.timestamp():.0f}-{manager.id}",
        level=0,
        to=[manager],
        now=now,
        actor=manager,
    )


def latest_news(session: SafetySession) -> SafetyAlert | None:
    """The last message queued for the worker about this session, to send straight after the response."""
    return db.session.scalar(
        select(SafetyAlert)
        .where(SafetyAlert.session_id == session.id, SafetyAlert.kind == AlertKind.WORKER_UPDATE)
        .order_by(SafetyAlert.id.desc())
        .limit(1)
    )
