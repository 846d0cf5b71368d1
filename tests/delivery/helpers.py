"""Signed-off records for the delivery tests, made through the real sync path and the real sign-off service."""

from __future__ import annotations

import uuid
from pathlib import Path

from fieldapp.extensions import db
from fieldapp.models import ReviewDecision, utcnow
from fieldapp.records.attachments import store_attachments
from fieldapp.records.store import record_cipher
from fieldapp.review.queries import visible_record
from fieldapp.review.services import review_record
from tests.record_cases import statutory_visit, three_houses

SECRET = "a-webhook-secret-of-some-length"
DRAWING_PNG = (Path(__file__).resolve().parents[2] / "fieldapp" / "static" / "icons" / "icon-192.png").read_bytes()


def sign_off(manager, record_id: str, revision: int = 1, comment: str = "Good record; actions agreed."):
    found = visible_record(manager, record_id)
    review = review_record(manager, found.row, found.child, revision, ReviewDecision.SIGNED_OFF, comment)
    db.session.commit()
    return review


def signed_off_visit(make_record, people, **changes):
    result = make_record(people.child, people.worker, {**statutory_visit(), **changes})
    sign_off(people.manager, result.record_id)
    return result.record_id


def signed_off_drawing(make_record, people):
    """A Three Houses record whose drawing is a real PNG stored encrypted beside it, then signed off."""
    attachment_id = str(uuid.uuid4())
    body = {
        **three_houses(),
        "drawing": {"attachment_id": attachment_id, "mime": "image/png", "size": len(DRAWING_PNG)},
    }
    result = make_record(people.child, people.worker, body)
    store_attachments(
        db.session,
        record_cipher(),
        result.record_id,
        [{"id": attachment_id, "mime": "image/png", "size": len(DRAWING_PNG), "data": DRAWING_PNG}],
        utcnow(),
    )
    db.session.commit()
    sign_off(people.manager, result.record_id)
    return result.record_id
