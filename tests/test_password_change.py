"""Self-service password change for every role: CSRF, the common-password list, and other sessions end."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from fieldapp.extensions import db
from fieldapp.models import AuditEvent, Role, User
from tests.conftest import PASSWORD, login, make_app

NEW_PASSWORD = "plum-orchard-lantern-44"


def _change(client, current=PASSWORD, new=NEW_PASSWORD, confirm=None):
    return client.post(
        "/account/password",
        data={
            "current_password": current,
            "new_password": new,
            "confirm_password": new if confirm is None else confirm,
        },
    )


@pytest.mark.parametrize("role", list(Role))
def test_every_role_can_change_their_password_and_other_sessions_end(app, make_user, role):
    user = make_user(role)
    here, elsewhere = app.test_client(), app.test_client()
    login(here, user)
    login(elsewhere, user)
    page = here.get("/account/password")
    assert page.status_code == 200 and "Change your password" in page.get_data(as_text=True)
    response = _change(here)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    assert here.get("/account/password").status_code == 200  # this session carries on
    assert elsewhere.get("/account/password").status_code == 302  # every other one has ended
    db.session.expire_all()
    assert db.session.get(User, user.id).check_password(NEW_PASSWORD)
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.actor_id == user.id)).all()
    assert "password_changed" in actions


@pytest.mark.parametrize(
    ("current", "new", "confirm", "message"),
    [
        ("wrong-current-password", NEW_PASSWORD, None, "current password is not right"),
        (PASSWORD, "short-pw", None, "at least 12 characters"),
        (PASSWORD, NEW_PASSWORD, "plum-orchard-lantern-45", "do not match"),
        (PASSWORD, "password1234", None, "too common"),
        (PASSWORD, "1qaz2wsx3edc", None, "too common"),
        (PASSWORD, "Qwertyuiop!!", None, "too common"),
        (PASSWORD, PASSWORD, None, "different from your current"),
    ],
)
def test_bad_password_changes_are_refused_with_a_message(client, make_user, current, new, confirm, message):
    user = make_user(Role.WORKER)
    login(client, user)
    response = _change(client, current, new, confirm)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, user.id).check_password(PASSWORD)


def test_password_change_needs_a_csrf_token(backend, tmp_path, request, make_user):
    app = make_app(backend, tmp_path, request, WTF_CSRF_ENABLED=True)
    with app.app_context():
        user = make_user(Role.MANAGER)
        client = app.test_client()
        token = re.search(
            r'name="csrf_token" type="hidden" value="([^"]+)"', client.get("/login").get_data(as_text=True)
        ).group(1)
        client.post("/login", data={"username": user.username, "password": PASSWORD, "csrf_token": token})
        assert _change(client).status_code == 400
        db.session.expire_all()
        assert db.session.get(User, user.id).check_password(PASSWORD)
        db.session.remove()
        db.engine.dispose()


def test_admins_cannot_set_a_common_password_either(client, make_user):
    admin, worker = make_user(Role.ADMIN), make_user(Role.WORKER)
    login(client, admin)
    response = client.post(
        f"/admin/users/{worker.id}",
        data={
            "username": worker.username,
            "display_name": worker.display_name,
            "role": "worker",
            "team_id": 0,
            "active": "y",
            "password": "password1234",
        },
    )
    assert response.status_code == 400 and "too common" in response.get_data(as_text=True)


def test_the_cli_refuses_a_common_password(app):
    from fieldapp.cli import main as fieldapp_cli

    result = app.test_cli_runner().invoke(
        fieldapp_cli, ["users", "create", "x.y", "--role", "worker"], input="qwertyuiop123\n"
    )
    assert result.exit_code != 0 and "too common" in result.output
