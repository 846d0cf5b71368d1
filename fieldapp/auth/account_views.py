"""The signed-in user's own account: change the password, see failed sign-in attempts."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from ..extensions import limiter
from . import bp
from .forms import ChangePasswordForm
from .services import change_own_password


def _password_change_key() -> str:
    return f"password-change:{current_user.get_id()}"


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
# Someone holding a session must not be able to guess the current password at leisure.
@limiter.limit(
    lambda: current_app.config["LOGIN_RATE_LIMIT"],
    methods=["POST"],
    key_func=_password_change_key,
    deduct_when=lambda response: response.status_code == 400,
)
def change_password():
    form = ChangePasswordForm(current_user.username)
    if form.validate_on_submit():
        if not current_user.check_password(form.current_password.data):
            form.current_password.errors.append("Your current password is not right.")
        elif current_user.check_password(form.new_password.data):
            form.new_password.errors.append("Choose a password different from your current one.")
        else:
            change_own_password(current_user, form.new_password.data)
            flash("Your password is changed. Every other session of yours has been signed out.", "success")
            return redirect(url_for("auth.change_password"))
    return render_template("auth/password.html", form=form), (400 if form.errors else 200)
