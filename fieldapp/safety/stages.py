"""The escalation ladder: which step comes next, when, and who hears about it. Pure apart from recipient look-ups."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from ..extensions import db
from ..models import EscalationPolicy, Role, SafetySession, User

DEFAULT_GRACE_MINUTES = 5
DEFAULT_ACK_MINUTES = 5
DEFAULT_REMINDERS = "10,5"


class StepKind(enum.StrEnum):
    REMINDER = "reminder"  # numbered by minutes before the end: "reminder-10"
    GRACE = "grace"
    AMBER = "amber"
    LEVEL_2 = "level-2"
    REPEAT = "repeat"  # numbered by repetition: "repeat-3"


NUMBERED = (StepKind.REMINDER, StepKind.REPEAT)


@dataclass(frozen=True)
class StepName:
    """A step as stored in `SafetySession.next_step`, parsed once instead of split apart at each use."""

    kind: StepKind
    number: int = 0

    @classmethod
    def parse(cls, text: str) -> StepName:
        for kind in NUMBERED:
            prefix = f"{kind.value}-"
            if text.startswith(prefix) and text[len(prefix) :].isdigit():
                return cls(kind, int(text[len(prefix) :]))
        try:
            return cls(StepKind(text))
        except ValueError:
            raise ValueError(f"unknown escalation step {text!r}") from None

    def __str__(self) -> str:
        return f"{self.kind.value}-{self.number}" if self.kind in NUMBERED else self.kind.value


@dataclass(frozen=True)
class Step:
    name: str  # str(StepName): "reminder-10", "grace", "amber", "level-2", "repeat-3"
    due_at: datetime

    @property
    def parsed(self) -> StepName:
        return StepName.parse(self.name)


def policy_for(team_id: int | None) -> EscalationPolicy:
    """The team's policy, or an unsaved one holding the defaults."""
    policy = None
    if team_id is not None:
        policy = db.session.scalar(select(EscalationPolicy).where(EscalationPolicy.team_id == team_id))
    return policy or EscalationPolicy(
        team_id=team_id,
        grace_minutes=DEFAULT_GRACE_MINUTES,
        ack_minutes=DEFAULT_ACK_MINUTES,
        reminder_minutes=DEFAULT_REMINDERS,
    )


def first_step(session: SafetySession, policy: EscalationPolicy, now: datetime) -> Step:
    """The first step for a session just started or extended: a reminder still ahead, else grace at the end."""
    for minutes in policy.reminders:
        due = session.expected_end - timedelta(minutes=minutes)
        if due > now:
            return Step(str(StepName(StepKind.REMINDER, minutes)), due)
    return Step(StepKind.GRACE.value, session.expected_end)


def step_after(step: str, session: SafetySession, policy: EscalationPolicy, now: datetime) -> Step:
    """The step that follows `step`, taken at `now`."""
    taken, ack = StepName.parse(step), timedelta(minutes=policy.ack_minutes)
    if taken.kind == StepKind.REMINDER:
        for minutes in policy.reminders:
            due = session.expected_end - timedelta(minutes=minutes)
            if minutes < taken.number and due > now:
                return Step(str(StepName(StepKind.REMINDER, minutes)), due)
        return Step(StepKind.GRACE.value, session.expected_end)
    if taken.kind == StepKind.GRACE:
        return Step(StepKind.AMBER.value, session.expected_end + timedelta(minutes=policy.grace_minutes))
    # Acknowledgement windows run from when the alert actually went out, not when it was due.
    if taken.kind == StepKind.AMBER:
        return Step(StepKind.LEVEL_2.value, now + ack)
    if taken.kind == StepKind.LEVEL_2:
        return Step(str(StepName(StepKind.REPEAT, 1)), now + ack)
    return Step(str(StepName(StepKind.REPEAT, taken.number + 1)), now + ack)


def _managers_of(team_id: int | None, exclude: int | None) -> list[User]:
    if team_id is None:
        return []
    return [
        u
        for u in db.session.scalars(
            select(User)
            .where(User.team_id == team_id, User.role == Role.MANAGER, User.active.is_(True))
            .order_by(User.id)
        )
        if u.id != exclude
    ]


_WORKER = object()


def recipients(
    session: SafetySession, policy: EscalationPolicy, levels: tuple[int, ...], exclude=_WORKER
) -> list[User]:
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
