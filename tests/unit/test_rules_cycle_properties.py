"""Property tests for the certification-cycle rules (domain.md §1.5-1.7, §1.11)."""

from dataclasses import asdict
from datetime import date, timedelta

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import assume, given
from hypothesis import strategies as st

from auditkit.rules.cycle import (
    AUDIT_STATUSES,
    AUDIT_TYPES,
    SEVERITIES,
    CyclePolicy,
    PlannedAudit,
    check_programme,
    plan_cycle,
    plan_restored_cycle,
)
from auditkit.rules.policies import POLICIES_BY_NAME

decisions = st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31))


def _months(name):
    definition = POLICIES_BY_NAME[name]
    return st.integers(definition.minimum, definition.maximum)


policies = st.builds(
    CyclePolicy,
    expiry_convention=st.sampled_from(["minus_one_day", "same_day"]),
    max_stage1_to_stage2=_months("max_stage1_to_stage2"),
    surveillance_1_window_start=_months("surveillance_1_window_start"),
    surveillance_2_window_before=_months("surveillance_2_window_before"),
    surveillance_2_window_after=_months("surveillance_2_window_after"),
    surveillance_gap_warning=_months("surveillance_gap_warning"),
    surveillance_anchor=st.sampled_from(["decision_date", "original_anniversary"]),
    recertification_target=_months("recertification_target"),
    recertification_earliest=_months("recertification_earliest"),
    recertification_finish_before_expiry=_months("recertification_finish_before_expiry"),
    max_suspension=_months("max_suspension"),
)


@given(decisions, policies)
def test_windows_are_ordered(decision, policy):
    plan = plan_cycle(decision, policy)
    s1_start, s1_end = plan.surveillance_1_window
    s2_start, s2_end = plan.surveillance_2_window
    assert decision < s1_start <= s1_end == plan.surveillance_1_latest < s2_start
    assert s2_start <= plan.surveillance_2_target <= s2_end < plan.certificate_expiry
    assert plan.recertification_decision_deadline == plan.certificate_expiry
    assert plan.certificate_expiry < plan.restoration_deadline


@given(decisions, policies)
def test_recertification_dates_are_ordered_when_the_policy_is(decision, policy):
    assume(policy.recertification_finish_before_expiry <= policy.recertification_target
           <= policy.recertification_earliest)
    plan = plan_cycle(decision, policy)
    assert plan.recertification_earliest <= plan.recertification_target \
        <= plan.recertification_finish_by <= plan.certificate_expiry


@given(decisions, policies)
def test_surveillance_1_latest_is_twelve_months_after_the_decision(decision, policy):
    assert plan_cycle(decision, policy).surveillance_1_latest == \
        decision + relativedelta(months=12)


@given(decisions, policies)
def test_expiry_is_three_years_on_less_at_most_a_day(decision, policy):
    plan = plan_cycle(decision, policy)
    assert plan.certificate_expiry > decision
    three_years = decision + relativedelta(years=3)
    expected_lag = 1 if policy.expiry_convention == "minus_one_day" else 0
    assert three_years - plan.certificate_expiry == timedelta(days=expected_lag)


@given(decisions, st.integers(0, 400), policies)
def test_recertification_before_expiry_loses_no_days(decision, days_early, policy):
    previous_expiry = decision + timedelta(days=days_early)
    plan = plan_cycle(decision, policy, previous_expiry=previous_expiry)
    assert plan.certificate_expiry == previous_expiry + relativedelta(years=3)
    assert plan.certificate_expiry >= plan_cycle(decision, policy).certificate_expiry


@given(decisions, st.integers(1, 400))
def test_a_decision_after_the_previous_expiry_is_never_a_recertification(decision, days_late):
    with pytest.raises(ValueError, match="restoration"):
        plan_cycle(decision, previous_expiry=decision - timedelta(days=days_late))


@given(decisions, st.integers(1, 184))
def test_restoration_keeps_the_prior_cycle(previous_expiry, days_late):
    decision = previous_expiry + timedelta(days=days_late)
    assume(decision <= previous_expiry + relativedelta(months=6))
    plan = plan_restored_cycle(decision, previous_expiry)
    assert plan.certificate_expiry == previous_expiry + relativedelta(years=3)
    assert plan.certificate_expiry < decision + relativedelta(years=3)


@given(decisions, decisions)
def test_original_anniversary_anchor_stays_within_half_a_year(original, decision):
    assume(original <= decision)
    policy = CyclePolicy(surveillance_anchor="original_anniversary")
    anchor = plan_cycle(decision, policy, anchor_date=original).surveillance_anchor_date
    assert (anchor.month, anchor.day) in {(original.month, original.day), (2, 28)}
    assert abs((anchor - decision).days) <= 184


@given(policies)
def test_policy_round_trips_through_its_values(policy):
    values = asdict(policy)
    assert CyclePolicy.from_values(values) == policy
    assert CyclePolicy.from_values({name: str(value) for name, value in values.items()}) == policy


@given(decisions)
def test_a_programme_held_on_its_targets_raises_nothing(decision):
    plan = plan_cycle(decision)
    today = plan.certificate_expiry - timedelta(days=31)

    def held(start, end):
        return PlannedAudit("surveillance" if start < plan.recertification_earliest
                            else "recertification", start, end,
                            "completed" if end < today else "planned")

    audits = [held(plan.surveillance_1_latest, plan.surveillance_1_latest),
              held(plan.surveillance_2_target, plan.surveillance_2_target),
              held(plan.recertification_target, plan.recertification_finish_by)]
    assert check_programme(plan, audits, today=today) == []


audits = st.builds(
    lambda audit_type, start, days, status, number: PlannedAudit(
        audit_type, start, start + timedelta(days=days), status, number),
    st.sampled_from(AUDIT_TYPES), st.dates(date(2023, 1, 1), date(2031, 12, 31)),
    st.integers(0, 5), st.sampled_from(AUDIT_STATUSES), st.integers(),
)


@given(st.none() | st.builds(plan_cycle, st.dates(date(2024, 1, 1), date(2027, 12, 31)),
                             policies),
       st.lists(audits, max_size=8), st.dates(date(2023, 1, 1), date(2032, 12, 31)),
       st.booleans(), st.booleans())
def test_any_programme_gets_well_formed_warnings(plan, programme, today, validated, decided):
    found = check_programme(plan, programme, today=today, stage1_validated=validated,
                            recertification_decided=decided)
    ids = {audit.id for audit in programme}
    assert all(w.severity in SEVERITIES and w.message and w.rule_id.startswith("CYC-")
               for w in found)
    assert all(w.audit_id is None or w.audit_id in ids for w in found)
    ranks = [SEVERITIES[::-1].index(w.severity) for w in found]
    assert ranks == sorted(ranks)
    cancelled_dropped = [a for a in programme if a.status != "cancelled"]
    assert check_programme(plan, cancelled_dropped, today=today, stage1_validated=validated,
                           recertification_decided=decided) == found


@given(st.dates(), st.dates())
def test_planned_audit_refuses_exactly_the_reversed_dates(start, end):
    if end < start:
        with pytest.raises(ValueError, match="before it starts"):
            PlannedAudit("surveillance", start, end)
    else:
        assert PlannedAudit("surveillance", start, end).end_date == end
