"""The export queue: jobs created in the sign-off's transaction, claimed with a lease, retried with back-off.

Claiming moves `next_attempt_at` past a lease in one conditional UPDATE, committed before the delivery starts.
Any number of delivery workers can sweep together without sending a job twice at once, and a worker killed
mid-delivery leaves a lease that simply expires: the job is tried again with the same delivery id, which the
receiver de-duplicates on. Services flush; the delivery worker commits its own short transactions.
"""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select, update

from ..extensions import db
from ..models import ExportJob, ExportState, utcnow
from .destinations import configured_destinations

MAX_BACKOFF = timedelta(hours=1)


def enqueue_signed_off(record_id: str, revision: int) -> list[ExportJob]:
    """One job per configured destination for this signed-off version (none when nothing is configured)."""
    jobs = []
    for destination in configured_destinations():
        exists = db.session.scalars(
            select(ExportJob).where(
                ExportJob.record_id == record_id,
                ExportJob.revision == revision,
                ExportJob.destination == destination.name,
            )
        ).first()
        if exists is None:  # a version signed off twice (after a return) is still delivered once
            jobs.append(
                ExportJob(
                    delivery_id=str(uuid.uuid4()),
                    record_id=record_id,
                    revision=revision,
                    destination=destination.name,
                    state=ExportState.PENDING,
                    attempts=0,
                    next_attempt_at=utcnow(),
                    created_at=utcnow(),
                )
            )
    db.session.add_all(jobs)
    db.session.flush()
    return jobs


def lease() -> timedelta:
    """How long a claim holds a job: longer than a batch of deliveries can take (each has second timeouts)."""
    return timedelta(seconds=current_app.config["DELIVERY_LEASE_SECONDS"])


def claim_due(now: datetime, limit: int = 20) -> list[ExportJob]:
    """Due jobs this process now holds under a lease (committed, so other workers skip them)."""
    due = (
        select(ExportJob.id)
        .where(ExportJob.state == ExportState.PENDING, ExportJob.next_attempt_at <= now)
        .order_by(ExportJob.next_attempt_at)
        .limit(limit)
    )
    if db.session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    # One statement: the re-checked WHERE makes the claim atomic on SQLite too (its writes are serialised).
    claimed = (
        db.session.execute(
            update(ExportJob)
            .where(
                ExportJob.id.in_(due.scalar_subquery()),
                ExportJob.state == ExportState.PENDING,
                ExportJob.next_attempt_at <= now,
            )
            .values(next_attempt_at=now + lease(), attempts=ExportJob.attempts + 1)
            .returning(ExportJob.id)
            .execution_options(synchronize_session=False)
        )
        .scalars()
        .all()
    )
    db.session.commit()
    if not claimed:
        return []
    return list(db.session.scalars(select(ExportJob).where(ExportJob.id.in_(claimed)).order_by(ExportJob.id)))


def mark_delivered(job: ExportJob, now: datetime) -> None:
    job.state, job.delivered_at, job.last_error = ExportState.DELIVERED, now, None
    db.session.flush()


def mark_failed(job: ExportJob, reason: str, now: datetime) -> None:
    """Back off exponentially with jitter; park the job after the configured number of attempts."""
    job.last_error = reason[:200]
    if job.attempts >= current_app.config["DELIVERY_MAX_ATTEMPTS"]:
        job.state = ExportState.PARKED
    else:
        cap = min(
            timedelta(seconds=current_app.config["DELIVERY_RETRY_BASE_SECONDS"] * 2 ** (job.attempts - 1)), MAX_BACKOFF
        )
        job.next_attempt_at = now + cap * random.uniform(0.5, 1.0)
    db.session.flush()


def retry_parked(job_id: int) -> ExportJob | None:
    """An admin sends a parked job again: a fresh round of attempts, the same delivery id."""
    job = db.session.get(ExportJob, job_id)
    if job is None or job.state != ExportState.PARKED:
        return None
    job.state, job.attempts, job.next_attempt_at = ExportState.PENDING, 0, utcnow()
    db.session.flush()
    return job


def jobs_for_record(record_id: str) -> list[ExportJob]:
    return list(
        db.session.scalars(
            select(ExportJob)
            .where(ExportJob.record_id == record_id)
            .order_by(ExportJob.revision, ExportJob.destination)
        )
    )


def parked_jobs(limit: int = 200) -> list[ExportJob]:
    return list(
        db.session.scalars(
            select(ExportJob).where(ExportJob.state == ExportState.PARKED).order_by(ExportJob.created_at).limit(limit)
        )
    )


def queue_counts(record_ids=None) -> dict[str, int]:
    """Jobs by state, optionally only for some records (a manager's team)."""
    query = select(ExportJob.state, func.count()).group_by(ExportJob.state)
    if record_ids is not None:
        query = query.where(ExportJob.record_id.in_(record_ids))
    counts = {state.value: 0 for state in ExportState}
    counts.update({ExportState(state).value: number for state, number in db.session.execute(query)})
    return counts


def oldest_undelivered_age(now: datetime) -> float:
    """Seconds since the oldest job not yet delivered was created (0 when none): a metric to alarm on."""
    oldest = db.session.scalar(select(func.min(ExportJob.created_at)).where(ExportJob.state != ExportState.DELIVERED))
    if oldest is None:
        return 0.0
    return max(0.0, (now - oldest).total_seconds())
