"""Telling people what happened to an alert: the worker (raised, taken by whom, resolved and how) and the managers
(the worker checked out after it). Never the worker of a duress alert: whoever is threatening them may be holding
the phone, and a duress check-out must look like any other."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from ..extensions import db
from ..models import AlertKind, SafetyAlert, SafetySession, User

# The alerts the worker hears about when raised: the first amber, the step to the duty managers, and a panic.
TOLD_TO_WORKER = (AlertKind.OVERDUE, AlertKind.ESCALATION, AlertKind.PANIC)


def _tell_worker(
    session: SafetySession, event: str, now: datetime, title: str, body: str, subscriptions_of=None
) -> SafetyAlert | None:
    from . import alerts  # alerts calls back into this module when it raises an alert

    if session.duress:
        return None
    told = (
        db.session.scalar(
            select(func.count())
            .select_from(SafetyAlert)
            .where(SafetyAlert.session_id == session.id, SafetyAlert.kind == AlertKind.WORKER_UPDATE)
        )
        or 0
    )
    return alerts.raise_alert(
        session,
        AlertKind.WORKER_UPDATE,
        stage_key=f"told-{event}-{told + 1}",
        level=0,
        to=[session.worker],
        now=now,
        subscriptions_of=subscriptions_of,
        title=title,
        body=body,
    )


def alert_raised(session: SafetySession, kind: AlertKind, stage_key: str, now: datetime, subscriptions_of=None):
    from .alerts import local_time, panic_times

    if kind == AlertKind.PANIC:
        text = f"{panic_times(session)}. Every manager on your ladder is being alerted now. If you can, call 999."
        return _tell_worker(session, "raised", now, "Your panic alarm reached your managers", text, subscriptions_of)
    if kind == AlertKind.OVERDUE:
        text = (
            f"You did not check out by {local_time(session.expected_end)}, so your managers were alerted at "
            f"{local_time(now)}. If you are safe, check out now; a manager will contact you."
        )
        return _tell_worker(session, "raised", now, "Your managers have been alerted", text, subscriptions_of)
    if kind == AlertKind.ESCALATION and stage_key == "level-2":
        text = "No manager has taken your alert yet, so it has gone to the duty managers as well."
        return _tell_worker(
            session, "escalated", now, "Your alert has gone to the duty managers", text, subscriptions_of
        )
    return None


def alert_taken(session: SafetySession, manager: User, now: datetime) -> SafetyAlert | None:
    from .alerts import local_time

    text = f"{manager.display_name} took your alert at {local_time(now)} and is dealing with it."
    return _tell_worker(session, "taken", now, f"Your alert was taken by {manager.display_name}", text)


def alert_resolved(session: SafetySession, manager: User, now: datetime, outcome_words: str) -> SafetyAlert | None:
    from .alerts import local_time

    text = f"{manager.display_name} closed your alert at {local_time(now)}. Outcome: {outcome_words}."
    return _tell_worker(session, "resolved", now, f"Your alert was closed: {outcome_words}", text)


def checked_out_after_alert(session: SafetySession, now: datetime) -> SafetyAlert:
    """The managers who were alerted hear that the worker checked out (with their own PIN, not the duress one)."""
    from . import stages
    from .alerts import board_link, local_time, raise_alert

    to = stages.recipients(session, stages.policy_for(session.team_id), (1, 2))
    text = (
        f"{session.worker.display_name} checked out at {local_time(now)}, after the alert raised at "
        f"{local_time(session.alert_raised_at)}. Address: {session.address}.\n"
        f"Worker's phone: {session.worker.phone or 'not recorded'}\nOpen: {board_link(session)}"
    )
    return raise_alert(session, AlertKind.CHECKED_OUT, stage_key="checked-out", level=1, to=to, now=now, body=text)
