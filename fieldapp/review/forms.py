from flask_wtf import FlaskForm
from wtforms import HiddenField, SubmitField, TextAreaField
from wtforms.validators import Length


class ReviewForm(FlaskForm):
    """A manager's decision on the revision they read; the comment is required either way (checked in the service)."""

    revision = HiddenField()
    comment = TextAreaField("Management comment", validators=[Length(max=5000)])
    sign_off = SubmitField("Sign off")
    return_record = SubmitField("Return to worker")
