"""Forms of the client screens. Lists of sites, contacts and AI systems are edited as rows of
one form each (a row left empty is ignored; "Remove" drops an existing row)."""

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from auditkit.clients import checks
from auditkit.clients.importer import ImportKind
from auditkit.models import Scheme, SiteKind

CHOOSE = SelectChoice("", "— choose —")
WHOLE_NUMBER = "Enter a whole number of persons, e.g. 140."


def _count(label: str, description: str = "") -> IntegerField:
    return IntegerField(label, validators=[Optional()], description=description,
                        render_kw={"inputmode": "numeric", "class": "short"})


class ClientDetailsForm(FlaskForm):
    name = StringField("Legal name", validators=[
        DataRequired(message="Enter the client's legal name."), Length(max=200)])
    address = TextAreaField("Address", validators=[Length(max=2000)])
    language = StringField("Audit language", default="English", validators=[Length(max=60)],
                           description="The language the audits are held in.")
    sector = StringField("Sector", validators=[Length(max=200)])
    version = HiddenField()


class SiteRow(Form):
    site_id = HiddenField()
    name = StringField("Site name", validators=[Length(max=200)])
    kind = SelectField("Kind of site", default=SiteKind.PERMANENT.value,
                       choices=[SelectChoice(kind.value, label)
                                for kind, label in checks.SITE_KIND_LABELS.items()])
    address = StringField("Address", validators=[Length(max=2000)])
    personnel = _count("Persons at the site")
    remove = BooleanField("Remove this site")


class SitesForm(FlaskForm):
    sites = FieldList(FormField(SiteRow))
    version = HiddenField()


class PersonnelForm(FlaskForm):
    iso42001_effective_personnel = _count(
        "Effective personnel", "Everyone doing work in the scope, part-time as FTE (TIME-04).")
    iso42001_ai_personnel = _count(
        "AI-involved persons", "Persons in AI development, deployment, risk management and "
                               "monitoring; the 42006 audit time is based on them.")
    iso42001_ai_role = SelectField("AI role of the organisation", choices=[CHOOSE] + [
        SelectChoice(role.value, label) for role, label in checks.AI_ROLE_LABELS.items()])
    iso42001_areas = StringField("AI technical areas", validators=[Length(max=2000)],
                                 description="Codes separated by “;”.")
    iso27001_effective_personnel = _count(
        "Effective personnel", "Persons doing work under the client's control in the scope.")
    iso27001_areas = StringField("Technical areas", validators=[Length(max=2000)],
                                 description="Codes separated by “;”, e.g. 33.")
    iso9001_effective_personnel = _count(
        "Effective personnel", "Everyone doing work in the scope, all shifts (TIME-04).")
    iso9001_areas = StringField("IAF codes", validators=[Length(max=2000)],
                                description="Codes separated by “;”, e.g. 17; 18.")
    version = HiddenField()

    def scheme_fields(self, scheme: Scheme) -> list:
        names = ["effective_personnel", "ai_personnel", "ai_role", "areas"]
        return [self[f"{scheme.value}_{name}"] for name in names
                if f"{scheme.value}_{name}" in self]


class ContactRow(Form):
    contact_id = HiddenField()
    name = StringField("Name", validators=[Length(max=200)])
    position = StringField("Position", validators=[Length(max=200)])
    email = StringField("E-mail address", validators=[Length(max=254)])
    phone = StringField("Phone", validators=[Length(max=50)])
    remove = BooleanField("Remove this contact")


class ContactsForm(FlaskForm):
    contacts = FieldList(FormField(ContactRow))
    version = HiddenField()


class CheckboxList(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class AISystemRow(Form):
    ai_system_id = HiddenField()
    name = StringField("Name of the AI system", validators=[Length(max=200)])
    purpose = TextAreaField("Purpose", validators=[Length(max=2000)])
    ai_role = SelectField("AI role for this system", choices=[CHOOSE] + [
        SelectChoice(role.value, label) for role, label in checks.AI_ROLE_LABELS.items()])
    risk_level = SelectField("Risk level", choices=[CHOOSE] + [
        SelectChoice(level.value, label) for level, label in checks.RISK_LEVEL_LABELS.items()])
    site_ids = CheckboxList("Sites where it is developed or operated", choices=[],
                            validate_choice=False)
    remove = BooleanField("Remove this AI system")


class AISystemsForm(FlaskForm):
    systems = FieldList(FormField(AISystemRow))
    version = HiddenField()


class ImportForm(FlaskForm):
    kind = SelectField("The file holds", choices=[SelectChoice(k.value, k.label)
                                                    for k in ImportKind])
    upload = FileField("File (CSV UTF-8 or Excel .xlsx)",
                       validators=[FileRequired(message="Choose a file to upload.")])
