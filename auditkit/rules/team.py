"""Audit team checks when an audit is scheduled (domain.md §5.3 TEAM-*, §5.4 IMP-*).

`check_team` returns every problem it finds as a `TeamIssue`; "block" means the team cannot be
confirmed as it is, "warn" means the body's policy or a record the user should see.

Who is checked for what:
- lead auditors and auditors: qualifications (TEAM-01, TEAM-03), language, familiarity (lead),
  conflicts (IMP-03), other audits (TEAM-08), client objection (TEAM-04), declaration (IMP-05);
- technical experts: not auditors (TEAM-03), so no scheme qualification is required, but their
  valid qualifications fill technical-area gaps; conflicts, other audits, objection and
  declaration are checked as for auditors;
- observers with a login are CB personnel who see the audit's records: conflicts, other audits,
  objection and declaration are checked, qualifications are not;
- observers without a login are named persons only (e.g. an accreditation-body witness):
  they are recorded on the team and nothing is checked.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from dateutil.relativedelta import relativedelta

from auditkit.rules.audit_time import AIMS, SCHEME_LABELS

QUALIFICATION_ROLES = ("lead_auditor", "auditor", "technical_expert")
AUDIT_ROLES = (*QUALIFICATION_ROLES, "observer")
AUDITING_ROLES = ("lead_auditor", "auditor")
ENGAGEMENT_KINDS = ("consultancy", "employment")
CONSULTANCY_COOLING_OFF_YEARS = 2  # IMP-02, IMP-03 (MUST)
BLOCK = "block"
WARN = "warn"


def _check_scheme(scheme: str) -> None:
    if scheme not in SCHEME_LABELS:
        raise ValueError(f"unknown scheme {scheme!r}; use one of {', '.join(SCHEME_LABELS)}")


def _frozen_strings(values: Iterable[str], what: str) -> frozenset[str]:
    if isinstance(values, str):
        raise TypeError(f"{what} must be a set of strings, not one string")
    return frozenset(values)


def _span(start: date, end: date) -> str:
    return f"{start:%Y-%m-%d}" if start == end else f"{start:%Y-%m-%d} to {end:%Y-%m-%d}"


@dataclass(frozen=True)
class Qualification:
    """A person's qualification for one scheme in one role (TEAM-01, TEAM-02)."""

    scheme: str
    role: str
    technical_areas: frozenset[str]
    valid_from: date
    valid_until: date | None = None

    def __post_init__(self) -> None:
        _check_scheme(self.scheme)
        if self.role not in QUALIFICATION_ROLES:
            raise ValueError(f"unknown qualification role {self.role!r}")
        if self.valid_until is not None and self.valid_until < self.valid_from:
            raise ValueError("a qualification cannot end before it starts")
        object.__setattr__(self, "technical_areas",
                           _frozen_strings(self.technical_areas, "technical_areas"))

    def valid_throughout(self, start: date, end: date) -> bool:
        """Valid on every day from `start` to `end`, not only today."""
        return self.valid_from <= start and (self.valid_until is None or self.valid_until >= end)


@dataclass(frozen=True)
class Engagement:
    """Consultancy for, or employment at, a client; `ended_on` None means it is ongoing."""

    kind: str
    client_ref: str
    ended_on: date | None = None

    def __post_init__(self) -> None:
        if self.kind not in ENGAGEMENT_KINDS:
            raise ValueError(f"unknown engagement kind {self.kind!r}")

    def conflicts_on(self, day: date, cooling_off_years: int) -> bool:
        """Ongoing, or ended less than `cooling_off_years` before `day`."""
        return self.ended_on is None or day < self.ended_on + relativedelta(
            years=cooling_off_years)


class Assignment(NamedTuple):
    """Another audit the person is on; a plain (start, end, audit_ref) tuple works too."""

    start: date
    end: date
    audit_ref: str


@dataclass(frozen=True)
class TeamMember:
    """A person proposed for the audit team.

    `times_led_client_cycles` counts the consecutive certification cycles of this client the
    person has led, including the cycle of this audit when they lead it (TEAM-07).
    `other_assignments` are the person's other audits; an entry with this audit's own
    `audit_ref` is ignored.
    """

    person_ref: str
    name: str
    audit_role: str
    qualifications: tuple[Qualification, ...] = ()
    languages: frozenset[str] = frozenset()
    engagements: tuple[Engagement, ...] = ()
    objected_by_client: bool = False
    objection_reason: str = ""
    impartiality_declared: bool = False
    has_login: bool = True
    other_assignments: tuple[Assignment, ...] = ()
    times_led_client_cycles: int = 0

    def __post_init__(self) -> None:
        if self.audit_role not in AUDIT_ROLES:
            raise ValueError(f"unknown audit role {self.audit_role!r}")
        cycles = self.times_led_client_cycles
        if isinstance(cycles, bool) or not isinstance(cycles, int) or cycles < 0:
            raise ValueError(f"times_led_client_cycles must be a whole number from 0, "
                             f"not {cycles!r}")
        object.__setattr__(self, "qualifications", tuple(self.qualifications))
        object.__setattr__(self, "engagements", tuple(self.engagements))
        object.__setattr__(self, "languages", _frozen_strings(self.languages, "languages"))
        object.__setattr__(self, "other_assignments",
                           tuple(Assignment(*entry) for entry in self.other_assignments))

    def speaks(self, language: str) -> bool:
        wanted = language.strip().casefold()
        return any(spoken.strip().casefold() == wanted for spoken in self.languages)

    def valid_qualifications(self, scheme: str, start: date, end: date,
                             roles: Sequence[str] = QUALIFICATION_ROLES) -> list[Qualification]:
        return [q for q in self.qualifications
                if q.scheme == scheme and q.role in roles and q.valid_throughout(start, end)]


@dataclass(frozen=True)
class AuditUnderPlan:
    """The audit the team is for. `technical_areas` are (scheme, area code) pairs, e.g.
    ("iso9001", "IAF 33"), because each scheme has its own technical areas.
    `client_objection_allowed` is False for short-notice and unannounced audits (CYC-SPE-02).
    `related_body_engagements` are consultancies of bodies related to the CB for this client
    (IMP-02)."""

    schemes: frozenset[str]
    start_date: date
    end_date: date
    client_ref: str
    technical_areas: frozenset[tuple[str, str]]
    language: str
    client_objection_allowed: bool = True
    audit_ref: str | None = None
    related_body_engagements: tuple[Engagement, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "schemes", _frozen_strings(self.schemes, "schemes"))
        if not self.schemes:
            raise ValueError("an audit covers at least one scheme")
        for scheme in self.schemes:
            _check_scheme(scheme)
        if self.end_date < self.start_date:
            raise ValueError("the audit cannot end before it starts")
        areas = frozenset(tuple(pair) for pair in self.technical_areas)
        for scheme, _area in areas:
            if scheme not in self.schemes:
                raise ValueError(f"technical area for {scheme!r}, which is not a scheme of this "
                                 "audit")
        object.__setattr__(self, "technical_areas", areas)
        related = tuple(self.related_body_engagements)
        if any(engagement.kind != "consultancy" for engagement in related):
            raise ValueError("related-body engagements are consultancies (IMP-02)")
        object.__setattr__(self, "related_body_engagements", related)

    def overlaps(self, assignment: Assignment) -> bool:
        return assignment.start <= self.end_date and assignment.end >= self.start_date


@dataclass(frozen=True)
class TeamIssue:
    rule_id: str
    severity: str
    message: str
    person_ref: str | None = None


def has_blocking_issue(issues: Iterable[TeamIssue]) -> bool:
    return any(issue.severity == BLOCK for issue in issues)


def check_team(audit: AuditUnderPlan, members: Sequence[TeamMember], *,
               employment_cooling_off_years: int = 2, max_consecutive_cycles_same_lead: int = 2,
               confirming: bool = False) -> list[TeamIssue]:
    """All team problems for `audit`: first each member's, in the order given, then those of
    the team as a whole. `employment_cooling_off_years` and `max_consecutive_cycles_same_lead`
    are the body's policies (IMP-03 DEFAULT, TEAM-07). With `confirming=True` a missing
    declaration blocks (IMP-05); while the team is still being put together it warns."""
    if employment_cooling_off_years < 0:
        raise ValueError("the employment cooling-off cannot be negative")
    if max_consecutive_cycles_same_lead < 1:
        raise ValueError("max_consecutive_cycles_same_lead must be at least 1")
    issues: list[TeamIssue] = []
    for member in members:
        if member.audit_role == "observer" and not member.has_login:
            continue
        issues += _qualification_issues(audit, member)
        issues += _conflict_issues(audit, member, employment_cooling_off_years)
        issues += _overlap_issues(audit, member)
        issues += _objection_issues(audit, member)
        issues += _declaration_issues(member, confirming)
        issues += _familiarity_issues(member, max_consecutive_cycles_same_lead)
    issues += _duplicate_issues(members)
    issues += _lead_issues(audit, members)
    issues += _coverage_issues(audit, members)
    issues += _language_issues(audit, members)
    issues += _related_body_issues(audit)
    return issues


# --- per member -----------------------------------------------------------------------------

def _qualification_issues(audit: AuditUnderPlan, member: TeamMember) -> list[TeamIssue]:
    """TEAM-01: an auditor or lead holds a qualification to audit each scheme, valid on every
    audit day. TEAM-03: a lead auditor also holds the lead qualification."""
    if member.audit_role not in AUDITING_ROLES:
        return []
    issues = []
    for scheme in sorted(audit.schemes):
        label = SCHEME_LABELS[scheme]
        if not member.valid_qualifications(scheme, audit.start_date, audit.end_date,
                                           AUDITING_ROLES):
            issues.append(TeamIssue("TEAM-01", BLOCK, f"{member.name}: "
                                    f"{_why_not_qualified(audit, member, scheme)}",
                                    member.person_ref))
        elif member.audit_role == "lead_auditor" and not member.valid_qualifications(
                scheme, audit.start_date, audit.end_date, ("lead_auditor",)):
            issues.append(TeamIssue(
                "TEAM-03", BLOCK, f"{member.name} is not qualified as lead auditor for {label} "
                f"on every day of the audit", member.person_ref))
    return issues


def _why_not_qualified(audit: AuditUnderPlan, member: TeamMember, scheme: str) -> str:
    label = SCHEME_LABELS[scheme]
    held = [q for q in member.qualifications if q.scheme == scheme and q.role in AUDITING_ROLES]
    if not held:
        return f"no qualification to audit {label}"
    starting_later = [q.valid_from for q in held if q.valid_from > audit.start_date]
    if starting_later:
        first = min(starting_later)
        return (f"the {label} qualification is valid only from {first:%Y-%m-%d}, not on every "
                f"day of the audit ({_span(audit.start_date, audit.end_date)})")
    last = max(q.valid_until for q in held if q.valid_until is not None)
    return (f"the {label} qualification expires on {last:%Y-%m-%d}, before the last audit day "
            f"{audit.end_date:%Y-%m-%d}")


def _conflict_issues(audit: AuditUnderPlan, member: TeamMember,
                     employment_cooling_off_years: int) -> list[TeamIssue]:
    """IMP-03: consultancy for the client within the last 2 years (MUST); employment at the
    client within the body's cooling-off period (DEFAULT policy)."""
    issues = []
    for engagement in member.engagements:
        if engagement.client_ref != audit.client_ref:
            continue
        if engagement.kind == "consultancy":
            if engagement.conflicts_on(audit.start_date, CONSULTANCY_COOLING_OFF_YEARS):
                issues.append(TeamIssue("IMP-03", BLOCK, f"{member.name} "
                                        f"{_engagement_text(engagement)} "
                                        "this client; 17021-1 requires 2 years to pass before "
                                        "they audit it", member.person_ref))
        elif engagement.conflicts_on(audit.start_date, employment_cooling_off_years):
            issues.append(TeamIssue("IMP-03", BLOCK, f"{member.name} "
                                    f"{_engagement_text(engagement)} this "
                                    f"client; the body's policy requires "
                                    f"{employment_cooling_off_years} years to pass",
                                    member.person_ref))
    return issues


_VERBS = {"consultancy": ("gives consultancy to", "gave consultancy to"),
          "employment": ("is employed by", "was employed by")}


def _engagement_text(engagement: Engagement) -> str:
    ongoing, ended = _VERBS[engagement.kind]
    if engagement.ended_on is None:
        return ongoing
    return f"{ended} (until {engagement.ended_on:%Y-%m-%d})"


def _overlap_issues(audit: AuditUnderPlan, member: TeamMember) -> list[TeamIssue]:
    """TEAM-08, auditkit's own check: one person cannot be on two audits on the same day."""
    return [TeamIssue("TEAM-08", BLOCK, f"{member.name} is also on audit {other.audit_ref} "
                      f"({_span(other.start, other.end)}), on the same days as this audit "
                      "(auditkit's own check: one person, one audit a day)", member.person_ref)
            for other in member.other_assignments
            if other.audit_ref != audit.audit_ref and audit.overlaps(other)]


def _objection_issues(audit: AuditUnderPlan, member: TeamMember) -> list[TeamIssue]:
    """TEAM-04: a recorded client objection blocks; CYC-SPE-02: not on short-notice or
    unannounced audits, where it is only recorded."""
    if not member.objected_by_client:
        return []
    reason = f": {member.objection_reason.strip()}" if member.objection_reason.strip() else ""
    if audit.client_objection_allowed:
        return [TeamIssue("TEAM-04", BLOCK, f"The client objected to {member.name}{reason}",
                          member.person_ref)]
    return [TeamIssue("CYC-SPE-02", WARN, f"The client objected to {member.name}{reason}; "
                      "recorded only, as the client cannot object to team members on a "
                      "short-notice or unannounced audit", member.person_ref)]


def _declaration_issues(member: TeamMember, confirming: bool) -> list[TeamIssue]:
    """IMP-05: each person signs a conflict-of-interest declaration for the audit."""
    if member.impartiality_declared:
        return []
    return [TeamIssue("IMP-05", BLOCK if confirming else WARN,
                      f"{member.name} has not signed the conflict-of-interest declaration for "
                      "this audit; the team cannot be confirmed without it", member.person_ref)]


def _familiarity_issues(member: TeamMember, max_cycles: int) -> list[TeamIssue]:
    """TEAM-07 (DEFAULT policy): rotate the lead auditor against familiarity."""
    if member.audit_role != "lead_auditor" or member.times_led_client_cycles <= max_cycles:
        return []
    return [TeamIssue("TEAM-07", WARN, f"{member.name} would lead this client for "
                      f"{member.times_led_client_cycles} consecutive cycles; the body's policy is "
                      f"at most {max_cycles}", member.person_ref)]


# --- the team as a whole --------------------------------------------------------------------

def _duplicate_issues(members: Sequence[TeamMember]) -> list[TeamIssue]:
    """TEAM-08, auditkit's own check: a person appears once on a team."""
    seen: dict[str, TeamMember] = {}
    issues = []
    for member in members:
        if member.person_ref in seen:
            issues.append(TeamIssue("TEAM-08", BLOCK, f"{member.name} is on the team twice "
                                    "(auditkit's own check)", member.person_ref))
        seen.setdefault(member.person_ref, member)
    return issues


def _lead_issues(audit: AuditUnderPlan, members: Sequence[TeamMember]) -> list[TeamIssue]:
    """TEAM-03: exactly one lead auditor."""
    leads = [member for member in members if member.audit_role == "lead_auditor"]
    if not leads:
        return [TeamIssue("TEAM-03", BLOCK, "The team has no lead auditor")]
    if len(leads) > 1:
        names = ", ".join(member.name for member in leads)
        return [TeamIssue("TEAM-03", BLOCK, f"The team has {len(leads)} lead auditors "
                          f"({names}); name exactly one")]
    return []


def team_coverage(audit: AuditUnderPlan,
                  members: Sequence[TeamMember]) -> dict[tuple[str, str], tuple[str, ...]]:
    """TEAM-03, TEAM-06: for each (scheme, technical area) of the audit, the person_refs whose
    qualification for that scheme covers the area on every audit day. Observers do not count."""
    return {(scheme, area): tuple(
        member.person_ref for member in members
        if member.audit_role != "observer" and any(
            area in q.technical_areas
            for q in member.valid_qualifications(scheme, audit.start_date, audit.end_date)))
        for scheme, area in sorted(audit.technical_areas)}


def _coverage_issues(audit: AuditUnderPlan, members: Sequence[TeamMember]) -> list[TeamIssue]:
    """TEAM-03 (TEAM-06 for ISO/IEC 42001): the team together covers every technical area of
    the client; a technical expert may fill a gap."""
    return [TeamIssue("TEAM-06" if scheme == AIMS else "TEAM-03", BLOCK,
                      f"Nobody on the team is qualified for the {SCHEME_LABELS[scheme]} "
                      f"technical area {area} on every day of the audit")
            for (scheme, area), covering in team_coverage(audit, members).items()
            if not covering]


def _language_issues(audit: AuditUnderPlan, members: Sequence[TeamMember]) -> list[TeamIssue]:
    """TEAM-03: at least one auditor (lead or auditor) speaks the audit language."""
    if any(member.audit_role in AUDITING_ROLES and member.speaks(audit.language)
           for member in members):
        return []
    return [TeamIssue("TEAM-03", BLOCK, f"No auditor on the team speaks {audit.language}, the "
                      "language of the audit")]


def _related_body_issues(audit: AuditUnderPlan) -> list[TeamIssue]:
    """IMP-02 (MUST): no certification until 2 years after a related body's consultancy."""
    return [TeamIssue("IMP-02", BLOCK, "A body related to the certification body "
                      f"{_engagement_text(engagement)} this client; it "
                      "cannot be certified until 2 years after the consultancy ended")
            for engagement in audit.related_body_engagements
            if engagement.client_ref == audit.client_ref
            and engagement.conflicts_on(audit.start_date, CONSULTANCY_COOLING_OFF_YEARS)]
