"""Checking credentials and completing a sign-in, shared by the sign-in form and the app's JSON re-authentication."""

from __future__ import annotations

import secrets

from flask import flash
from sqlalchemy import func, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from .. import audit
from ..extensions import db
from ..models import User, utcnow
from .oidc.methods import password_allowed
from .sessions import end_sessions, keep_current_session, start_session
from .throttle import remember_device, throttled_sign_in

__all__ = ["authenticate", "change_own_password", "complete_sign_in", "throttled_sign_in"]

_dummy_hash: str | None = None


def _hash_for_unknown_users() -> str:
    # Made like a real password hash, so checking against it costs the same: sign-in time does not reveal
    # whether a username exists.
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = generate_password_hash(secrets.token_urlsafe(24))
    return _dummy_hash


def authenticate(username: str | None, password: str | None) -> User | None:
    """The active user with these credentials, or None (and an audited failure, noted for the user)."""
    username = username.strip().lower() if isinstance(username, str) else ""
    password = password if isinstance(password, str) else ""
    user = db.session.scalar(select(User).where(func.lower(User.username) == username)) if username else None
    if user is None:
        check_password_hash(_hash_for_unknown_users(), password)
    elif user.check_password(password) and user.active:
        if password_allowed(user):
            return user
        # FIELDAPP_LOCAL_PASSWORDS: single sign-on only for this user (the password itself was right).
        audit.record_now("login_failed", detail=f"method=password reason=local_passwords_off username={username[:80]}")
        return None
    audit.record_now("login_failed", detail=f"username={username[:80]}")
    if user is not None:
        note_failed_sign_in(user)
    return None


def note_failed_sign_in(user: User) -> None:
    # Its own transaction: the refused request rolls back, and the user must still be told at their next sign-in.
    users = User.__table__
    with db.engine.begin() as connection:
        connection.execute(
            update(users)
            .where(users.c.id == user.id)
            .values(failed_sign_ins=users.c.failed_sign_ins + 1, last_failed_sign_in_at=utcnow())
        )


def failed_sign_in_notice(count: int, latest) -> str:
    attempts = "attempt" if count == 1 else "attempts"
    return (
        f"{count} failed sign-in {attempts} on your account since you last signed in, the latest on "
        f"{latest:%d %b %Y at %H:%M} UTC. If that was not you, tell your administrator."
    )


def complete_sign_in(user: User, detail: str = "method=password") -> None:
    """Start a fresh session for `user`, tell them of failed attempts since last time, and remember this browser."""
    db.session.refresh(user)  # failed attempts are counted in their own transactions
    start_session(user)
    if user.failed_sign_ins:
        flash(failed_sign_in_notice(user.failed_sign_ins, user.last_failed_sign_in_at), "error")
        user.failed_sign_ins = 0
        db.session.flush()
    audit.record("login", detail=detail, actor=user)
    remember_device(user.username)


def change_own_password(user: User, new_password: str) -> None:
    """Set `user`'s new password and end their other sessions; the one they changed it from carries on."""
    user.set_password(new_password)
    end_sessions(user, "password changed")
    keep_current_session(user)
    audit.record("password_changed", actor=user)
