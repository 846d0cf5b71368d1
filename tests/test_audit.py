"""Every view and change of a child's record is audited; the trail is append-only."""

from __future__ import annotations

import csv
import io
import uuid

import pytest
from sqlalchemy import select

from fieldapp.extensions import db
from fieldapp.models import AuditEvent, AuditIsAppendOnly, Device, Role


def _events(action: str, child_public_id: str | None = None) -> list[AuditEvent]:
    db.session.expire_all()
    query = select(AuditEvent).where(AuditEvent.action == action)
    if child_public_id:
        query = query.where(AuditEvent.child_public_id == child_public_id)
    return list(db.session.scalars(query.order_by(AuditEvent.id)))


@pytest.fixture
def team_world(make_team, make_user, make_child):
    team = make_team()
    worker = make_user(Role.WORKER, team)
    manager = make_user(Role.MANAGER, team)
    child = make_child(team, worker)
    return team, worker, manager, child


def test_viewing_a_child_writes_an_audit_event_with_who_where_and_device(client, login_as, team_world):
    _, worker, _, child = team_world
    login_as(worker)
    device_id = str(uuid.uuid4())
    db.session.add(Device(id=device_id, user=worker, name="Tablet"))
    db.session.commit()
    response = client.get(
        f"/children/{child.public_id}",
        headers={"X-Fieldapp-Device": device_id, "User-Agent": "TabletBrowser/1.0"},
        environ_base={"REMOTE_ADDR": "192.0.2.7"},
    )
    assert response.status_code == 200
    [event] = _events("view_child", child.public_id)
    assert event.actor_id == worker.id
    assert (event.ip, event.device_id, event.user_agent) == ("192.0.2.7", device_id, "TabletBrowser/1.0")
    assert event.at.tzinfo is not None


@pytest.mark.parametrize(
    "header", ['=HYPERLINK("http://evil.example")', "device-abc", "6d2f6c1e-0b7a-4b53-9a51-2f1c0d6e8a47"]
)  # a UUID nobody registered
def test_a_device_header_that_names_no_registered_device_never_reaches_the_trail(client, login_as, team_world, header):
    _, worker, _, child = team_world
    login_as(worker)
    assert client.get(f"/children/{child.public_id}", headers={"X-Fieldapp-Device": header}).status_code == 200
    assert client.get("/api/me", headers={"X-Fieldapp-Device": header}).status_code == 200
    [view] = _events("view_child", child.public_id)
    assert view.device_id is None
    db.session.expire_all()
    assert db.session.scalars(select(AuditEvent.device_id).where(AuditEvent.device_id.is_not(None))).all() == []


def test_denied_view_writes_an_audit_event_too(client, login_as, team_world, make_user, make_team):
    _, _, _, child = team_world
    outsider = make_user(Role.WORKER, make_team())
    login_as(outsider)
    assert client.get(f"/children/{child.public_id}").status_code == 404
    [event] = _events("view_denied", child.public_id)
    assert event.actor_id == outsider.id
    assert _events("view_child", child.public_id) == []


def test_denied_view_of_a_made_up_id_is_audited_and_looks_the_same(client, login_as, team_world):
    _, worker, _, child = team_world
    login_as(worker)
    missing = client.get("/children/not-a-real-id")
    assert missing.status_code == 404
    assert [e.child_public_id for e in _events("view_denied")] == ["not-a-real-id"]


def test_allocation_change_is_audited(client, login_as, team_world, make_user):
    team, worker, _, child = team_world
    admin = make_user(Role.ADMIN)
    other = make_user(Role.WORKER, team)
    login_as(admin)
    response = client.post(f"/admin/allocations/{child.public_id}", data={"worker_id": other.id})
    assert response.status_code == 302
    [event] = _events("allocate", child.public_id)[-1:]
    assert event.actor_id == admin.id and other.username in event.detail


def test_manager_sees_the_trail_for_a_child(client, login_as, team_world):
    _, worker, manager, child = team_world
    login_as(worker)
    client.get(f"/children/{child.public_id}")
    login_as(manager)
    page = client.get(f"/children/{child.public_id}/audit").get_data(as_text=True)
    assert "view_child" in page and worker.display_name in page


def test_admin_exports_the_trail_as_csv(client, login_as, team_world, make_user):
    _, worker, _, child = team_world
    login_as(worker)
    client.get(f"/children/{child.public_id}")
    login_as(make_user(Role.ADMIN))
    response = client.get(f"/admin/audit.csv?child={child.public_id}")
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert any(r["action"] == "view_child" and r["actor"] == worker.username for r in rows)


def test_csv_export_neutralises_spreadsheet_formulas(client, login_as, make_user, app):
    from fieldapp import audit

    audit.record("login_failed", detail='=HYPERLINK("http://evil")')
    db.session.commit()
    login_as(make_user(Role.ADMIN))
    rows = list(csv.DictReader(io.StringIO(client.get("/admin/audit.csv").get_data(as_text=True))))
    assert all(not r["detail"].startswith("=") for r in rows)


def test_audit_events_cannot_be_changed_through_the_orm(app, team_world):
    from fieldapp import audit

    event = audit.record("view_child", child_public_id=team_world[3].public_id)
    db.session.commit()
    event.detail = "rewritten"
    with pytest.raises(AuditIsAppendOnly):
        db.session.commit()
    db.session.rollback()
    db.session.delete(event)
    with pytest.raises(AuditIsAppendOnly):
        db.session.commit()
    db.session.rollback()
