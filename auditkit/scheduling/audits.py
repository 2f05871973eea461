"""Scheduling an audit for a certification, changing its plan, cancelling it, and the pages
that show audits: one audit with its team, and "My audits"."""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import and_
from sqlmodel import Session, select

from auditkit.accounts.policy import visible_certifications
from auditkit.admin.services import policy_values
from auditkit.history import record_change
from auditkit.models import (
    Audit,
    AuditMode,
    AuditSite,
    AuditStatus,
    AuditTeamMember,
    AuditType,
    Certification,
    Client,
    Cycle,
    Site,
)
from auditkit.rules.team import BLOCK
from auditkit.scheduling import checks, teams
from auditkit.scheduling.labels import (
    MODE_LABELS,
    STATUS_LABELS,
    audit_type_label,
    scheme_label,
    team_role_label,
)
from auditkit.scheduling.teams import IssueView, TeamBlocked, TeamError
from auditkit.standards import versions

INITIAL_AUDIT_TYPES = frozenset({AuditType.STAGE1, AuditType.STAGE2})
MAX_PLANNED_DAYS = Decimal("9999.9")


# --- the certification an audit is scheduled for ---------------------------------------------

@dataclass(frozen=True)
class SiteChoice:
    id: int
    name: str
    kind: str


@dataclass(frozen=True)
class SchedulingTarget:
    certification_id: int
    reference: str
    client_id: int
    client_name: str
    client_language: str
    schemes: tuple[str, ...]
    sites: tuple[SiteChoice, ...]
    stage1_still_valid_note: str

    @property
    def scheme_labels(self) -> tuple[str, ...]:
        return tuple(scheme_label(scheme) for scheme in self.schemes)


def scheduling_target(db: Session, viewer, certification_id: int) -> SchedulingTarget | None:
    found = _certification(db, viewer, certification_id)
    if found is None:
        return None
    certification, client = found
    schemes, _areas = checks.scheme_facts(db, certification.id, client.id)
    sites = tuple(SiteChoice(site.id, site.name, site.kind) for site in db.exec(
        select(Site).where(Site.client_id == client.id).order_by(Site.name)))
    return SchedulingTarget(certification.id, certification.reference, client.id, client.name,
                            client.language, schemes, sites,
                            certification.stage1_still_valid_note)


def _certification(db: Session, viewer, certification_id: int):
    visible = visible_certifications(viewer).with_only_columns(Certification.id)
    return db.exec(select(Certification, Client)
                   .join(Client, Client.id == Certification.client_id)
                   .where(Certification.id == certification_id,
                          Certification.id.in_(visible))).first()


# --- the plan of an audit ---------------------------------------------------------------------

@dataclass(frozen=True)
class AuditInput:
    start_date: date
    end_date: date
    mode: str
    ict_tool: str
    site_ids: tuple[int, ...]
    planned_days: Decimal | None
    language: str
    client_objection_allowed: bool
    stage1_still_valid_note: str = ""
    audit_type: str = ""


def _checked(data: AuditInput, audit_type: str, client_sites: set[int]) -> AuditInput:
    if audit_type not in set(AuditType):
        raise TeamError("Choose the type of audit.", "audit_type")
    if data.end_date < data.start_date:
        raise TeamError("The audit cannot end before it starts.", "end_date")
    if data.mode not in set(AuditMode):
        raise TeamError("Choose on site, remote or hybrid.", "mode")
    ict_tool = " ".join(data.ict_tool.split())
    if data.mode != AuditMode.ON_SITE and not ict_tool:
        raise TeamError("Name the ICT tool used for the remote part (IAF MD 4).", "ict_tool")
    if not set(data.site_ids) <= client_sites:
        raise TeamError("Choose sites of this client.", "site_ids")
    if data.planned_days is not None and not Decimal(0) < data.planned_days <= MAX_PLANNED_DAYS:
        raise TeamError("Enter the planned audit days as a number above 0, e.g. 2.5.",
                        "planned_days")
    language = " ".join(data.language.split())
    if not language:
        raise TeamError("Enter the language of the audit.", "language")
    # CYC-SPE-02: on a short-notice or unannounced audit the client cannot object.
    objection_allowed = (data.client_objection_allowed
                         and audit_type != AuditType.SPECIAL_SHORT_NOTICE)
    return AuditInput(data.start_date, data.end_date, data.mode,
                      ict_tool if data.mode != AuditMode.ON_SITE else "",
                      tuple(sorted(set(data.site_ids))), data.planned_days, language,
                      objection_allowed, data.stage1_still_valid_note.strip(), audit_type)


def _client_site_ids(db: Session, client_id: int) -> set[int]:
    return set(db.exec(select(Site.id).where(Site.client_id == client_id)))


def _stage1_gap(db: Session, certification: Certification, data: AuditInput,
                audit_id: int | None, *, actor_id: int) -> None:
    """CYC-S1S2-03: a Stage 2 too long after Stage 1 is refused until someone records that
    Stage 1 is still valid; the justification given with the plan is recorded first."""
    policy = policy_values(db)

    def blocks() -> list:
        return [warning for warning in checks.stage1_gap_warnings(
            db, certification, audit_type=data.audit_type, start=data.start_date,
            end=data.end_date, audit_id=audit_id, today=teams.today(db), policy=policy)
            if warning.severity == BLOCK]

    found = blocks()
    if not found:
        return
    if not data.stage1_still_valid_note:
        raise TeamBlocked(teams.issue_views(found, {}), "stage1")
    record_change(db, actor_id=actor_id, subject="certification", subject_id=certification.id,
                  field_name="stage1_still_valid_note",
                  before=certification.stage1_still_valid_note or None,
                  after=data.stage1_still_valid_note)
    certification.stage1_still_valid_note = data.stage1_still_valid_note
    db.add(certification)
    if blocks():
        raise TeamBlocked(teams.issue_views(found, {}), "stage1")


def schedule_audit(db: Session, viewer, certification_id: int, data: AuditInput, *,
                   actor_id: int) -> int:
    """A planned audit for the certification, pinned to the current version of each scheme's
    checklist; its team is put together afterwards."""
    found = _certification(db, viewer, certification_id)
    if found is None:
        raise LookupError(certification_id)
    certification, client = found
    data = _checked(data, data.audit_type, _client_site_ids(db, client.id))
    _stage1_gap(db, certification, data, None, actor_id=actor_id)
    audit = Audit(certification_id=certification.id, cycle_id=_cycle_of(db, certification,
                                                                         data.audit_type),
                  audit_type=data.audit_type, start_date=data.start_date,
                  end_date=data.end_date, mode=data.mode, ict_tool=data.ict_tool,
                  planned_days=data.planned_days, language=data.language,
                  client_objection_allowed=data.client_objection_allowed)
    db.add(audit)
    db.flush()
    for site_id in data.site_ids:
        db.add(AuditSite(audit_id=audit.id, site_id=site_id))
    versions.pin_checklists(db, audit)
    record_change(db, actor_id=actor_id, subject="audit", subject_id=audit.id,
                  field_name="scheduled", before=None,
                  after=f"{audit_type_label(audit.audit_type)} {_span(audit)} for "
                        f"{certification.reference}")
    return audit.id


def _cycle_of(db: Session, certification: Certification, audit_type: str) -> int | None:
    """Audits after the initial certification belong to the current cycle."""
    if audit_type in INITIAL_AUDIT_TYPES:
        return None
    return db.exec(select(Cycle.id).where(Cycle.certification_id == certification.id,
                                          Cycle.is_current)).first()


def _span(audit: Audit) -> str:
    if audit.start_date == audit.end_date:
        return f"{audit.start_date:%Y-%m-%d}"
    return f"{audit.start_date:%Y-%m-%d} to {audit.end_date:%Y-%m-%d}"


PLAN_FIELDS = ("start_date", "end_date", "mode", "ict_tool", "planned_days", "language",
               "client_objection_allowed")


def change_plan(db: Session, viewer, audit_id: int, data: AuditInput, *,
                expected_version: int, actor_id: int) -> tuple[int, bool]:
    """New dates, mode, sites, days or language, checked again: refused when the team would
    meet a block it did not have (e.g. a qualification that ends before the new last day).
    Returns (number of changed fields, whether a team confirmation was withdrawn)."""
    context = teams.editable_context(db, viewer, audit_id, expected_version)
    audit = context.audit
    data = _checked(data, audit.audit_type, _client_site_ids(db, context.client.id))
    _stage1_gap(db, context.certification, data, audit.id, actor_id=actor_id)
    rows = checks.member_rows(db, audit_id)
    policy = policy_values(db)
    before = checks.team_facts(db, context, rows, policy=policy).check(rows)
    after = checks.team_facts(db, context, rows, start=data.start_date, end=data.end_date,
                              language=data.language,
                              objection_allowed=data.client_objection_allowed,
                              policy=policy).check(rows)
    blocks = checks.new_blocks(before, after)
    if blocks:
        raise TeamBlocked(teams.issue_views(blocks, {}), "the new plan")
    changed = _apply_plan(db, audit, data, actor_id=actor_id)
    changed += _apply_sites(db, audit, data.site_ids, actor_id=actor_id)
    withdrawn = teams.team_changed(db, context, actor_id=actor_id) if changed else False
    return changed, withdrawn


def _apply_plan(db: Session, audit: Audit, data: AuditInput, *, actor_id: int) -> int:
    changed = 0
    for name in PLAN_FIELDS:
        old, new = getattr(audit, name), getattr(data, name)
        if old != new:
            record_change(db, actor_id=actor_id, subject="audit", subject_id=audit.id,
                          field_name=name, before=old, after=new)
            setattr(audit, name, new)
            changed += 1
    db.add(audit)
    return changed


def _apply_sites(db: Session, audit: Audit, site_ids: tuple[int, ...], *, actor_id: int) -> int:
    rows = db.exec(select(AuditSite).where(AuditSite.audit_id == audit.id)).all()
    current = {row.site_id for row in rows}
    if current == set(site_ids):
        return 0
    for row in rows:
        if row.site_id not in site_ids:
            db.delete(row)
    for site_id in set(site_ids) - current:
        db.add(AuditSite(audit_id=audit.id, site_id=site_id))
    record_change(db, actor_id=actor_id, subject="audit", subject_id=audit.id,
                  field_name="sites", before=sorted(current), after=sorted(site_ids))
    return 1


def cancel_audit(db: Session, viewer, audit_id: int, reason: str, *, expected_version: int,
                 actor_id: int) -> None:
    context = teams.editable_context(db, viewer, audit_id, expected_version)
    text = " ".join(reason.split())
    if not text:
        raise TeamError("Say why the audit is cancelled.", "reason")
    audit = context.audit
    record_change(db, actor_id=actor_id, subject="audit", subject_id=audit.id,
                  field_name="status", before=audit.status,
                  after=f"{AuditStatus.CANCELLED}: {text}")
    audit.status = AuditStatus.CANCELLED
    audit.cancel_reason = text
    db.add(audit)


def plan_input(db: Session, viewer, audit_id: int) -> tuple[AuditInput, int] | None:
    """The audit's plan as a form shows it, with its version."""
    context = checks.load_context(db, viewer, audit_id)
    if context is None:
        return None
    audit = context.audit
    site_ids = tuple(db.exec(select(AuditSite.site_id).where(AuditSite.audit_id == audit_id)))
    return AuditInput(audit.start_date, audit.end_date, audit.mode, audit.ict_tool, site_ids,
                      audit.planned_days, audit.language, audit.client_objection_allowed,
                      audit_type=audit.audit_type), audit.version


# --- the audit page ---------------------------------------------------------------------------

@dataclass(frozen=True)
class AuditSummary:
    id: int
    version: int
    certification_id: int
    certification_reference: str
    client_id: int
    client_name: str
    schemes: tuple[str, ...]
    audit_type: str
    status: str
    start_date: date
    end_date: date
    mode: str
    ict_tool: str
    planned_days: Decimal | None
    language: str
    client_objection_allowed: bool
    team_confirmed_at: datetime | None
    notes: str
    sites: tuple[str, ...]
    cancel_reason: str = ""

    @property
    def type_label(self) -> str:
        return audit_type_label(self.audit_type)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def mode_label(self) -> str:
        return MODE_LABELS.get(self.mode, self.mode)

    @property
    def scheme_labels(self) -> tuple[str, ...]:
        return tuple(scheme_label(scheme) for scheme in self.schemes)

    @property
    def editable(self) -> bool:
        return self.status in teams.EDITABLE_STATUSES


@dataclass(frozen=True)
class AuditPage:
    audit: AuditSummary
    members: tuple[teams.MemberView, ...]
    team_issues: tuple[IssueView, ...]
    stopping: tuple[IssueView, ...]
    open_warnings: tuple[IssueView, ...]
    overrides: tuple[teams.OverrideView, ...]
    stage1_still_valid_note: str


def audit_page(db: Session, viewer, audit_id: int) -> AuditPage | None:
    """Everything the audit page shows, in a fixed number of queries whatever the team's size."""
    context = checks.load_context(db, viewer, audit_id)
    if context is None:
        return None
    rows = checks.member_rows(db, audit_id)
    assessment = teams.assess(db, context, rows, confirming=True)
    audit = context.audit
    sites = tuple(db.exec(select(Site.name).join(AuditSite, AuditSite.site_id == Site.id)
                          .where(AuditSite.audit_id == audit_id).order_by(Site.name)))
    summary = AuditSummary(
        audit.id, audit.version, context.certification.id, context.certification.reference,
        context.client.id, context.client.name, context.schemes, audit.audit_type, audit.status,
        audit.start_date, audit.end_date, audit.mode, audit.ict_tool, audit.planned_days,
        audit.language, audit.client_objection_allowed, audit.team_confirmed_at, audit.notes,
        sites, audit.cancel_reason)
    return AuditPage(summary, tuple(teams.member_views(rows, assessment)), assessment.of_team,
                     assessment.stopping, assessment.open_warnings, assessment.overrides,
                     context.certification.stage1_still_valid_note)


# --- My audits --------------------------------------------------------------------------------

@dataclass(frozen=True)
class MyAudit:
    id: int
    audit_type: str
    status: str
    start_date: date
    end_date: date
    certification_reference: str
    client_name: str
    team_role: str
    declared_at: datetime | None

    @property
    def type_label(self) -> str:
        return audit_type_label(self.audit_type)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def role_label(self) -> str:
        return team_role_label(self.team_role)


def my_audits(db: Session, viewer) -> list[MyAudit]:
    """The audits the viewer is on (among those they may see), in one query."""
    rows = db.exec(
        select(Audit, Certification.reference, Client.name, AuditTeamMember.team_role,
               AuditTeamMember.impartiality_declared_at)
        .join(AuditTeamMember, and_(AuditTeamMember.audit_id == Audit.id,
                                    AuditTeamMember.user_id == viewer.id))
        .join(Certification, Certification.id == Audit.certification_id)
        .join(Client, Client.id == Certification.client_id)
        .where(Audit.id.in_(checks.visible_audit_ids(viewer)))
        .order_by(Audit.start_date, Audit.id)).all()
    return [MyAudit(audit.id, audit.audit_type, audit.status, audit.start_date, audit.end_date,
                    reference, client_name, role, declared_at)
            for audit, reference, client_name, role, declared_at in rows]
