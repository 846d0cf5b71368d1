"""Saving an account from the admin form: a reset password or a deactivation ends the user's sessions at once,
and raising someone's access to manager or admin waits for a second admin (admin/grants.py)."""

from __future__ import annotations

from dataclasses import dataclass

from .. import audit
from ..auth.sessions import end_sessions
from ..extensions import db
from ..models import Role, RoleGrant, User
from .grants import needs_second_admin, request_grant


@dataclass(frozen=True)
class AccountValues:
    username: str
    display_name: str
    email: str | None
    role: Role
    team_id: int | None
    part_time: bool
    caseload_limit: int | None
    active: bool
    password: str | None
    phone: str | None = None  # shown on safety alerts, so a manager can ring the worker


def save_account(user: User | None, values: AccountValues, by: User) -> tuple[User, RoleGrant | None]:
    """Create or update an account. Returns it and the pending grant when its new role needs a second admin."""
    creating = user is None
    elevated = needs_second_admin(None if creating else user, values.role, values.team_id)
    if creating:
        user = User(username=values.username)
        db.session.add(user)
    user.display_name, user.email = values.display_name, values.email
    user.part_time, user.caseload_limit = values.part_time, values.caseload_limit
    user.phone = (values.phone or "").strip() or None
    if not elevated:
        user.role, user.team_id = values.role, values.team_id
    elif creating:
        # No access until confirmed: an inactive account with the least role; the grant holds the real one.
        user.role, user.team_id = Role.WORKER, values.team_id
    if creating:
        user.active = values.active and not elevated
    elif user.active and not values.active:
        user.active = False
        end_sessions(user, "deactivated")
    else:
        user.active = values.active
    if values.password:
        user.set_password(values.password)
        if not creating:
            end_sessions(user, "password reset by an administrator")
    db.session.flush()
    audit.record("admin_user_saved", detail=f"user={user.username} role={user.role.value}")
    grant = request_grant(user, values.role, values.team_id, creating and values.active, by) if elevated else None
    return user, grant
