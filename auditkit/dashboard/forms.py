"""The dashboard's filters: a GET form (no CSRF token: it changes nothing)."""

import re
from datetime import date

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, ValidationError
from wtforms.fields.choices import SelectChoice

MONTH_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")
FIRST_YEAR, LAST_YEAR = 2000, 2100


def _valid_month(_form, field) -> None:
    if field.data and parse_month(field.data) is None:
        raise ValidationError("Give the month as year and month, e.g. 2026-03.")


def _one_of_the_choices(message: str):
    def check(_form, field) -> None:
        if field.data and field.data not in {choice.value for choice in field.choices}:
            raise ValidationError(message)

    return check


def parse_month(text: str | None) -> date | None:
    """'2026-03' -> 1 March 2026; None for anything else."""
    match = MONTH_PATTERN.match((text or "").strip())
    if match is None:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    if not (FIRST_YEAR <= year <= LAST_YEAR and 1 <= month <= 12):
        return None
    return date(year, month, 1)


class DashboardFilterForm(FlaskForm):
    class Meta:
        csrf = False

    auditor = SelectField("Auditor", choices=[], coerce=str, default="", validate_choice=False,
                          validators=[_one_of_the_choices("Choose an auditor from the list.")],
                          description="Their audits, and the programmes of clients they audit.")
    scheme = SelectField("Standard", choices=[], coerce=str, default="", validate_choice=False,
                         validators=[_one_of_the_choices("Choose a standard from the list.")])
    month = StringField("Month", validators=[_valid_month],
                        description="Empty: the coming weeks.",
                        render_kw={"type": "month", "placeholder": "YYYY-MM"})

    def with_choices(self, auditors, schemes) -> "DashboardFilterForm":
        self.auditor.choices = [SelectChoice("", "All auditors")] + [
            SelectChoice(str(user_id), name) for user_id, name in auditors]
        self.scheme.choices = [SelectChoice("", "All standards")] + [
            SelectChoice(value, label) for value, label in schemes]
        return self
