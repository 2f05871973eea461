from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from auditkit.models import ROLE_LABELS, Role


class CheckboxList(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def role_choices() -> list[SelectChoice]:
    return [SelectChoice(role.value, ROLE_LABELS[role]) for role in Role]


def choices(pairs) -> list[SelectChoice]:
    return [SelectChoice(str(value), label) for value, label in pairs]


class UserCreateForm(FlaskForm):
    email = EmailField("E-mail address", validators=[DataRequired(), Length(max=254)])
    full_name = StringField("Full name", validators=[DataRequired(), Length(max=200)])
    roles = CheckboxList("Roles", choices=role_choices(), validate_choice=False,
                         description="Staff may hold several roles. An auditee holds only the "
                                     "auditee role and belongs to one client organisation.")
    client_id = SelectField("Client organisation (auditees only)", coerce=str, choices=[],
                            validate_choice=False)
    password = PasswordField("Initial password", validators=[DataRequired()],
                             description="At least 12 characters. Give it to the user "
                                         "securely; they can change it after logging in.",
                             render_kw={"autocomplete": "new-password"})


class UserEditForm(FlaskForm):
    full_name = StringField("Full name", validators=[DataRequired(), Length(max=200)])
    roles = CheckboxList("Roles", choices=role_choices(), validate_choice=False)
    client_id = SelectField("Client organisation (auditees only)", coerce=str, choices=[],
                            validate_choice=False)
    is_active = BooleanField("Active (may log in)")
    version = HiddenField()


class ResetPasswordForm(FlaskForm):
    new_password = PasswordField("New password", validators=[DataRequired()],
                                 render_kw={"autocomplete": "new-password"})


class SettingsForm(FlaskForm):
    name = StringField("Name of the certification body",
                       validators=[DataRequired(), Length(max=200)])
    address = TextAreaField("Address", validators=[Length(max=2000)])
    accreditation_body = StringField("Accreditation body", validators=[Length(max=200)])
    accreditation_number = StringField("Accreditation number", validators=[Length(max=100)])
    time_zone = SelectField("Time zone", choices=[], validate_choice=False)
    session_idle_minutes = IntegerField(
        "Log out after this many idle minutes", validators=[NumberRange(5, 240)])
    session_absolute_hours = IntegerField(
        "Log out after this many hours in any case", validators=[NumberRange(1, 24)])
    logo = FileField("Logo (PNG or JPEG, up to 1 MiB)", validators=[Optional()])
    version = HiddenField()
