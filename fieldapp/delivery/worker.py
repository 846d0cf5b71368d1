"""The delivery worker: the escalator's sibling process (`fieldapp deliver`), sending due export jobs.

One job's failure (an unreachable receiver, a record that cannot be rendered) is recorded on that job and never
stops the others or the loop. The PDF is made once per job attempt only when some destination wants it.
"""

from __future__ import annotations

import logging

from ..extensions import db
from ..models import ExportJob, utcnow
from . import queue
from .destinations import DeliveryFailed, DestinationMisconfigured, destination_named
from .document import delivery_document, load_job
from .pdf import PdfUnavailable, archival_pdf

log = logging.getLogger("fieldapp.delivery")


def deliver_due(limit: int = 20, passes: int = 50) -> int:
    """Deliver every job due now (bounded by `passes` batches); returns how many were delivered."""
    delivered = 0
    for _ in range(passes):
        jobs = queue.claim_due(utcnow(), limit)
        if not jobs:
            break
        for job in jobs:
            delivered += deliver_one(job)
    return delivered


def deliver_one(job: ExportJob) -> int:
    """Try one claimed job; commit its outcome. Returns 1 when it reached its destination."""
    destination = destination_named(job.destination)
    try:
        if destination is None:
            raise DeliveryFailed(f"destination {job.destination!r} is no longer configured")
        signed = load_job(job)
        pdf = archival_pdf(signed) if destination.name == "folder" else None
        destination.deliver(delivery_document(signed), pdf)
    except (DeliveryFailed, DestinationMisconfigured, PdfUnavailable) as failure:
        db.session.rollback()
        queue.mark_failed(db.session.merge(job), str(failure), utcnow())
        db.session.commit()
        log.warning("export job %s attempt %s failed: %s", job.id, job.attempts, failure)
        return 0
    except Exception as error:  # a bug or bad data must cost only this job, never the loop
        db.session.rollback()
        log.exception("export job %s failed unexpectedly", job.id)
        queue.mark_failed(db.session.merge(job), f"internal error: {error.__class__.__name__}", utcnow())
        db.session.commit()
        return 0
    queue.mark_delivered(job, utcnow())
    db.session.commit()
    return 1


def run(stop, tick: float) -> None:
    """Sweep every `tick` seconds until `stop` is set; errors are logged and the loop carries on."""
    while not stop.is_set():
        try:
            count = deliver_due()
            if count:
                log.info("delivered %s export jobs", count)
        except Exception:
            db.session.rollback()
            log.exception("delivery sweep failed; trying again next tick")
        stop.wait(tick)
