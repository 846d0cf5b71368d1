"""A correction after sign-off is an amendment that needs sign-off again; the child's drawing is shown only to
those who may see its record, audited, and never cached."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime

from sqlalchemy import select

from fieldapp.extensions import db
from fieldapp.models import AuditEvent, Role
from fieldapp.records.attachments import store_attachments
from fieldapp.records.store import get_record_row, record_cipher
from sync.tables import record_revisions
from tests.record_cases import statutory_visit, three_houses
from tests.review.helpers import team_with_child

PHOTO = b"\x89PNG fictional drawing bytes MARKER-DRAWING"


def test_a_correction_after_sign_off_is_an_amendment_awaiting_sign_off_again(
    client, login_as, make_team, make_user, make_child, make_record
):
    people = team_with_child(make_team, make_user, make_child)
    stored = make_record(people.child, people.worker, statutory_visit())
    login_as(people.manager)
    client.post(
        f"/records/{stored.record_id}/review", data={"revision": "1", "comment": "Good.", "sign_off": "Sign off"}
    )
    db.session.expire_all()
    assert get_record_row(stored.record_id).review_state == "signed_off"
    amended = make_record(
        people.child,
        people.worker,
        {**statutory_visit(), "observations": "Corrected (fictional)."},
        record_id=stored.record_id,
        base_revision=1,
    )
    assert (amended.status.value, amended.revision) == ("applied", 2)
    row = get_record_row(stored.record_id)
    assert row.review_state == "submitted"
    kinds = dict(
        db.session.execute(
            select(record_revisions.c.revision, record_revisions.c.kind).where(
                record_revisions.c.record_id == stored.record_id
            )
        ).all()
    )
    assert kinds == {1: "device", 2: "amendment"}
    assert stored.record_id in client.get("/review/awaiting").get_data(as_text=True).split("Returned")[0]


def _record_with_drawing(make_record, people):
    photo_id = str(uuid.uuid4())
    body = {**three_houses(), "drawing": {"attachment_id": photo_id, "mime": "image/png", "size": len(PHOTO)}}
    stored = make_record(people.child, people.worker, body)
    store_attachments(
        db.session,
        record_cipher(),
        stored.record_id,
        [{"id": photo_id, "mime": "image/png", "size": len(PHOTO), "data": PHOTO}],
        datetime.now(UTC),
    )
    db.session.commit()
    return stored.record_id, photo_id


def test_the_drawing_is_shown_to_worker_and_manager_on_record_sign_off_and_print(
    client, login_as, make_team, make_user, make_child, make_record
):
    people = team_with_child(make_team, make_user, make_child)
    record_id, photo_id = _record_with_drawing(make_record, people)
    url = f"/records/{record_id}/attachments/{photo_id}"
    for person in (people.worker, people.manager):
        login_as(person)
        for page in (f"/records/{record_id}", f"/records/{record_id}/print"):
            html = client.get(page).get_data(as_text=True)
            assert f'src="{url}"' in html and "Photo of the child&#39;s drawing" in html, (person.role, page)
        response = client.get(url)
        assert response.status_code == 200 and response.data == PHOTO
        assert response.headers["Cache-Control"] == "no-store" and response.mimetype == "image/png"
    login_as(people.manager)
    assert "Sign off" in client.get(f"/records/{record_id}").get_data(as_text=True)  # the sign-off page shows it
    views = db.session.scalars(select(AuditEvent.detail).where(AuditEvent.action == "view_attachment")).all()
    assert len(views) == 2 and all(photo_id in detail for detail in views)


def test_the_drawing_is_refused_to_everyone_else(client, login_as, make_team, make_user, make_child, make_record):
    people = team_with_child(make_team, make_user, make_child)
    record_id, photo_id = _record_with_drawing(make_record, people)
    outsiders = [
        make_user(Role.WORKER, people.team),
        make_user(Role.MANAGER, make_team()),
        people.support,
        make_user(Role.ADMIN),
    ]
    for person in outsiders:
        login_as(person)
        assert client.get(f"/records/{record_id}/attachments/{photo_id}").status_code == 404, person.role
    login_as(people.worker)
    assert client.get(f"/records/{record_id}/attachments/{uuid.uuid4()}").status_code == 404
    client.post("/logout")
    assert client.get(f"/records/{record_id}/attachments/{photo_id}").status_code in (302, 401)
    denied = db.session.scalars(select(AuditEvent.detail).where(AuditEvent.action == "view_denied")).all()
    assert len(denied) == len(outsiders)
    assert base64.b64encode(PHOTO).decode() not in str(denied)
