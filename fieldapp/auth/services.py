"""Checking credentials, shared by the sign-in form and the app's JSON re-authentication."""

from __future__ import annotations

from flask import current_app, request
from sqlalchemy import func, select

from .. import audit
from ..extensions import db, limiter
from ..models import User


def authenticate(username: str | None, password: str | None) -> User | None:
    """The active user with these credentials, or None (and an audited failure)."""
    username = username.strip().lower() if isinstance(username, str) else ""
    password = password if isinstance(password, str) else ""
    user = db.session.scalar(select(User).where(func.lower(User.username) == username)) if username else None
    if user is not None and user.active and user.check_password(password):
        return user
    audit.record_now("login_failed", detail=f"username={username[:80]}")
    return None


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _username_key() -> str:
    body = request.get_json(silent=True)
    submitted = request.form.get("username") or (body.get("username") if isinstance(body, dict) else None)
    return "login-user:" + (submitted.strip().lower() if isinstance(submitted, str) else "")


# One budget for every way of signing in (the form and the app's JSON endpoint), per address and per username,
# so an attacker gains nothing by alternating between them.
sign_in_limit_by_address = limiter.shared_limit(_login_limit, scope="sign-in", methods=["POST"])
sign_in_limit_by_username = limiter.shared_limit(_login_limit, scope="sign-in-username", methods=["POST"],
                                                 key_func=_username_key)
