from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from auditkit.accounts.passwords import MAX_LENGTH


class LoginForm(FlaskForm):
    email = EmailField("E-mail address", validators=[DataRequired(), Length(max=254)],
                       render_kw={"autocomplete": "username", "autofocus": True})
    password = PasswordField("Password", validators=[DataRequired(), Length(max=MAX_LENGTH)],
                             render_kw={"autocomplete": "current-password"})
    next = StringField(render_kw={"hidden": True})


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField("Current password", validators=[DataRequired()],
                                     render_kw={"autocomplete": "current-password"})
    new_password = PasswordField(
        "New password", validators=[DataRequired()],
        description="At least 12 characters. A phrase of several words is easy to remember.",
        render_kw={"autocomplete": "new-password"})
    confirm_password = PasswordField("Repeat the new password", validators=[DataRequired()],
                                     render_kw={"autocomplete": "new-password"})
