"""The certification page: its state, the whole current cycle (drawn and as a table), past and
coming audits, and the programme warnings of the rules as of today.

Loaded in a fixed number of queries whatever the number of audits (one per table).
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlmodel import Session, select

from auditkit.accounts.policy import visible_audits
from auditkit.models import (
    Audit,
    AuditStatus,
    AuditType,
    Certification,
    CertificationSite,
    CertificationState,
    Client,
    Cycle,
    CycleOrigin,
    Integration,
    Site,
    SiteKind,
)
from auditkit.programmes.certifications import (
    BEFORE_DECISION,
    INTEGRATION_LABELS,
    SITE_KIND_LABELS,
    STATE_LABELS,
    SchemeLine,
    SiteLine,
    scheme_lines,
    visible_certification_ids,
)
from auditkit.programmes.cycles import ORIGIN_LABELS, plan_of
from auditkit.programmes.services import NotFound, cycle_policy, today
from auditkit.programmes.timeline import BarInput, MarkerInput, SpanInput, Timeline, draw
from auditkit.rules.cycle import (
    CyclePlan,
    CyclePolicy,
    PlannedAudit,
    check_programme,
    stage2_latest_without_revalidation,
)

SEVERITY_LABELS = {"block": "Must be resolved", "warn": "Needs attention", "info": "For the record"}
TIME_AUDIT_TYPES = frozenset({AuditType.STAGE1, AuditType.STAGE2, AuditType.SURVEILLANCE,
                              AuditType.RECERTIFICATION})


@dataclass(frozen=True)
class AuditLine:
    id: int
    audit_type: str
    start_date: date
    end_date: date
    status: str
    planned_days: Decimal | None
    has_time_justification: bool

    @property
    def type_label(self) -> str:
        return AuditType(self.audit_type).label

    @property
    def status_label(self) -> str:
        return AuditStatus(self.status).label

    @property
    def takes_audit_time(self) -> bool:
        return self.audit_type in TIME_AUDIT_TYPES

    @property
    def is_open(self) -> bool:
        return self.status not in (AuditStatus.COMPLETED, AuditStatus.CANCELLED)


@dataclass(frozen=True)
class KeyDate:
    """One dated line of the cycle. `source` names the rule (and says when the date is the
    body's policy rather than the standard); `hard` marks a limit that must not be passed."""

    label: str
    day: date
    source: str
    end: date | None = None
    hard: bool = False


@dataclass(frozen=True)
class WarningLine:
    rule_id: str
    severity: str
    message: str
    day: date

    @property
    def severity_label(self) -> str:
        return SEVERITY_LABELS[self.severity]


@dataclass(frozen=True)
class CycleSummary:
    number: int
    origin: str
    decision_date: date
    certificate_expiry: date
    previous_expiry: date | None
    note: str

    @property
    def origin_label(self) -> str:
        return ORIGIN_LABELS[CycleOrigin(self.origin)]


@dataclass
class CertificationPage:
    id: int
    reference: str
    client_id: int
    client_name: str
    scope: str
    integration: str
    state: str
    version: int
    schemes: tuple[SchemeLine, ...]
    sites: list[SiteLine]
    cycle: CycleSummary | None
    audits: list[AuditLine]
    key_dates: list[KeyDate]
    warnings: list[WarningLine]
    timeline: Timeline
    today: date

    @property
    def state_label(self) -> str:
        return STATE_LABELS[CertificationState(self.state)]

    @property
    def integration_label(self) -> str:
        return INTEGRATION_LABELS[Integration(self.integration)]

    @property
    def standards(self) -> str:
        return " + ".join(line.edition for line in self.schemes)

    @property
    def awaits_decision(self) -> bool:
        return self.cycle is None and self.state in BEFORE_DECISION

    @property
    def past_audits(self) -> list[AuditLine]:
        return [audit for audit in self.audits
                if audit.status == AuditStatus.COMPLETED or audit.end_date < self.today]

    @property
    def coming_audits(self) -> list[AuditLine]:
        return [audit for audit in self.audits if audit not in self.past_audits
                and audit.status != AuditStatus.CANCELLED]

    @property
    def next_audit(self) -> AuditLine | None:
        return next(iter(self.coming_audits), None)

    @property
    def next_date(self) -> KeyDate | None:
        return next((line for line in self.key_dates
                     if line.day > self.today and line.source != "Audit"), None)


def certification_page(db: Session, user, certification_id: int) -> CertificationPage:
    found = db.exec(select(Certification, Client.name)
                    .join(Client, Client.id == Certification.client_id)
                    .where(Certification.id == certification_id,
                           Certification.id.in_(visible_certification_ids(user)))).first()
    if found is None:
        raise NotFound(certification_id)
    certification, client_name = found
    sites = db.exec(select(Site).join(CertificationSite, CertificationSite.site_id == Site.id)
                    .where(CertificationSite.certification_id == certification.id)
                    .order_by(Site.name)).all()
    cycle = db.exec(select(Cycle).where(Cycle.certification_id == certification.id,
                                        Cycle.is_current)).first()
    all_audits = [_audit_line(audit) for audit in db.exec(
        select(Audit).where(Audit.certification_id == certification.id)
        .order_by(Audit.start_date, Audit.id))]
    # The programme's warnings weigh every audit; the page lists only the audits this user
    # may see (an auditor those they are on).
    shown = set(db.exec(visible_audits(user).with_only_columns(Audit.id)
                        .where(Audit.certification_id == certification.id)).all())
    audits = [audit for audit in all_audits if audit.id in shown]
    now = today(db)
    plan = plan_of(cycle) if cycle is not None else None
    policy = plan.policy if plan is not None else cycle_policy(db)
    warnings = check_programme(
        plan, [_planned(audit) for audit in all_audits], today=now, policy=policy,
        stage1_validated=bool(certification.stage1_still_valid_note.strip()))
    key_dates = _key_dates(plan, audits, now, policy)
    return CertificationPage(
        id=certification.id, reference=certification.reference,
        client_id=certification.client_id, client_name=client_name, scope=certification.scope,
        integration=certification.integration, state=certification.state,
        version=certification.version,
        schemes=scheme_lines(db, [certification.id]).get(certification.id, ()),
        sites=[SiteLine(site.id, site.name, site.kind, SITE_KIND_LABELS[SiteKind(site.kind)])
               for site in sites],
        cycle=_cycle_summary(cycle), audits=audits, key_dates=key_dates,
        warnings=[WarningLine(w.rule_id, w.severity, w.message, w.date) for w in warnings],
        timeline=_timeline(plan, audits, key_dates, now), today=now)


def _audit_line(audit: Audit) -> AuditLine:
    return AuditLine(audit.id, audit.audit_type, audit.start_date, audit.end_date, audit.status,
                     audit.planned_days, bool(audit.time_justification))


def _planned(audit: AuditLine) -> PlannedAudit:
    return PlannedAudit(audit.audit_type, audit.start_date, audit.end_date, audit.status,
                        audit.id)


def _cycle_summary(cycle: Cycle | None) -> CycleSummary | None:
    if cycle is None:
        return None
    return CycleSummary(cycle.number, cycle.origin, cycle.decision_date,
                        cycle.certificate_expiry, cycle.previous_expiry, cycle.note)


# --- dates -------------------------------------------------------------------------------------

def _key_dates(plan: CyclePlan | None, audits: list[AuditLine], now: date,
               policy: CyclePolicy) -> list[KeyDate]:
    lines = _stage_dates(audits)
    if plan is None:
        lines += _stage2_limit(audits, policy)
    else:
        lines += _cycle_dates(plan)
    lines.append(KeyDate("Today", now, "—"))
    return sorted(lines, key=lambda line: (line.day, line.label))


def _stage_dates(audits: list[AuditLine]) -> list[KeyDate]:
    lines = []
    for audit_type in (AuditType.STAGE1, AuditType.STAGE2):
        held = [audit for audit in audits if audit.audit_type == audit_type
                and audit.status != AuditStatus.CANCELLED]
        if held:
            last = held[-1]
            lines.append(KeyDate(f"{last.type_label} ({last.status_label.lower()})",
                                 last.start_date, "Audit", end=last.end_date))
    return lines


def _stage2_limit(audits: list[AuditLine], policy: CyclePolicy) -> list[KeyDate]:
    stage1s = [audit for audit in audits if audit.audit_type == AuditType.STAGE1
               and audit.status != AuditStatus.CANCELLED]
    if not stage1s:
        return []
    latest = stage2_latest_without_revalidation(stage1s[-1].end_date, policy)
    return [KeyDate("Stage 2 must start by (else revalidate or repeat Stage 1)", latest,
                    "CYC-S1S2-03, body policy", hard=True)]


def _cycle_dates(plan: CyclePlan) -> list[KeyDate]:
    s1_start, s1_end = plan.surveillance_1_window
    s2_start, s2_end = plan.surveillance_2_window
    return [
        KeyDate("Certification decision, certificate effective", plan.decision_date,
                "CYC-VAL-01, CYC-VAL-02"),
        KeyDate("Surveillance 1 window", s1_start, "Body policy, CYC-SUR-02", end=s1_end),
        KeyDate("Surveillance 1 latest (12 months after the decision)",
                plan.surveillance_1_latest, "CYC-SUR-02", hard=True),
        KeyDate("Surveillance 2 window", s2_start, "Body policy, CYC-SUR-03", end=s2_end),
        KeyDate("Surveillance 2 target", plan.surveillance_2_target, "CYC-SUR-03"),
        KeyDate("Recertification audit may start", plan.recertification_earliest,
                "Body policy, CYC-REC-01"),
        KeyDate("Recertification audit target", plan.recertification_target,
                "Body policy, CYC-REC-01"),
        KeyDate("Recertification audit should end by", plan.recertification_finish_by,
                "Body policy, CYC-REC-03"),
        KeyDate("Recertification decision deadline", plan.recertification_decision_deadline,
                "CYC-REC-01, CYC-REC-04", hard=True),
        KeyDate("Certificate expiry", plan.certificate_expiry, "CYC-VAL-03, CYC-VAL-04",
                hard=True),
        KeyDate("Restoration deadline (6 months after expiry)", plan.restoration_deadline,
                "CYC-REC-05", hard=True),
    ]


# --- the drawing -------------------------------------------------------------------------------

def _timeline(plan: CyclePlan | None, audits: list[AuditLine], key_dates: list[KeyDate],
              now: date) -> Timeline:
    bars = [BarInput(audit.type_label, audit.start_date, audit.end_date, audit.status)
            for audit in audits if audit.status != AuditStatus.CANCELLED]
    markers = [MarkerInput("Today", now, "today")]
    spans = []
    if plan is not None:
        spans = [
            SpanInput("Surveillance 1 window", "S1", *plan.surveillance_1_window,
                      "surveillance"),
            SpanInput("Surveillance 2 window", "S2", *plan.surveillance_2_window,
                      "surveillance"),
            SpanInput("Recertification window", "Recert.", plan.recertification_earliest,
                      plan.recertification_finish_by, "recertification"),
            SpanInput("Restoration period", "Restore", plan.certificate_expiry,
                      plan.restoration_deadline, "restoration"),
        ]
        markers += [
            MarkerInput("Decision", plan.decision_date, "decision"),
            MarkerInput("Surveillance 1 limit", plan.surveillance_1_latest, "hard"),
            MarkerInput("Surveillance 2 target", plan.surveillance_2_target, "target"),
            MarkerInput("Recertification target", plan.recertification_target, "target"),
            MarkerInput("Expiry, decision deadline", plan.certificate_expiry, "hard"),
            MarkerInput("Restoration deadline", plan.restoration_deadline, "hard"),
        ]
    else:
        markers += [MarkerInput("Stage 2 latest start", line.day, "hard")
                    for line in key_dates if line.source.startswith("CYC-S1S2-03")]
    return draw(spans, markers, bars)
