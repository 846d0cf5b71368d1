"""Manager sign-off and return: stored append-only, pulled by the device, amendment is a new revision."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from fieldapp.extensions import db
from fieldapp.models import AuditEvent, Notification, RecordReview, Role
from fieldapp.records.store import get_record_row
from sync.tables import change_log, record_revisions
from tests.conftest import use_registered_device
from tests.record_cases import seen_alone, statutory_visit
from tests.review.helpers import hard_conflict, team_with_child


def _review(client, record_id, revision, decision, comment="Good visit; follow up the dentist."):
    button = {"sign_off": "Sign off", "return_record": "Return to worker"}[decision]
    return client.post(
        f"/records/{record_id}/review", data={"revision": str(revision), "comment": comment, decision: button}
    )


def test_manager_signs_off_a_team_record(app, client, login_as, make_team, make_user, make_child, make_record):
    people = team_with_child(make_team, make_user, make_child)
    stored = make_record(people.child, people.worker, statutory_visit())
    login_as(people.manager)
    page = client.get("/review/awaiting")
    assert stored.record_id in page.get_data(as_text=True)
    seq_before = db.session.scalar(select(db.func.max(change_log.c.seq)))

    response = _review(client, stored.record_id, 1, "sign_off")

    assert response.status_code == 302
    db.session.expire_all()
    assert get_record_row(stored.record_id).review_state == "signed_off"
    [review] = db.session.scalars(select(RecordReview)).all()
    assert (review.revision, review.decision.value, review.manager_id) == (1, "signed_off", people.manager.id)
    assert b"dentist" not in review.comment  # the comment is encrypted at rest
    # The device learns of it on its next pull: the change log has a new entry for the record.
    assert db.session.scalar(select(db.func.max(change_log.c.seq))) > seq_before
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.action == "record_signed_off"))
    assert stored.record_id not in client.get("/review/awaiting").get_data(as_text=True).split("Returned")[0]
    # Signing off the same version twice is refused, not recorded twice.
    assert _review(client, stored.record_id, 1, "sign_off").status_code == 200
    assert len(db.session.scalars(select(RecordReview)).all()) == 1


def test_return_then_amendment_is_a_new_revision_with_history_kept(
    app, client, login_as, make_team, make_user, make_child, make_record
):
    people = team_with_child(make_team, make_user, make_child)
    stored = make_record(people.child, people.worker, statutory_visit())
    login_as(people.manager)
    assert (
        _review(client, stored.record_id, 1, "return_record", "Add what the child said about school.").status_code
        == 302
    )
    db.session.expire_all()
    assert get_record_row(stored.record_id).review_state == "returned"

    # The worker is told, with the reason, through the notices API their device reads after sync.
    login_as(people.worker)
    use_registered_device(client)
    [notice] = client.get("/api/notifications").get_json()["notifications"]
    client.environ_base.pop("HTTP_X_FIELDAPP_DEVICE")
    assert notice["kind"] == "returned" and "child said about school" in notice["message"]
    assert notice["record_id"] == stored.record_id

    amended = make_record(
        people.child,
        people.worker,
        {**statutory_visit(), "childs_words": "School is fine."},
        record_id=stored.record_id,
        base_revision=1,
    )

    assert amended.revision == 2
    db.session.expire_all()
    row = get_record_row(stored.record_id)
    assert (row.revision, row.review_state) == (2, "submitted")
    kinds = dict(
        db.session.execute(
            select(record_revisions.c.revision, record_revisions.c.kind).where(
                record_revisions.c.record_id == stored.record_id
            )
        ).all()
    )
    assert kinds == {1: "device", 2: "amendment"}
    login_as(people.manager)
    old = client.get(f"/records/{stored.record_id}/versions/1").get_data(as_text=True)
    new = client.get(f"/records/{stored.record_id}").get_data(as_text=True)
    assert "I like it here" in old and "School is fine." in new and "Amended after return" in new
    assert "child said about school" in new  # the return and its reason stay on the record


def test_review_of_a_stale_version_is_refused(app, client, login_as, make_team, make_user, make_child, make_record):
    people = team_with_child(make_team, make_user, make_child)
    stored = make_record(people.child, people.worker, statutory_visit())
    make_record(
        people.child,
        people.worker,
        {**statutory_visit(), "location": "School"},
        record_id=stored.record_id,
        base_revision=1,
    )
    login_as(people.manager)
    response = _review(client, stored.record_id, 1, "sign_off")
    assert response.status_code == 409
    assert "has changed since you opened it" in response.get_data(as_text=True)
    db.session.expire_all()
    assert get_record_row(stored.record_id).review_state == "submitted"


def test_comment_required_and_hard_conflict_blocks_sign_off(
    app, client, login_as, make_team, make_user, make_child, make_record
):
    people = team_with_child(make_team, make_user, make_child)
    held = hard_conflict(make_record, people.child, people.worker)
    login_as(people.manager)
    assert "Write a management comment" in _review(client, held.record_id, 2, "sign_off", "  ").get_data(as_text=True)
    assert "support staff to reconcile" in _review(client, held.record_id, 2, "sign_off").get_data(as_text=True)
    assert db.session.scalars(select(RecordReview)).all() == []


def test_manager_of_another_team_cannot_review(app, client, login_as, make_team, make_user, make_child, make_record):
    people = team_with_child(make_team, make_user, make_child)
    stored = make_record(people.child, people.worker, statutory_visit())
    login_as(make_user(Role.MANAGER, make_team()))
    assert stored.record_id not in client.get("/review/awaiting").get_data(as_text=True)
    assert _review(client, stored.record_id, 1, "sign_off").status_code == 404
    assert client.get(f"/records/{stored.record_id}").status_code == 404
    login_as(people.worker)
    assert _review(client, stored.record_id, 1, "sign_off").status_code == 403
    db.session.expire_all()
    assert get_record_row(stored.record_id).review_state == "submitted"
    assert db.session.scalars(select(Notification)).all() == []


def test_malformed_review_posts_are_4xx(app, client, login_as, make_team, make_user, make_child, make_record):
    people = team_with_child(make_team, make_user, make_child)
    stored = make_record(people.child, people.worker, statutory_visit())
    login_as(people.manager)
    assert client.post(f"/records/{stored.record_id}/review", data={"comment": "x"}).status_code == 400
    assert _review(client, stored.record_id, "one", "sign_off").status_code == 400
    assert _review(client, stored.record_id, 1, "sign_off", "x" * 6000).status_code == 400


def test_a_statutory_visit_is_signed_off_only_with_its_seen_alone_record(
    app, client, login_as, make_team, make_user, make_child, make_record
):
    """The visit says the child was seen alone in a record of its own: sign-off waits for that record, and
    refuses one that points at another visit (issue 16: the cross-record check was tested but never enforced)."""
    people = team_with_child(make_team, make_user, make_child)
    alone = make_record(people.child, people.worker, statutory_visit(), with_seen_alone=False)  # note not arrived
    login_as(people.manager)

    refused = _review(client, alone.record_id, 1, "sign_off")
    assert refused.status_code == 200 and "seen-alone record has not reached the server" in refused.get_data(True)
    db.session.expire_all()
    assert get_record_row(alone.record_id).review_state == "submitted"
    assert db.session.scalars(select(RecordReview)).all() == []

    # The note arrives, but for a different visit: still refused, with what to do.
    make_record(
        people.child,
        people.worker,
        {**seen_alone(), "visit_id": str(uuid.uuid4())},
        record_id=statutory_visit()["seen_alone_record_id"],
    )
    mismatched = _review(client, alone.record_id, 1, "sign_off")
    assert "belongs to a different visit or child" in mismatched.get_data(True)
    # Returning it is always possible: that is how the worker is asked to put it right.
    assert _review(client, alone.record_id, 1, "return_record", "Link the seen-alone note.").status_code == 302

    paired = make_record(people.child, people.worker, statutory_visit())  # the fixture sends the note with it
    assert _review(client, paired.record_id, 1, "sign_off").status_code == 302
    db.session.expire_all()
    assert get_record_row(paired.record_id).review_state == "signed_off"
