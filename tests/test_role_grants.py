"""Granting a manager or admin role needs a second admin; every step is audited and shown to the other admins."""

from __future__ import annotations

from sqlalchemy import select

from fieldapp.extensions import db
from fieldapp.models import AuditEvent, Role, User
from tests.conftest import login

NEW_PASSWORD = "walnut-harbour-cinder-81"


def _user(username: str) -> User:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.username == username))


def _actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def _admins(app, make_user):
    first, second = make_user(Role.ADMIN), make_user(Role.ADMIN)
    a, b = app.test_client(), app.test_client()
    login(a, first)
    login(b, second)
    return a, b


def _create_manager(client, team_id, username="new.manager"):
    return client.post(
        "/admin/users/new",
        data={
            "username": username,
            "display_name": "New Manager",
            "role": "manager",
            "team_id": team_id,
            "active": "y",
            "password": NEW_PASSWORD,
        },
    )


def test_a_new_manager_account_waits_for_a_second_admin(app, make_user, make_team, make_child):
    team = make_team()
    make_child(team)
    a, b = _admins(app, make_user)
    assert _create_manager(a, team.id).status_code == 302
    pending = _user("new.manager")
    assert pending.role != Role.MANAGER and not pending.active  # no access to the team's children yet
    newcomer = app.test_client()
    assert newcomer.post("/login", data={"username": "new.manager", "password": NEW_PASSWORD}).status_code == 400
    assert "role_grant_requested" in _actions()

    # The granting admin cannot confirm their own grant ...
    listing = a.get("/admin/role-grants").get_data(as_text=True)
    assert "new.manager" in listing
    grant_id = _pending_grant_id()
    assert a.post(f"/admin/role-grants/{grant_id}/confirm").status_code == 403
    assert _user("new.manager").role != Role.MANAGER
    # ... the other admins see it, highlighted, on the users page ...
    users_page = b.get("/admin/users").get_data(as_text=True)
    assert "role-grant-alert" in users_page and "new.manager" in users_page
    # ... and a second admin's confirmation makes it take effect.
    assert b.post(f"/admin/role-grants/{grant_id}/confirm").status_code == 302
    granted = _user("new.manager")
    assert granted.role == Role.MANAGER and granted.active and granted.team_id == team.id
    assert "role_grant_confirmed" in _actions()
    assert newcomer.post("/login", data={"username": "new.manager", "password": NEW_PASSWORD}).status_code == 302


def _pending_grant_id() -> int:
    from fieldapp.models import RoleGrant

    db.session.expire_all()
    return db.session.scalar(select(RoleGrant.id).where(RoleGrant.decided_at.is_(None)))


def test_promoting_a_worker_to_admin_waits_and_can_be_refused(app, make_user):
    worker = make_user(Role.WORKER)
    a, b = _admins(app, make_user)
    response = a.post(
        f"/admin/users/{worker.id}",
        data={
            "username": worker.username,
            "display_name": worker.display_name,
            "role": "admin",
            "team_id": 0,
            "active": "y",
        },
    )
    assert response.status_code == 302
    assert _user(worker.username).role == Role.WORKER
    assert b.post(f"/admin/role-grants/{_pending_grant_id()}/refuse").status_code == 302
    assert _user(worker.username).role == Role.WORKER
    assert "role_grant_refused" in _actions()


def test_moving_a_manager_to_another_team_is_a_grant_too(app, make_user, make_team):
    home, other = make_team(), make_team()
    manager = make_user(Role.MANAGER, home)
    a, b = _admins(app, make_user)
    a.post(
        f"/admin/users/{manager.id}",
        data={
            "username": manager.username,
            "display_name": manager.display_name,
            "role": "manager",
            "team_id": other.id,
            "active": "y",
        },
    )
    assert _user(manager.username).team_id == home.id
    b.post(f"/admin/role-grants/{_pending_grant_id()}/confirm")
    assert _user(manager.username).team_id == other.id


def test_lowering_a_role_takes_effect_at_once(app, make_user, make_team):
    manager = make_user(Role.MANAGER, make_team())
    a, _ = _admins(app, make_user)
    a.post(
        f"/admin/users/{manager.id}",
        data={
            "username": manager.username,
            "display_name": manager.display_name,
            "role": "worker",
            "team_id": manager.team_id,
            "active": "y",
        },
    )
    assert _user(manager.username).role == Role.WORKER


def test_the_cli_still_creates_the_first_admin_directly(app):
    from fieldapp.cli import main as fieldapp_cli

    result = app.test_cli_runner().invoke(
        fieldapp_cli, ["users", "create", "first.admin", "--role", "admin"], input=f"{NEW_PASSWORD}\n"
    )
    assert result.exit_code == 0, result.output
    assert _user("first.admin").role == Role.ADMIN and _user("first.admin").active
    assert "role_granted_by_cli" in _actions()
    client = app.test_client()
    assert client.post("/login", data={"username": "first.admin", "password": NEW_PASSWORD}).status_code == 302
