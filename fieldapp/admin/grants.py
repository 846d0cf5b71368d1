"""Two-admin role grants: a manager or admin role takes effect only when a second admin confirms it.

A manager reads every child of their team and an admin controls every account, so one admin alone must not be
able to hand either out (to a colleague, or to an account of their own making). The request, the confirmation
and a refusal are audited, and pending grants are shown, highlighted, to every admin.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import audit
from ..extensions import db
from ..models import Role, RoleGrant, User, utcnow
from ..models.grants import ELEVATED_ROLES

RECENT = timedelta(days=30)


class GrantError(Exception):
    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


def needs_second_admin(current: User | None, role: Role, team_id: int | None) -> bool:
    """Whether giving `current` (None: a new account) this role in this team raises their access."""
    if role not in ELEVATED_ROLES:
        return False
    if current is None or current.role != role:
        return True
    return role == Role.MANAGER and current.team_id != team_id  # another team's children


def _describe(grant: RoleGrant) -> str:
    team = grant.team.name if grant.team else "-"
    return f"grant={grant.id} user={grant.user.username} role={grant.role.value} team={team}"


def request_grant(user: User, role: Role, team_id: int | None, activate: bool, by: User) -> RoleGrant:
    """Record a pending grant (an older pending one for the same user is superseded). Flushes; audited."""
    for older in db.session.scalars(
        select(RoleGrant).where(RoleGrant.user_id == user.id, RoleGrant.decided_at.is_(None))
    ):
        _decide(older, by, confirmed=False)
        audit.record("role_grant_superseded", detail=_describe(older))
    grant = RoleGrant(user=user, role=role, team_id=team_id, activate=activate, requested_by=by, requested_at=utcnow())
    db.session.add(grant)
    db.session.flush()
    audit.record("role_grant_requested", detail=_describe(grant) + f" requested_by={by.username}")
    return grant


def _decide(grant: RoleGrant, by: User, confirmed: bool) -> None:
    grant.decided_by, grant.decided_at, grant.confirmed = by, utcnow(), confirmed
    db.session.flush()


def confirm_grant(grant: RoleGrant, by: User) -> None:
    """A second admin confirms: the role (and team, and activation of a new account) take effect now."""
    if not grant.is_pending:
        raise GrantError("This grant was already decided.", 409)
    if grant.requested_by_id == by.id:
        raise GrantError("Another admin must confirm a role you asked for.", 403)
    _decide(grant, by, confirmed=True)
    user = grant.user
    user.role, user.team_id = grant.role, grant.team_id
    if grant.activate:
        user.active = True
    db.session.flush()
    audit.record("role_grant_confirmed", detail=_describe(grant) + f" requested_by={grant.requested_by.username}")


def refuse_grant(grant: RoleGrant, by: User) -> None:
    """Any admin, the requester included, can refuse (or withdraw) a pending grant."""
    if not grant.is_pending:
        raise GrantError("This grant was already decided.", 409)
    _decide(grant, by, confirmed=False)
    audit.record("role_grant_refused", detail=_describe(grant))


def _with_people(query):
    return query.options(
        selectinload(RoleGrant.user),
        selectinload(RoleGrant.team),
        selectinload(RoleGrant.requested_by),
        selectinload(RoleGrant.decided_by),
    )


def pending_grants() -> list[RoleGrant]:
    return list(
        db.session.scalars(
            _with_people(select(RoleGrant).where(RoleGrant.decided_at.is_(None)).order_by(RoleGrant.requested_at))
        )
    )


def recent_decisions() -> list[RoleGrant]:
    return list(
        db.session.scalars(
            _with_people(
                select(RoleGrant).where(RoleGrant.decided_at >= utcnow() - RECENT).order_by(RoleGrant.decided_at.desc())
            )
        )
    )
