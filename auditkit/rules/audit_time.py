"""Audit time (domain.md §2): table look-up, adjustment factors, half-day rounding, the Stage 1 /
Stage 2 split, surveillance, recertification and integrated audits.

All arithmetic is done in `Decimal`. Numbers may be given as `int`, `Decimal` or a numeric
string; a `float` is refused with TypeError, because 4.35 as a float is not the number the user
typed and can round the wrong way at a half-day tie (TIME-03).
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

SCHEME_LABELS = {"iso9001": "ISO 9001", "iso27001": "ISO/IEC 27001",
                 "iso42001": "ISO/IEC 42001"}
SCHEMES = tuple(SCHEME_LABELS)
AIMS = "iso42001"
AI_ROLES = ("producer", "developer", "provider", "user", "multiple")

MAX_REDUCTION_PERCENT = Decimal(30)  # TIME-06
MAX_INTEGRATION_REDUCTION_PERCENT = Decimal(20)  # TIME-IMS-02
DEFAULT_STAGE1_SHARE_PERCENT = 30  # TIME-10, cb_policy.stage1_share
HALF_DAY = Decimal("0.5")
_ONE_DECIMAL = Decimal("0.1")

Number = int | Decimal | str


# --- numbers --------------------------------------------------------------------------------

def _decimal(value: Number, what: str) -> Decimal:
    if isinstance(value, bool | float) or not isinstance(value, int | Decimal | str):
        raise TypeError(f"{what}: pass an int, a Decimal or a numeric string, "
                        f"not {type(value).__name__}")
    try:
        number = Decimal(value.strip()) if isinstance(value, str) else Decimal(value)
    except InvalidOperation:
        raise ValueError(f"{what}: {value!r} is not a number") from None
    if not number.is_finite():
        raise ValueError(f"{what}: {value!r} is not a finite number")
    return number


def _positive_days(value: Number, what: str) -> Decimal:
    days = _decimal(value, what)
    if days <= 0:
        raise ValueError(f"{what} must be more than 0 days, not {days}")
    return days


def _half_day_multiple(value: Number, what: str) -> Decimal:
    days = _positive_days(value, what)
    if (days * 2) % 1:
        raise ValueError(f"{what} must be rounded to the half day first (TIME-03), not {days}")
    return days


def round_half_day(days: Number) -> Decimal:
    """TIME-03: the nearest half day, ties up (4.25 -> 4.5, 4.75 -> 5.0, 5.3 -> 5.5, 5.2 -> 5.0).

    Returned with one decimal place (`Decimal("5.0")`). Negative values round ties away from
    zero; audit time is never negative, so callers never see that case.
    """
    value = _decimal(days, "days")
    halves = (value * 2).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return (halves / 2).quantize(_ONE_DECIMAL)


def _tidy(days: Decimal) -> Decimal:
    return days.quantize(_ONE_DECIMAL)


def _check_scheme(scheme: str) -> str:
    if scheme not in SCHEME_LABELS:
        raise ValueError(f"unknown scheme {scheme!r}; use one of {', '.join(SCHEMES)}")
    return scheme


def _check_ai_role(ai_role: str | None) -> str:
    if ai_role is None:
        raise ValueError("ISO/IEC 42001 audit time needs the organisation's AI role "
                         f"({', '.join(AI_ROLES)})")
    if ai_role not in AI_ROLES:
        raise ValueError(f"unknown AI role {ai_role!r}; use one of {', '.join(AI_ROLES)}")
    return ai_role


def _check_personnel(effective_personnel: int) -> int:
    if isinstance(effective_personnel, bool) or not isinstance(effective_personnel, int):
        raise ValueError(f"effective personnel must be a whole number of persons, "
                         f"not {effective_personnel!r}")
    if effective_personnel < 1:
        raise ValueError(f"effective personnel must be at least 1, not {effective_personnel}")
    return effective_personnel


# --- tables ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class AuditTimeRow:
    """One band of an audit-time table: initial audit days (Stage 1 + Stage 2) for
    `min_personnel`..`max_personnel` effective persons. `ai_role` is set for ISO/IEC 42001 rows
    only. `days` may be given as int or string; it is stored as a Decimal."""

    scheme: str
    min_personnel: int
    max_personnel: int
    days: Decimal
    ai_role: str | None = None

    def __post_init__(self) -> None:
        _check_scheme(self.scheme)
        for bound in (self.min_personnel, self.max_personnel):
            if isinstance(bound, bool) or not isinstance(bound, int) or bound < 1:
                raise ValueError(f"a band limit must be a whole number of persons from 1, "
                                 f"not {bound!r}")
        if self.max_personnel < self.min_personnel:
            raise ValueError(f"band {self.min_personnel}-{self.max_personnel}: the upper limit "
                             "is below the lower one")
        days = _decimal(self.days, "days")
        if days < HALF_DAY:
            raise ValueError(f"band {self.band}: audit time must be at least 0.5 days")
        object.__setattr__(self, "days", days)
        if self.scheme == AIMS:
            _check_ai_role(self.ai_role)
        elif self.ai_role is not None:
            raise ValueError(f"{SCHEME_LABELS[self.scheme]} rows have no AI role")

    @property
    def band(self) -> str:
        return f"{self.min_personnel}-{self.max_personnel} persons"

    def covers(self, persons: int) -> bool:
        return self.min_personnel <= persons <= self.max_personnel


_QMS_BANDS = (  # domain.md §2.2, IAF MD 5 Table QMS 1
    (1, 5, "1.5"), (6, 10, "2"), (11, 15, "2.5"), (16, 25, "3"), (26, 45, "4"),
    (46, 65, "5"), (66, 85, "6"), (86, 125, "7"), (126, 175, "8"), (176, 275, "9"),
    (276, 425, "10"), (426, 625, "11"), (626, 875, "12"), (876, 1175, "13"),
    (1176, 1550, "14"), (1551, 2025, "15"), (2026, 2675, "16"), (2676, 3450, "17"),
    (3451, 4350, "18"), (4351, 5450, "19"), (5451, 6800, "20"), (6801, 8500, "21"),
    (8501, 10700, "22"),
)
_ISMS_BANDS = (  # domain.md §2.3, ISO/IEC 27006-1 Annex C
    (1, 10, "5"), (11, 15, "6"), (16, 25, "7"), (26, 45, "8.5"), (46, 65, "10"),
    (66, 85, "11"), (86, 125, "12"), (126, 175, "13"), (176, 275, "14"), (276, 425, "15"),
    (426, 625, "16.5"), (626, 875, "17.5"), (876, 1175, "18.5"), (1176, 1550, "19.5"),
    (1551, 2025, "21"), (2026, 2675, "22"), (2676, 3450, "23"), (3451, 4350, "24"),
    (4351, 5450, "25"), (5451, 6800, "26"), (6801, 8500, "27"), (8501, 10700, "28"),
)
# The 42006 bands beyond the first are in the paid standard; we assume the 27006 band
# boundaries (VERIFY) so that a missing row can be named. The body fills in the days.
AIMS_BANDS: tuple[tuple[int, int], ...] = tuple((low, high) for low, high, _ in _ISMS_BANDS)
_AIMS_FIRST_BAND = {"producer": "5.0", "developer": "3.5", "provider": "3.5", "user": "3.5",
                    "multiple": "6.5"}  # domain.md §2.4, the public 1-10 persons row

BUILTIN_TABLES: dict[str, tuple[AuditTimeRow, ...]] = {
    "iso9001": tuple(AuditTimeRow("iso9001", low, high, Decimal(days))
                     for low, high, days in _QMS_BANDS),
    "iso27001": tuple(AuditTimeRow("iso27001", low, high, Decimal(days))
                      for low, high, days in _ISMS_BANDS),
    "iso42001": tuple(AuditTimeRow(AIMS, 1, 10, Decimal(days), ai_role=role)
                      for role, days in _AIMS_FIRST_BAND.items()),
}
_EXPECTED_BANDS = {
    "iso9001": tuple((low, high) for low, high, _ in _QMS_BANDS),
    "iso27001": AIMS_BANDS,
    "iso42001": AIMS_BANDS,
}


def builtin_table(scheme: str) -> tuple[AuditTimeRow, ...]:
    """The rows shipped with auditkit: §2.2 (QMS), §2.3 (ISMS), the first band of §2.4 (AIMS)."""
    return BUILTIN_TABLES[_check_scheme(scheme)]


def with_builtin_rows(body_rows: Iterable[AuditTimeRow]) -> tuple[AuditTimeRow, ...]:
    """The body's rows plus every built-in row (all schemes) that no body row of the same scheme
    and AI role overlaps: the body's table wins where it has a row, the shipped tables fill the
    rest (e.g. the public first 42001 band under the body's own further bands)."""
    rows = tuple(row for row in body_rows if _is_row(row))

    def overridden(builtin: AuditTimeRow) -> bool:
        return any(row.scheme == builtin.scheme and row.ai_role == builtin.ai_role
                   and row.min_personnel <= builtin.max_personnel
                   and row.max_personnel >= builtin.min_personnel for row in rows)

    return rows + tuple(row for table in BUILTIN_TABLES.values() for row in table
                        if not overridden(row))


def table_row(scheme: str, effective_personnel: int, *, ai_role: str | None = None,
              table: Iterable[AuditTimeRow] | None = None) -> AuditTimeRow:
    """The band of the table that applies (TIME-05, §2.2-2.4). Refuses rather than guesses:
    beyond the last band the time is entered manually; a band without a row must be added to
    the body's table first (§2.4)."""
    _check_scheme(scheme)
    persons = _check_personnel(effective_personnel)
    role = _check_ai_role(ai_role) if scheme == AIMS else None
    rows = [row for row in (builtin_table(scheme) if table is None else table)
            if _is_row(row) and row.scheme == scheme]
    matching = [row for row in rows if row.ai_role == role and row.covers(persons)]
    if len(matching) > 1:
        bands = ", ".join(row.band for row in matching)
        raise ValueError(f"the {SCHEME_LABELS[scheme]} audit-time table has overlapping rows "
                         f"for {persons} persons ({bands}): correct the table")
    if not matching:
        raise ValueError(_missing_row_message(scheme, persons, role, rows))
    return matching[0]


def _is_row(row: object) -> bool:
    if not isinstance(row, AuditTimeRow):
        raise TypeError(f"table rows must be AuditTimeRow, not {type(row).__name__}")
    return True


def _missing_row_message(scheme: str, persons: int, role: str | None,
                         rows: list[AuditTimeRow]) -> str:
    label = SCHEME_LABELS[scheme]
    bands = [(row.min_personnel, row.max_personnel) for row in rows] + list(
        _EXPECTED_BANDS[scheme])
    band = next(((low, high) for low, high in bands if low <= persons <= high), None)
    if band is None:
        return (f"{label}: {persons} persons is beyond the last band of the audit-time table; "
                "enter the audit time manually, following the table's progression")
    role_text = f", role {role}" if role else ""
    return (f"no {label} audit time for {band[0]}-{band[1]} persons{role_text}: "
            "add this row to the body's audit-time table")


# --- adjustments ----------------------------------------------------------------------------

@dataclass(frozen=True)
class AdjustmentFactor:
    """One increase (+) or reduction (-) of the table value with its justification
    (TIME-01, TIME-05). `percent` may be given as int or string; it is stored as a Decimal."""

    label: str
    percent: Decimal
    justification: str

    def __post_init__(self) -> None:
        if not (self.label or "").strip():
            raise ValueError("an adjustment factor needs a label")
        if not (self.justification or "").strip():
            raise ValueError(f"adjustment factor {self.label!r} needs a justification (TIME-01)")
        object.__setattr__(self, "percent", _decimal(self.percent, f"{self.label} percent"))


def _split_adjustment(adjustment_percent: Number, increase_percent: Number,
                      reduction_percent: Number) -> tuple[Decimal, Decimal]:
    signed = _decimal(adjustment_percent, "adjustment_percent")
    increase = _decimal(increase_percent, "increase_percent")
    reduction = _decimal(reduction_percent, "reduction_percent")
    if signed and (increase or reduction):
        raise ValueError("give either adjustment_percent or increase_percent/reduction_percent, "
                         "not both")
    if increase < 0 or reduction < 0:
        raise ValueError("increase_percent and reduction_percent are sizes (0 or more); "
                         "a reduction of 10 % is reduction_percent=10")
    if signed > 0:
        return signed, Decimal(0)
    if signed < 0:
        return Decimal(0), -signed
    return increase, reduction


def _applied_reduction(reduction_percent: Decimal) -> Decimal:
    """TIME-06: the reductions alone are capped at 30 % of the table value."""
    return min(reduction_percent, MAX_REDUCTION_PERCENT)


def _adjusted(table_days: Decimal, increase: Decimal, reduction: Decimal) -> Decimal:
    net = increase - _applied_reduction(reduction)
    return table_days * (100 + net) / 100


def initial_audit_days(scheme: str, effective_personnel: int, *, ai_role: str | None = None,
                       adjustment_percent: Number = 0, increase_percent: Number = 0,
                       reduction_percent: Number = 0,
                       table: Iterable[AuditTimeRow] | None = None) -> Decimal:
    """Initial audit time (Stage 1 + Stage 2) in days, rounded to the half day (§2.8).

    Adjust with one signed `adjustment_percent` or with separate `increase_percent` and
    `reduction_percent` (sizes, 0 or more). Reductions are capped at 30 % before the increases
    are added (TIME-06): +20 % and -45 % give -10 %. For ISO/IEC 42001 `effective_personnel` is
    the AI-involved headcount and `ai_role` is required (§2.4).
    """
    increase, reduction = _split_adjustment(adjustment_percent, increase_percent,
                                            reduction_percent)
    row = table_row(scheme, effective_personnel, ai_role=ai_role, table=table)
    return round_half_day(_adjusted(row.days, increase, reduction))


# --- derived times --------------------------------------------------------------------------

def surveillance_days(initial_days: Number) -> Decimal:
    """TIME-08: surveillance time per year, one third of the initial audit time, rounded to the
    half day and never below half a day."""
    return max(HALF_DAY, round_half_day(_positive_days(initial_days, "initial audit time") / 3))


def recertification_days(initial_days_now: Number) -> Decimal:
    """TIME-09: two thirds of the initial audit time recalculated now (current personnel, scope
    and factors), not of the historical figure; rounded to the half day, at least half a day."""
    days = _positive_days(initial_days_now, "initial audit time now")
    return max(HALF_DAY, round_half_day(days * 2 / 3))


def integrated_days(days_per_scheme: Sequence[Number],
                    integration_reduction_percent: Number) -> Decimal:
    """TIME-IMS-01..03: the sum of each scheme's own rounded time, reduced by 0-20 % for the
    level of integration, then rounded to the half day. Increases for poor integration go into
    the schemes' own factors."""
    if isinstance(days_per_scheme, str | bytes) or not days_per_scheme:
        raise ValueError("give the rounded audit time of each scheme of the integrated audit")
    days = [_half_day_multiple(value, "each scheme's audit time") for value in days_per_scheme]
    reduction = _decimal(integration_reduction_percent, "integration reduction")
    if not 0 <= reduction <= MAX_INTEGRATION_REDUCTION_PERCENT:
        raise ValueError(f"the integration reduction must be from 0 to 20 % (TIME-IMS-02), "
                         f"not {reduction} %")
    if reduction and len(days) < 2:
        raise ValueError("an integration reduction needs at least two schemes (TIME-IMS-02)")
    return round_half_day(sum(days) * (100 - reduction) / 100)


def stage_split(initial_days: Number,
                stage1_share_percent: Number = DEFAULT_STAGE1_SHARE_PERCENT,
                ) -> tuple[Decimal, Decimal]:
    """TIME-10 (DEFAULT policy `stage1_share`): Stage 1 is the share of the initial time rounded
    to the half day, at least half a day; Stage 2 is the rest."""
    initial = _half_day_multiple(initial_days, "the initial audit time")
    share = _decimal(stage1_share_percent, "stage1_share_percent")
    if not 0 < share < 100:
        raise ValueError(f"the Stage 1 share must be between 0 and 100 %, not {share} %")
    stage1 = max(HALF_DAY, round_half_day(initial * share / 100))
    stage2 = initial - stage1
    if stage2 <= 0:
        raise ValueError(f"{initial} days is too short to split into Stage 1 and Stage 2 "
                         "(TIME-10): enter the stages by hand")
    return _tidy(stage1), _tidy(stage2)


def minimum_on_site_days(days: Number) -> Decimal:
    """TIME-07: the time at the client (opening to closing meeting) should be at least 80 % of
    the audit time. Returned exactly (4.5 -> 3.6), not rounded up to a half day: rounding up
    would demand more on-site time than the rule asks; the plan is compared with this figure."""
    return _positive_days(days, "audit time") * 4 / 5


# --- the whole justification ----------------------------------------------------------------

@dataclass(frozen=True)
class AuditTimeCalculation:
    """Everything needed to show and store the audit-time justification (TIME-01)."""

    scheme: str
    effective_personnel: int
    ai_role: str | None
    band: AuditTimeRow
    table_days: Decimal
    factors: tuple[AdjustmentFactor, ...]
    increase_percent: Decimal
    reduction_percent_requested: Decimal
    reduction_percent_applied: Decimal
    reduction_capped: bool
    net_adjustment_percent: Decimal
    unrounded_days: Decimal
    initial_days: Decimal
    stage1_share_percent: Decimal
    stage1_days: Decimal
    stage2_days: Decimal
    surveillance_days: Decimal
    recertification_days: Decimal
    minimum_on_site_days: Decimal

    def lines(self) -> tuple[str, ...]:
        """The justification as printable lines."""
        role = f", AI role {self.ai_role}" if self.ai_role else ""
        out = [f"{SCHEME_LABELS[self.scheme]}: {self.effective_personnel} effective persons"
               f"{role}; table band {self.band.band}: {self.table_days} days (TIME-05)"]
        out += [f"{factor.label}: {factor.percent:+} % ({factor.justification})"
                for factor in self.factors]
        if self.reduction_capped:
            out.append(f"Reductions of {self.reduction_percent_requested} % capped at "
                       f"{self.reduction_percent_applied} % (TIME-06)")
        out.append(f"Net adjustment {self.net_adjustment_percent:+} %: {self.unrounded_days} days,"
                   f" rounded to {self.initial_days} days (TIME-03)")
        out.append(f"Stage 1 {self.stage1_days} days ({self.stage1_share_percent} %), Stage 2 "
                   f"{self.stage2_days} days (TIME-10)")
        out.append(f"Surveillance {self.surveillance_days} days a year (TIME-08); "
                   f"recertification {self.recertification_days} days if nothing changes "
                   "(TIME-09)")
        out.append(f"At least {self.minimum_on_site_days} days at the client (TIME-07)")
        return tuple(out)


def calculate(scheme: str, effective_personnel: int, *, ai_role: str | None = None,
              factors: Iterable[AdjustmentFactor] = (),
              table: Iterable[AuditTimeRow] | None = None,
              stage1_share_percent: Number = DEFAULT_STAGE1_SHARE_PERCENT,
              ) -> AuditTimeCalculation:
    """The initial audit time with its justification (§2.8, TIME-01..10): the table band, each
    factor, the reduction cap, rounding, stage split and the derived surveillance,
    recertification and on-site figures."""
    factors = tuple(factors)
    for factor in factors:
        if not isinstance(factor, AdjustmentFactor):
            raise TypeError(f"factors must be AdjustmentFactor, not {type(factor).__name__}")
    row = table_row(scheme, effective_personnel, ai_role=ai_role, table=table)
    increase = sum((f.percent for f in factors if f.percent > 0), Decimal(0))
    reduction = -sum((f.percent for f in factors if f.percent < 0), Decimal(0))
    applied = _applied_reduction(reduction)
    unrounded = _adjusted(row.days, increase, reduction)
    initial = round_half_day(unrounded)
    share = _decimal(stage1_share_percent, "stage1_share_percent")
    stage1, stage2 = stage_split(initial, share)
    return AuditTimeCalculation(
        scheme=scheme, effective_personnel=effective_personnel, ai_role=row.ai_role, band=row,
        table_days=row.days, factors=factors, increase_percent=increase,
        reduction_percent_requested=reduction, reduction_percent_applied=applied,
        reduction_capped=applied < reduction, net_adjustment_percent=increase - applied,
        unrounded_days=unrounded, initial_days=initial, stage1_share_percent=share,
        stage1_days=stage1, stage2_days=stage2, surveillance_days=surveillance_days(initial),
        recertification_days=recertification_days(initial),
        minimum_on_site_days=minimum_on_site_days(initial))
