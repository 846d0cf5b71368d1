from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, PasswordField, SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional, Regexp

from ..auth.forms import AcceptablePassword
from ..auth.passwords import MAX_PASSWORD_LENGTH
from ..models import Role

ROLE_CHOICES = [SelectChoice(r.value, r.value.capitalize()) for r in Role]


class UserForm(FlaskForm):
    username = StringField(
        "Username",
        validators=[
            DataRequired(),
            Length(max=80),
            Regexp(r"^[a-z0-9._-]+$", message="Use lower-case letters, digits, dot, dash or underscore."),
        ],
    )
    display_name = StringField("Full name", validators=[DataRequired(), Length(max=120)])
    email = StringField(
        "Email (for safety alerts)", validators=[Optional(), Email(check_deliverability=False), Length(max=255)]
    )
    phone = StringField(
        "Phone (carried in safety alerts about this worker)",
        validators=[
            Optional(),
            Length(max=32),
            Regexp(r"^\+?[0-9][0-9 ()-]{4,30}$", message="Use digits, spaces, brackets, dashes and a leading +."),
        ],
    )
    role = SelectField("Role", choices=ROLE_CHOICES)
    team_id = SelectField("Team", coerce=int)
    part_time = BooleanField("Part-time")
    caseload_limit = IntegerField(
        "Caseload limit (blank: team default)", validators=[Optional(), NumberRange(min=1, max=100)]
    )
    active = BooleanField("Active", default=True)
    password = PasswordField(
        "New password (blank: unchanged)",
        validators=[Optional(), Length(max=MAX_PASSWORD_LENGTH), AcceptablePassword("username")],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField("Save user")


class TeamForm(FlaskForm):
    name = StringField("Team name", validators=[DataRequired(), Length(max=120)])
    caseload_limit_full_time = IntegerField(
        "Full-time caseload limit (blank: 22)", validators=[Optional(), NumberRange(min=1, max=100)]
    )
    caseload_limit_part_time = IntegerField(
        "Part-time caseload limit (blank: 15)", validators=[Optional(), NumberRange(min=1, max=100)]
    )
    submit = SubmitField("Save team")


class AllocationForm(FlaskForm):
    worker_id = SelectField("Allocate to", coerce=int)
    submit = SubmitField("Allocate")
