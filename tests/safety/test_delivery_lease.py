"""A sweep that started long ago must not hand out leases that have already run out (found by the soak test:
with two escalators and a sweep longer than the lease, the other escalator re-claimed and re-sent 702 emails)."""

from __future__ import annotations

from datetime import timedelta

from fieldapp.extensions import db
from fieldapp.models import utcnow
from fieldapp.safety import sessions
from fieldapp.safety.deliveries import claim
from fieldapp.safety.escalator import escalate_due


def test_a_claim_from_a_late_sweep_holds_its_lease_from_the_moment_it_claims(app, ladder):
    started = utcnow() - timedelta(hours=3)
    sessions.start(ladder.worker.user, started, 30, address="1 Example Street, ZZ99 9ZZ")
    db.session.commit()
    sweep_began = started + timedelta(minutes=36)  # this sweep's clock, read long before it reaches the claim
    assert escalate_due(sweep_began) > 0
    first = claim(sweep_began, 100, timedelta(seconds=60))
    assert first, "the overdue alert queued deliveries"
    assert claim(utcnow(), 100, timedelta(seconds=60)) == []  # another escalator, now: nothing to take again
