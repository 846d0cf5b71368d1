from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, SubmitField, ValidationError
from wtforms.validators import DataRequired, EqualTo, Length

from .passwords import MAX_PASSWORD_LENGTH, password_problem


class LoginForm(FlaskForm):
    username = StringField(
        "Username",
        validators=[DataRequired(), Length(max=80)],
        render_kw={"autocomplete": "username", "autocapitalize": "none"},
    )
    password = PasswordField(
        "Password", validators=[DataRequired(), Length(max=256)], render_kw={"autocomplete": "current-password"}
    )
    submit = SubmitField("Sign in")


class AcceptablePassword:
    """The password rule (auth/passwords.py) as a form validator; `username_field` names the account's username."""

    def __init__(self, username_field: str | None = None):
        self.username_field = username_field

    def __call__(self, form, field):
        if not field.data:
            return
        username = getattr(form, "account_username", None)
        if self.username_field and self.username_field in form:
            username = form[self.username_field].data
        problem = password_problem(field.data, username)
        if problem:
            raise ValidationError(problem)


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        "Current password",
        validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = PasswordField(
        "New password", validators=[DataRequired(), AcceptablePassword()], render_kw={"autocomplete": "new-password"}
    )
    confirm_password = PasswordField(
        "New password again",
        validators=[DataRequired(), EqualTo("new_password", message="The two new passwords do not match.")],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField("Change password")

    def __init__(self, account_username: str, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.account_username = account_username


class SecondFactorCodeForm(FlaskForm):
    """The sign-in's second step: a code from the authenticator app, or a recovery code."""

    code = StringField(
        "Code",
        validators=[DataRequired(message="Enter the code."), Length(max=40)],
        render_kw={"autocomplete": "one-time-code", "autocapitalize": "none", "spellcheck": "false"},
    )
    submit = SubmitField("Continue")


class EnrolSecondFactorForm(FlaskForm):
    code = StringField(
        "Code from your authenticator app",
        validators=[DataRequired(message="Enter the 6-digit code your app shows."), Length(max=12)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )
    submit = SubmitField("Turn on two-step sign-in")


class ResetSecondFactorForm(FlaskForm):
    submit = SubmitField("Reset two-step sign-in")
