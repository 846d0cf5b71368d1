"""Admin screen: each team's lone-worker escalation policy and duty desk number."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import IntegerField, SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import InputRequired, Length, NumberRange, Optional, Regexp, ValidationError

from .. import audit
from ..access import roles_required
from ..extensions import db
from ..models import EscalationPolicy, Role, Team
from ..safety import stages
from . import bp

PHONE = r"^\+?[0-9][0-9 ()-]{4,30}$"


def _reminders(form, field):
    parts = [p.strip() for p in (field.data or "").split(",") if p.strip()]
    if not all(p.isdigit() and 1 <= int(p) <= 120 for p in parts):
        raise ValidationError("Give whole minutes between 1 and 120, separated by commas, e.g. 10, 5.")
    field.data = ",".join(str(m) for m in sorted({int(p) for p in parts}, reverse=True))


class SafetyPolicyForm(FlaskForm):
    duty_phone = StringField(
        "Duty desk phone number (for texts from workers with no data signal)",
        validators=[
            Optional(),
            Length(max=32),
            Regexp(PHONE, message="Use digits, spaces, brackets, dashes and a leading +."),
        ],
    )
    grace_minutes = IntegerField(
        "Grace after the visit's end before the line managers are alerted (minutes)",
        validators=[InputRequired(), NumberRange(min=0, max=60)],
    )
    ack_minutes = IntegerField(
        "Minutes without an acknowledgement before the next level is alerted",
        validators=[InputRequired(), NumberRange(min=1, max=60)],
    )
    reminder_minutes = StringField(
        "Reminders to the worker before the visit's end (minutes, comma-separated)",
        validators=[Length(max=40), _reminders],
    )
    duty_team_id = SelectField("Duty level: whose managers are alerted next", coerce=int)
    submit = SubmitField("Save safety policy")


def _policy(team: Team) -> EscalationPolicy:
    found = db.session.scalar(select(EscalationPolicy).where(EscalationPolicy.team_id == team.id))
    return found or stages.policy_for(team.id)  # the defaults, unsaved until the admin saves


@bp.route("/teams/<int:team_id>/safety", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def team_safety(team_id: int):
    team = db.get_or_404(Team, team_id)
    policy = _policy(team)
    form = SafetyPolicyForm(obj=policy)
    others = db.session.scalars(select(Team).where(Team.id != team.id).order_by(Team.name))
    form.duty_team_id.choices = [SelectChoice(0, "— none: the line managers again —")] + [
        SelectChoice(t.id, f"Managers of {t.name}") for t in others
    ]
    if not form.is_submitted():
        form.duty_phone.data = team.duty_phone
        form.duty_team_id.data = policy.duty_team_id or 0
    if form.validate_on_submit():
        before = _describe(policy, team)
        policy.grace_minutes, policy.ack_minutes = form.grace_minutes.data, form.ack_minutes.data
        policy.reminder_minutes = form.reminder_minutes.data
        policy.duty_team_id = form.duty_team_id.data or None
        team.duty_phone = (form.duty_phone.data or "").strip() or None
        db.session.add(policy)
        db.session.flush()
        audit.record(
            "admin_safety_policy_saved", detail=f"team={team.name}; before: {before}; after: {_describe(policy, team)}"
        )
        flash(f"Saved the safety policy of {team.name}.", "success")
        return redirect(url_for("admin.teams"))
    return render_template("admin/team_safety.html", form=form, team=team), (400 if form.errors else 200)


def _describe(policy: EscalationPolicy, team: Team) -> str:
    return (
        f"grace={policy.grace_minutes} ack={policy.ack_minutes} reminders={policy.reminder_minutes} "
        f"duty_team={policy.duty_team_id or '-'} duty_phone={team.duty_phone or '-'}"
    )
