"""What the worker's (static, offline-cached) safety page needs from the server, and what it is told."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from ..access import children_visible_to
from ..extensions import db
from ..models import AlertKind, Role, SafetyAlert, SafetySession, Team, User
from . import alerts, sessions, stages

RECENT = timedelta(hours=12)


def duty_phone(user: User) -> str:
    """The number a worker without data signal texts: their team's duty number, else the service-wide one."""
    team = db.session.get(Team, user.team_id) if user.team_id else None
    return (team.duty_phone if team and team.duty_phone else "") or current_app.config.get("DUTY_DESK_PHONE") or ""


def children_options(user: User) -> list[dict]:
    if user.role != Role.WORKER:
        return []
    children = db.session.scalars(children_visible_to(user).order_by("first_name"))
    return [
        {"id": c.public_id, "label": f"{c.full_name} ({c.case_number})", "case_number": c.case_number} for c in children
    ]


def updates_for(worker: User, now: datetime) -> list[dict]:
    """Messages to the worker about their alerts (raised, taken, resolved) of the last hours, newest first."""
    rows = db.session.scalars(
        select(SafetyAlert)
        .join(SafetySession, SafetyAlert.session_id == SafetySession.id)
        .where(
            SafetySession.worker_id == worker.id,
            SafetyAlert.kind == AlertKind.WORKER_UPDATE,
            SafetyAlert.triggered_at >= now - RECENT,
        )
        .order_by(SafetyAlert.triggered_at.desc(), SafetyAlert.id.desc())
        .limit(20)
    )
    return [
        {
            "id": a.id,
            "title": a.title,
            "body": a.body,
            "at": a.triggered_at.isoformat(),
            "at_local": alerts.local_time(a.triggered_at),
        }
        for a in rows
    ]


def page_context(user: User, session: SafetySession | None, now: datetime) -> dict:
    """Everything the page shows beside the session: who, children to choose, PIN set-up, duty number, updates."""
    grace = stages.policy_for(user.team_id).grace_minutes
    context = {
        "me": {"name": user.display_name, "role": user.role.value, "has_pins": sessions.has_pins(user)},
        "children": children_options(user),
        "duty_phone": duty_phone(user),
        "grace_minutes": grace,
        "updates": updates_for(user, now),
    }
    if session is not None:
        # When the server alerts the managers whatever happens to this device: said on the page, also offline.
        context["alert_at"] = (session.expected_end + timedelta(minutes=grace)).isoformat()
        context["case_number"] = session.child.case_number if session.child else None
    return context
