"""Sign-off creates its export jobs in its own transaction; failures back off and park; admins retry parked jobs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from fieldapp.delivery import queue
from fieldapp.extensions import db
from fieldapp.models import ExportJob, ExportState, ReviewDecision, utcnow
from fieldapp.records.store import get_record_row, read_body
from fieldapp.review.queries import visible_record
from fieldapp.review.services import ReviewRefused, review_record
from tests.conftest import login
from tests.delivery.helpers import sign_off, signed_off_visit
from tests.record_cases import statutory_visit
from tests.review.helpers import team_with_child


@pytest.fixture
def people(app, make_team, make_user, make_child, tmp_path):
    app.config.update(
        DELIVERY_WEBHOOK_URL="https://case-system.example.gov.uk/in",
        DELIVERY_WEBHOOK_SECRET="s" * 20,
        DELIVERY_ALLOWED_HOSTS=["case-system.example.gov.uk"],
        DELIVERY_FOLDER=str(tmp_path),
    )
    return team_with_child(make_team, make_user, make_child)


def jobs() -> list[ExportJob]:
    return list(db.session.scalars(select(ExportJob).order_by(ExportJob.destination)))


def test_sign_off_creates_one_job_per_destination_with_a_stable_delivery_id(people, make_record):
    record_id = signed_off_visit(make_record, people)
    found = jobs()
    assert [(job.record_id, job.revision, job.destination, job.state) for job in found] == [
        (record_id, 1, "folder", ExportState.PENDING),
        (record_id, 1, "webhook", ExportState.PENDING),
    ]
    assert len({job.delivery_id for job in found}) == 2


def test_returning_a_record_exports_nothing(people, make_record):
    result = make_record(people.child, people.worker, statutory_visit())
    found = visible_record(people.manager, result.record_id)
    review_record(people.manager, found.row, found.child, 1, ReviewDecision.RETURNED, "Add the child's words.")
    db.session.commit()
    assert jobs() == []


def test_a_refused_sign_off_leaves_no_job(people, make_record):
    result = make_record(people.child, people.worker, statutory_visit())
    found = visible_record(people.manager, result.record_id)
    with pytest.raises(ReviewRefused):
        review_record(people.manager, found.row, found.child, 1, ReviewDecision.SIGNED_OFF, "   ")
    db.session.rollback()
    assert jobs() == []


def test_no_destination_configured_means_no_jobs(app, people, make_record):
    app.config.update(DELIVERY_WEBHOOK_URL=None, DELIVERY_FOLDER=None)
    signed_off_visit(make_record, people)
    assert jobs() == []


def test_an_amendment_signed_off_is_delivered_again_as_its_own_version(people, make_record):
    record_id = signed_off_visit(make_record, people)
    note_id = read_body(get_record_row(record_id))["seen_alone_record_id"]  # the amendment keeps its note
    make_record(
        people.child,
        people.worker,
        {**statutory_visit(), "observations": "Amended.", "seen_alone_record_id": note_id},
        record_id=record_id,
        base_revision=1,
    )
    sign_off(people.manager, record_id, revision=2)
    assert sorted((job.revision, job.destination) for job in jobs()) == [
        (1, "folder"),
        (1, "webhook"),
        (2, "folder"),
        (2, "webhook"),
    ]


def test_a_claimed_job_is_not_claimed_again_until_its_lease_expires(people, make_record):
    signed_off_visit(make_record, people)
    now = utcnow()
    first = queue.claim_due(now)
    assert len(first) == 2 and all(job.attempts == 1 for job in first)
    assert queue.claim_due(now) == []
    again = queue.claim_due(now + queue.lease() + timedelta(seconds=1))  # the claimer died: the lease runs out
    assert sorted(job.id for job in again) == sorted(job.id for job in first)


def test_failures_back_off_then_park_and_an_admin_can_send_again(app, people, make_record, client, make_user):
    from fieldapp.models import Role

    app.config.update(DELIVERY_MAX_ATTEMPTS=3, DELIVERY_RETRY_BASE_SECONDS=10, DELIVERY_FOLDER=None)
    signed_off_visit(make_record, people)
    now, delays = utcnow(), []
    for _ in range(3):
        [job] = queue.claim_due(now + timedelta(days=1))
        queue.mark_failed(job, "webhook answered HTTP 503", now)
        db.session.commit()
        delays.append((job.next_attempt_at - now).total_seconds())
    assert job.state == ExportState.PARKED and job.last_error == "webhook answered HTTP 503"
    assert 5 <= delays[0] <= 10 and 10 <= delays[1] <= 20  # exponential, with jitter between half and all

    admin = make_user(Role.ADMIN)
    login(client, admin)
    page = client.get("/admin/deliveries").get_data(as_text=True)
    assert f'id="job-{job.id}"' in page and "webhook answered HTTP 503" in page
    assert client.post(f"/admin/deliveries/{job.id}/retry").status_code == 302
    db.session.expire_all()
    job = db.session.get(ExportJob, job.id)
    assert (job.state, job.attempts) == (ExportState.PENDING, 0)


def test_only_admins_see_the_dead_letter_list(people, client):
    login(client, people.manager)
    assert client.get("/admin/deliveries").status_code == 403


def test_metrics_report_the_oldest_undelivered_export(people, make_record, client):
    from sqlalchemy import update

    signed_off_visit(make_record, people)
    db.session.execute(update(ExportJob).values(created_at=utcnow() - timedelta(minutes=10)))
    db.session.commit()
    body = client.get("/metrics").get_data(as_text=True)  # the test client is loopback
    [line] = [line for line in body.splitlines() if line.startswith("fieldapp_delivery_oldest_undelivered_seconds")]
    assert float(line.split()[-1]) >= 600
    assert 'fieldapp_delivery_jobs{state="pending"} 2.0' in body
