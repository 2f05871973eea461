"""Forms of the programme screens. Each turns its data into the plain input a service takes."""

from decimal import Decimal

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
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
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from auditkit.models import AIRole, Integration, Scheme
from auditkit.programmes.audit_time import (
    AI_ROLE_LABELS,
    PLANNED_FOR,
    FactorInput,
    SchemeTimeInput,
    TimeInput,
)
from auditkit.programmes.certifications import INTEGRATION_LABELS, CertificationInput, SiteLine
from auditkit.programmes.cycles import (
    ORIGIN_LABELS,
    PAST_AUDIT_TYPES,
    TAKE_OVER_ORIGINS,
    PastAudit,
    TakeOverInput,
)
from auditkit.web.numbers import whole_number

FACTOR_ROWS = 3
PAST_AUDIT_ROWS = 6


class CheckboxList(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _choices(pairs) -> list[SelectChoice]:
    return [SelectChoice(str(value), label) for value, label in pairs]


# --- certification -------------------------------------------------------------------------------

class CertificationForm(FlaskForm):
    schemes = CheckboxList("Standards", validate_choice=False,
                           choices=_choices((s.value, s.label) for s in Scheme),
                           description="One standard, or several audited together.")
    edition_iso42001 = StringField("Edition of ISO/IEC 42001", default=Scheme.ISO42001.edition,
                                   validators=[Length(max=40)])
    edition_iso27001 = StringField("Edition of ISO/IEC 27001", default=Scheme.ISO27001.edition,
                                   validators=[Length(max=40)])
    edition_iso9001 = StringField("Edition of ISO 9001", default=Scheme.ISO9001.edition,
                                  validators=[Length(max=40)])
    integration = SelectField("How the standards are audited",
                              choices=_choices((i.value, INTEGRATION_LABELS[i])
                                               for i in Integration),
                              validate_choice=False)
    scope = TextAreaField("Scope of certification", validators=[Length(max=4000)],
                          description="Activities, products and services covered, as the "
                                      "certificate will state them.")
    site_ids = CheckboxList("Sites in scope", validate_choice=False, choices=[])
    version = HiddenField()

    def offer_sites(self, sites: list[SiteLine]) -> None:
        self.site_ids.choices = _choices((site.id, f"{site.name} ({site.kind_label})")
                                         for site in sites)

    def edition_field(self, scheme: str):
        return getattr(self, f"edition_{scheme}")

    def to_input(self) -> CertificationInput:
        chosen = [scheme.value for scheme in Scheme if scheme.value in (self.schemes.data or [])]
        unknown = set(self.schemes.data or []) - set(chosen)
        editions = {scheme: (self.edition_field(scheme).data or "") for scheme in chosen}
        editions.update({value: "" for value in unknown})
        site_ids = tuple(whole_number(value, -1)
                         for value in (self.site_ids.data or []))
        return CertificationInput(editions=editions, integration=self.integration.data or "",
                                  scope=self.scope.data or "", site_ids=site_ids)


# --- decision and take-over ----------------------------------------------------------------------

class DecisionForm(FlaskForm):
    decision_date = DateField("Date of the certification decision",
                              validators=[DataRequired(message="Enter the decision date.")])
    note = TextAreaField("Note", validators=[Length(max=2000)],
                         description="Who decided, and where the decision is recorded.")


class PastAuditForm(Form):
    audit_type = SelectField("Type", validate_choice=False,
                             choices=_choices([("", "—")] + [(t.value, t.label)
                                                             for t in PAST_AUDIT_TYPES]))
    start_date = DateField("First day", validators=[Optional()])
    end_date = DateField("Last day", validators=[Optional()])

    def is_blank(self) -> bool:
        typed = [(field.raw_data or [""])[0] for field in (self.start_date, self.end_date)]
        return not (self.audit_type.data or any(typed))

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        if self.is_blank():
            return True
        if self.audit_type.data not in {t.value for t in PAST_AUDIT_TYPES}:
            self.audit_type.errors = ["Choose the type of audit."]
            return False
        for field in (self.start_date, self.end_date):
            if field.data is None:
                field.errors = ["Enter the date."]
                return False
        return True


class TakeOverForm(FlaskForm):
    origin = SelectField("How the client was certified", validate_choice=False,
                         choices=_choices((o.value, ORIGIN_LABELS[o]) for o in TAKE_OVER_ORIGINS))
    cycle_number = IntegerField("Which cycle is running", default=1,
                                validators=[InputRequired(), NumberRange(1, 30)],
                                description="1 for the first three-year cycle, 2 after the first "
                                            "recertification, and so on.")
    decision_date = DateField("Date of the decision that started this cycle",
                              validators=[DataRequired(message="Enter the decision date.")])
    certificate_expiry = DateField("Expiry date on the certificate",
                                   validators=[DataRequired(message="Enter the expiry date.")])
    note = TextAreaField("Note", validators=[Length(max=2000)],
                         description="Required when the expiry differs from what your policy "
                                     "gives for the decision date. For a transfer: the issuing "
                                     "body and the outcome of the pre-transfer review.")
    transfer_checked = BooleanField(
        "Transfer only: the pre-transfer review found the certificate accredited under an IAF "
        "MLA signatory, valid and not suspended (CYC-TRF-01..03)")
    audits = FieldList(FormField(PastAuditForm), min_entries=PAST_AUDIT_ROWS,
                       max_entries=PAST_AUDIT_ROWS)

    def to_input(self) -> TakeOverInput:
        past = tuple(PastAudit(entry.form.audit_type.data, entry.form.start_date.data,
                               entry.form.end_date.data)
                     for entry in self.audits.entries if not entry.form.is_blank())
        return TakeOverInput(origin=self.origin.data or "", cycle_number=self.cycle_number.data,
                             decision_date=self.decision_date.data,
                             certificate_expiry=self.certificate_expiry.data,
                             note=self.note.data or "",
                             transfer_checked=bool(self.transfer_checked.data),
                             past_audits=past)


# --- audit time ----------------------------------------------------------------------------------

class FactorForm(Form):
    label = StringField("Factor", validators=[Length(max=120)])
    direction = SelectField("Effect", default="reduction", validate_choice=False,
                            choices=_choices([("reduction", "Reduction (−)"),
                                              ("increase", "Increase (+)")]))
    percent = DecimalField("Percent", places=None,
                           validators=[Optional(), NumberRange(min=0, max=100,
                                                               message="From 0 to 100 %.")])
    justification = TextAreaField("Justification", validators=[Length(max=1000)])

    def is_blank(self) -> bool:
        return not ((self.label.data or "").strip() or self.percent.data
                    or (self.justification.data or "").strip())

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        if self.is_blank():
            return True
        problems = {
            self.label: "Name the factor." if not (self.label.data or "").strip() else None,
            self.percent: "Enter the percentage." if not self.percent.data else None,
            self.justification: ("Give the justification for this factor (TIME-01)."
                                 if not (self.justification.data or "").strip() else None),
        }
        for field, problem in problems.items():
            if problem:
                field.errors = [problem]
        return not any(problems.values())

    def to_input(self) -> FactorInput:
        sign = Decimal(1) if self.direction.data == "increase" else Decimal(-1)
        return FactorInput(self.label.data.strip(), sign * self.percent.data,
                           self.justification.data.strip())


class SchemeTimeForm(Form):
    scheme = HiddenField()
    effective_personnel = IntegerField(
        "Effective personnel",
        validators=[InputRequired(message="Enter the number of persons."),
                    NumberRange(1, 1_000_000, message="At least 1 person.")])
    ai_role = SelectField("The organisation's AI role", validate_choice=False,
                          choices=_choices([("", "—")] + [(r.value, AI_ROLE_LABELS[r])
                                                          for r in AIRole]))
    factors = FieldList(FormField(FactorForm), min_entries=FACTOR_ROWS, max_entries=8)

    def to_input(self) -> SchemeTimeInput:
        return SchemeTimeInput(
            scheme=self.scheme.data, effective_personnel=self.effective_personnel.data,
            ai_role=self.ai_role.data or None,
            factors=tuple(entry.form.to_input() for entry in self.factors.entries
                          if not entry.form.is_blank()))


class AuditTimeForm(FlaskForm):
    planned_for = SelectField("Plan time for", validate_choice=False,
                              choices=_choices(PLANNED_FOR.items()))
    audit_id = SelectField("Audit", validate_choice=False, choices=[])
    schemes = FieldList(FormField(SchemeTimeForm), min_entries=0, max_entries=3)
    integration_reduction = DecimalField(
        "Integration reduction (%)", places=None, default=Decimal(0),
        validators=[Optional(), NumberRange(min=0, message="Not below 0 %.")],
        description="Integrated certifications only: up to 20 % of the sum for the level of "
                    "integration (TIME-IMS-02).")
    stage1_share = DecimalField(
        "Stage 1 share of the initial audit time (%)", places=None,
        validators=[InputRequired(message="Enter the Stage 1 share."),
                    NumberRange(min=1, max=99, message="From 1 to 99 %.")])

    def offer_audits(self, audits) -> None:
        self.audit_id.choices = _choices([("", "— calculate only —")]
                                         + [(audit.id, audit.label) for audit in audits])

    def name_headcounts(self, schemes) -> None:
        """ISO/IEC 42006 counts the AI-involved persons, not all effective personnel."""
        for entry, line in zip(self.schemes.entries, schemes, strict=False):
            if line.scheme == Scheme.ISO42001:
                entry.form.effective_personnel.label.text = "AI-involved headcount"

    def selected_audit_id(self) -> int | None:
        value = self.audit_id.data or ""
        return whole_number(value)

    def to_input(self) -> TimeInput:
        return TimeInput(planned_for=self.planned_for.data or "",
                         schemes=tuple(entry.form.to_input() for entry in self.schemes.entries),
                         integration_reduction=self.integration_reduction.data or Decimal(0),
                         stage1_share=self.stage1_share.data)


# --- the body's 42001 table ----------------------------------------------------------------------

class AimsRowForm(FlaskForm):
    ai_role = SelectField("AI role", validate_choice=False,
                          choices=_choices((r.value, AI_ROLE_LABELS[r]) for r in AIRole))
    min_personnel = IntegerField("From (persons)", validators=[
        InputRequired(message="Enter the lower limit."), NumberRange(1, 1_000_000)])
    max_personnel = IntegerField("To (persons)", validators=[
        InputRequired(message="Enter the upper limit."), NumberRange(1, 1_000_000)])
    days = DecimalField("Initial audit days", places=None, validators=[
        InputRequired(message="Enter the days."),
        NumberRange(min=Decimal("0.5"), max=1000, message="From 0.5 to 1000 days.")])


class DeleteRowForm(FlaskForm):
    row_id = IntegerField(validators=[InputRequired()])

