"""The audit team: adding and removing people, client objections (TEAM-04), impartiality
declarations (IMP-05), overrides of the body's own policies, and confirming the team.

Every change asks the rules first (through `checks`); a change that would bring a block is
refused and nothing is written."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, select

from auditkit import db as database
from auditkit.accounts.policy import may_declare_for
from auditkit.admin.services import policy_values
from auditkit.history import record_change
from auditkit.models import (
    STAFF_ROLES,
    AuditStatus,
    AuditTeamMember,
    RuleOverride,
    TeamRole,
    User,
    UserRole,
)
from auditkit.programmes.services import today
from auditkit.rules.team import BLOCK
from auditkit.scheduling import checks
from auditkit.scheduling.checks import AuditContext, MemberRow
from auditkit.scheduling.labels import STATUS_LABELS, team_role_label

EDITABLE_STATUSES = frozenset({AuditStatus.PLANNED, AuditStatus.CONFIRMED})
MIN_JUSTIFICATION = 20
MIN_STATEMENT = 10


class TeamError(ValueError):
    """Bad input for a team change; the message is shown next to the field."""

    def __init__(self, message: str, field_name: str | None = None):
        super().__init__(message)
        self.field_name = field_name


class StaleAudit(Exception):
    """Someone changed the audit or its team after the page was opened (409)."""


class NotAllowed(Exception):
    """The user may see the audit but not do this to it (403)."""


@dataclass(frozen=True)
class OverrideView:
    rule_id: str
    justification: str
    decided_by: str
    decided_at: datetime


@dataclass(frozen=True)
class IssueView:
    rule_id: str
    severity: str  # block, warn or info
    message: str
    person_ref: str | None
    overridable: bool
    override: OverrideView | None = None

    @property
    def blocking(self) -> bool:
        return self.severity == BLOCK

    @property
    def open_warning(self) -> bool:
        """A warning of the body's policy nobody has justified going ahead with yet."""
        return self.overridable and self.override is None

    @property
    def stops_confirmation(self) -> bool:
        return self.blocking or self.open_warning


class TeamBlocked(Exception):
    """The rules refuse the change; `issues` say why, each with its rule id."""

    def __init__(self, issues: list[IssueView], subject: str = ""):
        super().__init__("; ".join(f"{i.rule_id}: {i.message}" for i in issues))
        self.issues = issues
        self.subject = subject


@dataclass(frozen=True)
class MemberView:
    id: int
    user_id: int | None
    name: str
    email: str
    team_role: str
    declared_at: datetime | None
    statement: str
    client_objection: str
    person_ref: str
    issues: tuple[IssueView, ...]
    recorded_by: str = ""

    @property
    def role_label(self) -> str:
        return team_role_label(self.team_role)

    @property
    def has_login(self) -> bool:
        return self.user_id is not None


@dataclass(frozen=True)
class Assessment:
    """Every issue of an audit's team and programme, with the overrides recorded for it."""

    issues: tuple[IssueView, ...]
    overrides: tuple[OverrideView, ...]

    def of_person(self, person_ref: str) -> tuple[IssueView, ...]:
        return tuple(issue for issue in self.issues if issue.person_ref == person_ref)

    @property
    def of_team(self) -> tuple[IssueView, ...]:
        return tuple(issue for issue in self.issues if issue.person_ref is None)

    @property
    def stopping(self) -> tuple[IssueView, ...]:
        return tuple(issue for issue in self.issues if issue.stops_confirmation)

    @property
    def open_warnings(self) -> tuple[IssueView, ...]:
        return tuple(issue for issue in self.issues if issue.open_warning)


def issue_views(issues, overrides: dict[str, OverrideView]) -> list[IssueView]:
    views = []
    for issue in issues:
        can_override = checks.overridable(issue.rule_id, issue.severity)
        views.append(IssueView(issue.rule_id, issue.severity, issue.message,
                               getattr(issue, "person_ref", None), can_override,
                               overrides.get(issue.rule_id) if can_override else None))
    return views


def override_views(db: Session, audit_id: int) -> dict[str, OverrideView]:
    rows = db.exec(select(RuleOverride, User.full_name)
                   .join(User, User.id == RuleOverride.decided_by_id)
                   .where(RuleOverride.audit_id == audit_id)
                   .order_by(RuleOverride.decided_at, RuleOverride.id)).all()
    return {row.rule_id: OverrideView(row.rule_id, row.justification, name, row.decided_at)
            for row, name in rows}


def assess(db: Session, context: AuditContext, rows: list[MemberRow], *,
           confirming: bool = False) -> Assessment:
    """The rules' verdict on the audit as stored: team (TEAM-*, IMP-*) and, for a Stage 2,
    the gap from Stage 1 (CYC-S1S2-03)."""
    policy = policy_values(db)
    facts = checks.team_facts(db, context, rows, policy=policy)
    audit = context.audit
    found = list(facts.check(rows, confirming=confirming))
    found += checks.stage1_gap_warnings(
        db, context.certification, audit_type=audit.audit_type, start=audit.start_date,
        end=audit.end_date, audit_id=audit.id, today=today(db), policy=policy)
    overrides = override_views(db, audit.id)
    return Assessment(tuple(issue_views(found, overrides)), tuple(overrides.values()))


def member_views(rows: list[MemberRow], assessment: Assessment) -> list[MemberView]:
    return [MemberView(row.id, row.user_id, row.name, row.email, row.team_role, row.declared_at,
                       row.statement, row.client_objection, row.person_ref,
                       assessment.of_person(row.person_ref), row.recorded_by) for row in rows]


# --- who can be on a team ---------------------------------------------------------------------

@dataclass(frozen=True)
class Person:
    id: int
    name: str
    email: str
    roles: tuple[str, ...]


def selectable_people(db: Session) -> list[Person]:
    """Active staff with a login, in one query."""
    people: dict[int, Person] = {}
    for user_id, name, email, role in db.exec(
            select(User.id, User.full_name, User.email, UserRole.role)
            .join(UserRole, UserRole.user_id == User.id)
            .where(User.is_active, UserRole.role.in_(sorted(STAFF_ROLES)))
            .order_by(User.full_name, User.id, UserRole.role)):
        known = people.get(user_id)
        people[user_id] = Person(user_id, name, email,
                                 (*known.roles, role) if known else (role,))
    return list(people.values())


# --- changing the team ------------------------------------------------------------------------

def editable_context(db: Session, viewer, audit_id: int,
                     expected_version: int | None) -> AuditContext:
    context = checks.load_context(db, viewer, audit_id)
    if context is None:
        raise LookupError(audit_id)
    audit = context.audit
    if audit.status not in EDITABLE_STATUSES:
        raise TeamError(f"This audit is {STATUS_LABELS[audit.status].lower()}; its plan and "
                        "team can no longer change.")
    if expected_version is not None and audit.version != expected_version:
        raise StaleAudit()
    return context


def team_changed(db: Session, context: AuditContext, *, actor_id: int) -> bool:
    """After any change to the team or the plan: a confirmed team must be confirmed again, and
    the audit's version moves so that a page opened before the change cannot overwrite it.
    Returns whether a confirmation was withdrawn."""
    audit = context.audit
    withdrawn = audit.team_confirmed_at is not None
    if withdrawn:
        record_change(db, actor_id=actor_id, subject="audit", subject_id=audit.id,
                      field_name="team confirmed", before=audit.team_confirmed_at, after=None)
        audit.team_confirmed_at = None
        if audit.status == AuditStatus.CONFIRMED:
            audit.status = AuditStatus.PLANNED
    flag_modified(audit, "status")
    db.add(audit)
    try:
        db.flush()
    except StaleDataError as error:
        raise StaleAudit() from error
    return withdrawn


@dataclass(frozen=True)
class MemberInput:
    user_id: int | None
    person_name: str
    team_role: str


def _candidate(db: Session, data: MemberInput) -> MemberRow:
    if data.team_role not in set(TeamRole):
        raise TeamError("Choose a role on the team.", "team_role")
    name = " ".join((data.person_name or "").split())
    if data.user_id is not None and name:
        raise TeamError("Choose a person with a login, or name a person without one; not "
                        "both.", "person_name")
    if data.user_id is None:
        if not name:
            raise TeamError("Choose a person, or name a person without a login.", "user_id")
        if len(name) > 200:
            raise TeamError("Up to 200 characters.", "person_name")
        return MemberRow(None, None, name, "", data.team_role)
    person = next((p for p in selectable_people(db) if p.id == data.user_id), None)
    if person is None:
        raise TeamError("Choose a person from the list.", "user_id")
    return MemberRow(None, person.id, person.name, person.email, data.team_role)


def add_member(db: Session, viewer, audit_id: int, data: MemberInput, *,
               expected_version: int | None, actor_id: int) -> MemberRow:
    """Add a person if the rules find nothing that blocks them (TEAM-01/03/04/08, IMP-03)."""
    context = editable_context(db, viewer, audit_id, expected_version)
    candidate = _candidate(db, data)
    rows = checks.member_rows(db, audit_id)
    facts = checks.team_facts(db, context, [*rows, candidate])
    blocks = checks.new_blocks(facts.check(rows), facts.check([*rows, candidate]),
                               candidate.person_ref)
    if blocks:
        raise TeamBlocked(issue_views(blocks, {}), candidate.name)
    row = AuditTeamMember(audit_id=audit_id, user_id=candidate.user_id,
                          person_name="" if candidate.user_id else candidate.name,
                          team_role=candidate.team_role)
    db.add(row)
    try:
        db.flush()
    except IntegrityError as error:
        if not _added_twice(error):
            raise
        # Someone added the same person at the same moment; the unique constraint caught it.
        raise TeamBlocked(_twice(facts, rows, candidate), candidate.name) from error
    record_change(db, actor_id=actor_id, subject="audit", subject_id=audit_id,
                  field_name="team member added", before=None,
                  after=f"{candidate.name} ({team_role_label(candidate.team_role)})")
    team_changed(db, context, actor_id=actor_id)
    return candidate


def _added_twice(error: IntegrityError) -> bool:
    text = str(error.orig)
    return ("uq_audit_team_member_user" in text  # PostgreSQL names the constraint
            or "audit_team_member.audit_id, audit_team_member.user_id" in text)  # SQLite


def _twice(facts: checks.TeamFacts, rows: list[MemberRow],
           candidate: MemberRow) -> list[IssueView]:
    """The rules' own TEAM-08 verdict, as if the race had been seen before writing."""
    issues = [issue for issue in facts.check([*rows, candidate, candidate])
              if issue.rule_id == "TEAM-08" and issue.person_ref == candidate.person_ref]
    return issue_views(issues[:1], {})


def _member(db: Session, audit_id: int, member_id: int) -> AuditTeamMember:
    row = db.exec(select(AuditTeamMember).where(AuditTeamMember.id == member_id,
                                                AuditTeamMember.audit_id == audit_id)).first()
    if row is None:
        raise LookupError(member_id)
    return row


def _member_name(db: Session, row: AuditTeamMember) -> str:
    if row.user_id is None:
        return row.person_name
    return db.exec(select(User.full_name).where(User.id == row.user_id)).one()


def remove_member(db: Session, viewer, audit_id: int, member_id: int, *,
                  expected_version: int | None, actor_id: int) -> str:
    context = editable_context(db, viewer, audit_id, expected_version)
    row = _member(db, audit_id, member_id)
    name = _member_name(db, row)
    record_change(db, actor_id=actor_id, subject="audit", subject_id=audit_id,
                  field_name="team member removed",
                  before=f"{name} ({team_role_label(row.team_role)})", after=None)
    db.delete(row)
    team_changed(db, context, actor_id=actor_id)
    return name


def record_objection(db: Session, viewer, audit_id: int, member_id: int, objection: str, *,
                     expected_version: int | None, actor_id: int) -> str:
    """TEAM-04: the client's objection to a member, with its reasons. On a short-notice audit
    the client cannot object (CYC-SPE-02): the rules then only record it."""
    context = editable_context(db, viewer, audit_id, expected_version)
    row = _member(db, audit_id, member_id)
    text = objection.strip()
    if not text:
        raise TeamError("Write down the client's objection and its reasons.", "objection")
    record_change(db, actor_id=actor_id, subject="audit", subject_id=audit_id,
                  field_name=f"client objection to member {row.id}",
                  before=row.client_objection or None, after=text)
    row.client_objection = text
    db.add(row)
    team_changed(db, context, actor_id=actor_id)
    return _member_name(db, row)


def declare(db: Session, viewer, audit_id: int, member_id: int, *, statement: str,
            affirmed: bool, actor_id: int, actor_name: str) -> str:
    """IMP-05: a member's conflict-of-interest declaration for this audit, signed by the member
    in auditkit or recorded by a programme manager on their behalf with a statement of how it
    was given."""
    context = editable_context(db, viewer, audit_id, None)
    row = _member(db, audit_id, member_id)
    if not may_declare_for(viewer, row.user_id):
        raise NotAllowed()
    name = _member_name(db, row)
    own = row.user_id is not None and row.user_id == actor_id
    text = " ".join(statement.split())
    if own and not affirmed:
        raise TeamError("Tick the declaration to sign it.", "affirmed")
    if own:
        text = (f"{name} declared in auditkit having no conflict of interest with "
                f"{context.client.name} for this audit." + (f" Remarks: {text}" if text else ""))
    elif len(text) < MIN_STATEMENT:
        raise TeamError("Say how the member gave the declaration (e.g. signed form received "
                        "on a given day), in at least 10 characters.", "statement")
    else:
        text = f"Recorded by {actor_name} on behalf of {name}: {text}"
    record_change(db, actor_id=actor_id, subject="audit", subject_id=audit_id,
                  field_name=f"declaration of member {row.id}",
                  before=row.impartiality_statement or None, after=text)
    row.impartiality_declared_at = database.utcnow()
    row.impartiality_statement = text
    row.declaration_recorded_by_id = actor_id
    db.add(row)
    return name


def confirm_team(db: Session, viewer, audit_id: int, *, expected_version: int | None,
                 actor_id: int) -> None:
    """The team is confirmed only when nothing blocks (declarations included, IMP-05) and every
    warning of the body's policy has a recorded justification."""
    context = editable_context(db, viewer, audit_id, expected_version)
    audit = context.audit
    if audit.team_confirmed_at is not None:
        raise TeamError("The team is already confirmed.")
    rows = checks.member_rows(db, audit_id)
    stopping = list(assess(db, context, rows, confirming=True).stopping)
    if stopping:
        raise TeamBlocked(stopping, "the team")
    audit.team_confirmed_at = database.utcnow()
    record_change(db, actor_id=actor_id, subject="audit", subject_id=audit_id,
                  field_name="team confirmed", before=None, after=audit.team_confirmed_at)
    if audit.status == AuditStatus.PLANNED:
        audit.status = AuditStatus.CONFIRMED
    db.add(audit)


def add_override(db: Session, viewer, audit_id: int, rule_id: str, justification: str, *,
                 actor_id: int) -> None:
    """Go ahead despite an open warning of the body's own policy (DEFAULT in domain.md), with
    a recorded justification. A requirement (MUST) can never be overridden."""
    context = editable_context(db, viewer, audit_id, None)
    rule_id = (rule_id or "").strip()
    assessment = assess(db, context, checks.member_rows(db, audit_id))
    if not any(issue.open_warning and issue.rule_id == rule_id for issue in assessment.issues):
        raise TeamError(_why_not_overridable(rule_id, assessment), "rule_id")
    text = justification.strip()
    if len(text) < MIN_JUSTIFICATION:
        raise TeamError(f"Explain why the audit may go ahead despite {rule_id}, in at least "
                        f"{MIN_JUSTIFICATION} characters.", "justification")
    db.add(RuleOverride(certification_id=context.certification.id, audit_id=audit_id,
                        rule_id=rule_id, justification=text, decided_by_id=actor_id))
    record_change(db, actor_id=actor_id, subject="audit", subject_id=audit_id,
                  field_name=f"override of {rule_id}", before=None, after=text)


def _why_not_overridable(rule_id: str, assessment: Assessment) -> str:
    if not rule_id:
        return "Choose the warning to go ahead with."
    shown = [issue for issue in assessment.issues if issue.rule_id == rule_id]
    if any(issue.override is not None for issue in shown):
        return f"Going ahead despite {rule_id} is already recorded."
    if rule_id not in checks.POLICY_RULE_IDS or any(i.severity == BLOCK for i in shown):
        return (f"{rule_id} is a requirement, not a policy of the body: it can never be "
                "overridden. Change the team or the plan instead.")
    return f"There is no open {rule_id} warning on this audit."

