"""Facts for the team and programme checks, gathered in a fixed number of queries whatever the
team's size, and handed to the pure rules (`auditkit.rules.team`, `auditkit.rules.cycle`),
which alone decide what is a problem."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from auditkit.accounts.policy import visible_audits
from auditkit.admin.services import policy_values
from auditkit.models import (
    Audit,
    AuditorProfile,
    AuditStatus,
    AuditTeamMember,
    AuditType,
    Certification,
    CertificationScheme,
    Client,
    ClientTechnicalArea,
    Cycle,
    EngagementDeclaration,
    Qualification,
    TeamRole,
    User,
)
from auditkit.rules import cycle as cycle_rules
from auditkit.rules import team as team_rules
from auditkit.rules.policies import POLICIES
from auditkit.scheduling.auditors import split_areas, split_languages
from auditkit.scheduling.labels import audit_type_label

# Warnings that come from a policy of the body (DEFAULT in domain.md) may be overridden with a
# recorded justification; everything else is a requirement and never can be.
POLICY_RULE_IDS = frozenset(policy.rule_id for policy in POLICIES if policy.rule_id)
ROLE_ORDER = {role: rank for rank, role in enumerate(TeamRole)}
INITIAL_AUDIT_KEY = 0  # Stage 1 and Stage 2 come before the first cycle's decision


def overridable(rule_id: str, severity: str) -> bool:
    return severity == team_rules.WARN and rule_id in POLICY_RULE_IDS


def client_ref(client_id: int) -> str:
    return f"client-{client_id}"


def audit_ref(audit_id: int | None, reference: str, audit_type: str) -> str:
    """How another audit is named in a message: its number, certification and type."""
    return f"#{audit_id} ({reference}, {audit_type_label(audit_type)})"


# --- the audit ---------------------------------------------------------------------------------

@dataclass
class AuditContext:
    """An audit with what the checks need around it. Rows are the session's own objects, so a
    service may change them."""

    audit: Audit
    certification: Certification
    client: Client
    cycle_number: int | None
    schemes: tuple[str, ...]
    client_areas: tuple[tuple[str, str], ...]

    @property
    def technical_areas(self) -> frozenset[tuple[str, str]]:
        return frozenset(pair for pair in self.client_areas if pair[0] in self.schemes)

    @property
    def cycle_key(self) -> int:
        return self.cycle_number if self.cycle_number is not None else INITIAL_AUDIT_KEY


def visible_audit_ids(viewer):
    return visible_audits(viewer).with_only_columns(Audit.id)


def load_context(db: Session, viewer, audit_id: int) -> AuditContext | None:
    """The audit if the viewer may see it (else None: the route answers 404). Three queries."""
    found = db.exec(
        select(Audit, Certification, Client, Cycle.number)
        .join(Certification, Certification.id == Audit.certification_id)
        .join(Client, Client.id == Certification.client_id)
        .outerjoin(Cycle, Cycle.id == Audit.cycle_id)
        .where(Audit.id == audit_id, Audit.id.in_(visible_audit_ids(viewer)))).first()
    if found is None:
        return None
    audit, certification, client, cycle_number = found
    schemes, areas = scheme_facts(db, certification.id, client.id)
    return AuditContext(audit, certification, client, cycle_number, schemes, areas)


def scheme_facts(db: Session, certification_id: int,
                 client_id: int) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    schemes = tuple(sorted(db.exec(select(CertificationScheme.scheme).where(
        CertificationScheme.certification_id == certification_id))))
    areas = tuple(sorted((row.scheme, row.area) for row in db.exec(
        select(ClientTechnicalArea).where(ClientTechnicalArea.client_id == client_id))))
    return schemes, areas


def plan_of(context: AuditContext, start: date, end: date, language: str,
            objection_allowed: bool) -> team_rules.AuditUnderPlan:
    audit = context.audit
    return team_rules.AuditUnderPlan(
        schemes=frozenset(context.schemes), start_date=start, end_date=end,
        client_ref=client_ref(context.client.id), technical_areas=context.technical_areas,
        language=language, client_objection_allowed=objection_allowed,
        audit_ref=audit_ref(audit.id, context.certification.reference, audit.audit_type))


# --- the people on the team --------------------------------------------------------------------

@dataclass(frozen=True)
class MemberRow:
    """A team member as stored, or a candidate not stored yet (`id` None)."""

    id: int | None
    user_id: int | None
    name: str
    email: str
    team_role: str
    declared_at: datetime | None = None
    statement: str = ""
    client_objection: str = ""
    recorded_by: str = ""  # who recorded the declaration, when not the member (IMP-05)

    @property
    def person_ref(self) -> str:
        if self.user_id is not None:
            return f"user-{self.user_id}"
        return f"member-{self.id}" if self.id is not None else "candidate"

    @property
    def has_login(self) -> bool:
        return self.user_id is not None


def member_rows(db: Session, audit_id: int) -> list[MemberRow]:
    recorder = aliased(User)
    rows = db.exec(select(AuditTeamMember, User.full_name, User.email, recorder.full_name)
                   .outerjoin(User, User.id == AuditTeamMember.user_id)
                   .outerjoin(recorder, recorder.id == AuditTeamMember.declaration_recorded_by_id)
                   .where(AuditTeamMember.audit_id == audit_id)).all()
    members = [MemberRow(row.id, row.user_id, full_name or row.person_name, email or "",
                         row.team_role, row.impartiality_declared_at,
                         row.impartiality_statement, row.client_objection,
                         recorded_by if row.declaration_recorded_by_id != row.user_id else "")
               for row, full_name, email, recorded_by in rows]
    return sorted(members, key=lambda m: (ROLE_ORDER.get(m.team_role, 9), m.name.casefold()))


@dataclass
class PeopleFacts:
    """Everything the rules need to know about the people with a login, by user id."""

    qualifications: dict[int, list[team_rules.Qualification]] = field(
        default_factory=lambda: defaultdict(list))
    languages: dict[int, frozenset[str]] = field(default_factory=dict)
    engagements: dict[int, list[team_rules.Engagement]] = field(
        default_factory=lambda: defaultdict(list))
    assignments: dict[int, list[team_rules.Assignment]] = field(
        default_factory=lambda: defaultdict(list))
    led_cycles: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))


def people_facts(db: Session, context: AuditContext, user_ids, *, start: date) -> PeopleFacts:
    """Five queries for any number of people (none for a team without logins)."""
    ids = sorted({user_id for user_id in user_ids if user_id is not None})
    facts = PeopleFacts()
    if not ids:
        return facts
    for row in db.exec(select(Qualification).where(Qualification.user_id.in_(ids))):
        facts.qualifications[row.user_id].append(team_rules.Qualification(
            row.scheme, row.role, frozenset(split_areas(row.technical_areas)),
            row.valid_from, row.valid_until))
    for profile in db.exec(select(AuditorProfile).where(AuditorProfile.user_id.in_(ids))):
        facts.languages[profile.user_id] = frozenset(split_languages(profile.languages))
    for row in db.exec(select(EngagementDeclaration).where(
            EngagementDeclaration.user_id.in_(ids),
            EngagementDeclaration.client_id == context.client.id)):
        facts.engagements[row.user_id].append(
            team_rules.Engagement(row.kind, client_ref(row.client_id), row.ended_on))
    _other_assignments(db, context, ids, start, facts)
    _led_cycles(db, context, ids, facts)
    return facts


def _other_assignments(db: Session, context: AuditContext, ids: list[int], start: date,
                       facts: PeopleFacts) -> None:
    """The people's other audits that are not cancelled and have not ended before this one
    starts; the rules decide which overlap (TEAM-08)."""
    for user_id, other_id, other_start, other_end, reference, other_type in db.exec(
            select(AuditTeamMember.user_id, Audit.id, Audit.start_date, Audit.end_date,
                   Certification.reference, Audit.audit_type)
            .join(Audit, Audit.id == AuditTeamMember.audit_id)
            .join(Certification, Certification.id == Audit.certification_id)
            .where(AuditTeamMember.user_id.in_(ids), Audit.id != context.audit.id,
                   Audit.status != AuditStatus.CANCELLED, Audit.end_date >= start)):
        facts.assignments[user_id].append(team_rules.Assignment(
            other_start, other_end, audit_ref(other_id, reference, other_type)))


def _led_cycles(db: Session, context: AuditContext, ids: list[int], facts: PeopleFacts) -> None:
    """TEAM-07 facts: the cycles of this certification in which each person led an audit."""
    for user_id, number in db.exec(
            select(AuditTeamMember.user_id, Cycle.number)
            .join(Audit, Audit.id == AuditTeamMember.audit_id)
            .outerjoin(Cycle, Cycle.id == Audit.cycle_id)
            .where(AuditTeamMember.user_id.in_(ids),
                   AuditTeamMember.team_role == TeamRole.LEAD_AUDITOR,
                   Audit.certification_id == context.certification.id,
                   Audit.status != AuditStatus.CANCELLED)):
        facts.led_cycles[user_id].add(number if number is not None else INITIAL_AUDIT_KEY)


def consecutive_cycles_led(led: set[int], this_key: int) -> int:
    """How many cycles in a row, ending with this audit's, the person leads (counting this one,
    as the person leads this audit)."""
    led = led | {this_key}
    count, key = 0, this_key
    while key in led:
        count, key = count + 1, key - 1
    return count


@dataclass
class TeamFacts:
    """One audit's plan and its people, ready for `auditkit.rules.team.check_team`."""

    context: AuditContext
    plan: team_rules.AuditUnderPlan
    people: PeopleFacts
    policy: dict

    def member(self, row: MemberRow) -> team_rules.TeamMember:
        user_id = row.user_id
        times_led = 0
        if row.team_role == TeamRole.LEAD_AUDITOR and user_id is not None:
            times_led = consecutive_cycles_led(self.people.led_cycles.get(user_id, set()),
                                               self.context.cycle_key)
        return team_rules.TeamMember(
            person_ref=row.person_ref, name=row.name, audit_role=row.team_role,
            qualifications=tuple(self.people.qualifications.get(user_id, ())),
            languages=self.people.languages.get(user_id, frozenset()),
            engagements=tuple(self.people.engagements.get(user_id, ())),
            objected_by_client=bool(row.client_objection.strip()),
            objection_reason=row.client_objection,
            impartiality_declared=row.declared_at is not None,
            has_login=row.has_login,
            other_assignments=tuple(self.people.assignments.get(user_id, ())),
            times_led_client_cycles=times_led)

    def check(self, rows: list[MemberRow], *, confirming: bool = False) -> list:
        return team_rules.check_team(
            self.plan, [self.member(row) for row in rows],
            employment_cooling_off_years=int(self.policy["employment_cooling_off"]),
            max_consecutive_cycles_same_lead=int(self.policy["max_consecutive_cycles_same_lead"]),
            confirming=confirming)


def team_facts(db: Session, context: AuditContext, rows: list[MemberRow], *,
               start: date | None = None, end: date | None = None, language: str | None = None,
               objection_allowed: bool | None = None,
               policy: dict | None = None) -> TeamFacts:
    """Facts for the audit as stored, or as it would be with other dates or language."""
    audit = context.audit
    start = start or audit.start_date
    end = end or audit.end_date
    plan = plan_of(context, start, end, language or audit.language,
                   audit.client_objection_allowed if objection_allowed is None
                   else objection_allowed)
    people = people_facts(db, context, [row.user_id for row in rows], start=start)
    return TeamFacts(context, plan, people, policy if policy is not None else policy_values(db))


def _issue_key(issue) -> tuple:
    """A person's issue is the same issue when its rule and person are; its message may name
    new dates. A team's issue is the same when its rule and message are."""
    if issue.person_ref is not None:
        return issue.rule_id, issue.person_ref
    return issue.rule_id, None, issue.message


def new_blocks(before: list, after: list, candidate_ref: str | None = None) -> list:
    """The blocking issues a change brings that were not there before it; every block about a
    person being added is theirs (they may already be on the team: TEAM-08)."""
    known = {_issue_key(issue) for issue in before if issue.severity == team_rules.BLOCK}
    return [issue for issue in after if issue.severity == team_rules.BLOCK and (
        _issue_key(issue) not in known
        or (candidate_ref is not None and issue.person_ref == candidate_ref))]


# --- the programme: Stage 1 -> Stage 2 -------------------------------------------------------

THIS_AUDIT = "this audit"


def stage1_gap_warnings(db: Session, certification: Certification, *, audit_type: str,
                        start: date, end: date, audit_id: int | None, today: date,
                        policy: dict) -> list[cycle_rules.ProgrammeWarning]:
    """CYC-S1S2-03 for a Stage 2 (one query): the rules compare it with the certification's
    Stage 1 audits under the body's `max_stage1_to_stage2`, knowing whether someone recorded
    that Stage 1 is still valid."""
    if audit_type != AuditType.STAGE2:
        return []
    stage1s = [cycle_rules.PlannedAudit(row.audit_type, row.start_date, row.end_date,
                                        row.status, row.id)
               for row in db.exec(select(Audit).where(
                   Audit.certification_id == certification.id,
                   Audit.audit_type == AuditType.STAGE1,
                   Audit.status != AuditStatus.CANCELLED,
                   Audit.id != (audit_id or 0)))]
    if not stage1s:
        return []
    stage2 = cycle_rules.PlannedAudit(AuditType.STAGE2.value, start, end, id=THIS_AUDIT)
    return cycle_rules.check_programme(
        None, [*stage1s, stage2], today=today,
        policy=cycle_rules.CyclePolicy.from_values(policy),
        stage1_validated=bool(certification.stage1_still_valid_note.strip()))
