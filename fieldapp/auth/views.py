"""Sign-in and sign-out, rate-limited and audited."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, logout_user

from .. import audit
from ..extensions import db, login_manager
from ..models import Role, User
from . import bp, second_step
from .forms import LoginForm
from .next_url import safe_next_path
from .second_factor import is_enrolled
from .services import authenticate, complete_sign_in, throttled_sign_in
from .sessions import end_sessions, forget_session, session_is_current

HOME_BY_ROLE = {
    # Workers land in the offline app shell; it lists their caseload from the device's encrypted store.
    Role.WORKER: "shell.app_shell",
    Role.MANAGER: "cases.caseload",
    Role.SUPPORT: "cases.support_home",
    Role.ADMIN: "admin.users",
}


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The signed-in user, unless their session was ended, went idle or outlived its lifetime."""
    user = db.session.get(User, int(user_id))
    if user is None or not session_is_current(user):
        forget_session()
        return None
    return user


@bp.route("/login", methods=["GET", "POST"])
@throttled_sign_in
def login():
    if current_user.is_authenticated:
        return redirect(url_for(HOME_BY_ROLE[current_user.role]))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.username.data, form.password.data)
        if user is not None:
            if is_enrolled(user):  # the password was right; the code comes next, before any session
                return second_step.begin(user, safe_next_path(request.args.get("next")))
            complete_sign_in(user)
            return redirect(safe_next_path(request.args.get("next")) or url_for(HOME_BY_ROLE[user.role]))
        form.password.errors.append("That username and password do not match an active account.")
    return render_template("auth/login.html", form=form), (400 if form.errors else 200)


@bp.post("/logout")
@login_required
def logout():
    audit.record("logout")
    # Signing out ends every session of this user: a copy of the cookie (another tab, a captured one) dies too.
    end_sessions(current_user, "signed out")
    logout_user()
    forget_session()
    flash("You have signed out, on this and every other browser or device.", "info")
    return redirect(url_for("auth.login"))


@bp.get("/")
def home():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return redirect(url_for(HOME_BY_ROLE[current_user.role]))


def too_many_attempts(error):
    """429 on the login form: say plainly what happened and when to try again."""
    form = LoginForm()
    message = "Too many sign-in attempts. Please wait a minute before trying again."
    from ..errors import error_response, wants_json_response

    if wants_json_response() or request.endpoint != "auth.login":
        return error_response(429, "too_many_requests", message)
    return render_template("auth/login.html", form=form, throttled=message), 429
