"""Audit time of a certification (domain.md §2): each standard's table value and factors, the
integration reduction, stage split, surveillance and recertification time, on-site minimum and
multi-site samples; stored with an audit as its justification (TIME-01).

Every figure comes from auditkit.rules.audit_time and auditkit.rules.sampling; this module
gathers the inputs, keeps the result and turns it into the stored justification.
"""

import json
from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal

from sqlmodel import Session, select

from auditkit.accounts.policy import visible_audits
from auditkit.clients.checks import AI_ROLE_LABELS
from auditkit.history import record_change
from auditkit.models import (
    AIRole,
    Audit,
    AuditStatus,
    AuditTimeTableRow,
    AuditType,
    CertificationSite,
    Client,
    Integration,
    Scheme,
    SchemePersonnel,
    Site,
    SiteKind,
)
from auditkit.programmes.certifications import SchemeLine, scheme_lines
from auditkit.programmes.services import (
    NotFound,
    ProgrammeError,
    find_audit,
    find_certification,
    stage1_share,
    today,
)
from auditkit.programmes.timeline import day_text
from auditkit.rules import audit_time as time_rules
from auditkit.rules import sampling
from auditkit.rules.audit_time import AdjustmentFactor, AuditTimeCalculation, AuditTimeRow

JUSTIFICATION_VERSION = 1
PLANNED_FOR = {
    "initial": "Initial audit (Stage 1 + Stage 2)",
    "surveillance": "Surveillance audit",
    "recertification": "Recertification audit",
}
PLAN_OF_AUDIT_TYPE = {AuditType.STAGE1: "initial", AuditType.STAGE2: "initial",
                      AuditType.SURVEILLANCE: "surveillance",
                      AuditType.RECERTIFICATION: "recertification"}


def days_text(days: Decimal) -> str:
    """A number of days without trailing zeros or exponent: 3.6, 2.4, 16."""
    return format(days.normalize(), "f")


# --- inputs -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class FactorInput:
    label: str
    percent: Decimal  # signed: + increase, - reduction
    justification: str


@dataclass(frozen=True)
class SchemeTimeInput:
    scheme: str
    effective_personnel: int
    ai_role: str | None
    factors: tuple[FactorInput, ...]


@dataclass(frozen=True)
class TimeInput:
    planned_for: str  # initial, surveillance, recertification
    schemes: tuple[SchemeTimeInput, ...]
    integration_reduction: Decimal
    stage1_share: Decimal


@dataclass(frozen=True)
class PersonnelOnRecord:
    """What the client record holds for one standard (TIME-04; AI headcount for 42001)."""

    scheme: str
    effective_personnel: int | None
    ai_personnel: int | None
    ai_role: str | None

    @property
    def headcount(self) -> int | None:
        return self.ai_personnel if self.scheme == Scheme.ISO42001 else self.effective_personnel


@dataclass(frozen=True)
class AuditChoice:
    id: int
    audit_type: str
    start_date: date
    end_date: date
    planned_days: Decimal | None

    @property
    def label(self) -> str:
        return f"{AuditType(self.audit_type).label}, {day_text(self.start_date)}"

    @property
    def planned_for(self) -> str:
        return PLAN_OF_AUDIT_TYPE[AuditType(self.audit_type)]


@dataclass
class TimeContext:
    """Everything the screen needs besides the user's input, in a fixed number of queries."""

    certification_id: int
    reference: str
    client_id: int
    client_name: str
    integration: str
    schemes: tuple[SchemeLine, ...]
    personnel: dict[str, PersonnelOnRecord]
    other_sites: int
    table: tuple[AuditTimeRow, ...]
    stage1_share: int
    audits: list[AuditChoice]

    @property
    def integrated(self) -> bool:
        return self.integration == Integration.INTEGRATED and len(self.schemes) > 1

    def audit(self, audit_id: int | None) -> AuditChoice | None:
        return next((audit for audit in self.audits if audit.id == audit_id), None)


def time_context(db: Session, user, certification_id: int) -> TimeContext:
    certification = find_certification(db, user, certification_id)
    client = db.get(Client, certification.client_id)
    schemes = scheme_lines(db, [certification.id]).get(certification.id, ())
    personnel = {row.scheme: PersonnelOnRecord(row.scheme, row.effective_personnel,
                                                row.ai_personnel, row.ai_role)
                 for row in db.exec(select(SchemePersonnel)
                                    .where(SchemePersonnel.client_id == client.id))}
    audits = [AuditChoice(audit.id, audit.audit_type, audit.start_date, audit.end_date,
                          audit.planned_days)
              for audit in db.exec(select(Audit).where(
                  Audit.certification_id == certification.id,
                  Audit.id.in_(visible_audits(user).with_only_columns(Audit.id)),
                  Audit.audit_type.in_([t.value for t in PLAN_OF_AUDIT_TYPE]),
                  Audit.status.not_in([AuditStatus.COMPLETED.value,
                                       AuditStatus.CANCELLED.value]))
                  .order_by(Audit.start_date, Audit.id))]
    return TimeContext(
        certification_id=certification.id, reference=certification.reference,
        client_id=client.id, client_name=client.name, integration=certification.integration,
        schemes=schemes, personnel=personnel,
        other_sites=_other_sites(db, certification.id, client.id), table=body_table(db),
        stage1_share=stage1_share(db), audits=audits)


def _other_sites(db: Session, certification_id: int, client_id: int) -> int:
    """Sites besides the central function (TIME-MS-01): those in the certification's scope,
    or all the client's sites when the scope names none."""
    in_scope = list(db.exec(select(Site.kind).join(CertificationSite,
                                                   CertificationSite.site_id == Site.id)
                            .where(CertificationSite.certification_id == certification_id)))
    kinds = in_scope or list(db.exec(select(Site.kind).where(Site.client_id == client_id)))
    return sum(1 for kind in kinds if kind != SiteKind.CENTRAL_FUNCTION)


# --- the calculation ----------------------------------------------------------------------------

@dataclass(frozen=True)
class SiteSamples:
    other_sites: int
    initial: int
    surveillance: int
    recertification: int


@dataclass(frozen=True)
class TimeResult:
    planned_for: str
    integration: str
    per_scheme: tuple[AuditTimeCalculation, ...]
    sum_of_schemes: Decimal
    integration_reduction: Decimal
    initial_days: Decimal
    stage1_share: Decimal
    stage1_days: Decimal
    stage2_days: Decimal
    surveillance_days: Decimal
    recertification_days: Decimal
    minimum_on_site_initial: Decimal
    samples: SiteSamples | None

    @property
    def combined(self) -> bool:
        return len(self.per_scheme) > 1

    @property
    def planned_for_label(self) -> str:
        return PLANNED_FOR[self.planned_for]

    def days_for(self, audit_type: str) -> Decimal:
        """The planned days of one audit: Stage 1 and Stage 2 their share of the initial time
        (TIME-10), surveillance a third (TIME-08), recertification two thirds (TIME-09)."""
        return {AuditType.STAGE1: self.stage1_days, AuditType.STAGE2: self.stage2_days,
                AuditType.SURVEILLANCE: self.surveillance_days,
                AuditType.RECERTIFICATION: self.recertification_days}[AuditType(audit_type)]

    @property
    def planned_days(self) -> Decimal:
        return {"initial": self.initial_days, "surveillance": self.surveillance_days,
                "recertification": self.recertification_days}[self.planned_for]

    @property
    def minimum_on_site_planned(self) -> Decimal:
        return time_rules.minimum_on_site_days(self.planned_days)

    def lines(self) -> list[str]:
        """The whole justification as printable lines (TIME-01)."""
        out = [line for calculation in self.per_scheme for line in calculation.lines()]
        if self.combined:
            out.append(f"Sum of the standards: {self.sum_of_schemes} days; integration "
                       f"reduction {self.integration_reduction} % (TIME-IMS-01..03): "
                       f"{self.initial_days} days initial audit time")
            out.append(f"Stage 1 {self.stage1_days} days ({self.stage1_share} %), Stage 2 "
                       f"{self.stage2_days} days (TIME-10); surveillance {self.surveillance_days}"
                       f" days a year (TIME-08); recertification {self.recertification_days} "
                       f"days (TIME-09); at least {days_text(self.minimum_on_site_initial)} "
                       f"days on site (TIME-07)")
        if self.samples is not None:
            out.append(f"{self.samples.other_sites} sites besides the central function: visit "
                       f"at least {self.samples.initial} at the initial audit, "
                       f"{self.samples.surveillance} at surveillance, "
                       f"{self.samples.recertification} at recertification (TIME-MS-01)")
        out.append(f"{self.planned_for_label}: {self.planned_days} days, at least "
                   f"{days_text(self.minimum_on_site_planned)} days at the client (TIME-07)")
        return out


def calculate(context: TimeContext, data: TimeInput) -> TimeResult:
    """Raises ProgrammeError naming the field to correct; nothing is stored here."""
    if data.planned_for not in PLANNED_FOR:
        raise ProgrammeError("Choose the audit to plan time for.", "planned_for")
    _check_schemes(context, data)
    per_scheme = tuple(_scheme_calculation(context, index, scheme_input, data.stage1_share)
                       for index, scheme_input in enumerate(data.schemes))
    reduction = data.integration_reduction
    if reduction and not context.integrated:
        raise ProgrammeError("An integration reduction applies only to an integrated "
                             "certification of two or more standards (TIME-IMS-02).",
                             "integration_reduction")
    initial_days = _total(per_scheme, reduction)
    try:
        stage1, stage2 = time_rules.stage_split(initial_days, data.stage1_share)
    except ValueError as error:
        raise ProgrammeError(str(error), "stage1_share") from None
    return TimeResult(
        planned_for=data.planned_for, integration=context.integration, per_scheme=per_scheme,
        sum_of_schemes=sum((c.initial_days for c in per_scheme), Decimal(0)),
        integration_reduction=reduction, initial_days=initial_days,
        stage1_share=data.stage1_share, stage1_days=stage1, stage2_days=stage2,
        surveillance_days=time_rules.surveillance_days(initial_days),
        recertification_days=time_rules.recertification_days(initial_days),
        minimum_on_site_initial=time_rules.minimum_on_site_days(initial_days),
        samples=_samples(context.other_sites))


def _check_schemes(context: TimeContext, data: TimeInput) -> None:
    expected = [line.scheme for line in context.schemes]
    if not expected:
        raise ProgrammeError("This certification has no standard yet: add one first.")
    if [scheme.scheme for scheme in data.schemes] != expected:
        raise ProgrammeError("The standards of the certification changed: reload the page.")


def _scheme_calculation(context: TimeContext, index: int, scheme_input: SchemeTimeInput,
                        share: Decimal) -> AuditTimeCalculation:
    factors = []
    for position, factor in enumerate(scheme_input.factors):
        try:
            factors.append(AdjustmentFactor(factor.label, factor.percent, factor.justification))
        except ValueError as error:
            raise ProgrammeError(str(error),
                                 f"schemes-{index}-factors-{position}-justification") from None
    ai_role = scheme_input.ai_role if scheme_input.scheme == Scheme.ISO42001 else None
    if scheme_input.scheme == Scheme.ISO42001 and not ai_role:
        raise ProgrammeError("Choose the organisation's AI role (ISO/IEC 42001 4.1): the "
                             "ISO/IEC 42006 table depends on it.", f"schemes-{index}-ai_role")
    try:
        return time_rules.calculate(scheme_input.scheme, scheme_input.effective_personnel,
                                    ai_role=ai_role, factors=factors, table=context.table,
                                    stage1_share_percent=share)
    except ValueError as error:
        raise ProgrammeError(_sentence(str(error)),
                             f"schemes-{index}-effective_personnel") from None


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")


def _total(per_scheme: tuple[AuditTimeCalculation, ...], reduction: Decimal) -> Decimal:
    """TIME-IMS-01/02: one standard's time alone, or the sum reduced for integration."""
    if len(per_scheme) == 1:
        return per_scheme[0].initial_days
    try:
        return time_rules.integrated_days([c.initial_days for c in per_scheme], reduction)
    except ValueError as error:
        raise ProgrammeError(_sentence(str(error)), "integration_reduction") from None


def _samples(other_sites: int) -> SiteSamples | None:
    if other_sites < 1:
        return None
    return SiteSamples(other_sites, *(sampling.sample_size(other_sites, audit_type)
                                      for audit_type in sampling.AUDIT_TYPES))


# --- storing with an audit ----------------------------------------------------------------------

def save_for_audit(db: Session, user, context: TimeContext, audit_id: int, data: TimeInput, *,
                   actor_id: int, actor_name: str) -> tuple[Audit, TimeResult]:
    """Store the planned days and the whole justification with one audit of the certification."""
    choice = context.audit(audit_id)
    if choice is None:
        raise ProgrammeError("Choose an open Stage 1, Stage 2, surveillance or recertification "
                             "audit of this certification.", "audit_id")
    audit = find_audit(db, user, audit_id)
    if audit.certification_id != context.certification_id:
        raise NotFound(audit_id)
    result = calculate(context, data)
    days = result.days_for(audit.audit_type)
    justification = justification_json(context, result, audit.audit_type, days,
                                       calculated_on=today(db), calculated_by=actor_name)
    record_change(db, actor_id=actor_id, subject="audit", subject_id=audit.id,
                  field_name="planned_days", before=audit.planned_days, after=days)
    record_change(db, actor_id=actor_id, subject="audit", subject_id=audit.id,
                  field_name="time_justification", before=None,
                  after="; ".join(result.lines()))
    audit.planned_days = days
    audit.time_justification = justification
    db.add(audit)
    db.flush()
    return audit, result


def justification_json(context: TimeContext, result: TimeResult, audit_type: str | None,
                       planned_days: Decimal, *, calculated_on: date,
                       calculated_by: str) -> str:
    return json.dumps({
        "version": JUSTIFICATION_VERSION,
        "calculated_on": calculated_on.isoformat(),
        "calculated_by": calculated_by,
        "certification": context.reference,
        "client": context.client_name,
        "audit_type": audit_type,
        "planned_for": result.planned_for,
        "integration": result.integration,
        "schemes": [_scheme_json(calculation) for calculation in result.per_scheme],
        "sum_of_schemes": str(result.sum_of_schemes),
        "integration_reduction_percent": str(result.integration_reduction),
        "initial_days": str(result.initial_days),
        "stage1_share_percent": str(result.stage1_share),
        "stage1_days": str(result.stage1_days),
        "stage2_days": str(result.stage2_days),
        "surveillance_days": str(result.surveillance_days),
        "recertification_days": str(result.recertification_days),
        "minimum_on_site_days": days_text(time_rules.minimum_on_site_days(planned_days)),
        "planned_days": str(planned_days),
        "samples": None if result.samples is None else asdict(result.samples),
        "lines": result.lines() + _stored_line(audit_type, planned_days),
    }, sort_keys=True)


def _stored_line(audit_type: str | None, planned_days: Decimal) -> list[str]:
    if audit_type is None:
        return []
    return [f"{AuditType(audit_type).label} audit: {planned_days} days, at least "
            f"{days_text(time_rules.minimum_on_site_days(planned_days))} days at the client "
            f"(TIME-07)"]


def _scheme_json(calculation: AuditTimeCalculation) -> dict:
    return {
        "scheme": calculation.scheme,
        "label": Scheme(calculation.scheme).label,
        "effective_personnel": calculation.effective_personnel,
        "ai_role": calculation.ai_role,
        "band": calculation.band.band,
        "table_days": str(calculation.table_days),
        "factors": [{"label": f.label, "percent": str(f.percent),
                     "justification": f.justification} for f in calculation.factors],
        "reduction_percent_requested": str(calculation.reduction_percent_requested),
        "reduction_percent_applied": str(calculation.reduction_percent_applied),
        "reduction_capped": calculation.reduction_capped,
        "net_adjustment_percent": str(calculation.net_adjustment_percent),
        "unrounded_days": str(calculation.unrounded_days),
        "initial_days": str(calculation.initial_days),
    }


def preview(db: Session, context: TimeContext, result: TimeResult, *,
            calculated_by: str) -> dict:
    """The justification of a calculation not stored with an audit, for the printable page."""
    return json.loads(justification_json(context, result, None, result.planned_days,
                                         calculated_on=today(db), calculated_by=calculated_by))


@dataclass(frozen=True)
class StoredJustification:
    """An audit's stored audit-time justification, for the printable page."""

    audit_id: int
    audit_type: str
    start_date: date
    end_date: date
    certification_id: int
    data: dict

    @property
    def label(self) -> str:
        return AuditType(self.audit_type).label

    @property
    def planned_for_label(self) -> str:
        return PLANNED_FOR[self.data.get("planned_for", "initial")]


def stored_justification(db: Session, user, audit_id: int) -> StoredJustification:
    audit = find_audit(db, user, audit_id)
    if not audit.time_justification:
        raise NotFound(audit_id)
    return StoredJustification(audit.id, audit.audit_type, audit.start_date, audit.end_date,
                               audit.certification_id, json.loads(audit.time_justification))


# --- the body's 42001 table ---------------------------------------------------------------------

@dataclass(frozen=True)
class TableRowLine:
    id: int | None
    ai_role: str
    min_personnel: int
    max_personnel: int
    days: Decimal
    shipped: bool

    @property
    def role_label(self) -> str:
        return AI_ROLE_LABELS[AIRole(self.ai_role)]


def _row_of(row: AuditTimeTableRow) -> AuditTimeRow:
    return AuditTimeRow(row.scheme, row.min_personnel, row.max_personnel, Decimal(row.days),
                        ai_role=row.ai_role)


def body_table(db: Session) -> tuple[AuditTimeRow, ...]:
    """The body's rows where it has them, the shipped tables for the rest (§2.4)."""
    return time_rules.with_builtin_rows(
        _row_of(row) for row in db.exec(select(AuditTimeTableRow)))


def aims_table(db: Session) -> list[TableRowLine]:
    body_rows = list(db.exec(select(AuditTimeTableRow)
                             .where(AuditTimeTableRow.scheme == Scheme.ISO42001)))
    lines = [TableRowLine(row.id, row.ai_role, row.min_personnel, row.max_personnel,
                          Decimal(row.days), False) for row in body_rows]
    in_use = time_rules.with_builtin_rows(_row_of(row) for row in body_rows)
    lines += [TableRowLine(None, row.ai_role, row.min_personnel, row.max_personnel, row.days,
                           True) for row in time_rules.builtin_table(Scheme.ISO42001)
              if row in in_use]
    role_order = list(AIRole)
    return sorted(lines, key=lambda line: (role_order.index(AIRole(line.ai_role)),
                                           line.min_personnel))


def add_aims_row(db: Session, *, ai_role: str, min_personnel: int, max_personnel: int,
                 days: Decimal, actor_id: int) -> AuditTimeTableRow:
    try:
        row = AuditTimeRow(Scheme.ISO42001.value, min_personnel, max_personnel, days,
                           ai_role=ai_role)
    except ValueError as error:
        raise ProgrammeError(_sentence(str(error)), "days") from None
    for other in db.exec(select(AuditTimeTableRow).where(
            AuditTimeTableRow.scheme == Scheme.ISO42001, AuditTimeTableRow.ai_role == ai_role)):
        if other.min_personnel <= max_personnel and other.max_personnel >= min_personnel:
            raise ProgrammeError(f"This band overlaps the row for {other.min_personnel}-"
                                 f"{other.max_personnel} persons: delete that row first.",
                                 "min_personnel")
    stored = AuditTimeTableRow(scheme=row.scheme, ai_role=ai_role, min_personnel=min_personnel,
                               max_personnel=max_personnel, days=row.days)
    db.add(stored)
    db.flush()
    record_change(db, actor_id=actor_id, subject="audit_time_table", subject_id=stored.id,
                  field_name="row", before=None,
                  after=f"ISO/IEC 42001, {ai_role}, {row.band}: {row.days} days")
    return stored


def delete_aims_row(db: Session, row_id: int, *, actor_id: int) -> None:
    row = db.exec(select(AuditTimeTableRow).where(AuditTimeTableRow.id == row_id,
                                                  AuditTimeTableRow.scheme == Scheme.ISO42001)
                  ).first()
    if row is None:
        raise NotFound(row_id)
    record_change(db, actor_id=actor_id, subject="audit_time_table", subject_id=row.id,
                  field_name="row",
                  before=(f"ISO/IEC 42001, {row.ai_role}, {row.min_personnel}-"
                          f"{row.max_personnel} persons: {row.days} days"), after=None)
    db.delete(row)
    db.flush()
