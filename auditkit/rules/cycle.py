"""Certification-cycle dates and programme checks (domain.md §1.3-1.7 and §1.11).

Pure functions over `datetime.date` values. Month arithmetic uses calendar months with
end-of-month clamping (31 January + 1 month = 28/29 February); where a rule subtracts a day,
the months are added first and the day is subtracted afterwards.

The plan of a cycle (`plan_cycle`, `plan_restored_cycle`) holds every date the programme is
measured against; `check_programme` compares the audits a programme manager has planned or held
with that plan as of a given day and returns warnings carrying the rule id they come from.
"""

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta

from dateutil.relativedelta import relativedelta

from auditkit.rules.policies import POLICIES_BY_NAME, PolicyDefinition

__all__ = [
    "AUDIT_STATUSES",
    "AUDIT_TYPES",
    "SEVERITIES",
    "CyclePlan",
    "CyclePolicy",
    "PlannedAudit",
    "ProgrammeWarning",
    "check_programme",
    "initial_expiry",
    "initial_major_nc_verification_deadline",
    "plan_continued_cycle",
    "plan_cycle",
    "plan_restored_cycle",
    "restoration_deadline",
    "stage2_latest_without_revalidation",
    "suspension_end",
]

CYCLE_YEARS = 3  # CYC-VAL-01
SURVEILLANCE_1_LIMIT_MONTHS = 12  # CYC-SUR-02
SURVEILLANCE_2_TARGET_MONTHS = 24  # CYC-SUR-03, §1.6 table
MAJOR_NC_VERIFICATION_MONTHS = 6  # CYC-DEC-03
RESTORATION_MONTHS = 6  # CYC-REC-05
EXTRAORDINARY_RESTORATION_MONTHS = 12  # CYC-REC-06, manual override only

SURVEILLANCE_1_REMINDER_DAYS = 90  # §1.11: warn at T-90, -60 and -30 days
STAGE2_REMINDER_DAYS = 30
DECISION_REMINDER_DAYS = 30

AUDIT_TYPES = (
    "stage1", "stage2", "surveillance", "recertification", "special_scope_extension",
    "special_short_notice", "transfer_review", "transfer_visit", "nc_follow_up", "internal",
)
AUDIT_STATUSES = ("planned", "confirmed", "in_progress", "completed", "cancelled")
SEVERITIES = ("info", "warn", "block")
_SEVERITY_RANK = {"block": 0, "warn": 1, "info": 2}

_MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)


# --- policy -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CyclePolicy:
    """The body's `cb_policy.*` settings that shape a cycle; defaults as in policies.py.

    Values are checked against the policy catalogue (choices and ranges) on creation.
    """

    expiry_convention: str = "minus_one_day"  # CYC-VAL-03
    max_stage1_to_stage2: int = 6  # CYC-S1S2-03
    surveillance_1_window_start: int = 9
    surveillance_2_window_before: int = 3
    surveillance_2_window_after: int = 3
    surveillance_gap_warning: int = 15
    surveillance_anchor: str = "decision_date"
    recertification_target: int = 3  # CYC-REC-01
    recertification_earliest: int = 6  # CYC-REC-01
    recertification_finish_before_expiry: int = 2
    max_suspension: int = 6  # CYC-SUS-03

    def __post_init__(self) -> None:
        for policy_field in fields(self):
            _check_policy_value(POLICIES_BY_NAME[policy_field.name],
                                getattr(self, policy_field.name))

    @classmethod
    def from_values(cls, values: Mapping[str, object]) -> "CyclePolicy":
        """Build from the body's policy dict: unrelated keys and None are ignored, missing keys
        take the default, names may carry the `cb_policy.` prefix, and text values are parsed
        as the policy catalogue parses them."""
        known = {policy_field.name for policy_field in fields(cls)}
        chosen: dict[str, object] = {}
        for raw_name, value in values.items():
            name = raw_name.removeprefix("cb_policy.")
            if name not in known or value is None:
                continue
            if isinstance(value, str):
                value = POLICIES_BY_NAME[name].parse(value)
            chosen[name] = value
        return cls(**chosen)  # type: ignore[arg-type]


def _check_policy_value(definition: PolicyDefinition, value: object) -> None:
    if definition.kind == "choice":
        allowed = [choice for choice, _ in definition.choices]
        if value not in allowed:
            raise ValueError(f"{definition.qualified_name} must be one of "
                             f"{', '.join(allowed)}, not {value!r}.")
        return
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"{definition.qualified_name} must be a whole number of "
                         f"{definition.kind}, not {value!r}.")
    if not definition.minimum <= value <= definition.maximum:
        raise ValueError(f"{definition.qualified_name} must be from {definition.minimum} to "
                         f"{definition.maximum} {definition.kind}, not {value}.")


# --- date helpers -----------------------------------------------------------------------------


def _require_date(value: object, name: str) -> date:
    if isinstance(value, datetime) or not isinstance(value, date):
        raise TypeError(f"{name} must be a date (datetime.date without a time), "
                        f"not {value!r}.")
    return value


def _months_after(start: date, months: int) -> date:
    return start + relativedelta(months=months)


def _months_before(end: date, months: int) -> date:
    return end - relativedelta(months=months)


def _day(value: date) -> str:
    """A date as a programme manager reads it: 14 March 2027."""
    return f"{value.day} {_MONTH_NAMES[value.month - 1]} {value.year}"


def _months_text(months: int) -> str:
    return "1 month" if months == 1 else f"{months} months"


# --- single dates from §1.11 ------------------------------------------------------------------


def initial_expiry(decision_date: date, policy: CyclePolicy | None = None) -> date:
    """CYC-VAL-01/03: decision date + 3 years, minus one day under `minus_one_day`."""
    policy = policy if policy is not None else CyclePolicy()
    expiry = _require_date(decision_date, "decision_date") + relativedelta(years=CYCLE_YEARS)
    if policy.expiry_convention == "minus_one_day":
        expiry -= timedelta(days=1)
    return expiry


def restoration_deadline(expiry: date, *, extraordinary_event: bool = False) -> date:
    """CYC-REC-05: last day certification may be restored after expiry (6 months). CYC-REC-06:
    12 months only under a recorded extraordinary event, never automatically."""
    months = EXTRAORDINARY_RESTORATION_MONTHS if extraordinary_event else RESTORATION_MONTHS
    return _months_after(_require_date(expiry, "expiry"), months)


def stage2_latest_without_revalidation(stage1_end: date,
                                       policy: CyclePolicy | None = None) -> date:
    """CYC-S1S2-03: latest Stage 2 start before Stage 1 must be revalidated or repeated."""
    policy = policy if policy is not None else CyclePolicy()
    return _months_after(_require_date(stage1_end, "stage1_end"), policy.max_stage1_to_stage2)


def initial_major_nc_verification_deadline(stage2_end: date) -> date:
    """CYC-DEC-03: majors not verified by S2_end + 6 months need another Stage 2."""
    return _months_after(_require_date(stage2_end, "stage2_end"), MAJOR_NC_VERIFICATION_MONTHS)


def suspension_end(suspended_on: date, policy: CyclePolicy | None = None) -> date:
    """CYC-SUS-03: after this day withdrawal or reduction of scope is proposed."""
    policy = policy if policy is not None else CyclePolicy()
    return _months_after(_require_date(suspended_on, "suspended_on"), policy.max_suspension)


# --- the plan of a cycle ----------------------------------------------------------------------


@dataclass(frozen=True)
class CyclePlan:
    """Every date of one 3-year cycle (§1.11). Windows are inclusive `(first day, last day)`.

    `surveillance_anchor_date` is the day the surveillance dates are measured from: the decision
    date, or the original anniversary under `surveillance_anchor = original_anniversary`.
    """

    decision_date: date
    certificate_expiry: date
    surveillance_anchor_date: date
    surveillance_1_window: tuple[date, date]
    surveillance_1_latest: date
    surveillance_2_window: tuple[date, date]
    surveillance_2_target: date
    recertification_earliest: date
    recertification_target: date
    recertification_finish_by: date
    recertification_decision_deadline: date
    restoration_deadline: date
    previous_expiry: date | None = None
    restored: bool = False
    policy: CyclePolicy = field(default_factory=CyclePolicy)

    @property
    def certificate_effective(self) -> date:
        """CYC-VAL-02: never before the decision date; auditkit uses the decision date."""
        return self.decision_date


def plan_cycle(decision_date: date, policy: CyclePolicy | None = None, *,
               previous_expiry: date | None = None,
               anchor_date: date | None = None) -> CyclePlan:
    """The dates of the cycle that starts with this certification decision.

    previous_expiry: the expiry of the certificate being renewed, for a recertification decided
    on or before that expiry; the new expiry is then previous_expiry + 3 years (CYC-VAL-04).
    A decision after the previous expiry is a restoration (`plan_restored_cycle`) or, past the
    restoration deadline, a new initial certification: ValueError.

    anchor_date: the original certification (decision) date. Used only when the policy says
    `surveillance_anchor = original_anniversary`; the surveillance dates are then measured from
    the anniversary of anchor_date nearest to this decision. Without it, or under
    `decision_date`, they are measured from the decision date (also right for a first cycle).
    """
    policy = policy if policy is not None else CyclePolicy()
    _require_date(decision_date, "decision_date")
    if previous_expiry is None:
        return _build_plan(decision_date, initial_expiry(decision_date, policy), policy,
                           anchor_date=anchor_date)
    _require_date(previous_expiry, "previous_expiry")
    if previous_expiry < decision_date:
        raise ValueError(
            f"The previous certificate expired on {_day(previous_expiry)}, before this decision "
            f"on {_day(decision_date)}. A decision after expiry is a restoration (CYC-REC-05, "
            f"use plan_restored_cycle) or, after the restoration deadline, a lapse that needs a "
            f"new initial certification; it is not a recertification before expiry (CYC-VAL-04).")
    return _build_plan(decision_date, previous_expiry + relativedelta(years=CYCLE_YEARS), policy,
                       previous_expiry=previous_expiry, anchor_date=anchor_date)


def plan_restored_cycle(decision_date: date, previous_expiry: date,
                        policy: CyclePolicy | None = None, *,
                        anchor_date: date | None = None,
                        extraordinary_event: bool = False) -> CyclePlan:
    """CYC-REC-05: certification restored by a decision after the previous expiry.

    The decision must fall after previous_expiry and no later than 6 months after it (12 with a
    recorded extraordinary event, CYC-REC-06). The expiry stays based on the prior cycle:
    previous_expiry + 3 years; surveillance dates are measured as in `plan_cycle`.
    """
    policy = policy if policy is not None else CyclePolicy()
    _require_date(decision_date, "decision_date")
    _require_date(previous_expiry, "previous_expiry")
    if decision_date <= previous_expiry:
        raise ValueError(
            f"The decision on {_day(decision_date)} is not after the previous expiry on "
            f"{_day(previous_expiry)}: that is a recertification before expiry (CYC-VAL-04), "
            f"plan it with plan_cycle(previous_expiry=...).")
    deadline = restoration_deadline(previous_expiry, extraordinary_event=extraordinary_event)
    if decision_date > deadline:
        raise ValueError(
            f"The decision on {_day(decision_date)} is after the restoration deadline of "
            f"{_day(deadline)} (CYC-REC-05): certification can no longer be restored and at "
            f"least a Stage 2 is needed; plan the new cycle with plan_cycle(decision_date).")
    return _build_plan(decision_date, previous_expiry + relativedelta(years=CYCLE_YEARS), policy,
                       previous_expiry=previous_expiry, restored=True, anchor_date=anchor_date)


def _surveillance_anchor(decision_date: date, policy: CyclePolicy,
                         anchor_date: date | None) -> date:
    if policy.surveillance_anchor != "original_anniversary" or anchor_date is None:
        return decision_date
    _require_date(anchor_date, "anchor_date")
    if anchor_date > _months_after(decision_date, 12):
        raise ValueError(f"The original certification date {_day(anchor_date)} lies more than "
                         f"a year after the decision on {_day(decision_date)}.")
    return _nearest_anniversary(anchor_date, decision_date)


def _nearest_anniversary(original: date, near: date) -> date:
    years = max(0, near.year - original.year)
    candidates = [original + relativedelta(years=n) for n in (years - 1, years, years + 1)
                  if n >= 0]
    return min(candidates, key=lambda anniversary: (abs((anniversary - near).days), anniversary))


def _build_plan(decision_date: date, expiry: date, policy: CyclePolicy, *,
                previous_expiry: date | None = None, restored: bool = False,
                anchor_date: date | None = None) -> CyclePlan:
    anchor = _surveillance_anchor(decision_date, policy, anchor_date)
    surveillance_1_latest = _months_after(anchor, SURVEILLANCE_1_LIMIT_MONTHS)
    surveillance_2_window = (
        _months_after(anchor, SURVEILLANCE_2_TARGET_MONTHS - policy.surveillance_2_window_before),
        _months_after(anchor, SURVEILLANCE_2_TARGET_MONTHS + policy.surveillance_2_window_after),
    )
    return CyclePlan(
        decision_date=decision_date,
        certificate_expiry=expiry,
        surveillance_anchor_date=anchor,
        surveillance_1_window=(_months_after(anchor, policy.surveillance_1_window_start),
                               surveillance_1_latest),
        surveillance_1_latest=surveillance_1_latest,
        surveillance_2_window=surveillance_2_window,
        surveillance_2_target=_months_after(anchor, SURVEILLANCE_2_TARGET_MONTHS),
        recertification_earliest=_months_before(expiry, policy.recertification_earliest),
        recertification_target=_months_before(expiry, policy.recertification_target),
        recertification_finish_by=_months_before(expiry,
                                                 policy.recertification_finish_before_expiry),
        recertification_decision_deadline=expiry,
        restoration_deadline=restoration_deadline(expiry),
        previous_expiry=previous_expiry,
        restored=restored,
        policy=policy,
    )


# --- audits and warnings ----------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedAudit:
    """One audit of the programme as the checks see it (types from domain.md §1.1).

    `id` is anything hashable the caller uses to find the audit again; warnings pass it back.
    """

    audit_type: str
    start_date: date
    end_date: date
    status: str = "planned"
    id: Hashable | None = None

    def __post_init__(self) -> None:
        if self.audit_type not in AUDIT_TYPES:
            raise ValueError(f"Unknown audit type {self.audit_type!r}; expected one of "
                             f"{', '.join(AUDIT_TYPES)}.")
        if self.status not in AUDIT_STATUSES:
            raise ValueError(f"Unknown audit status {self.status!r}; expected one of "
                             f"{', '.join(AUDIT_STATUSES)}.")
        _require_date(self.start_date, "start_date")
        _require_date(self.end_date, "end_date")
        if self.end_date < self.start_date:
            raise ValueError(f"The {self.audit_type} audit cannot end on {_day(self.end_date)}, "
                             f"before it starts on {_day(self.start_date)}.")

    @property
    def completed(self) -> bool:
        return self.status == "completed"

    def still_ahead(self, today: date) -> bool:
        """Not completed yet, and its last day has not passed."""
        return not self.completed and self.end_date >= today


@dataclass(frozen=True)
class ProgrammeWarning:
    """A remark on the programme: `block` breaks a rule, `warn` needs attention soon,
    `info` is for the record. `date` is the day the warning is about."""

    rule_id: str
    severity: str
    message: str
    date: date
    audit_id: Hashable | None = None

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"Unknown severity {self.severity!r}; expected one of "
                             f"{', '.join(SEVERITIES)}.")
        _require_date(self.date, "date")


def check_programme(plan: CyclePlan | None, audits: Iterable[PlannedAudit], *, today: date,
                    policy: CyclePolicy | None = None, stage1_validated: bool = False,
                    recertification_decided: bool = False) -> list[ProgrammeWarning]:
    """Warnings about one client's programme for one scheme as of `today`.

    plan: the current cycle, or None while the initial audit is under way (no decision yet);
    then only the Stage 1 -> Stage 2 checks run (CYC-S1S2-03). With a plan, the audits that
    end after its decision date are this cycle's: surveillance (CYC-SUR-01/02/03) and
    recertification (CYC-REC-01/03/04/05) checks run.
    audits: every audit of the client and scheme; cancelled audits count for nothing.
    Surveillance audits are numbered in order of their last day within the cycle.
    policy: defaults to the plan's policy (or the defaults when plan is None).
    stage1_validated: someone recorded that Stage 1 is still valid despite the gap.
    recertification_decided: the recertification decision for this cycle has been taken; the
    recertification and expiry checks are then skipped (the next cycle's plan takes over).
    Returns the warnings ordered block, warn, info, then by date.
    """
    _require_date(today, "today")
    if policy is None:
        policy = plan.policy if plan is not None else CyclePolicy()
    active = [audit for audit in audits if audit.status != "cancelled"]
    if plan is None:
        found = _stage1_to_stage2(active, today, policy, stage1_validated)
    else:
        found = _cycle_checks(plan, active, today, policy, recertification_decided)
    return sorted(found, key=lambda w: (_SEVERITY_RANK[w.severity], w.date, w.rule_id))


def _cycle_checks(plan: CyclePlan, active: list[PlannedAudit], today: date,
                  policy: CyclePolicy, recertification_decided: bool) -> list[ProgrammeWarning]:
    in_cycle = [audit for audit in active if audit.end_date > plan.decision_date]
    surveillances = _in_order(audit for audit in in_cycle if audit.audit_type == "surveillance")
    recertifications = sorted((audit for audit in in_cycle
                               if audit.audit_type == "recertification"),
                              key=lambda audit: (audit.start_date, audit.end_date))
    found = [
        *_surveillance_1_limit(plan, surveillances, today),
        *_calendar_years(plan, surveillances, recertifications, today),
        *_surveillance_2_window(plan, surveillances, today),
        *_surveillance_gap(surveillances, policy),
    ]
    if not recertification_decided:
        found += _recertification_schedule(plan, recertifications, today)
        found += _recertification_decision(plan, today)
    return found


def _in_order(audits: Iterable[PlannedAudit]) -> list[PlannedAudit]:
    return sorted(audits, key=lambda audit: (audit.end_date, audit.start_date))


# --- CYC-S1S2-03 ------------------------------------------------------------------------------


def _stage1_to_stage2(active: list[PlannedAudit], today: date, policy: CyclePolicy,
                      stage1_validated: bool) -> list[ProgrammeWarning]:
    """CYC-S1S2-03: Stage 2 starting more than max_stage1_to_stage2 after Stage 1 ended is
    blocked unless Stage 1 was recorded as still valid; repeating Stage 1 more than once is an
    impartiality flag."""
    stage1s = _in_order(audit for audit in active if audit.audit_type == "stage1")
    if not stage1s:
        return []
    found = _repeated_stage1(stage1s)
    stage1 = stage1s[-1]
    latest = stage2_latest_without_revalidation(stage1.end_date, policy)
    gap = _months_text(policy.max_stage1_to_stage2)
    stage2 = min((audit for audit in active if audit.audit_type == "stage2"
                  and audit.start_date >= stage1.start_date),
                 key=lambda audit: audit.start_date, default=None)
    if stage2 is not None:
        if stage2.start_date <= latest:
            return found
        if stage1_validated:
            return [*found, ProgrammeWarning(
                "CYC-S1S2-03", "info",
                f"Stage 2 starts on {_day(stage2.start_date)}, more than {gap} after Stage 1 "
                f"ended on {_day(stage1.end_date)}; Stage 1 has been recorded as still valid.",
                stage2.start_date, stage2.id)]
        return [*found, ProgrammeWarning(
            "CYC-S1S2-03", "block",
            f"Stage 2 starts on {_day(stage2.start_date)}, more than {gap} after Stage 1 ended "
            f"on {_day(stage1.end_date)} (your body's limit). Record that Stage 1 is still "
            f"valid, with a justification, or plan a repeat Stage 1.",
            stage2.start_date, stage2.id)]
    if stage1_validated:
        return found
    if today > latest:
        return [*found, ProgrammeWarning(
            "CYC-S1S2-03", "block",
            f"Stage 1 ended on {_day(stage1.end_date)} and no Stage 2 started by {_day(latest)} "
            f"(your body's limit of {gap}). Record that Stage 1 is still valid, with a "
            f"justification, or plan a repeat Stage 1 before scheduling Stage 2.",
            latest, stage1.id)]
    if (latest - today).days <= STAGE2_REMINDER_DAYS:
        return [*found, ProgrammeWarning(
            "CYC-S1S2-03", "warn",
            f"No Stage 2 is scheduled yet. It must start by {_day(latest)}, {gap} after Stage 1 "
            f"ended, or Stage 1 has to be revalidated or repeated.",
            latest, stage1.id)]
    return found


def _repeated_stage1(stage1s: list[PlannedAudit]) -> list[ProgrammeWarning]:
    if len(stage1s) <= 2:
        return []
    last = stage1s[-1]
    return [ProgrammeWarning(
        "CYC-S1S2-03", "warn",
        f"Stage 1 has been held or planned {len(stage1s)} times, the last ending on "
        f"{_day(last.end_date)}. Repeating Stage 1 more than once is an impartiality concern: "
        f"record why.", last.end_date, last.id)]


# --- surveillance -----------------------------------------------------------------------------


def _surveillance_1_limit(plan: CyclePlan, surveillances: list[PlannedAudit],
                          today: date) -> list[ProgrammeWarning]:
    """CYC-SUR-02: the first surveillance ends no later than 12 months after the decision.
    Warn from 90 days before the limit if none is scheduled; block once the limit has passed
    without a completed one, or when the first scheduled one ends after it (CYC-SUS-01)."""
    limit = plan.surveillance_1_latest
    in_time = [audit for audit in surveillances if audit.end_date <= limit]
    if any(audit.completed for audit in in_time):
        return []
    if surveillances and not in_time:
        first = surveillances[0]
        return [ProgrammeWarning(
            "CYC-SUR-02", "block",
            f"Surveillance 1 ends on {_day(first.end_date)}, after {_day(limit)}. The first "
            f"surveillance audit must be held no later than 12 months after "
            f"{_anchor_text(plan)}: move it, or propose suspension.", limit, first.id)]
    if today > limit:
        return [ProgrammeWarning(
            "CYC-SUR-02", "block",
            f"No surveillance audit was completed by {_day(limit)}, 12 months after "
            f"{_anchor_text(plan)}. This is a ground for a suspension proposal (CYC-SUS-01).",
            limit, in_time[0].id if in_time else None)]
    if in_time:
        return _stale_surveillance_1(in_time[0], limit, today)
    days_left = (limit - today).days
    if days_left > SURVEILLANCE_1_REMINDER_DAYS:
        return []
    return [ProgrammeWarning(
        "CYC-SUR-02", "warn",
        f"No surveillance audit is scheduled yet. Surveillance 1 must end by {_day(limit)}, "
        f"{_days_text(days_left)}.", limit)]


def _anchor_text(plan: CyclePlan) -> str:
    if plan.surveillance_anchor_date == plan.decision_date:
        return f"the certification decision on {_day(plan.decision_date)}"
    return f"the certification anniversary on {_day(plan.surveillance_anchor_date)}"


def _stale_surveillance_1(audit: PlannedAudit, limit: date,
                          today: date) -> list[ProgrammeWarning]:
    if audit.still_ahead(today):
        return []
    return [ProgrammeWarning(
        "CYC-SUR-02", "warn",
        f"Surveillance 1 was planned to end on {_day(audit.end_date)} but is not recorded as "
        f"completed. It must be completed by {_day(limit)}.", limit, audit.id)]


def _days_text(days_left: int) -> str:
    if days_left == 0:
        return "which is today"
    return "in 1 day" if days_left == 1 else f"in {days_left} days"


def _calendar_years(plan: CyclePlan, surveillances: list[PlannedAudit],
                    recertifications: list[PlannedAudit],
                    today: date) -> list[ProgrammeWarning]:
    """CYC-SUR-01: a surveillance audit in every calendar year after the decision year, except
    the year the recertification audit takes place; years after it belong to the next cycle's
    decision year. An audit counts for the year of its last day. Warn from 1 October, block from
    1 January."""
    recertification_year = _recertification_year(plan, recertifications, today)
    found = []
    for year in range(plan.decision_date.year + 1, recertification_year):
        warning = _calendar_year(year, [audit for audit in surveillances
                                        if audit.end_date.year == year], today)
        if warning is not None:
            found.append(warning)
    return found


def _recertification_year(plan: CyclePlan, recertifications: list[PlannedAudit],
                          today: date) -> int:
    """The year of the first scheduled recertification audit; unscheduled, the year of its
    target, or the current year once the target year has passed without one."""
    if recertifications:
        return recertifications[0].start_date.year
    return max(plan.recertification_target.year, today.year)


def _calendar_year(year: int, surveillances: list[PlannedAudit],
                   today: date) -> ProgrammeWarning | None:
    year_end = date(year, 12, 31)
    if any(audit.completed for audit in surveillances):
        return None
    if today > year_end:
        return ProgrammeWarning(
            "CYC-SUR-01", "block",
            f"No surveillance audit was completed in {year}. The standard requires one in every "
            f"calendar year of the cycle except the year of the recertification audit; this is a "
            f"ground for a suspension proposal (CYC-SUS-01).", year_end)
    if today < date(year, 10, 1) or any(audit.still_ahead(today) for audit in surveillances):
        return None
    return ProgrammeWarning(
        "CYC-SUR-01", "warn",
        f"No surveillance audit is scheduled for the rest of {year}. One must be held by "
        f"{_day(year_end)} to meet the calendar-year rule.", year_end)


def _surveillance_2_window(plan: CyclePlan, surveillances: list[PlannedAudit],
                           today: date) -> list[ProgrammeWarning]:
    """CYC-SUR-03 with the body's window (default target 24 months after the decision, ± 3
    months): warn when surveillance 2 falls outside it or is missing once it has opened."""
    start, end = plan.surveillance_2_window
    window = f"{_day(start)} to {_day(end)}"
    if len(surveillances) < 2:
        if today > end:
            return [ProgrammeWarning(
                "CYC-SUR-03", "warn",
                f"No second surveillance audit was held in its window ({window}, your body's "
                f"policy). The programme needs surveillance in the second year.", end)]
        if today >= start:
            return [ProgrammeWarning(
                "CYC-SUR-03", "warn",
                f"The surveillance 2 window is open ({window}, your body's policy) and no "
                f"second surveillance audit is scheduled.", end)]
        return []
    second = surveillances[1]
    if start <= second.start_date and second.end_date <= end:
        return []
    return [ProgrammeWarning(
        "CYC-SUR-03", "warn",
        f"Surveillance 2 ({_day(second.start_date)} to {_day(second.end_date)}) falls outside "
        f"its window, {window}, set by your body's policy around the target of "
        f"{_day(plan.surveillance_2_target)}.", second.start_date, second.id)]


def _surveillance_gap(surveillances: list[PlannedAudit],
                      policy: CyclePolicy) -> list[ProgrammeWarning]:
    """Body policy `surveillance_gap_warning` (default 15 months) between the last days of
    surveillance 1 and 2; a warning threshold, not a rule of the standard (CYC-SUR-01)."""
    if len(surveillances) < 2:
        return []
    first, second = surveillances[0], surveillances[1]
    threshold = _months_after(first.end_date, policy.surveillance_gap_warning)
    if second.end_date <= threshold:
        return []
    return [ProgrammeWarning(
        "CYC-SUR-01", "warn",
        f"Surveillance 2 ends on {_day(second.end_date)}, more than "
        f"{_months_text(policy.surveillance_gap_warning)} after surveillance 1 ended on "
        f"{_day(first.end_date)} (your body's policy: by {_day(threshold)}).",
        threshold, second.id)]


# --- recertification --------------------------------------------------------------------------


def _recertification_schedule(plan: CyclePlan, recertifications: list[PlannedAudit],
                              today: date) -> list[ProgrammeWarning]:
    """CYC-REC-01: scheduled by expiry - 6 months, not starting earlier; CYC-REC-03: finished
    early enough to close nonconformities; CYC-REC-04: never ending after expiry."""
    expiry = plan.certificate_expiry
    if not recertifications:
        if today < plan.recertification_earliest:
            return []
        return [ProgrammeWarning(
            "CYC-REC-01", "warn",
            f"No recertification audit is scheduled. It may start from "
            f"{_day(plan.recertification_earliest)} (target {_day(plan.recertification_target)})"
            f" and should end by {_day(plan.recertification_finish_by)}, so that the decision "
            f"is taken before the certificate expires on {_day(expiry)}.",
            plan.recertification_earliest)]
    audit = recertifications[0]
    found = []
    if audit.start_date < plan.recertification_earliest:
        found.append(ProgrammeWarning(
            "CYC-REC-01", "warn",
            f"The recertification audit starts on {_day(audit.start_date)}, before "
            f"{_day(plan.recertification_earliest)}, the earliest start your body's policy "
            f"allows.", plan.recertification_earliest, audit.id))
    if audit.end_date > expiry:
        found.append(ProgrammeWarning(
            "CYC-REC-04", "block",
            f"The recertification audit ends on {_day(audit.end_date)}, after the certificate "
            f"expires on {_day(expiry)}. Validity cannot be extended: the certificate would "
            f"expire.", expiry, audit.id))
    elif audit.end_date > plan.recertification_finish_by:
        found.append(ProgrammeWarning(
            "CYC-REC-03", "warn",
            f"The recertification audit ends on {_day(audit.end_date)}, later than "
            f"{_day(plan.recertification_finish_by)} (your body's policy). That leaves little "
            f"time to verify major nonconformities before expiry on {_day(expiry)}.",
            plan.recertification_finish_by, audit.id))
    return found


def _recertification_decision(plan: CyclePlan, today: date) -> list[ProgrammeWarning]:
    """CYC-REC-04: no decision by expiry means the certificate expires; CYC-REC-05: it can be
    restored within 6 months of expiry, afterwards at least a Stage 2 is needed."""
    expiry = plan.certificate_expiry
    if today <= expiry:
        if (expiry - today).days > DECISION_REMINDER_DAYS:
            return []
        return [ProgrammeWarning(
            "CYC-REC-04", "warn",
            f"No recertification decision yet. It must be taken by {_day(expiry)}, when the "
            f"certificate expires.", expiry)]
    found = [ProgrammeWarning(
        "CYC-REC-04", "block",
        f"The certificate expired on {_day(expiry)} without a recertification decision. Its "
        f"validity is not extended; show the certification as expired.", expiry)]
    deadline = plan.restoration_deadline
    if today <= deadline:
        found.append(ProgrammeWarning(
            "CYC-REC-05", "info",
            f"Certification can be restored until {_day(deadline)} if the outstanding "
            f"recertification activities are completed; after that at least a Stage 2 audit is "
            f"needed.", deadline))
    else:
        found.append(ProgrammeWarning(
            "CYC-REC-05", "warn",
            f"The restoration deadline of {_day(deadline)} has passed. Certification cannot be "
            f"restored; a new certification needs at least a Stage 2 audit.", deadline))
    return found


def plan_continued_cycle(decision_date: date, certificate_expiry: date,
                         policy: CyclePolicy | None = None) -> CyclePlan:
    """CYC-TRF-04: the plan of a cycle taken on from an existing certificate (certified before
    auditkit, or transferred in under IAF MD 2). The certificate keeps its expiry, whatever
    this body's expiry convention would have given; surveillance dates are measured from the
    decision date, recertification dates and the restoration deadline from the expiry."""
    policy = policy if policy is not None else CyclePolicy()
    _require_date(decision_date, "decision_date")
    _require_date(certificate_expiry, "certificate_expiry")
    if certificate_expiry <= decision_date:
        raise ValueError(f"The certificate cannot expire on {_day(certificate_expiry)}, on or "
                         f"before its decision on {_day(decision_date)}.")
    return _build_plan(decision_date, certificate_expiry, policy)
