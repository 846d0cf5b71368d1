"""The half-signed-in state between a right password and a right code, and the enrolment requirement.

After the password, a user with a second factor is NOT signed in: the (signed) session cookie carries only
who is half-way, the session generation and when, so nothing else opens for it (Flask-Login sees no user). It
lasts SECOND_FACTOR_STEP_SECONDS and SECOND_FACTOR_MAX_TRIES wrong codes; then the password is asked again.

A signed-in user whose role requires a second factor and who has none reaches only the enrolment page and
sign-out until they enrol (`require_enrolment`, run before every request). A session whose second factor was
checked by the council's identity provider is marked with PROVIDER_VERIFIED_KEY and is exempt.
"""

from __future__ import annotations

from flask import current_app, redirect, request, session, url_for
from flask_login import current_user

from ..errors import error_response, wants_json_response
from ..extensions import db
from ..models import User
from .second_factor import is_enrolled, role_requires_second_factor
from .sessions import clock

PENDING_KEY = "_fa_second_step"
# Set to True by a sign-in whose second factor the identity provider enforced (OpenID Connect).
PROVIDER_VERIFIED_KEY = "_fa_factor_by_provider"
# Reachable while enrolment is required: the enrolment page itself, signing out, static files, the session probe.
OPEN_DURING_ENROLMENT = {"static", "auth.second_factor", "auth.logout", "api.session_status"}


def begin(user: User, next_path: str | None):
    """Password accepted for a user with a second factor: remember that (and nothing more), ask for the code."""
    session.clear()
    session[PENDING_KEY] = {
        "uid": user.id,
        "gen": user.session_generation,
        "at": int(clock()),
        "next": next_path,
        "tries": 0,
    }
    return redirect(url_for("auth.second_factor_step"))


def pending() -> dict | None:
    state = session.get(PENDING_KEY)
    return state if isinstance(state, dict) else None


def pending_user() -> User | None:
    """The user half-way through signing in, while that state is fresh; None (and the state dropped) otherwise."""
    state = pending()
    if state is None:
        return None
    user = db.session.get(User, state.get("uid")) if isinstance(state.get("uid"), int) else None
    fresh = (
        isinstance(state.get("at"), int) and clock() - state["at"] <= current_app.config["SECOND_FACTOR_STEP_SECONDS"]
    )
    if user is None or not user.active or state.get("gen") != user.session_generation or not fresh:
        drop()
        return None
    return user


def note_wrong_code() -> int:
    """Count a wrong code against this half-signed-in state; returns the tries left (0: state dropped)."""
    state = dict(pending() or {})
    state["tries"] = int(state.get("tries", 0)) + 1
    left = current_app.config["SECOND_FACTOR_MAX_TRIES"] - state["tries"]
    if left <= 0:
        drop()
        return 0
    session[PENDING_KEY] = state
    return left


def drop() -> None:
    session.pop(PENDING_KEY, None)


def enrolment_required(user) -> bool:
    """Whether `user` (signed in) must enrol before anything else."""
    return role_requires_second_factor(user.role) and not session.get(PROVIDER_VERIFIED_KEY) and not is_enrolled(user)


def require_enrolment():
    """Before every request: a manager or admin without a second factor is sent to enrolment."""
    if request.endpoint in OPEN_DURING_ENROLMENT or not current_user.is_authenticated:
        return None
    if not enrolment_required(current_user):
        return None
    message = "Set up two-step sign-in before going on: your role requires it."
    if wants_json_response():
        return error_response(403, "second_factor_enrolment_required", message)
    return redirect(url_for("auth.second_factor"))


def check_code_in_json_sign_in(user: User, code) -> tuple[object | None, str]:
    """The app's JSON re-authentication: (a 401 to answer, "") when the user has a second factor and `code` is
    missing or refused; else (None, the audit detail naming the factor used)."""
    from .second_factor import audit_failure, verify

    if not is_enrolled(user):
        return None, "re-authenticated in the app"
    if not isinstance(code, str) or not code.strip():
        return error_response(401, "second_factor_required", "Enter the code from your authenticator app as well."), ""
    verdict = verify(user, code)
    if not verdict.ok:
        audit_failure(user, verdict, via="app")
        return error_response(
            401,
            "second_factor_invalid",
            {
                "reused_code": "That code has been used already. Wait for the next code in your app.",
                "used_recovery_code": "That recovery code has been used already.",
            }.get(verdict.reason, "That code is not right. Try the newest code in your app."),
        ), ""
    return None, f"re-authenticated in the app factor={verdict.factor}"
