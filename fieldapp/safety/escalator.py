"""The escalator: takes due escalation steps and hands their deliveries to the sending lanes.

Steps are claimed atomically from any number of processes: rows picked by the indexed `next_due_at` (FOR UPDATE
SKIP LOCKED on PostgreSQL) and claimed by a conditional UPDATE on their version, in the transaction that records
the step, so a process killed mid-sweep commits nothing and the next sweep retakes the step. Each step runs in its
own savepoint: one that raises is recorded on its session, retried later, and never stops the others.
Deliveries: see deliveries.py (leases, the priority lane).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy import select, update

from ..extensions import db
from ..models import AlertKind, PushSubscription, SafetyEvent, SafetySession, SessionState
from . import alerts, stages
from .deliveries import deliver_pending
from .lane import BULK_THREADS
from .stages import StepKind, StepName

__all__ = ["deliver_pending", "escalate_due", "run_forever", "sweep", "take_step"]

log = logging.getLogger("fieldapp.escalator")
OPEN_STATES = (SessionState.ACTIVE, SessionState.OVERDUE, SessionState.ALERT)
SEND_THREADS = BULK_THREADS
MAX_PASSES = 50  # bounds one sweep; anything left is simply taken next tick
STEP_RETRY = timedelta(seconds=60)  # a session whose step failed is looked at again after this


def _due_sessions(now: datetime, limit: int):
    query = (
        select(SafetySession)
        .where(SafetySession.next_due_at <= now, SafetySession.state.in_(OPEN_STATES))
        .order_by(SafetySession.next_due_at)
        .limit(limit)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return list(db.session.scalars(query))


class SweepCache:
    """Policies, recipients and subscriptions looked up once per sweep, not once per session (a burst of 100s)."""

    def __init__(self):
        self.policies, self.people, self.subs = {}, {}, {}

    def policy(self, team_id):
        if team_id not in self.policies:
            self.policies[team_id] = stages.policy_for(team_id)
        return self.policies[team_id]

    def recipients(self, session: SafetySession, levels: tuple[int, ...]):
        key = (session.team_id, levels)
        if key not in self.people:
            # Worker excluded afterwards, so the cached list serves every worker of the team.
            self.people[key] = stages.recipients(session, self.policy(session.team_id), levels, exclude=None)
        return [u for u in self.people[key] if u.id != session.worker_id]

    def subscriptions(self, user_id: int):
        if user_id not in self.subs:
            self.subs[user_id] = list(
                db.session.scalars(select(PushSubscription.id).where(PushSubscription.user_id == user_id))
            )
        return self.subs[user_id]


# Each step: (alert kind, recipient levels; () is the worker), and what it does to the session first.
STEP_TABLE = {
    StepKind.REMINDER: (AlertKind.REMINDER, ()),
    StepKind.GRACE: (AlertKind.GRACE, ()),
    StepKind.AMBER: (AlertKind.OVERDUE, (1,)),
    StepKind.LEVEL_2: (AlertKind.ESCALATION, (2,)),
    StepKind.REPEAT: (AlertKind.ESCALATION, (1, 2)),
}


def take_step(session: SafetySession, now: datetime, cache: SweepCache | None = None) -> None:
    """Do what `session.next_step` says and schedule the one after (caller has claimed the session)."""
    cache = cache or SweepCache()
    policy = cache.policy(session.team_id)
    step = StepName.parse(session.next_step)
    kind, levels = STEP_TABLE[step.kind]
    if step.kind == StepKind.GRACE:
        session.state = SessionState.OVERDUE
    elif step.kind == StepKind.AMBER:
        session.state, session.alert_raised_at = SessionState.ALERT, now
    # A late sweep skips a stale reminder: the visit has already ended.
    if not (step.kind == StepKind.REMINDER and now >= session.expected_end):
        to = cache.recipients(session, levels) if levels else [session.worker]
        alerts.raise_alert(
            session,
            kind,
            stage_key=str(step),
            level=max(levels, default=0),
            to=to,
            now=now,
            minutes=step.number,
            subscriptions_of=cache.subscriptions,
        )
    following = stages.step_after(session.next_step, session, policy, now)
    session.next_step, session.next_due_at = following.name, following.due_at
    session.step_error = session.step_failed_at = None


def _record_step_failure(session_id: int, step: str | None, now: datetime, error: BaseException) -> None:
    """Flag the session for the board and look again later; its claim (version bump) stands."""
    text = f"{error.__class__.__name__}: {error}"[:500]
    db.session.execute(
        update(SafetySession)
        .where(SafetySession.id == session_id)
        .values(step_error=text, step_failed_at=now, next_due_at=now + STEP_RETRY)
        .execution_options(synchronize_session=False)
    )
    db.session.add(SafetyEvent(session_id=session_id, at=now, kind="step_failed", detail={"step": step, "error": text}))


def escalate_due(now: datetime, limit: int = 200, passes: int = MAX_PASSES) -> int:
    """Take every escalation step due by `now` (up to `passes` batches); returns how many were taken."""
    taken, cache = 0, SweepCache()
    for _ in range(passes):
        batch = _due_sessions(now, limit)
        for session in batch:
            session_id, version, step = session.id, session.version, session.next_step
            claimed = db.session.execute(
                update(SafetySession)
                .where(SafetySession.id == session_id, SafetySession.version == version)
                .values(version=version + 1)
                .execution_options(synchronize_session=False)
            ).rowcount
            if claimed != 1:
                db.session.expire(session)
                continue
            session.version += 1  # keep the ORM's copy in line with the row just claimed
            try:
                with db.session.begin_nested(), db.session.no_autoflush:
                    take_step(session, now, cache)
            except Exception as error:  # noqa: BLE001  (one bad session must never block the others)
                log.exception("escalation step %s of session %s failed; skipped for now", step, session_id)
                db.session.expire(session)
                _record_step_failure(session_id, step, now, error)
            taken += 1
        db.session.commit()
        if not batch:
            break
    return taken


def sweep(now: datetime, clock=None, batch: int = 50, wait: bool = True) -> dict:
    """One tick: priority deliveries first, then due steps a batch at a time, each batch's alerts handed on.

    With `wait=False` (the running escalator) sends are left to the lanes and the sweep never waits on them.
    """
    steps, sent = 0, deliver_pending(now, clock=clock, priority=True, wait=wait)
    for _ in range(MAX_PASSES):
        taken = escalate_due(now, limit=batch, passes=1)
        steps += taken
        if taken:  # steps of panic sessions may have queued priority work
            sent += deliver_pending(now, clock=clock, priority=True, wait=wait)
        while delivered := deliver_pending(now, clock=clock, priority=False, wait=wait):
            sent += delivered
        if not taken:
            break
    return {"steps": steps, "deliveries": sent}


def run_forever(app: Flask, stop, tick: float, wake=None) -> None:
    """Sweep every `tick` seconds until `stop` is set, beating the heartbeat; `wake` (an Event) sweeps at once."""
    from ..models import utcnow
    from .liveness import Heartbeat

    heartbeat = Heartbeat(app)
    while not stop.is_set():
        with app.app_context():
            try:
                heartbeat.beat(utcnow())
                sweep(utcnow(), clock=utcnow, wait=False)
            except Exception as error:  # noqa: BLE001  (the loop must outlive any error: it is the safety net)
                # Another escalator got there first (SQLite busy), the database is away, or a bug: nothing of
                # this sweep's unfinished batch was committed, so the next tick retakes whatever is still due.
                db.session.rollback()
                log.exception("sweep failed, retrying next tick: %s", error.__class__.__name__)
            finally:
                db.session.remove()
        if wake is not None:
            wake.wait(tick)
            wake.clear()
        else:
            stop.wait(tick)
    with app.app_context():
        heartbeat.stop()
