"""Need-to-know access, enforced in queries rather than templates.

A worker sees the children currently allocated to them; a manager every child of their team;
support staff and admins see no case records through these queries.
"""

from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user, login_required
from sqlalchemy import ColumnElement, Select, exists, false, select

from . import audit
from .extensions import db
from .models import Allocation, Child, Role, User


def children_visible_to(user: User) -> Select:
    """A SELECT of the children whose records `user` may open."""
    return select(Child).where(visible_children(user))


def visible_children(user: User) -> ColumnElement[bool]:
    """Who may open which child, as a WHERE clause on Child (children_visible_to() and queries with their own columns).

    A manager's is their team's column itself, so a query can page its rows in SQL rather than test each child
    against an IN list of the whole team.
    """
    if user.role == Role.WORKER:
        return exists().where(
            Allocation.child_id == Child.id, Allocation.ended_at.is_(None), Allocation.worker_id == user.id
        )
    if user.role == Role.MANAGER and user.team_id is not None:
        return Child.team_id == user.team_id
    return false()


def child_or_404(public_id: str, *load_options) -> Child:
    """The child the signed-in user may open (with `load_options` applied), or a 404 (audited) — the same answer
    whether the child does not exist or is not theirs, so the refusal is no existence oracle."""
    query = children_visible_to(current_user).where(Child.public_id == public_id).options(*load_options)
    child = db.session.scalars(query).unique().one_or_none()
    if child is None:
        audit.record_now("view_denied", child_public_id=public_id[:64])
        abort(404, "No child record here that you have access to.")
    return child


def roles_required(*roles: Role):
    """Decorator: signed in and holding one of `roles`, else 403."""

    def decorate(view):
        @login_required
        @wraps(view)
        def wrapped(*args, **kwargs):
            if current_user.role not in roles:
                abort(403, "Your role does not give access to this page.")
            return view(*args, **kwargs)

        return wrapped

    return decorate
