"""The escalation ladder: which step comes next, when, and who hears about it. Pure apart from recipient look-ups."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from ..extensions import db
from ..models import EscalationPolicy, Role, SafetySession, User

DEFAULT_GRACE_MINUTES = 5
DEFAULT_ACK_MINUTES = 5
DEFAULT_REMINDERS = "10,5"


@dataclass(frozen=True)
class Step:
    name: str          # "reminder-10", "grace", "amber", "level-2", "repeat-3"
    due_at: datetime


def policy_for(team_id: int | None) -> EscalationPolicy:
    """The team's policy, or an unsaved one holding the defaults."""
    policy = None
    if team_id is not None:
        policy = db.session.scalar(select(EscalationPolicy).where(EscalationPolicy.team_id == team_id))
    return policy or EscalationPolicy(team_id=team_id, grace_minutes=DEFAULT_GRACE_MINUTES,
                                      ack_minutes=DEFAULT_ACK_MINUTES, reminder_minutes=DEFAULT_REMINDERS)


def first_step(session: SafetySession, policy: EscalationPolicy, now: datetime) -> Step:
    """The first step for a session just started or extended: a reminder still ahead, else grace at the end."""
    for minutes in policy.reminders:
        due = session.expected_end - timedelta(minutes=minutes)
        if due > now:
            return Step(f"reminder-{minutes}", due)
    return Step("grace", session.expected_end)


def step_after(step: str, session: SafetySession, policy: EscalationPolicy, now: datetime) -> Step:
    """The step that follows `step`, taken at `now`."""
    ack = timedelta(minutes=policy.ack_minutes)
    if step.startswith("reminder-"):
        taken = int(step.split("-")[1])
        for minutes in policy.reminders:
            due = session.expected_end - timedelta(minutes=minutes)
            if minutes < taken and due > now:
                return Step(f"reminder-{minutes}", due)
        return Step("grace", session.expected_end)
    if step == "grace":
        return Step("amber", session.expected_end + timedelta(minutes=policy.grace_minutes))
    # Acknowledgement windows run from when the alert actually went out, not when it was due.
    if step == "amber":
        return Step("level-2", now + ack)
    if step == "level-2":
        return Step("repeat-1", now + ack)
    if step.startswith("repeat-"):
        return Step(f"repeat-{int(step.split('-')[1]) + 1}", now + ack)
    raise ValueError(f"unknown escalation step {step!r}")


def _managers_of(team_id: int | None, exclude: int | None) -> list[User]:
    if team_id is None:
        return []
    return [u for u in db.session.scalars(
        select(User).where(User.team_id == team_id, User.role == Role.MANAGER, User.active.is_(True))
        .order_by(User.id)) if u.id != exclude]


_WORKER = object()


def recipients(session: SafetySession, policy: EscalationPolicy, levels: tuple[int, ...],
               exclude=_WORKER) -> list[User]:
    """Level 1: the worker's line managers. Level 2: the duty team's managers. Never the worker themself."""
    exclude = session.worker_id if exclude is _WORKER else exclude
    line = _managers_of(session.team_id, exclude)
    duty = _managers_of(policy.duty_team_id, exclude)
    chosen: list[User] = []
    if 1 in levels:
        chosen += line
    if 2 in levels:
        chosen += duty
    if not chosen:
        # Nobody at the asked-for level (a team with no manager, no duty team): tell whoever there is.
        chosen = line + duty
    seen: set[int] = set()
    return [u for u in chosen if not (u.id in seen or seen.add(u.id))]
