"""Sessions that really end: a per-user generation stamped into the session and checked on every request.

The session cookie is signed but lives on the client, so ending it needs state on the server: each user has a
`session_generation`. Signing in stamps the current generation into the session; every request compares the
two (in the user loader) and treats a mismatch as signed out. Raising the generation ends every session of that
user at once: sign-out, a password change or reset, deactivation and device revocation do it. The session also
carries when it started and when it was last used, for the absolute lifetime and the idle timeout.
"""

from __future__ import annotations

import time

from flask import current_app, g, session
from flask_login import login_user

from .. import audit
from ..extensions import db
from ..models import User

GENERATION_KEY = "_fa_gen"
SIGNED_IN_AT_KEY = "_fa_signed_in_at"
SEEN_AT_KEY = "_fa_seen_at"


def clock() -> float:
    """Seconds since the epoch; a function so tests can move it instead of waiting half an hour."""
    return time.time()


def start_session(user: User) -> None:
    """Sign `user` in on a clean session: nothing planted before sign-in (a CSRF token above all) survives."""
    session.clear()
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)  # Flask-WTF's per-request cache
    login_user(user)
    now = int(clock())
    session[GENERATION_KEY] = user.session_generation
    session[SIGNED_IN_AT_KEY] = now
    session[SEEN_AT_KEY] = now


def session_is_current(user: User) -> bool:
    """Whether this request's session for `user` is still alive; keeps an active session's idle clock fresh."""
    if not user.active or session.get(GENERATION_KEY) != user.session_generation:
        return False
    signed_in_at, seen_at = session.get(SIGNED_IN_AT_KEY), session.get(SEEN_AT_KEY)
    if not isinstance(signed_in_at, int) or not isinstance(seen_at, int):
        return False
    now = clock()
    idle = current_app.config["SESSION_IDLE_SECONDS"]
    if now - signed_in_at > current_app.permanent_session_lifetime.total_seconds() or now - seen_at > idle:
        return False
    # Rewriting the cookie on every request is wasteful; a precision of a tenth of the timeout (at most a minute)
    # is plenty.
    if now - seen_at >= min(60, idle / 10):
        session[SEEN_AT_KEY] = int(now)
    return True


def forget_session() -> None:
    """Drop whatever an ended session still carries, so the browser's cookie is cleared too."""
    session.clear()


def end_sessions(user: User, reason: str) -> None:
    """End every session of `user` at once (each one's next request is signed out). Flushes; audited."""
    user.session_generation = (user.session_generation or 0) + 1
    db.session.flush()
    audit.record("sessions_ended", detail=f"user={user.username} reason={reason}")


def keep_current_session(user: User) -> None:
    """After ending `user`'s sessions from inside one of them (their own password change), keep that one."""
    session[GENERATION_KEY] = user.session_generation
