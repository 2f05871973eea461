"""The programme managers' dashboard: audits coming up, surveillance windows opening, hard
limits at risk or passed (CYC-SUR-02, CYC-SUR-01, CYC-REC-04), recertifications not yet
scheduled (CYC-REC-01) and certificates expiring.

A body may hold thousands of certifications, so the work is split in three. SQL narrows the
current cycles to the candidates that can carry one of those warnings today, from the dates
stored on each cycle and a few facts about its audits, aggregated in one pass (an outer join
grouped per cycle). The audits of all candidates come back in one query. The pure rules
(`check_programme`) then decide what is said, so no rule is re-derived here. The narrowing
may let through a cycle without a warning, but never drops one that has a warning (tests
compare it with the rules run on every certification). Lists are cut at LIST_LIMIT lines in
SQL, with the count of all. Every page runs the same number of queries however large the
body is.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from typing import NamedTuple

from dateutil.relativedelta import relativedelta
from sqlalchemy import and_, case, exists, func, or_
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from auditkit.accounts.policy import (
    sees_programmes,
    visible_audits,
    visible_certifications,
)
from auditkit.models import (
    Audit,
    AuditStatus,
    AuditTeamMember,
    AuditType,
    Certification,
    CertificationScheme,
    CertificationState,
    Client,
    Cycle,
    Role,
    Scheme,
    TeamRole,
    User,
    UserRole,
)
from auditkit.programmes.certifications import STATE_LABELS, scheme_lines
from auditkit.programmes.cycles import plan_of
from auditkit.programmes.services import today as body_today
from auditkit.rules.cycle import (
    DECISION_REMINDER_DAYS,
    SURVEILLANCE_1_REMINDER_DAYS,
    CyclePlan,
    PlannedAudit,
    ProgrammeWarning,
    check_programme,
)

LIST_LIMIT = 50  # rows shown per section; the count of the others is shown with the filters
WINDOW_DAYS = 60
EXPIRY_DAYS = 90
# Certifications whose programme runs: a suspended client still owes its audits (CYC-SUS-02).
MONITORED_STATES = (CertificationState.ACTIVE, CertificationState.SUSPENDED)
HARD_LIMIT_RULES = ("CYC-SUR-02", "CYC-SUR-01", "CYC-REC-04")
CALENDAR_YEARS_BACK = 2  # see _calendar_years
_SEVERITY_ORDER = {"block": 0, "warn": 1, "info": 2}
_TEAM_ORDER = {role.value: index for index, role in enumerate(TeamRole)}
_TEAM_ROLE_SHORT = {TeamRole.LEAD_AUDITOR: "lead", TeamRole.TECHNICAL_EXPERT: "expert",
                    TeamRole.OBSERVER: "observer"}


# --- what the page shows ---------------------------------------------------------------------

@dataclass(frozen=True)
class Filters:
    auditor_id: int | None = None
    scheme: str | None = None
    month: date | None = None  # the first day of the month to show

    @property
    def active(self) -> bool:
        return any(value is not None for value in (self.auditor_id, self.scheme, self.month))


@dataclass(frozen=True)
class Period:
    first: date
    last: date

    def __contains__(self, day: date) -> bool:
        return self.first <= day <= self.last


@dataclass(frozen=True)
class CertificationLabel:
    id: int
    reference: str
    client_id: int
    client_name: str


@dataclass(frozen=True)
class Fix:
    """Where a line is dealt with: planning a new audit of `audit_type`, or (without one) the
    certification's own page."""

    certification_id: int
    audit_type: str | None = None


@dataclass(frozen=True)
class AuditLine:
    id: int
    certification: CertificationLabel
    audit_type: str
    status: str
    start_date: date
    end_date: date
    team: tuple[str, ...] = ()

    @property
    def type_label(self) -> str:
        return AuditType(self.audit_type).label

    @property
    def status_label(self) -> str:
        return AuditStatus(self.status).label


@dataclass(frozen=True)
class WindowLine:
    """A surveillance window (1 or 2) opening in the period, from the cycle's stored dates."""

    certification: CertificationLabel
    surveillance: int
    opens: date
    closes: date
    scheduled: bool

    @property
    def fix(self) -> Fix:
        if self.scheduled:
            return Fix(self.certification.id)
        return Fix(self.certification.id, AuditType.SURVEILLANCE)


@dataclass(frozen=True)
class WarningLine:
    certification: CertificationLabel
    rule_id: str
    severity: str
    message: str
    date: date
    fix: Fix


@dataclass(frozen=True)
class ExpiryLine:
    certification: CertificationLabel
    state: str
    expiry: date
    recertification_start: date | None

    @property
    def state_label(self) -> str:
        return STATE_LABELS[CertificationState(self.state)]

    @property
    def fix(self) -> Fix:
        if self.recertification_start is not None:
            return Fix(self.certification.id)
        return Fix(self.certification.id, AuditType.RECERTIFICATION)


@dataclass(frozen=True)
class Section:
    lines: tuple
    total: int

    @property
    def hidden(self) -> int:
        return self.total - len(self.lines)


def _section(lines: list) -> Section:
    return Section(tuple(lines[:LIST_LIMIT]), len(lines))


def _limited(lines: list, rows) -> Section:
    """Lines of a query limited to LIST_LIMIT rows that carry the count of all as `total`."""
    return Section(tuple(lines), rows[0].total if rows else 0)


@dataclass(frozen=True)
class Dashboard:
    today: date
    filters: Filters
    audit_period: Period
    window_period: Period
    expiry_period: Period
    audits: Section
    programme_view: bool
    windows: Section = Section((), 0)
    hard_limits: Section = Section((), 0)
    recertifications: Section = Section((), 0)
    expiring: Section = Section((), 0)
    standards: dict[int, str] = field(default_factory=dict)

    def standards_of(self, certification_id: int) -> str:
        return self.standards.get(certification_id, "")


# --- the page --------------------------------------------------------------------------------

def dashboard(db: Session, user, filters: Filters) -> Dashboard:
    today = body_today(db)
    periods = {"audit_period": _audit_period(today, filters),
               "window_period": _month_or(filters, today, WINDOW_DAYS),
               "expiry_period": _month_or(filters, today, EXPIRY_DAYS)}
    audits = _audit_lines(db, user, filters, periods["audit_period"])
    if not sees_programmes(user):
        return Dashboard(today=today, filters=filters, audits=audits, programme_view=False,
                         standards=_standards(db, audits.lines), **periods)
    hard_limits, recertifications = _programme_warnings(db, user, filters, today)
    sections = {"audits": audits,
                "windows": _window_lines(db, user, filters, periods["window_period"]),
                "hard_limits": _section(hard_limits),
                "recertifications": _section(recertifications),
                "expiring": _expiry_lines(db, user, filters, periods["expiry_period"])}
    shown = [line for section in sections.values() for line in section.lines]
    return Dashboard(today=today, filters=filters, programme_view=True,
                     standards=_standards(db, shown), **sections, **periods)


def _audit_period(today: date, filters: Filters) -> Period:
    """This month and next, or the month asked for."""
    if filters.month is not None:
        return _whole_month(filters.month)
    first = today.replace(day=1)
    return Period(first, first + relativedelta(months=2) - timedelta(days=1))


def _month_or(filters: Filters, today: date, days: int) -> Period:
    if filters.month is not None:
        return _whole_month(filters.month)
    return Period(today, today + timedelta(days=days))


def _whole_month(first: date) -> Period:
    return Period(first, first + relativedelta(months=1) - timedelta(days=1))


def _standards(db: Session, lines) -> dict[int, str]:
    ids = {line.certification.id for line in lines}
    return {certification_id: " + ".join(line.label for line in scheme_list)
            for certification_id, scheme_list in scheme_lines(db, ids).items()}


def auditor_choices(db: Session) -> list[tuple[int, str]]:
    """Active users holding the auditor role, for the filter."""
    rows = db.exec(select(User.id, User.full_name)
                   .join(UserRole, UserRole.user_id == User.id)
                   .where(UserRole.role == Role.AUDITOR, User.is_active)
                   .order_by(User.full_name, User.id))
    return [(row.id, row.full_name) for row in rows]


def scheme_choices() -> list[tuple[str, str]]:
    return [(scheme.value, scheme.label) for scheme in Scheme]


# --- filters in SQL --------------------------------------------------------------------------

# An audit of the certification at hand, inside the sub-queries below.
_other = aliased(Audit, name="other_audit")


def _with_scheme(certification_id, scheme: str):
    return exists().where(CertificationScheme.certification_id == certification_id,
                          CertificationScheme.scheme == scheme)


def _audited_by(auditor_id: int):
    """The certification has an audit, held or planned, with this auditor on the team."""
    team = aliased(AuditTeamMember, name="filter_team")
    return exists().where(team.user_id == auditor_id, team.audit_id == _other.id,
                          _other.certification_id == Certification.id,
                          _other.status != AuditStatus.CANCELLED)


def _filter_certifications(query, filters: Filters):
    if filters.scheme is not None:
        query = query.where(_with_scheme(Certification.id, filters.scheme))
    if filters.auditor_id is not None:
        query = query.where(_audited_by(filters.auditor_id))
    return query


# The columns of CertificationLabel, first in every row below; the total of a limited list.
_LABEL_COLUMNS = (Certification.id, Certification.reference, Certification.client_id,
                  Client.name.label("client_name"))
_TOTAL = func.count().over().label("total")


def _current_cycles(user, filters: Filters, *columns):
    """Visible certifications in a monitored state, with their current cycle and client."""
    query = (visible_certifications(user)
             .join(Cycle, and_(Cycle.certification_id == Certification.id, Cycle.is_current))
             .join(Client, Client.id == Certification.client_id)
             .where(Certification.state.in_(MONITORED_STATES))
             .with_only_columns(*_LABEL_COLUMNS, *columns))
    return _filter_certifications(query, filters)


def _rows(db: Session, query) -> list:
    """Rows of several columns. The scoped queries start from one model, and SQLModel's exec()
    would then return the first column only."""
    return db.connection().execute(query).all()


def _label(row) -> CertificationLabel:
    return CertificationLabel(row.id, row.reference, row.client_id, row.client_name)


def _in_current_cycle(audit_type: AuditType) -> tuple:
    """Conditions on `_other`: a not-cancelled audit of this type in the certification's
    current cycle, i.e. ending after the cycle's decision (as check_programme counts them)."""
    return (_other.certification_id == Certification.id, _other.audit_type == audit_type,
            _other.status != AuditStatus.CANCELLED, _other.end_date > Cycle.decision_date)


# --- audits this month and next --------------------------------------------------------------

def _audit_lines(db: Session, user, filters: Filters, period: Period) -> Section:
    """Audits starting in the period, not cancelled, by first day: the lines shown and the
    count of all in one query, the teams of the lines shown in a second."""
    query = (visible_audits(user)
             .join(Certification, Certification.id == Audit.certification_id)
             .join(Client, Client.id == Certification.client_id)
             .where(Audit.status != AuditStatus.CANCELLED,
                    Audit.start_date.between(period.first, period.last))
             .with_only_columns(*_LABEL_COLUMNS, Audit.id.label("audit_id"), Audit.audit_type,
                                Audit.status, Audit.start_date, Audit.end_date, _TOTAL)
             .order_by(Audit.start_date, Client.name, Audit.id).limit(LIST_LIMIT))
    if filters.scheme is not None:
        query = query.where(_with_scheme(Audit.certification_id, filters.scheme))
    if filters.auditor_id is not None:
        team = aliased(AuditTeamMember, name="filter_team")
        query = query.where(exists().where(team.audit_id == Audit.id,
                                           team.user_id == filters.auditor_id))
    rows = _rows(db, query)
    teams = _teams(db, [row.audit_id for row in rows])
    return _limited([AuditLine(row.audit_id, _label(row), row.audit_type, row.status,
                               row.start_date, row.end_date, teams.get(row.audit_id, ()))
                     for row in rows], rows)


def _teams(db: Session, audit_ids: list[int]) -> dict[int, tuple[str, ...]]:
    """Team members of these audits, lead auditor first: one query."""
    rows = db.exec(select(AuditTeamMember.audit_id, AuditTeamMember.team_role,
                          AuditTeamMember.person_name, User.full_name)
                   .outerjoin(User, User.id == AuditTeamMember.user_id)
                   .where(AuditTeamMember.audit_id.in_(audit_ids)))
    members: dict[int, list] = defaultdict(list)
    for row in rows:
        name = row.full_name or row.person_name
        role = _TEAM_ROLE_SHORT.get(row.team_role)
        members[row.audit_id].append((_TEAM_ORDER.get(row.team_role, 99), name,
                                      f"{name} ({role})" if role else name))
    return {audit_id: tuple(text for _order, _name, text in sorted(found))
            for audit_id, found in members.items()}


# --- surveillance windows opening ------------------------------------------------------------

def _window_lines(db: Session, user, filters: Filters, period: Period) -> Section:
    """Surveillance 1 and 2 windows (stored on the cycle) opening in the period, not yet
    scheduled first. The two windows of a cycle open a year apart, so a period of a month or
    two holds at most one of them."""
    first_opens = Cycle.surveillance_1_window_start.between(period.first, period.last)
    surveillance = case((first_opens, 1), else_=2)
    planned = (select(func.count()).select_from(_other)
               .where(*_in_current_cycle(AuditType.SURVEILLANCE)).scalar_subquery())
    scheduled = case((planned >= surveillance, 1), else_=0).label("scheduled")
    opens = case((first_opens, Cycle.surveillance_1_window_start),
                 else_=Cycle.surveillance_2_window_start).label("opens")
    closes = case((first_opens, Cycle.surveillance_1_latest),
                  else_=Cycle.surveillance_2_window_end).label("closes")
    query = (_current_cycles(user, filters, surveillance.label("surveillance"), opens, closes,
                             scheduled, _TOTAL)
             .where(or_(first_opens,
                        Cycle.surveillance_2_window_start.between(period.first, period.last)))
             .order_by(scheduled, opens, Client.name, Certification.id).limit(LIST_LIMIT))
    rows = _rows(db, query)
    return _limited([WindowLine(_label(row), row.surveillance, row.opens, row.closes,
                                bool(row.scheduled)) for row in rows], rows)


# --- certificates expiring -------------------------------------------------------------------

def _expiry_lines(db: Session, user, filters: Filters, period: Period) -> Section:
    recertification_start = (select(func.min(_other.start_date))
                             .where(*_in_current_cycle(AuditType.RECERTIFICATION))
                             .scalar_subquery().label("recertification_start"))
    query = (_current_cycles(user, filters, Certification.state, Cycle.certificate_expiry,
                             recertification_start, _TOTAL)
             .where(Cycle.certificate_expiry.between(period.first, period.last))
             .order_by(Cycle.certificate_expiry, Client.name, Certification.id)
             .limit(LIST_LIMIT))
    rows = _rows(db, query)
    return _limited([ExpiryLine(_label(row), row.state, row.certificate_expiry,
                                row.recertification_start) for row in rows], rows)


# --- hard limits and recertifications: narrow in SQL, decide with the rules ------------------

class StoredCycle(NamedTuple):
    """The columns of a cycle that `plan_of` reads."""

    policy_json: str
    decision_date: date
    previous_expiry: date | None
    certificate_expiry: date
    surveillance_1_window_start: date
    surveillance_1_latest: date
    surveillance_2_window_start: date
    surveillance_2_window_end: date
    recertification_earliest: date
    recertification_target: date
    restoration_deadline: date


_STORED_CYCLE_COLUMNS = tuple(getattr(Cycle, name) for name in StoredCycle._fields)


@lru_cache(maxsize=10_000)
def _plan(stored: StoredCycle) -> CyclePlan:
    """A pure function of the stored columns; cached because reading the stored plan (JSON and
    policy checks) costs more than the programme check itself, and the same cycles come back
    on every view of the dashboard."""
    return plan_of(stored)


def _calendar_years(today: date) -> list[int]:
    """CYC-SUR-01 years looked at one by one: the last few, and the current year only from
    1 October, when the rule starts to warn. A cycle old enough to owe an earlier year is a
    candidate anyway (`_owes_older_years`)."""
    last = today.year if today >= date(today.year, 10, 1) else today.year - 1
    return list(range(_first_calendar_year(today), last + 1))


def _first_calendar_year(today: date) -> int:
    return today.year - CALENDAR_YEARS_BACK


def _owes_older_years(today: date):
    """A cycle decided before the year ahead of the first one looked at could owe a
    surveillance in a year not looked at. Normally its certificate has long expired (a
    candidate through CYC-REC-04 as well); a cycle taken on with an unusual expiry is checked
    by the rules all the same."""
    return Cycle.decision_date < date(_first_calendar_year(today) - 1, 1, 1)


# The audits of a candidate's current cycle, outer-joined so that each current cycle is one
# group: not cancelled and ending after the decision, as check_programme counts them.
_cycle_audit = aliased(Audit, name="cycle_audit")


class _Facts:
    """What the narrowing needs to know of a cycle's audits, as aggregates over its group:
    flags are 1 or 0 (0 too for a cycle without audits)."""

    def __init__(self, today: date):
        audit = _cycle_audit
        surveillance = audit.audit_type == AuditType.SURVEILLANCE
        recertification = audit.audit_type == AuditType.RECERTIFICATION
        completed = audit.status == AuditStatus.COMPLETED
        in_time = audit.end_date <= Cycle.surveillance_1_latest
        self.surveillance_1_completed = _any(surveillance, completed, in_time)
        self.surveillance_planned = _any(surveillance)
        self.surveillance_in_time = _any(surveillance, in_time)
        self.surveillance_late = _any(surveillance, ~in_time)
        self.surveillance_1_left_open = _any(surveillance, in_time, ~completed,
                                             audit.end_date < today)
        self.recertification_after_expiry = _any(recertification,
                                                 audit.end_date > Cycle.certificate_expiry)
        self.recertification_start = func.min(case((recertification, audit.start_date)))
        self.completed_in = {year: _any(surveillance, completed, audit.end_date.between(
            date(year, 1, 1), date(year, 12, 31))) for year in _calendar_years(today)}


def _any(*conditions):
    return func.max(case((and_(*conditions), 1), else_=0)) == 1


def _surveillance_1_at_risk(facts: _Facts, today: date):
    """CYC-SUR-02 can warn only when no surveillance was completed by the limit, and then
    only if the limit has passed, or is within the reminder days with nothing scheduled, or
    every scheduled one ends after it, or one in time has ended without being completed."""
    limit = Cycle.surveillance_1_latest
    return and_(
        ~facts.surveillance_1_completed,
        or_(limit < today,
            and_(limit <= today + timedelta(days=SURVEILLANCE_1_REMINDER_DAYS),
                 ~facts.surveillance_planned),
            and_(facts.surveillance_late, ~facts.surveillance_in_time),
            facts.surveillance_1_left_open))


def _calendar_years_at_risk(facts: _Facts, today: date) -> list:
    """CYC-SUR-01: a calendar year after the decision year with no completed surveillance,
    before the year the first recertification audit starts."""
    start = facts.recertification_start
    return [and_(Cycle.decision_date < date(year, 1, 1), ~completed,
                 or_(start.is_(None), start > date(year, 12, 31)))
            for year, completed in facts.completed_in.items()]


def _recertification_at_risk(facts: _Facts, today: date):
    """CYC-REC-04: expiry within the reminder days or passed, or a recertification audit
    ending after expiry; CYC-REC-01: its earliest start has come and none is scheduled."""
    return or_(
        Cycle.certificate_expiry <= today + timedelta(days=DECISION_REMINDER_DAYS),
        facts.recertification_after_expiry,
        and_(Cycle.recertification_earliest <= today, facts.recertification_start.is_(None)))


@lru_cache(maxsize=4)
def _at_risk(today: date):
    """The condition on a cycle's group of audits that every candidate meets; built once a
    day, as building the expression costs more than running it."""
    facts = _Facts(today)
    return or_(_surveillance_1_at_risk(facts, today), *_calendar_years_at_risk(facts, today),
               _owes_older_years(today), _recertification_at_risk(facts, today))


def _candidates(db: Session, user, filters: Filters, today: date) -> list:
    """Current cycles that may carry a hard-limit or recertification warning, with their
    stored dates. The inner query makes one pass over their audits, grouped per cycle (GROUP
    BY ... HAVING) on narrow rows; the stored plan is read for the candidates only."""
    at_risk = (_current_cycles(user, filters)
               .with_only_columns(Certification.id)
               .outerjoin(_cycle_audit, and_(_cycle_audit.certification_id == Certification.id,
                                             _cycle_audit.status != AuditStatus.CANCELLED,
                                             _cycle_audit.end_date > Cycle.decision_date))
               .group_by(Certification.id, Cycle.id)
               .having(_at_risk(today)))
    query = (_current_cycles(user, Filters(), *_STORED_CYCLE_COLUMNS)
             .where(Certification.id.in_(at_risk)))
    return _rows(db, query)


def _cycle_audits_of(db: Session, user, certification_ids: list[int]) -> dict[int, list]:
    """The not-cancelled audits of the current cycles of these certifications: one query."""
    query = (visible_audits(user)
             .join(Cycle, and_(Cycle.certification_id == Audit.certification_id,
                               Cycle.is_current))
             .where(Audit.certification_id.in_(certification_ids),
                    Audit.status != AuditStatus.CANCELLED,
                    Audit.end_date > Cycle.decision_date)
             .with_only_columns(Audit.id, Audit.certification_id, Audit.audit_type,
                                Audit.status, Audit.start_date, Audit.end_date))
    audits: dict[int, list] = defaultdict(list)
    for row in _rows(db, query):
        audits[row.certification_id].append(
            PlannedAudit(row.audit_type, row.start_date, row.end_date, row.status, row.id))
    return audits


def _programme_warnings(db: Session, user, filters: Filters,
                        today: date) -> tuple[list[WarningLine], list[WarningLine]]:
    """(hard limits at risk or passed, recertifications not yet scheduled)."""
    candidates = _candidates(db, user, filters, today)
    audits = _cycle_audits_of(db, user, [row.id for row in candidates])
    month = _whole_month(filters.month) if filters.month is not None else None
    found: dict[str, list[WarningLine]] = {"hard": [], "recertification": []}
    for row in candidates:
        plan = _plan(StoredCycle(*row[len(_LABEL_COLUMNS):]))
        for warning in check_programme(plan, audits.get(row.id, ()), today=today):
            place = _placement(warning)
            if place is None or (month is not None and warning.date not in month):
                continue
            found[place].append(WarningLine(_label(row), warning.rule_id, warning.severity,
                                            warning.message, warning.date,
                                            _fix(warning, row.id)))
    for lines in found.values():
        lines.sort(key=lambda line: (_SEVERITY_ORDER[line.severity], line.date,
                                     line.certification.client_name, line.rule_id))
    return found["hard"], found["recertification"]


def _placement(warning: ProgrammeWarning) -> str | None:
    """The section a warning belongs to, if any. CYC-SUR-01 is also the rule id of the body's
    gap policy between surveillance 1 and 2, which names the late audit; the calendar-year
    rule itself names none."""
    if warning.rule_id == "CYC-SUR-01":
        return "hard" if warning.audit_id is None else None
    if warning.rule_id in HARD_LIMIT_RULES:
        return "hard"
    if warning.rule_id == "CYC-REC-01" and warning.audit_id is None:
        return "recertification"
    return None


def _fix(warning: ProgrammeWarning, certification_id: int) -> Fix:
    """A missing audit is fixed by planning one; anything else on the certification's page
    (moving a planned audit, recording a decision or a state)."""
    if warning.audit_id is None and warning.rule_id in ("CYC-SUR-02", "CYC-SUR-01"):
        return Fix(certification_id, AuditType.SURVEILLANCE)
    if warning.audit_id is None and warning.rule_id == "CYC-REC-01":
        return Fix(certification_id, AuditType.RECERTIFICATION)
    return Fix(certification_id)
