"""Reconciliation: exactly the chosen values, an audit event, both originals kept, the author told."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from fieldapp.extensions import db
from fieldapp.models import AuditEvent
from fieldapp.records.store import get_record_row, read_body, record_cipher
from sync.resolve import ResolutionError, StaleResolution, confirm_soft, resolve_conflict
from sync.tables import change_log, record_revisions
from tests.conftest import use_registered_device
from tests.record_cases import statutory_visit
from tests.review.helpers import hard_conflict, open_conflict_row, team_with_child


def _bodies_by_revision(record_id):
    cipher = record_cipher()
    return {
        row.revision: (row.kind, cipher.decrypt(row.body_key_id, row.body, f"{record_id}:{row.revision}"))
        for row in db.session.execute(select(record_revisions).where(record_revisions.c.record_id == record_id))
    }


@pytest.fixture
def people(app, make_team, make_user, make_child):
    return team_with_child(make_team, make_user, make_child)


def test_resolution_takes_exactly_the_chosen_values(client, login_as, people, make_record):
    # Two fields changed on both sides, one only on the tablet.
    first = make_record(people.child, people.worker, statutory_visit())
    make_record(
        people.child,
        people.worker,
        {**statutory_visit(), "observations": "Server obs.", "location": "Server place"},
        record_id=first.record_id,
        base_revision=1,
        device_id="tablet-a",
    )
    held = make_record(
        people.child,
        people.worker,
        {
            **statutory_visit(),
            "observations": "Device obs.",
            "location": "Device place",
            "childs_words": "Device words.",
        },
        record_id=first.record_id,
        base_revision=1,
        device_id="tablet-b",
    )
    login_as(people.support)
    page = client.get(f"/reconcile/{held.conflict_id}").get_data(as_text=True)
    assert "Server obs." in page and "Device obs." in page and "Changed on both sides" in page

    response = client.post(
        f"/reconcile/{held.conflict_id}/resolve",
        data={
            "revision": "2",
            "reason": "Checked with the worker by phone.",
            "choice-observations": "device",
            "choice-location": "edit",
            "edited-location": "Merged place",
            "choice-childs_words": "device",
        },
    )

    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    db.session.expire_all()
    row = get_record_row(first.record_id)
    body = read_body(row)
    assert (row.revision, row.conflict_state, row.review_state) == (3, "none", "submitted")
    expected = {
        **statutory_visit(),
        "id": first.record_id,
        "child_id": people.child.public_id,
        "observations": "Device obs.",
        "location": "Merged place",
        "childs_words": "Device words.",
    }
    assert body == expected
    # Both originals stay: the server's in the revision history, the tablet's whole in the conflict.
    history = _bodies_by_revision(first.record_id)
    assert history[2][1]["observations"] == "Server obs." and history[3][0] == "resolution"
    conflict = open_conflict_row(held.conflict_id)
    device = record_cipher().decrypt(conflict.body_key_id, conflict.device_body, f"conflict:{conflict.op_id}")
    assert device["location"] == "Device place"
    assert conflict.state == "resolved" and conflict.resolved_by_id == people.support.id
    assert conflict.resolution["choices"] == {"observations": "device", "location": "edited", "childs_words": "device"}
    assert conflict.resolution["reason"] == "Checked with the worker by phone."
    assert "Merged place" not in str(conflict.resolution)  # edited values live only in the encrypted revision
    event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "resolve_conflict")).one()
    assert event.actor_id == people.support.id and event.child_public_id == people.child.public_id
    assert "location=edited" in event.detail and "observations=device" in event.detail
    assert "Checked with the worker by phone." in event.detail
    # The device pulls the new revision; the author reads why.
    assert (
        db.session.execute(
            select(change_log.c.revision)
            .where(change_log.c.record_id == first.record_id)
            .order_by(change_log.c.seq.desc())
        ).first()[0]
        == 3
    )
    login_as(people.worker)
    use_registered_device(client)
    [notice] = client.get("/api/notifications").get_json()["notifications"]
    client.environ_base.pop("HTTP_X_FIELDAPP_DEVICE")
    assert notice["kind"] == "conflict_resolved" and notice["revision"] == 3
    assert "Checked with the worker by phone." in notice["message"]
    # Resolved: the conflict leaves support's view.
    login_as(people.support)
    assert client.get(f"/reconcile/{held.conflict_id}").status_code == 404


def test_keeping_the_server_value_still_makes_a_resolution_revision(people, make_record):
    held = hard_conflict(make_record, people.child, people.worker)
    revision = resolve_conflict(
        db.session,
        record_cipher(),
        held.conflict_id,
        {"observations": "server"},
        people.support.id,
        "Server is right",
        _now(),
        2,
        validate=lambda t, b: [],
    )
    db.session.commit()
    assert revision == 3
    assert read_body(get_record_row(held.record_id))["observations"] == "Server words."


def test_reason_and_every_differing_field_are_required(client, login_as, people, make_record):
    held = hard_conflict(make_record, people.child, people.worker)
    login_as(people.support)
    page = client.post(f"/reconcile/{held.conflict_id}/resolve", data={"revision": "2", "reason": " "})
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Give a reason for this resolution" in text and "which value of “Observations” to keep" in text
    db.session.expire_all()
    assert open_conflict_row(held.conflict_id).state == "open"
    with pytest.raises(ResolutionError):
        resolve_conflict(
            db.session,
            record_cipher(),
            held.conflict_id,
            {},
            people.support.id,
            "why",
            _now(),
            2,
            validate=lambda t, b: [],
        )
    with pytest.raises(ResolutionError):
        resolve_conflict(
            db.session,
            record_cipher(),
            held.conflict_id,
            {"observations": "server", "location": "device"},
            people.support.id,
            "why",
            _now(),
            2,
            validate=lambda t, b: [],
        )


def test_an_edited_value_that_breaks_the_schema_is_refused(client, login_as, people, make_record):
    held = hard_conflict(
        make_record, people.child, people.worker, field="start_time", server_value="09:00", device_value="09:30"
    )
    login_as(people.support)
    page = client.post(
        f"/reconcile/{held.conflict_id}/resolve",
        data={"revision": "2", "reason": "typo", "choice-start_time": "edit", "edited-start_time": "quarter past nine"},
    )
    assert page.status_code == 200 and "There is a problem" in page.get_data(as_text=True)
    db.session.expire_all()
    assert get_record_row(held.record_id).revision == 2
    assert open_conflict_row(held.conflict_id).state == "open"


def test_a_stale_resolution_is_refused(client, login_as, people, make_record):
    held = hard_conflict(make_record, people.child, people.worker)
    make_record(
        people.child,
        people.worker,
        {**statutory_visit(), "observations": "Server words.", "location": "Later"},
        record_id=held.record_id,
        base_revision=2,
        device_id="tablet-a",
    )
    login_as(people.support)
    response = client.post(
        f"/reconcile/{held.conflict_id}/resolve", data={"revision": "2", "reason": "x", "choice-observations": "device"}
    )
    assert response.status_code == 409
    with pytest.raises(StaleResolution):
        resolve_conflict(
            db.session,
            record_cipher(),
            held.conflict_id,
            {"observations": "device"},
            people.support.id,
            "x",
            _now(),
            2,
            validate=lambda t, b: [],
        )


def test_soft_conflict_confirmed_in_one_step(client, login_as, people, make_record):
    first = make_record(people.child, people.worker, statutory_visit())
    make_record(
        people.child,
        people.worker,
        {**statutory_visit(), "observations": "Server obs."},
        record_id=first.record_id,
        base_revision=1,
        device_id="tablet-a",
    )
    merged = make_record(
        people.child,
        people.worker,
        {**statutory_visit(), "location": "Device place"},
        record_id=first.record_id,
        base_revision=1,
        device_id="tablet-b",
    )
    assert merged.status.value == "merged"
    login_as(people.support)
    assert "Confirm the merge" in client.get(f"/reconcile/{merged.conflict_id}").get_data(as_text=True)
    assert client.post(f"/reconcile/{merged.conflict_id}/confirm", data={}).status_code == 302
    db.session.expire_all()
    row = get_record_row(first.record_id)
    assert (row.revision, row.conflict_state) == (3, "none")
    assert open_conflict_row(merged.conflict_id).resolution["confirmed"] is True
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "confirm_merge"))
    with pytest.raises(StaleResolution):
        confirm_soft(db.session, record_cipher(), merged.conflict_id, people.support.id, "", _now())


def test_record_stays_hard_until_its_last_hard_conflict_is_resolved(people, make_record):
    held = hard_conflict(make_record, people.child, people.worker)
    second = make_record(
        people.child,
        people.worker,
        {**statutory_visit(), "observations": "Third words."},
        record_id=held.record_id,
        base_revision=1,
        device_id="tablet-c",
    )
    resolve_conflict(
        db.session,
        record_cipher(),
        held.conflict_id,
        {"observations": "device"},
        people.support.id,
        "first",
        _now(),
        2,
        validate=lambda t, b: [],
    )
    db.session.commit()
    assert get_record_row(held.record_id).conflict_state == "hard"
    resolve_conflict(
        db.session,
        record_cipher(),
        second.conflict_id,
        {"observations": "device"},
        people.support.id,
        "second",
        _now(),
        3,
        validate=lambda t, b: [],
    )
    db.session.commit()
    row = get_record_row(held.record_id)
    assert (row.conflict_state, read_body(row)["observations"]) == ("none", "Third words.")


def _now():
    from datetime import UTC, datetime

    return datetime.now(UTC)
