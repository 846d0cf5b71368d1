"""Sending queued deliveries: claim with a lease, send on the right lane, record each result as it comes back.

A claim sets state 'sending' until `next_attempt_at`; a sender killed after claiming leaves a lease that expires
and the delivery is sent by whoever sweeps next. Priority deliveries (panic, duress) have their own claim, so
they are never behind a batch of others.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask, current_app
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import AlertKind, PushSubscription, SafetyAlert, SafetyDelivery, SafetyEvent, utcnow
from . import alerts, channels
from .lane import lanes

log = logging.getLogger("fieldapp.escalator")
MAX_ATTEMPTS = 6


def claim(
    now: datetime, limit: int, lease: timedelta, *, alert_id: int | None = None, priority: bool | None = None
) -> list[int]:
    """Atomically take up to `limit` due deliveries (optionally of one alert, or one lane); commits the claim."""
    candidates = (
        select(SafetyDelivery.id)
        .where(SafetyDelivery.state.in_(("pending", "sending")), SafetyDelivery.next_attempt_at <= now)
        # By recipient within a due moment: in a burst, every alert reaches one person before any
        # alert reaches its second (claim order is roughly send order).
        .order_by(SafetyDelivery.next_attempt_at, SafetyDelivery.recipient_id, SafetyDelivery.id)
        .limit(limit)
    )
    if alert_id is not None:
        candidates = candidates.where(SafetyDelivery.alert_id == alert_id)
    if priority is not None:
        candidates = candidates.where(SafetyDelivery.priority.is_(priority))
    if db.session.get_bind().dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    # The lease runs from the moment of claiming, not from `now` (when the sweep began): a long sweep would
    # otherwise hand out leases already expired, and another escalator would send the same delivery again.
    held_until = max(now, utcnow()) + lease
    claimed = (
        db.session.execute(
            update(SafetyDelivery)
            .where(SafetyDelivery.id.in_(candidates.scalar_subquery()))
            .values(state="sending", next_attempt_at=held_until, attempts=SafetyDelivery.attempts + 1)
            .returning(SafetyDelivery.id)
            .execution_options(synchronize_session=False)
        )
        .scalars()
        .all()
    )
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
    # `url` stays a path for the service worker (it opens it on its own origin); `link` is absolute for email.
    return {
        "title": alert.title,
        "body": alert.body,
        "url": url,
        "link": alerts.public_url(url),
        "tag": tag,
        "kind": alert.kind.value,
    }


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
    priority: bool = False
    start_by: float = float("inf")  # time.monotonic() after which this claim may already be someone else's


def jobs_for(ids: list[int], start_by: float = float("inf")) -> list[Claimed]:
    # Three queries for the whole batch, not four per delivery: this sits between "due" and "sent".
    deliveries = db.session.scalars(
        select(SafetyDelivery)
        .where(SafetyDelivery.id.in_(ids))
        .options(joinedload(SafetyDelivery.alert).joinedload(SafetyAlert.session), joinedload(SafetyDelivery.recipient))
    )
    deliveries = list(deliveries.unique())
    wanted = {d.subscription_id for d in deliveries if d.subscription_id}
    rows = {r.id: r for r in db.session.scalars(select(PushSubscription).where(PushSubscription.id.in_(wanted)))}
    jobs = []
    for d in deliveries:
        row = rows.get(d.subscription_id)
        target = channels.PushTarget(row.endpoint, row.p256dh, row.auth) if row else None
        jobs.append(
            Claimed(
                d.id,
                d.alert_id,
                d.alert.session_id,
                d.channel,
                d.recipient_id,
                d.subscription_id,
                d.attempts,
                target,
                _payload(d),
                d.recipient.email,
                d.priority,
                start_by,
            )
        )
    return jobs


def _send(app: Flask, job: Claimed) -> channels.Outcome:
    if job.channel == "push":
        if job.target is None:
            return channels.Outcome(False, "subscription was removed", gone=True)
        return channels.send_push(app, job.target, job.payload, priority=job.priority)
    if not job.email:
        return channels.Outcome(False, "recipient has no email address", gone=True)
    body = job.payload["body"] + f"\n\nOpen: {job.payload['link']}"
    return channels.send_email(app, job.email, job.payload["title"], body)


def _record_outcome(job: Claimed, outcome: channels.Outcome, now: datetime) -> None:
    values = {"last_error": "" if outcome.ok else outcome.detail}
    if outcome.ok:
        values.update(state="sent", sent_at=now)
    elif outcome.gone or job.attempts >= MAX_ATTEMPTS:
        values.update(state="dropped" if outcome.gone else "failed")
    else:
        values.update(state="pending", next_attempt_at=now + timedelta(seconds=min(60, 2**job.attempts)))
    db.session.execute(
        update(SafetyDelivery)
        .where(SafetyDelivery.id == job.id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.add(
        SafetyEvent(
            session_id=job.session_id,
            alert_id=job.alert_id,
            at=now,
            kind="delivery_attempt",
            detail={
                "delivery": job.id,
                "channel": job.channel,
                "recipient": job.recipient_id,
                "attempt": job.attempts,
                "ok": outcome.ok,
                "result": outcome.detail,
                "status": outcome.status,
                "priority": job.priority,
            },
        )
    )
    if outcome.gone and job.channel == "push" and job.subscription_id is not None:
        # The push service says this browser unsubscribed or expired, or the endpoint is no longer one we may
        # send to: stop using it, and say so in the log.
        db.session.execute(db.delete(PushSubscription).where(PushSubscription.id == job.subscription_id))
        db.session.add(
            SafetyEvent(
                session_id=job.session_id,
                at=now,
                kind="subscription_dropped",
                detail={
                    "subscription": job.subscription_id,
                    "user": job.recipient_id,
                    "status": outcome.status,
                    "reason": outcome.detail,
                },
            )
        )


def send_and_record(app: Flask, job: Claimed, clock) -> None:
    """Send one delivery and record its result at once (own app context, so own DB session)."""
    # A process killed now re-sends only what was on the wire, never a batch of finished work.
    if time.monotonic() > job.start_by:
        # Queued here past half its lease: another sweep may own it by now. Leave it to the next claim.
        log.warning("delivery %s waited too long in its lane; left for the next claim", job.id)
        return
    with app.app_context():
        try:
            _record_outcome(job, _send(app, job), clock())
            db.session.commit()
        except Exception:  # noqa: BLE001  (a sender thread must never die silently; the lease retries it)
            db.session.rollback()
            log.exception("recording delivery %s failed; its lease will expire and it is sent again", job.id)
        finally:
            db.session.remove()


def deliver_pending(
    now: datetime,
    limit: int = 64,
    alert_id: int | None = None,
    clock=None,
    *,
    priority: bool | None = None,
    wait: bool = True,
) -> int:
    """Claim due deliveries and hand each to its lane; returns how many were claimed.

    `wait=True` returns once every send is recorded (tests, `escalator --once`); the running escalator passes
    False, so its sweep never waits on a slow endpoint.
    """
    app = current_app._get_current_object()
    clock = clock or (lambda: now)
    lease = timedelta(seconds=app.config.get("SAFETY_DELIVERY_LEASE_SECONDS", 60))
    if priority is False and not wait:
        limit = min(limit, lanes().bulk_room())
        if limit <= 0:
            return 0
    claimed_at = time.monotonic()
    ids = claim(now, limit, lease, alert_id=alert_id, priority=priority)
    if not ids:
        return 0
    start_by = claimed_at + lease.total_seconds() / 2
    futures = [lanes().submit(job.priority, send_and_record, app, job, clock) for job in jobs_for(ids, start_by)]
    if wait:
        for future in futures:
            future.result()
    return len(ids)
