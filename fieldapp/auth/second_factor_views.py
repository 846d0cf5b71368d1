"""Two-step sign-in pages: the code after the password, enrolment, and an admin's reset."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from ..access import roles_required
from ..extensions import db, limiter
from ..models import Role, User
from . import bp, second_step
from . import second_factor as factors
from .forms import EnrolSecondFactorForm, ResetSecondFactorForm, SecondFactorCodeForm
from .services import complete_sign_in
from .views import HOME_BY_ROLE

bp.before_app_request(second_step.require_enrolment)

REFUSALS = {
    "wrong_code": "That code is not right. Check the time on your phone and try the newest code.",
    "reused_code": "That code has been used already. Wait for the next code in your app.",
    "used_recovery_code": "That recovery code has been used already. Each one works once.",
    "missing": "Enter the code.",
}


def _second_step_key() -> str:
    state = second_step.pending() or {}
    return f"second-factor:{state.get('uid', '-')}"


@bp.route("/login/second-factor", methods=["GET", "POST"])
# Guessing codes is throttled per user across half-signed-in states, besides the tries allowed in each one.
@limiter.limit(
    lambda: current_app.config["LOGIN_RATE_LIMIT"],
    methods=["POST"],
    key_func=_second_step_key,
    deduct_when=lambda response: response.status_code == 400,
)
def second_factor_step():
    if current_user.is_authenticated:
        return redirect(url_for("auth.home"))
    user = second_step.pending_user()
    if user is None:
        flash("Your sign-in was not finished in time. Enter your password again.", "error")
        return redirect(url_for("auth.login"))
    form = SecondFactorCodeForm()
    if form.validate_on_submit():
        verdict = factors.verify(user, form.code.data)
        if verdict.ok:
            next_path = second_step.pending().get("next")
            complete_sign_in(user, detail=f"method=password factor={verdict.factor}")
            if verdict.factor == "recovery":
                left = factors.recovery_codes_left(user)
                flash(
                    f"You used a recovery code; {left} left. If you lost your phone, ask an admin to reset "
                    "two-step sign-in.",
                    "info",
                )
            return redirect(next_path or url_for(HOME_BY_ROLE[user.role]))
        factors.audit_failure(user, verdict, via="form")
        if second_step.note_wrong_code() == 0:
            flash("Too many wrong codes. Enter your password again.", "error")
            return redirect(url_for("auth.login"))
        form.code.errors.append(REFUSALS.get(verdict.reason, REFUSALS["wrong_code"]))
    return render_template("auth/second_factor_step.html", form=form), (400 if form.errors else 200)


@bp.route("/account/second-factor", methods=["GET", "POST"])
@login_required
def second_factor():
    user = current_user._get_current_object()
    if factors.is_enrolled(user):
        return render_template("auth/second_factor_status.html", codes_left=factors.recovery_codes_left(user))
    form = EnrolSecondFactorForm()
    if form.validate_on_submit():
        codes = factors.confirm_enrolment(user, form.code.data)
        if codes is not None:
            return render_template("auth/recovery_codes.html", codes=codes)
        form.code.errors.append("That code is not right (or was used already). Enter the newest code your app shows.")
    secret = factors.pending_secret(user)
    uri = factors.provisioning_uri(user, secret)
    return render_template(
        "auth/second_factor_enrol.html",
        form=form,
        secret=factors.spaced(secret),
        qr=factors.qr_data_uri(uri),
        required=factors.role_requires_second_factor(user.role),
    ), (400 if form.errors else 200)


@bp.route("/admin/users/<int:user_id>/second-factor", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def reset_second_factor(user_id: int):
    person = db.get_or_404(User, user_id)
    form = ResetSecondFactorForm()
    enrolled = factors.factor_of(person) is not None
    if form.validate_on_submit() and enrolled:
        factors.reset(person, by=current_user._get_current_object())
        flash(f"Two-step sign-in reset for {person.display_name}; they have been signed out everywhere.", "success")
        return redirect(url_for("admin.edit_user", user_id=person.id))
    return render_template("auth/second_factor_reset.html", form=form, person=person, enrolled=enrolled)
