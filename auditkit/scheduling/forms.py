"""Forms of the auditor records and of scheduling. They check the shape of the input; the
services check it against the records and the rules."""

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from auditkit.models import AuditMode, AuditType, EngagementKind, QualificationRole, Scheme
from auditkit.scheduling.labels import (
    ENGAGEMENT_KIND_LABELS,
    MODE_LABELS,
    QUALIFICATION_ROLE_LABELS,
    TEAM_ROLE_LABELS,
    audit_type_label,
    scheme_label,
)

DATE_REQUIRED = "Enter a date, e.g. 2025-03-10."


class CheckboxList(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _date(label: str, *, required: bool = True, description: str = "") -> DateField:
    validators = [InputRequired(DATE_REQUIRED)] if required else [Optional()]
    return DateField(label, validators=validators, description=description)


# --- auditor records ---------------------------------------------------------------------------

class LanguagesForm(FlaskForm):
    languages = StringField("Languages", validators=[DataRequired(), Length(max=200)],
                            description="Separated by commas, e.g. English, German.")


class QualificationForm(FlaskForm):
    scheme = SelectField("Scheme", choices=[SelectChoice(s.value, scheme_label(s)) for s in Scheme])
    role = SelectField("Role", choices=[SelectChoice(r.value, QUALIFICATION_ROLE_LABELS[r])
                                        for r in QualificationRole])
    technical_areas = TextAreaField(
        "Technical areas", validators=[Length(max=2000)],
        description="Separated by semicolons or one per line, e.g. IAF 33; machine learning.")
    valid_from = _date("Valid from")
    valid_until = _date("Valid until", required=False,
                        description="Leave empty while the qualification has no end date.")


class EndQualificationForm(FlaskForm):
    ended_on = _date("Last valid day")


class EngagementForm(FlaskForm):
    client_id = SelectField("Client", choices=[], validate_choice=False)
    kind = SelectField("Kind", choices=[SelectChoice(k.value, ENGAGEMENT_KIND_LABELS[k])
                                        for k in EngagementKind])
    description = TextAreaField("What it was", validators=[Length(max=2000)])
    ended_on = _date("Ended on", required=False,
                     description="Leave empty while it goes on.")


# --- scheduling --------------------------------------------------------------------------------

class AuditPlanForm(FlaskForm):
    start_date = _date("First audit day")
    end_date = _date("Last audit day")
    mode = SelectField("How the audit is held", choices=[SelectChoice(m.value, MODE_LABELS[m])
                                                         for m in AuditMode])
    ict_tool = StringField("ICT tool", validators=[Length(max=200)],
                           description="Required for remote and hybrid audits (IAF MD 4), "
                                       "e.g. the video-conferencing tool.")
    site_ids = CheckboxList("Sites", choices=[], coerce=int, validate_choice=False)
    planned_days = DecimalField("Planned audit days", places=1, validators=[Optional()])
    language = StringField("Language of the audit", validators=[DataRequired(), Length(max=60)])
    client_objection_allowed = BooleanField(
        "The client may object to team members (TEAM-04)",
        description="Not on short-notice or unannounced audits: the client cannot object "
                    "there (CYC-SPE-02), whatever is ticked.")
    stage1_still_valid_note = TextAreaField(
        "Stage 1 still valid — justification (CYC-S1S2-03)", validators=[Length(max=4000)],
        description="Only for a Stage 2 more than the body's limit after Stage 1: why the "
                    "Stage 1 result still holds.")


class NewAuditForm(AuditPlanForm):
    audit_type = SelectField("Type of audit", choices=[SelectChoice(t.value, audit_type_label(t))
                                                       for t in AuditType])


class EditAuditForm(AuditPlanForm):
    version = HiddenField()


class MemberForm(FlaskForm):
    user_id = SelectField("Person with a login", choices=[], validate_choice=False)
    person_name = StringField("Or a person without a login", validators=[Length(max=200)],
                              description="E.g. an accreditation-body witness or an external "
                                          "technical expert.")
    team_role = SelectField("Role on the team",
                            choices=[SelectChoice(r.value, label)
                                     for r, label in TEAM_ROLE_LABELS.items()])
    version = HiddenField()


class VersionForm(FlaskForm):
    """Remove a member, confirm the team: the page's version is all they carry."""

    version = HiddenField()


class ObjectionForm(FlaskForm):
    objection = TextAreaField("Client's objection and reasons",
                              validators=[DataRequired(), Length(max=4000)])
    version = HiddenField()


class DeclarationForm(FlaskForm):
    affirmed = BooleanField("I have no conflict of interest with this client for this audit, "
                            "and I will say so at once if that changes (IMP-05)")
    statement = TextAreaField("Remarks, or how the member gave the declaration",
                              validators=[Length(max=4000)])


class OverrideForm(FlaskForm):
    rule_id = SelectField("Warning", choices=[], validate_choice=False)
    justification = TextAreaField("Justification", validators=[DataRequired(),
                                                                Length(max=4000)])


class CancelForm(FlaskForm):
    reason = TextAreaField("Reason", validators=[DataRequired(), Length(max=2000)])
    version = HiddenField()
