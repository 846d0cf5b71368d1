"""The escalator: takes due escalation steps and sends queued deliveries, safely from any number of processes.

Both halves claim work atomically. Steps: rows picked by the indexed `next_due_at` (FOR UPDATE SKIP LOCKED on
PostgreSQL) and claimed by a conditional UPDATE on their version, in the transaction that records the step, so a
process killed mid-sweep commits nothing and the next sweep retakes the step. Deliveries: claimed with a lease
(state 'sending' until `next_attempt_at`); a sender killed after claiming leaves a lease that expires and the
delivery is sent by whoever sweeps next.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask, current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import AlertKind, PushSubscription, SafetyAlert, SafetyDelivery, SafetyEvent, SafetySession, SessionState
from . import alerts, channels, stages

log = logging.getLogger("fieldapp.escalator")
OPEN_STATES = (SessionState.ACTIVE, SessionState.OVERDUE, SessionState.ALERT)
MAX_ATTEMPTS = 6
SEND_THREADS = 8
MAX_PASSES = 50  # bounds one sweep; anything left is simply taken next tick


def _due_sessions(now: datetime, limit: int):
    query = (select(SafetySession).where(SafetySession.next_due_at <= now, SafetySession.state.in_(OPEN_STATES))
             .order_by(SafetySession.next_due_at).limit(limit))
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
            self.subs[user_id] = list(db.session.scalars(
                select(PushSubscription.id).where(PushSubscription.user_id == user_id)))
        return self.subs[user_id]


def take_step(session: SafetySession, now: datetime, cache: SweepCache | None = None) -> None:
    """Do what `session.next_step` says and schedule the one after (caller has claimed the session)."""
    cache = cache or SweepCache()
    policy = cache.policy(session.team_id)
    step, worker, subs = session.next_step, [session.worker], cache.subscriptions
    if step.startswith("reminder-") and now < session.expected_end:  # a late sweep skips a stale reminder
        alerts.raise_alert(session, AlertKind.REMINDER, step, 0, worker, now, minutes=int(step.split("-")[1]),
                           subscriptions_of=subs)
    elif step == "grace":
        session.state = SessionState.OVERDUE
        alerts.raise_alert(session, AlertKind.GRACE, step, 0, worker, now, subscriptions_of=subs)
    elif step == "amber":
        session.state, session.alert_raised_at = SessionState.ALERT, now
        alerts.raise_alert(session, AlertKind.OVERDUE, step, 1, cache.recipients(session, (1,)), now,
                           subscriptions_of=subs)
    elif step == "level-2":
        alerts.raise_alert(session, AlertKind.ESCALATION, step, 2, cache.recipients(session, (2,)), now,
                           subscriptions_of=subs)
    elif step.startswith("repeat-"):
        alerts.raise_alert(session, AlertKind.ESCALATION, step, 2, cache.recipients(session, (1, 2)), now,
                           subscriptions_of=subs)
    following = stages.step_after(step, session, policy, now)
    session.next_step, session.next_due_at = following.name, following.due_at


def escalate_due(now: datetime, limit: int = 200, passes: int = MAX_PASSES) -> int:
    """Take every escalation step due by `now` (up to `passes` batches); returns how many were taken."""
    taken, cache = 0, SweepCache()
    for _ in range(passes):
        batch = _due_sessions(now, limit)
        for session in batch:
            claimed = db.session.execute(
                update(SafetySession).where(SafetySession.id == session.id, SafetySession.version == session.version)
                .values(version=session.version + 1).execution_options(synchronize_session=False)
            ).rowcount
            if claimed != 1:
                db.session.expire(session)
                continue
            session.version += 1  # keep the ORM's copy in line with the row just claimed
            with db.session.no_autoflush:
                take_step(session, now, cache)
            taken += 1
        db.session.commit()
        # Loop while work remains: a full batch, or a step whose successor is already due (a late sweep).
        if not batch:
            break
    return taken


def _claim_deliveries(now: datetime, limit: int, lease: timedelta, alert_id: int | None) -> list[int]:
    candidates = (select(SafetyDelivery.id).where(SafetyDelivery.state.in_(("pending", "sending")),
                                                  SafetyDelivery.next_attempt_at <= now)
                  .order_by(SafetyDelivery.next_attempt_at).limit(limit))
    if alert_id is not None:
        candidates = candidates.where(SafetyDelivery.alert_id == alert_id)
    if db.session.get_bind().dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    claimed = db.session.execute(
        update(SafetyDelivery).where(SafetyDelivery.id.in_(candidates.scalar_subquery()))
        .values(state="sending", next_attempt_at=now + lease, attempts=SafetyDelivery.attempts + 1)
        .returning(SafetyDelivery.id).execution_options(synchronize_session=False)
    ).scalars().all()
    db.session.commit()
    return list(claimed)


def _payload(delivery: SafetyDelivery) -> dict:
    alert = delivery.alert
    for_worker = alert.kind in alerts.WORKER_KINDS
    public_id = alert.session.public_id if alert.session else "test"
    url = "/safety" if for_worker else f"/safety/board#session-{public_id}"
    # Reminders share a tag so T-5 replaces T-10; every manager stage gets its own so it alerts again.
    stage = "reminder" if alert.kind == AlertKind.REMINDER else alert.stage_key
    tag = f"safety-{public_id}-{stage}"
    return {"title": alert.title, "body": alert.body, "url": url, "tag": tag, "kind": alert.kind.value}


@dataclass(frozen=True)
class Claimed:
    """A claimed delivery as plain values: sender threads and the result recorder never touch ORM rows."""

    id: int
    alert_id: int
    session_id: int | None
    channel: str
    recipient_id: int
    subscription_id: int | None
    attempts: int
    target: channels.PushTarget | None
    payload: dict
    email: str | None


def _send(app: Flask, job: Claimed) -> channels.Outcome:
    if job.channel == "push":
        if job.target is None:
            return channels.Outcome(False, "subscription was removed", gone=True)
        return channels.send_push(app, job.target, job.payload)
    if not job.email:
        return channels.Outcome(False, "recipient has no email address", gone=True)
    body = job.payload["body"] + f"\n\nOpen: {job.payload['url']}"
    return channels.send_email(app, job.email, job.payload["title"], body)


def _record_outcome(job: Claimed, outcome: channels.Outcome, now: datetime) -> None:
    values = {"last_error": "" if outcome.ok else outcome.detail}
    if outcome.ok:
        values.update(state="sent", sent_at=now)
    elif outcome.gone or job.attempts >= MAX_ATTEMPTS:
        values.update(state="dropped" if outcome.gone else "failed")
    else:
        values.update(state="pending", next_attempt_at=now + timedelta(seconds=min(60, 2 ** job.attempts)))
    db.session.execute(update(SafetyDelivery).where(SafetyDelivery.id == job.id).values(**values)
                       .execution_options(synchronize_session=False))
    db.session.add(SafetyEvent(
        session_id=job.session_id, alert_id=job.alert_id, at=now, kind="delivery_attempt",
        detail={"delivery": job.id, "channel": job.channel, "recipient": job.recipient_id, "attempt": job.attempts,
                "ok": outcome.ok, "result": outcome.detail, "status": outcome.status},
    ))
    if outcome.gone and job.channel == "push" and job.subscription_id is not None:
        # The push service says this browser unsubscribed or expired: stop using it, and say so in the log.
        db.session.execute(db.delete(PushSubscription).where(PushSubscription.id == job.subscription_id))
        db.session.add(SafetyEvent(session_id=job.session_id, at=now, kind="subscription_dropped", detail={
            "subscription": job.subscription_id, "user": job.recipient_id, "status": outcome.status}))


def _claimed_jobs(ids: list[int]) -> list[Claimed]:
    # Three queries for the whole batch, not four per delivery: this sits between "due" and "sent".
    deliveries = db.session.scalars(select(SafetyDelivery).where(SafetyDelivery.id.in_(ids)).options(
        joinedload(SafetyDelivery.alert).joinedload(SafetyAlert.session), joinedload(SafetyDelivery.recipient)))
    deliveries = list(deliveries.unique())
    wanted = {d.subscription_id for d in deliveries if d.subscription_id}
    rows = {r.id: r for r in db.session.scalars(select(PushSubscription).where(PushSubscription.id.in_(wanted)))}
    jobs = []
    for d in deliveries:
        row = rows.get(d.subscription_id)
        target = channels.PushTarget(row.endpoint, row.p256dh, row.auth) if row else None
        jobs.append(Claimed(d.id, d.alert_id, d.alert.session_id, d.channel, d.recipient_id, d.subscription_id,
                            d.attempts, target, _payload(d), d.recipient.email))
    return jobs


def deliver_pending(now: datetime, limit: int = 64, alert_id: int | None = None, clock=None) -> int:
    """Send queued deliveries due by `now`; returns how many were attempted."""
    app = current_app._get_current_object()
    clock = clock or (lambda: now)
    lease = timedelta(seconds=app.config.get("SAFETY_DELIVERY_LEASE_SECONDS", 60))
    ids = _claim_deliveries(now, limit, lease, alert_id)
    if not ids:
        return 0
    jobs = _claimed_jobs(ids)

    def send_and_record(job):
        # Each sender thread records its own result at once (its own app context, so its own DB session):
        # a process killed now re-sends only what was on the wire, never a batch of finished work.
        with app.app_context():
            try:
                _record_outcome(job, _send(app, job), clock())
                db.session.commit()
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=min(SEND_THREADS, len(jobs))) as pool:
        for future in [pool.submit(send_and_record, job) for job in jobs]:
            future.result()
    return len(ids)


def sweep(now: datetime, clock=None, batch: int = 50) -> dict:
    """One tick: take due steps a batch at a time, sending each batch's alerts before taking the next."""
    steps = sent = 0
    for _ in range(MAX_PASSES):
        taken = escalate_due(now, limit=batch, passes=1)
        steps += taken
        while delivered := deliver_pending(now, clock=clock):
            sent += delivered
        if not taken:
            break
    return {"steps": steps, "deliveries": sent}


def run_forever(app: Flask, stop, tick: float, wake=None) -> None:
    """Sweep every `tick` seconds until `stop` is set; `wake` (an Event) starts a sweep at once."""
    from ..models import utcnow

    while not stop.is_set():
        with app.app_context():
            try:
                sweep(utcnow(), clock=utcnow)
            except (OperationalError, IntegrityError) as error:
                # Another escalator or a web request got there first (SQLite busy, or a stage already recorded):
                # nothing was committed, so the next tick retakes whatever is still due.
                db.session.rollback()
                log.warning("sweep rolled back, retrying next tick: %s", error.__class__.__name__)
            finally:
                db.session.remove()
        if wake is not None:
            wake.wait(tick)
            wake.clear()
        else:
            stop.wait(tick)
