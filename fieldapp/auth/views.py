"""Sign-in and sign-out, rate-limited and audited."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required, login_user, logout_user

from .. import audit
from ..extensions import db, login_manager
from ..models import Role, User
from . import bp
from .forms import LoginForm
from .services import authenticate, sign_in_limit_by_address, sign_in_limit_by_username

HOME_BY_ROLE = {
    # Workers land in the offline app shell; it lists their caseload from the device's encrypted store.
    Role.WORKER: "shell.app_shell",
    Role.MANAGER: "cases.caseload",
    Role.SUPPORT: "cases.support_home",
    Role.ADMIN: "admin.users",
}


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    return db.session.get(User, int(user_id))


def _is_safe_next(target: str | None) -> bool:
    return bool(target) and target.startswith("/") and not target.startswith("//") and "\\" not in target


@bp.route("/login", methods=["GET", "POST"])
@sign_in_limit_by_address
@sign_in_limit_by_username
def login():
    if current_user.is_authenticated:
        return redirect(url_for(HOME_BY_ROLE[current_user.role]))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.username.data, form.password.data)
        if user is not None:
            login_user(user)
            audit.record("login", actor=user)
            target = request.args.get("next")
            return redirect(target if _is_safe_next(target) else url_for(HOME_BY_ROLE[user.role]))
        form.password.errors.append("That username and password do not match an active account.")
    return render_template("auth/login.html", form=form), (400 if form.errors else 200)


@bp.post("/logout")
@login_required
def logout():
    audit.record("logout")
    logout_user()
    flash("You have signed out.", "info")
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
