"""Audit time, domain.md §2: tables (§2.2-2.4), TIME-03 rounding, TIME-06 cap, TIME-07..10,
TIME-IMS-01..03 and the worked example of §2.8."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from auditkit.rules.audit_time import (
    AI_ROLES,
    AdjustmentFactor,
    AuditTimeCalculation,
    AuditTimeRow,
    builtin_table,
    calculate,
    initial_audit_days,
    integrated_days,
    minimum_on_site_days,
    recertification_days,
    round_half_day,
    stage_split,
    surveillance_days,
    table_row,
    with_builtin_rows,
)

D = Decimal

# Copied from domain.md §2.2 and §2.3 by hand, so a typo in the module's tables fails here.
QMS_TABLE = [
    (1, 5, "1.5"), (6, 10, "2"), (11, 15, "2.5"), (16, 25, "3"), (26, 45, "4"), (46, 65, "5"),
    (66, 85, "6"), (86, 125, "7"), (126, 175, "8"), (176, 275, "9"), (276, 425, "10"),
    (426, 625, "11"), (626, 875, "12"), (876, 1175, "13"), (1176, 1550, "14"),
    (1551, 2025, "15"), (2026, 2675, "16"), (2676, 3450, "17"), (3451, 4350, "18"),
    (4351, 5450, "19"), (5451, 6800, "20"), (6801, 8500, "21"), (8501, 10700, "22"),
]
ISMS_TABLE = [
    (1, 10, "5"), (11, 15, "6"), (16, 25, "7"), (26, 45, "8.5"), (46, 65, "10"), (66, 85, "11"),
    (86, 125, "12"), (126, 175, "13"), (176, 275, "14"), (276, 425, "15"), (426, 625, "16.5"),
    (626, 875, "17.5"), (876, 1175, "18.5"), (1176, 1550, "19.5"), (1551, 2025, "21"),
    (2026, 2675, "22"), (2676, 3450, "23"), (3451, 4350, "24"), (4351, 5450, "25"),
    (5451, 6800, "26"), (6801, 8500, "27"), (8501, 10700, "28"),
]


def _boundaries(scheme, table):
    for low, high, days in table:
        yield pytest.param(scheme, low, D(days), id=f"{scheme}-{low}")
        yield pytest.param(scheme, high, D(days), id=f"{scheme}-{high}")


# --- §2.2, §2.3: every band boundary ----------------------------------------------------------

@pytest.mark.parametrize(("scheme", "persons", "days"),
                         [*_boundaries("iso9001", QMS_TABLE), *_boundaries("iso27001", ISMS_TABLE)])
def test_table_value_at_every_band_boundary(scheme, persons, days):
    assert initial_audit_days(scheme, persons) == days
    assert table_row(scheme, persons).days == days


@pytest.mark.parametrize("scheme", ["iso9001", "iso27001"])
@pytest.mark.parametrize("persons", [10701, 25000])
def test_beyond_the_last_band_is_manual_entry(scheme, persons):
    with pytest.raises(ValueError, match="beyond the last band.*manually"):
        initial_audit_days(scheme, persons)


def test_builtin_tables_have_no_gaps_and_match_domain():
    for scheme, expected in (("iso9001", QMS_TABLE), ("iso27001", ISMS_TABLE)):
        rows = builtin_table(scheme)
        assert [(r.min_personnel, r.max_personnel, r.days) for r in rows] == [
            (low, high, D(days)) for low, high, days in expected]
        for previous, following in zip(rows, rows[1:], strict=False):
            assert following.min_personnel == previous.max_personnel + 1


# --- §2.4: ISO/IEC 42001 ----------------------------------------------------------------------

AIMS_FIRST_BAND = {"producer": D("5.0"), "developer": D("3.5"), "provider": D("3.5"),
                   "user": D("3.5"), "multiple": D("6.5")}


@pytest.mark.parametrize("role", AI_ROLES)
@pytest.mark.parametrize("persons", [1, 10])
def test_aims_first_band_per_role(role, persons):
    assert initial_audit_days("iso42001", persons, ai_role=role) == AIMS_FIRST_BAND[role]


@pytest.mark.parametrize("role", AI_ROLES)
def test_aims_refuses_a_band_without_a_value_and_names_the_row(role):
    with pytest.raises(ValueError) as caught:
        initial_audit_days("iso42001", 11, ai_role=role)
    assert str(caught.value) == (f"no ISO/IEC 42001 audit time for 11-15 persons, role {role}: "
                                 "add this row to the body's audit-time table")


def test_aims_refusal_names_the_band_further_up():
    with pytest.raises(ValueError, match="for 46-65 persons, role user: add this row"):
        initial_audit_days("iso42001", 60, ai_role="user")


@pytest.mark.parametrize(("ai_role", "message"), [
    (None, "needs the organisation's AI role"),
    ("deployer", "unknown AI role 'deployer'"),
])
def test_aims_needs_a_known_role(ai_role, message):
    with pytest.raises(ValueError, match=message):
        initial_audit_days("iso42001", 5, ai_role=ai_role)


def test_ai_role_is_ignored_for_other_schemes():
    assert initial_audit_days("iso9001", 60, ai_role="producer") == D("5.0")
    assert initial_audit_days("iso27001", 60, ai_role="nonsense") == D("10.0")


def test_body_table_fills_the_aims_bands():
    table = [*builtin_table("iso42001"),
             AuditTimeRow("iso42001", 11, 15, D("4.5"), ai_role="developer")]
    assert initial_audit_days("iso42001", 12, ai_role="developer", table=table) == D("4.5")
    assert initial_audit_days("iso42001", 3, ai_role="developer", table=table) == D("3.5")
    with pytest.raises(ValueError, match="11-15 persons, role producer"):
        initial_audit_days("iso42001", 12, ai_role="producer", table=table)


def test_body_table_with_its_own_band_boundaries_names_its_band():
    table = [AuditTimeRow("iso42001", 1, 20, D(5), ai_role="producer")]
    with pytest.raises(ValueError, match="for 1-20 persons, role user"):
        initial_audit_days("iso42001", 15, ai_role="user", table=table)


def test_body_table_replaces_the_builtin_one():
    table = [AuditTimeRow("iso9001", 1, 100, D("3"))]
    assert initial_audit_days("iso9001", 60, table=table) == D("3.0")
    with pytest.raises(ValueError, match="no ISO 9001 audit time for 276-425 persons"):
        initial_audit_days("iso9001", 300, table=table)


def test_body_rows_with_builtin_rows_fill_the_rest():
    body = [AuditTimeRow("iso42001", 11, 15, D("4.5"), ai_role="developer"),
            AuditTimeRow("iso9001", 40, 70, D("5.5"))]
    table = with_builtin_rows(body)
    assert initial_audit_days("iso42001", 12, ai_role="developer", table=table) == D("4.5")
    assert initial_audit_days("iso42001", 3, ai_role="developer", table=table) == D("3.5")
    assert initial_audit_days("iso9001", 60, table=table) == D("5.5")
    # The built-in bands 26-45 and 66-85 overlap the body's 40-70 and are left out, so 26-39
    # has no value and is refused; 86 falls in a built-in band again.
    with pytest.raises(ValueError, match="26-45 persons"):
        initial_audit_days("iso9001", 26, table=table)
    assert initial_audit_days("iso9001", 86, table=table) == D("7.0")
    assert initial_audit_days("iso27001", 60, table=table) == D("10.0")


def test_overlapping_rows_are_refused_not_guessed():
    table = [AuditTimeRow("iso9001", 1, 50, D(4)), AuditTimeRow("iso9001", 40, 60, D(5))]
    with pytest.raises(ValueError, match="overlapping rows"):
        initial_audit_days("iso9001", 45, table=table)


def test_rows_of_other_schemes_are_not_used():
    table = [AuditTimeRow("iso27001", 1, 100, D(9))]
    with pytest.raises(ValueError, match="ISO 9001 audit time for 46-65 persons"):
        initial_audit_days("iso9001", 60, table=table)


@pytest.mark.parametrize("kwargs", [
    {"scheme": "iso14001", "min_personnel": 1, "max_personnel": 5, "days": D(1)},
    {"scheme": "iso9001", "min_personnel": 0, "max_personnel": 5, "days": D(1)},
    {"scheme": "iso9001", "min_personnel": 6, "max_personnel": 5, "days": D(1)},
    {"scheme": "iso9001", "min_personnel": 1, "max_personnel": 5, "days": D("0.25")},
    {"scheme": "iso9001", "min_personnel": 1, "max_personnel": 5, "days": D(1),
     "ai_role": "user"},
    {"scheme": "iso42001", "min_personnel": 1, "max_personnel": 5, "days": D(1)},
])
def test_impossible_rows_are_refused(kwargs):
    with pytest.raises(ValueError):
        AuditTimeRow(**kwargs)


def test_row_days_become_decimal_and_floats_are_refused():
    assert AuditTimeRow("iso9001", 1, 5, "1.5").days == D("1.5")
    with pytest.raises(TypeError):
        AuditTimeRow("iso9001", 1, 5, 1.5)


def test_table_must_hold_rows():
    with pytest.raises(TypeError):
        initial_audit_days("iso9001", 5, table=[(1, 5, D("1.5"))])


# --- impossible input -------------------------------------------------------------------------

@pytest.mark.parametrize("persons", [0, -1, 1.5, 60.0, "60", None, True])
def test_personnel_must_be_a_whole_number_from_one(persons):
    with pytest.raises(ValueError, match="effective personnel"):
        initial_audit_days("iso9001", persons)


def test_unknown_scheme():
    with pytest.raises(ValueError, match="unknown scheme 'iso14001'"):
        initial_audit_days("iso14001", 10)
    with pytest.raises(ValueError, match="unknown scheme"):
        builtin_table("ISO 9001")


# --- TIME-03 rounding -------------------------------------------------------------------------

@pytest.mark.parametrize(("days", "rounded"), [
    ("4.25", "4.5"), ("4.75", "5.0"), ("5.3", "5.5"), ("5.2", "5.0"), ("0.25", "0.5"),
    ("13.05", "13.0"), ("4.5", "4.5"), ("5", "5.0"), ("4.74", "4.5"), ("4.76", "5.0"),
    ("2.25", "2.5"), ("6.25", "6.5"),
])
def test_round_half_day(days, rounded):
    assert round_half_day(D(days)) == D(rounded)
    assert str(round_half_day(D(days))) == rounded
    assert round_half_day(days) == D(rounded)


def test_ties_go_up_where_python_round_goes_to_even():
    assert round(4.25 * 2) / 2 == 4.0  # the trap TIME-03 warns about
    assert round_half_day(D("4.25")) == D("4.5")
    assert round_half_day(4) == D("4.0")


def test_round_half_day_refuses_floats_and_non_numbers():
    with pytest.raises(TypeError):
        round_half_day(4.25)
    with pytest.raises(TypeError):
        round_half_day(True)
    with pytest.raises(ValueError):
        round_half_day("four")
    with pytest.raises(ValueError):
        round_half_day(D("NaN"))


@given(st.decimals(min_value=0, max_value=100000, allow_nan=False, allow_infinity=False,
                   places=4))
def test_round_half_day_gives_the_nearest_half_day(days):
    rounded = round_half_day(days)
    assert (rounded * 2) % 1 == 0
    assert abs(rounded - days) <= D("0.25")
    if abs(rounded - days) == D("0.25"):
        assert rounded > days  # ties up


# --- TIME-05, TIME-06 adjustments and the 30 % cap --------------------------------------------

@pytest.mark.parametrize(("kwargs", "days"), [
    ({"adjustment_percent": -10}, "4.5"),
    ({"adjustment_percent": 10}, "5.5"),
    ({"adjustment_percent": -30}, "3.5"),
    ({"adjustment_percent": -45}, "3.5"),  # capped at 30 %
    ({"reduction_percent": 45}, "3.5"),
    ({"reduction_percent": 30}, "3.5"),
    ({"increase_percent": 20, "reduction_percent": 45}, "4.5"),  # +20 - 30 = -10
    ({"increase_percent": 20, "reduction_percent": 10}, "5.5"),
    ({"increase_percent": 100}, "10.0"),  # increases are not capped
    ({"adjustment_percent": "-15"}, "4.5"),  # 4.25, tie goes up
    ({"adjustment_percent": D("-5.5")}, "4.5"),  # 4.725
])
def test_adjustments_on_a_five_day_table_value(kwargs, days):
    assert initial_audit_days("iso9001", 60, **kwargs) == D(days)


def test_cap_applies_to_reductions_before_increases_are_added():
    # Netting first would give 20 - 45 = -25; capping the reductions first gives -10.
    assert initial_audit_days("iso27001", 60, increase_percent=20,
                              reduction_percent=45) == D("9.0")
    assert initial_audit_days("iso27001", 60, adjustment_percent=-25) == D("7.5")


@pytest.mark.parametrize("kwargs", [
    {"adjustment_percent": -10, "reduction_percent": 5},
    {"adjustment_percent": 10, "increase_percent": 5},
])
def test_both_styles_at_once_are_refused(kwargs):
    with pytest.raises(ValueError, match="not both"):
        initial_audit_days("iso9001", 60, **kwargs)


@pytest.mark.parametrize("kwargs", [{"reduction_percent": -10}, {"increase_percent": -5}])
def test_separate_increase_and_reduction_are_sizes(kwargs):
    with pytest.raises(ValueError, match="sizes"):
        initial_audit_days("iso9001", 60, **kwargs)


def test_float_percent_is_refused():
    with pytest.raises(TypeError):
        initial_audit_days("iso9001", 60, adjustment_percent=-10.0)


@given(persons=st.integers(min_value=1, max_value=10700),
       increase=st.integers(min_value=0, max_value=200),
       reduction=st.integers(min_value=0, max_value=100))
def test_never_below_seventy_percent_of_the_table_value(persons, increase, reduction):
    table_days = table_row("iso9001", persons).days
    days = initial_audit_days("iso9001", persons, increase_percent=increase,
                              reduction_percent=reduction)
    assert days >= round_half_day(table_days * D("0.7"))
    assert (days * 2) % 1 == 0


# --- TIME-07..10 ------------------------------------------------------------------------------

@pytest.mark.parametrize(("initial", "surveillance"), [
    ("4.5", "1.5"), ("10", "3.5"), ("13", "4.5"), ("5", "1.5"), ("1", "0.5"), ("0.5", "0.5"),
    ("7.5", "2.5"), ("2.5", "1.0"),
])
def test_surveillance_is_a_third(initial, surveillance):
    assert surveillance_days(D(initial)) == D(surveillance)  # TIME-08


@pytest.mark.parametrize(("initial_now", "recertification"), [
    ("4.5", "3.0"), ("10", "6.5"), ("7", "4.5"), ("8.5", "5.5"), ("1", "0.5"),
])
def test_recertification_is_two_thirds(initial_now, recertification):
    assert recertification_days(D(initial_now)) == D(recertification)  # TIME-09


def test_recertification_uses_the_time_recalculated_now():
    # The client grew from 60 to 100 persons: 7 days now, not 4.5 days then (TIME-09).
    now = initial_audit_days("iso9001", 100, adjustment_percent=-10)
    assert now == D("6.5")
    assert recertification_days(now) == D("4.5")


@pytest.mark.parametrize("days", [0, -1, "0"])
def test_derived_times_need_a_positive_time(days):
    for function in (surveillance_days, recertification_days, minimum_on_site_days):
        with pytest.raises(ValueError):
            function(days)


@pytest.mark.parametrize(("initial", "share", "stage1", "stage2"), [
    ("4.5", 30, "1.5", "3.0"),  # 1.35
    ("10", 30, "3.0", "7.0"),
    ("13", 30, "4.0", "9.0"),  # 3.9
    ("1", 30, "0.5", "0.5"),  # 0.3 -> at least half a day
    ("1.5", 30, "0.5", "1.0"),
    ("2.5", 30, "1.0", "1.5"),  # 0.75 ties up
    ("10", 25, "2.5", "7.5"),
    ("10", 5, "0.5", "9.5"),
])
def test_stage_split(initial, share, stage1, stage2):
    first, second = stage_split(D(initial), share)  # TIME-10
    assert (first, second) == (D(stage1), D(stage2))
    assert first + second == D(initial)


def test_stage_split_default_share_is_thirty_percent():
    assert stage_split(D(10)) == (D(3), D(7))


@pytest.mark.parametrize(("initial", "share"), [
    ("0.5", 30), ("10", 0), ("10", 100), ("10", -5), ("4.3", 30), ("1", 80),
])
def test_stage_split_refuses_what_cannot_be_split(initial, share):
    with pytest.raises(ValueError):
        stage_split(D(initial), share)


@given(halves=st.integers(min_value=2, max_value=200), share=st.integers(min_value=5,
                                                                          max_value=49))
def test_stage_split_adds_up(halves, share):
    initial = D(halves) / 2
    stage1, stage2 = stage_split(initial, share)
    assert stage1 + stage2 == initial
    assert stage1 >= D("0.5") and stage2 >= D("0.5")
    assert (stage1 * 2) % 1 == 0


@pytest.mark.parametrize(("days", "on_site"), [
    ("4.5", "3.6"), ("13", "10.4"), ("5", "4"), ("1.5", "1.2"), ("0.5", "0.4"),
])
def test_minimum_on_site_is_eighty_percent_exactly(days, on_site):
    assert minimum_on_site_days(D(days)) == D(on_site)  # TIME-07, not rounded up


# --- TIME-IMS-01..03 --------------------------------------------------------------------------

def test_integrated_worked_example():
    assert integrated_days([D("4.5"), D("10")], 10) == D("13.0")  # 13.05


@pytest.mark.parametrize(("days", "reduction", "total"), [
    (["4.5", "10"], 0, "14.5"),
    (["4.5", "10"], 20, "11.5"),  # 11.6
    (["5", "10", "5"], 20, "16.0"),
    (["3.5", "7"], 20, "8.5"),  # 30 % then 20 %: 44 % below the table sum of 15 (TIME-IMS-03)
    (["7"], 0, "7.0"),
])
def test_integrated_days(days, reduction, total):
    assert integrated_days([D(d) for d in days], reduction) == D(total)


@pytest.mark.parametrize("reduction", [D("20.5"), 21, -1, 100])
def test_integration_reduction_is_zero_to_twenty_percent(reduction):
    with pytest.raises(ValueError, match="0 to 20 %"):
        integrated_days([D("4.5"), D("10")], reduction)


@pytest.mark.parametrize(("days", "reduction"), [
    ([], 0), (["4.5"], 10), (["4.3", "10"], 10), (["0", "10"], 0), ("4.5", 0),
])
def test_integrated_refuses_impossible_input(days, reduction):
    with pytest.raises(ValueError):
        integrated_days([D(d) for d in days] if isinstance(days, list) else days, reduction)


# --- §2.8 worked example and the justification ------------------------------------------------

def test_worked_example_step_by_step():
    initial = initial_audit_days("iso9001", 60, adjustment_percent=-10)
    assert initial == D("4.5")
    assert stage_split(initial) == (D("1.5"), D("3.0"))
    assert surveillance_days(initial) == D("1.5")
    assert recertification_days(initial) == D("3.0")
    assert minimum_on_site_days(initial) == D("3.6")
    isms = initial_audit_days("iso27001", 60)
    assert isms == D("10")
    assert integrated_days([initial, isms], 10) == D("13.0")


def test_worked_example_as_one_calculation():
    result = calculate("iso9001", 60, factors=[
        AdjustmentFactor("Low-risk activities", -10, "Office services only")])
    assert isinstance(result, AuditTimeCalculation)
    assert result.table_days == D(5)
    assert (result.band.min_personnel, result.band.max_personnel) == (46, 65)
    assert result.reduction_percent_requested == D(10)
    assert result.reduction_percent_applied == D(10)
    assert not result.reduction_capped
    assert result.net_adjustment_percent == D(-10)
    assert result.unrounded_days == D("4.5")
    assert result.initial_days == D("4.5")
    assert (result.stage1_days, result.stage2_days) == (D("1.5"), D("3.0"))
    assert result.surveillance_days == D("1.5")
    assert result.recertification_days == D("3.0")
    assert result.minimum_on_site_days == D("3.6")
    lines = result.lines()
    assert "46-65 persons" in lines[0]
    assert any("Office services only" in line for line in lines)
    assert not any("TIME-06" in line for line in lines)


def test_calculation_records_the_cap_and_each_factor():
    factors = [
        AdjustmentFactor("Several languages", 20, "Sites in three languages"),
        AdjustmentFactor("Low risk", -25, "Simple services"),
        AdjustmentFactor("High automation", "-20", "Automated production line"),
    ]
    result = calculate("iso27001", 60, factors=factors)
    assert result.factors == tuple(factors)
    assert result.increase_percent == D(20)
    assert result.reduction_percent_requested == D(45)
    assert result.reduction_percent_applied == D(30)
    assert result.reduction_capped
    assert result.net_adjustment_percent == D(-10)
    assert result.initial_days == D("9.0")
    assert any("capped at 30 % (TIME-06)" in line for line in result.lines())


def test_calculation_for_aims_keeps_the_role_and_the_stage_share():
    result = calculate("iso42001", 8, ai_role="producer", stage1_share_percent=40)
    assert result.ai_role == "producer"
    assert result.initial_days == D("5.0")
    assert (result.stage1_days, result.stage2_days) == (D("2.0"), D("3.0"))


def test_calculation_refuses_what_initial_audit_days_refuses():
    with pytest.raises(ValueError, match="11-15 persons, role user"):
        calculate("iso42001", 11, ai_role="user")
    with pytest.raises(TypeError):
        calculate("iso9001", 60, factors=[("Low risk", -10, "why")])


@pytest.mark.parametrize(("label", "justification"), [
    ("Low risk", ""), ("Low risk", "   "), ("", "Simple services"), ("Low risk", None),
])
def test_factor_needs_a_label_and_a_justification(label, justification):
    with pytest.raises(ValueError):
        AdjustmentFactor(label, -10, justification)


def test_factor_percent_is_decimal_and_never_float():
    assert AdjustmentFactor("Low risk", "-7.5", "why").percent == D("-7.5")
    with pytest.raises(TypeError):
        AdjustmentFactor("Low risk", -7.5, "why")
