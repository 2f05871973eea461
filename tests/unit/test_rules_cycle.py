"""Certification-cycle rules (domain.md §1.3-1.7, §1.11)."""

from dataclasses import fields
from datetime import date, datetime

import pytest

from auditkit.rules.cycle import (
    AUDIT_TYPES,
    CyclePolicy,
    PlannedAudit,
    ProgrammeWarning,
    check_programme,
    initial_expiry,
    initial_major_nc_verification_deadline,
    plan_cycle,
    plan_restored_cycle,
    restoration_deadline,
    stage2_latest_without_revalidation,
    suspension_end,
)
from auditkit.rules.policies import defaults

d = date

# A cycle decided on 15 March 2024: expiry 14 March 2027, surveillance 1 by 15 March 2025,
# surveillance 2 window 15 December 2025 - 15 June 2026, recertification 14 September 2026 -
# 14 January 2027 (target 14 December 2026).
DECISION = d(2024, 3, 15)


def audit(audit_type, start, end=None, status="completed", id=None):
    return PlannedAudit(audit_type, start, end or start, status, id)


def held_surveillances():
    return [audit("surveillance", d(2025, 2, 10), d(2025, 2, 11), id="S1"),
            audit("surveillance", d(2026, 3, 10), d(2026, 3, 11), id="S2")]


def check(audits, today, plan=None, **kwargs):
    plan = plan if plan is not None else plan_cycle(DECISION)
    return check_programme(plan, audits, today=today, **kwargs)


def rules(warnings, rule_id=None):
    return [(w.rule_id, w.severity) for w in warnings if rule_id in (None, w.rule_id)]


def only(warnings, rule_id):
    found = [w for w in warnings if w.rule_id == rule_id]
    assert len(found) == 1, warnings
    return found[0]


# --- policy ---------------------------------------------------------------------------------


def test_policy_defaults_are_the_catalogue_defaults():
    catalogue = defaults()
    policy = CyclePolicy()
    for policy_field in fields(CyclePolicy):
        assert getattr(policy, policy_field.name) == catalogue[policy_field.name]


def test_policy_from_values_ignores_unrelated_keys_and_parses_text():
    values = {**defaults(), "max_stage1_to_stage2": 3, "surveillance_2_window_before": "1",
              "cb_policy.surveillance_anchor": "original_anniversary", "major_days": 60,
              "recertification_target": None, "not_a_policy": object()}
    policy = CyclePolicy.from_values(values)
    assert policy.max_stage1_to_stage2 == 3
    assert policy.surveillance_2_window_before == 1
    assert policy.surveillance_anchor == "original_anniversary"
    assert policy.recertification_target == 3
    assert CyclePolicy.from_values({}) == CyclePolicy()


@pytest.mark.parametrize(("values", "message"), [
    ({"expiry_convention": "next_tuesday"}, "cb_policy.expiry_convention must be one of"),
    ({"surveillance_anchor": "moon"}, "cb_policy.surveillance_anchor"),
    ({"max_stage1_to_stage2": 25}, "cb_policy.max_stage1_to_stage2 must be from 1 to 24"),
    ({"surveillance_1_window_start": 0}, "from 1 to 12"),
    ({"max_suspension": True}, "whole number"),
    ({"recertification_target": 2.5}, "whole number"),
])
def test_policy_refuses_values_outside_the_catalogue(values, message):
    with pytest.raises(ValueError, match=message):
        CyclePolicy(**values)


def test_policy_from_values_refuses_bad_text():
    with pytest.raises(ValueError, match="whole number"):
        CyclePolicy.from_values({"max_stage1_to_stage2": "six"})


# --- expiry, CYC-VAL-01/03/04 ----------------------------------------------------------------


@pytest.mark.parametrize(("decision", "convention", "expiry"), [
    (d(2024, 3, 15), "minus_one_day", d(2027, 3, 14)),
    (d(2024, 3, 15), "same_day", d(2027, 3, 15)),
    # 29 February: add the years first (clamped to 28 February), then subtract the day.
    (d(2024, 2, 29), "minus_one_day", d(2027, 2, 27)),
    (d(2024, 2, 29), "same_day", d(2027, 2, 28)),
    (d(2021, 3, 1), "minus_one_day", d(2024, 2, 29)),
    (d(2023, 3, 1), "minus_one_day", d(2026, 2, 28)),
    (d(2024, 1, 1), "minus_one_day", d(2026, 12, 31)),
    (d(2024, 12, 31), "minus_one_day", d(2027, 12, 30)),
])
def test_initial_expiry_follows_the_convention(decision, convention, expiry):
    policy = CyclePolicy(expiry_convention=convention)
    assert initial_expiry(decision, policy) == expiry
    assert plan_cycle(decision, policy).certificate_expiry == expiry


def test_recertification_before_expiry_keeps_every_day_cyc_val_04():
    plan = plan_cycle(d(2027, 1, 20), previous_expiry=d(2027, 3, 14))
    assert plan.certificate_expiry == d(2030, 3, 14)
    assert plan.previous_expiry == d(2027, 3, 14) and not plan.restored
    assert plan.certificate_effective == d(2027, 1, 20)  # CYC-VAL-02
    # Surveillance follows the new decision date by default.
    assert plan.surveillance_1_latest == d(2028, 1, 20)


def test_recertification_ignores_the_expiry_convention_cyc_val_04():
    for convention in ("minus_one_day", "same_day"):
        plan = plan_cycle(d(2024, 1, 10), CyclePolicy(expiry_convention=convention),
                          previous_expiry=d(2024, 2, 29))
        assert plan.certificate_expiry == d(2027, 2, 28)


def test_recertification_decided_on_the_expiry_day_is_still_before_expiry():
    assert plan_cycle(d(2027, 3, 14), previous_expiry=d(2027, 3, 14)).certificate_expiry == \
        d(2030, 3, 14)


def test_a_previous_expiry_before_the_decision_is_a_restoration_not_cyc_val_04():
    with pytest.raises(ValueError, match="restoration .*CYC-REC-05.*plan_restored_cycle"):
        plan_cycle(d(2027, 3, 15), previous_expiry=d(2027, 3, 14))


# --- restoration, CYC-REC-05/06 ---------------------------------------------------------------


def test_restored_certificate_keeps_the_prior_cycle_expiry():
    plan = plan_restored_cycle(d(2027, 6, 1), d(2027, 3, 14))
    assert plan.restored and plan.previous_expiry == d(2027, 3, 14)
    assert plan.certificate_expiry == d(2030, 3, 14)
    assert plan.surveillance_1_latest == d(2028, 6, 1)
    assert plan.restoration_deadline == d(2030, 9, 14)


def test_restoration_is_possible_up_to_six_months_after_expiry():
    assert plan_restored_cycle(d(2027, 9, 14), d(2027, 3, 14)).certificate_expiry == \
        d(2030, 3, 14)
    with pytest.raises(ValueError, match="restoration deadline of 14 September 2027.*Stage 2"):
        plan_restored_cycle(d(2027, 9, 15), d(2027, 3, 14))


def test_restoration_after_an_extraordinary_event_allows_twelve_months_cyc_rec_06():
    plan = plan_restored_cycle(d(2028, 1, 10), d(2027, 3, 14), extraordinary_event=True)
    assert plan.certificate_expiry == d(2030, 3, 14)
    assert restoration_deadline(d(2027, 3, 14), extraordinary_event=True) == d(2028, 3, 14)
    with pytest.raises(ValueError, match="14 March 2028"):
        plan_restored_cycle(d(2028, 3, 15), d(2027, 3, 14), extraordinary_event=True)


def test_restoration_needs_a_decision_after_expiry():
    with pytest.raises(ValueError, match="CYC-VAL-04"):
        plan_restored_cycle(d(2027, 3, 14), d(2027, 3, 14))


# --- windows and targets ---------------------------------------------------------------------


def test_plan_of_a_default_cycle():
    plan = plan_cycle(DECISION)
    assert plan.decision_date == DECISION
    assert plan.surveillance_anchor_date == DECISION
    assert plan.certificate_expiry == d(2027, 3, 14)
    assert plan.surveillance_1_window == (d(2024, 12, 15), d(2025, 3, 15))
    assert plan.surveillance_1_latest == d(2025, 3, 15)
    assert plan.surveillance_2_target == d(2026, 3, 15)
    assert plan.surveillance_2_window == (d(2025, 12, 15), d(2026, 6, 15))
    assert plan.recertification_earliest == d(2026, 9, 14)
    assert plan.recertification_target == d(2026, 12, 14)
    assert plan.recertification_finish_by == d(2027, 1, 14)
    assert plan.recertification_decision_deadline == d(2027, 3, 14)
    assert plan.restoration_deadline == d(2027, 9, 14)
    assert plan.previous_expiry is None and not plan.restored
    assert plan.policy == CyclePolicy()


def test_31_january_decision_clamps_to_month_ends():
    plan = plan_cycle(d(2024, 1, 31))
    assert plan.certificate_expiry == d(2027, 1, 30)
    assert plan.surveillance_1_window == (d(2024, 10, 31), d(2025, 1, 31))
    assert plan.surveillance_2_window == (d(2025, 10, 31), d(2026, 4, 30))
    assert plan.surveillance_2_target == d(2026, 1, 31)
    assert plan.recertification_earliest == d(2026, 7, 30)
    assert plan.recertification_target == d(2026, 10, 30)
    assert plan.recertification_finish_by == d(2026, 11, 30)
    assert plan.restoration_deadline == d(2027, 7, 30)


def test_31_january_plus_one_month_clamps_to_february():
    one_month = CyclePolicy(max_stage1_to_stage2=1)
    assert stage2_latest_without_revalidation(d(2024, 1, 31), one_month) == d(2024, 2, 29)
    assert stage2_latest_without_revalidation(d(2023, 1, 31), one_month) == d(2023, 2, 28)


def test_29_february_decision_windows():
    plan = plan_cycle(d(2024, 2, 29))
    assert plan.surveillance_1_window == (d(2024, 11, 29), d(2025, 2, 28))
    # Months are added to the decision date, not to the clamped target.
    assert plan.surveillance_2_window == (d(2025, 11, 29), d(2026, 5, 29))
    assert plan.surveillance_2_target == d(2026, 2, 28)


def test_31_december_decision():
    plan = plan_cycle(d(2024, 12, 31))
    assert plan.certificate_expiry == d(2027, 12, 30)
    assert plan.surveillance_1_window == (d(2025, 9, 30), d(2025, 12, 31))
    assert plan.surveillance_2_window == (d(2026, 9, 30), d(2027, 3, 31))
    assert plan.recertification_target == d(2027, 9, 30)


@pytest.mark.parametrize(("decision", "window_opens"), [
    (d(2024, 11, 30), d(2025, 8, 30)),
    (d(2024, 8, 31), d(2025, 5, 31)),
    (d(2024, 5, 31), d(2025, 2, 28)),
    (d(2023, 5, 31), d(2024, 2, 29)),
])
def test_surveillance_1_window_opens_nine_months_after_the_decision(decision, window_opens):
    assert plan_cycle(decision).surveillance_1_window[0] == window_opens


def test_windows_follow_the_body_policy():
    policy = CyclePolicy(surveillance_1_window_start=10, surveillance_2_window_before=1,
                         surveillance_2_window_after=1, recertification_target=4,
                         recertification_earliest=8, recertification_finish_before_expiry=1,
                         expiry_convention="same_day")
    plan = plan_cycle(DECISION, policy)
    assert plan.certificate_expiry == d(2027, 3, 15)
    assert plan.surveillance_1_window == (d(2025, 1, 15), d(2025, 3, 15))
    assert plan.surveillance_2_window == (d(2026, 2, 15), d(2026, 4, 15))
    assert plan.recertification_earliest == d(2026, 7, 15)
    assert plan.recertification_target == d(2026, 11, 15)
    assert plan.recertification_finish_by == d(2027, 2, 15)
    assert plan.policy is policy


# --- surveillance anchor ----------------------------------------------------------------------


ANNIVERSARY = CyclePolicy(surveillance_anchor="original_anniversary")


def test_original_anniversary_anchors_surveillance_of_later_cycles():
    plan = plan_cycle(d(2027, 2, 1), ANNIVERSARY, previous_expiry=d(2027, 3, 14),
                      anchor_date=DECISION)
    assert plan.surveillance_anchor_date == d(2027, 3, 15)
    assert plan.surveillance_1_latest == d(2028, 3, 15)
    assert plan.surveillance_2_target == d(2029, 3, 15)
    assert plan.certificate_expiry == d(2030, 3, 14)


def test_original_anniversary_also_after_a_restoration():
    plan = plan_restored_cycle(d(2027, 6, 1), d(2027, 3, 14), ANNIVERSARY,
                               anchor_date=DECISION)
    assert plan.surveillance_anchor_date == d(2027, 3, 15)


def test_original_anniversary_accepts_this_cycles_anniversary_and_clamps_leap_days():
    assert plan_cycle(d(2027, 2, 1), ANNIVERSARY, anchor_date=d(2027, 3, 15)) \
        .surveillance_anchor_date == d(2027, 3, 15)
    assert plan_cycle(d(2027, 2, 10), ANNIVERSARY, anchor_date=d(2024, 2, 29)) \
        .surveillance_anchor_date == d(2027, 2, 28)


def test_anchor_date_is_ignored_under_the_decision_date_policy_or_when_missing():
    assert plan_cycle(d(2027, 2, 1), anchor_date=DECISION).surveillance_anchor_date == \
        d(2027, 2, 1)
    assert plan_cycle(d(2027, 2, 1), ANNIVERSARY).surveillance_anchor_date == d(2027, 2, 1)


def test_anchor_date_far_after_the_decision_is_refused():
    with pytest.raises(ValueError, match="more than a year after"):
        plan_cycle(d(2024, 1, 1), ANNIVERSARY, anchor_date=d(2025, 6, 1))


# --- other dates of §1.11 ---------------------------------------------------------------------


def test_single_dates():
    assert stage2_latest_without_revalidation(d(2024, 8, 31)) == d(2025, 2, 28)  # CYC-S1S2-03
    assert initial_major_nc_verification_deadline(d(2024, 8, 31)) == d(2025, 2, 28)  # DEC-03
    assert suspension_end(d(2024, 3, 31)) == d(2024, 9, 30)  # CYC-SUS-03
    assert suspension_end(d(2024, 3, 31), CyclePolicy(max_suspension=3)) == d(2024, 6, 30)
    assert restoration_deadline(d(2027, 8, 31)) == d(2028, 2, 29)  # CYC-REC-05


def test_dates_must_be_dates():
    with pytest.raises(TypeError, match="decision_date must be a date"):
        plan_cycle(datetime(2024, 3, 15, 9, 0))
    with pytest.raises(TypeError, match="decision_date"):
        plan_cycle("2024-03-15")
    with pytest.raises(TypeError, match="today"):
        check_programme(None, [], today=datetime(2024, 3, 15))


# --- PlannedAudit and ProgrammeWarning --------------------------------------------------------


def test_planned_audit_dates_in_order():
    with pytest.raises(ValueError, match="cannot end on 1 March 2024, before it starts on "
                                         "5 March 2024"):
        PlannedAudit("surveillance", d(2024, 3, 5), d(2024, 3, 1))
    one_day = PlannedAudit("surveillance", d(2024, 3, 5), d(2024, 3, 5))
    assert one_day.status == "planned" and one_day.id is None


@pytest.mark.parametrize(("audit_type", "status", "message"), [
    ("surveilance", "planned", "Unknown audit type 'surveilance'"),
    ("Stage1", "planned", "Unknown audit type"),
    ("stage1", "done", "Unknown audit status 'done'"),
])
def test_planned_audit_refuses_unknown_types_and_statuses(audit_type, status, message):
    with pytest.raises(ValueError, match=message):
        PlannedAudit(audit_type, d(2024, 3, 5), d(2024, 3, 6), status)


def test_planned_audit_accepts_every_domain_type():
    assert len(AUDIT_TYPES) == 10
    for audit_type in AUDIT_TYPES:
        PlannedAudit(audit_type, d(2024, 3, 5), d(2024, 3, 6), "confirmed", id=(1, audit_type))


def test_planned_audit_refuses_datetimes():
    with pytest.raises(TypeError, match="end_date"):
        PlannedAudit("stage1", d(2024, 3, 5), datetime(2024, 3, 6, 17, 0))


def test_warning_severity_is_checked():
    with pytest.raises(ValueError, match="Unknown severity 'error'"):
        ProgrammeWarning("CYC-SUR-02", "error", "text", d(2025, 1, 1))


# --- CYC-SUR-02 -------------------------------------------------------------------------------


@pytest.mark.parametrize(("today", "expected"), [
    (d(2024, 12, 14), []),
    (d(2024, 12, 15), [("CYC-SUR-02", "warn")]),  # T-90
    (d(2025, 1, 14), [("CYC-SUR-02", "warn")]),  # T-60
    (d(2025, 2, 13), [("CYC-SUR-02", "warn")]),  # T-30
    (d(2025, 3, 15), [("CYC-SUR-02", "warn")]),
    (d(2025, 3, 16), [("CYC-SUR-02", "block")]),
])
def test_surveillance_1_not_scheduled(today, expected):
    assert rules(check([], today), "CYC-SUR-02") == expected


def test_surveillance_1_reminder_names_the_limit_and_days_left():
    warning = only(check([], d(2025, 1, 14)), "CYC-SUR-02")
    assert warning.date == d(2025, 3, 15)
    assert "15 March 2025" in warning.message and "in 60 days" in warning.message
    assert "which is today" in only(check([], d(2025, 3, 15)), "CYC-SUR-02").message


def test_surveillance_1_overdue_is_a_suspension_ground():
    warning = only(check([], d(2025, 3, 16)), "CYC-SUR-02")
    assert warning.severity == "block" and "suspension" in warning.message
    assert "15 March 2025" in warning.message
    assert "decision on 15 March 2024" in warning.message


def test_surveillance_1_limit_follows_the_original_anniversary():
    plan = plan_cycle(d(2027, 2, 1), ANNIVERSARY, previous_expiry=d(2027, 3, 14),
                      anchor_date=DECISION)
    warning = only(check([], d(2028, 3, 16), plan), "CYC-SUR-02")
    assert warning.date == d(2028, 3, 15)
    assert "anniversary on 15 March 2027" in warning.message
    assert rules(check([], d(2028, 3, 15), plan), "CYC-SUR-02") == [("CYC-SUR-02", "warn")]


def test_surveillance_1_scheduled_in_time():
    planned = [audit("surveillance", d(2025, 2, 10), d(2025, 2, 12), "confirmed", id=7)]
    assert rules(check(planned, d(2025, 1, 14)), "CYC-SUR-02") == []
    # Its last day passed and nobody recorded it as held.
    stale = only(check(planned, d(2025, 2, 20)), "CYC-SUR-02")
    assert (stale.severity, stale.audit_id) == ("warn", 7)
    assert "12 February 2025" in stale.message
    overdue = only(check(planned, d(2025, 3, 16)), "CYC-SUR-02")
    assert (overdue.severity, overdue.audit_id) == ("block", 7)


def test_surveillance_1_completed_in_time_clears_the_rule():
    held = [audit("surveillance", d(2025, 3, 14), d(2025, 3, 15))]
    assert rules(check(held, d(2026, 1, 10)), "CYC-SUR-02") == []


@pytest.mark.parametrize("status", ["planned", "completed"])
def test_surveillance_1_ending_after_the_limit_is_blocked(status):
    late = [audit("surveillance", d(2025, 3, 14), d(2025, 3, 16), status, id="late")]
    warning = only(check(late, d(2024, 6, 1)), "CYC-SUR-02")
    assert (warning.severity, warning.audit_id, warning.date) == ("block", "late", d(2025, 3, 15))
    assert "16 March 2025" in warning.message


def test_cancelled_surveillance_counts_for_nothing():
    cancelled = [audit("surveillance", d(2025, 2, 10), status="cancelled")]
    assert rules(check(cancelled, d(2025, 3, 16)), "CYC-SUR-02") == [("CYC-SUR-02", "block")]


def test_other_audit_types_are_not_surveillance():
    special = [audit("special_short_notice", d(2025, 2, 10)), audit("nc_follow_up", d(2025, 2, 11))]
    assert rules(check(special, d(2025, 3, 16)), "CYC-SUR-02") == [("CYC-SUR-02", "block")]


# --- CYC-SUR-01 -------------------------------------------------------------------------------


def early_january_cycle():
    """Decided 2 January 2024; surveillance 1 held in 2024, surveillance 2 planned for 2026:
    2025 has no surveillance although every window is met."""
    plan = plan_cycle(d(2024, 1, 2))
    audits = [audit("surveillance", d(2024, 11, 20)),
              audit("surveillance", d(2026, 1, 10), status="planned")]
    return plan, audits


@pytest.mark.parametrize(("today", "expected"), [
    (d(2025, 9, 30), []),
    (d(2025, 10, 1), [("CYC-SUR-01", "warn")]),
    (d(2025, 12, 31), [("CYC-SUR-01", "warn")]),
    (d(2026, 1, 1), [("CYC-SUR-01", "block")]),
])
def test_calendar_year_without_surveillance(today, expected):
    plan, audits = early_january_cycle()
    assert rules(check(audits, today, plan), "CYC-SUR-01") == expected


def test_calendar_year_warning_names_the_year_and_its_last_day():
    plan, audits = early_january_cycle()
    warning = only(check(audits, d(2025, 10, 1), plan), "CYC-SUR-01")
    assert warning.date == d(2025, 12, 31)
    assert "2025" in warning.message and "31 December 2025" in warning.message


def test_calendar_year_surveillance_scheduled_later_in_the_year():
    plan, audits = early_january_cycle()
    audits.append(audit("surveillance", d(2025, 11, 18), d(2025, 11, 20), "planned"))
    assert rules(check(audits, d(2025, 10, 5), plan), "CYC-SUR-01") == []
    # Its last day passed without it being recorded as held.
    assert rules(check(audits, d(2025, 11, 25), plan), "CYC-SUR-01") == [("CYC-SUR-01", "warn")]
    assert rules(check(audits, d(2026, 1, 1), plan), "CYC-SUR-01") == [("CYC-SUR-01", "block")]


def test_calendar_year_counts_the_last_audit_day():
    plan, audits = early_january_cycle()
    audits.append(audit("surveillance", d(2024, 12, 30), d(2025, 1, 2)))
    assert rules(check(audits, d(2026, 1, 1), plan), "CYC-SUR-01") == []


def test_31_december_decision_and_the_calendar_year_rule():
    plan = plan_cycle(d(2024, 12, 31))
    s1 = audit("surveillance", d(2025, 12, 15))
    s2_planned = audit("surveillance", d(2026, 12, 20), status="planned")
    assert rules(check([s1, s2_planned], d(2026, 10, 2), plan), "CYC-SUR-01") == []
    assert rules(check([s1, s2_planned], d(2027, 1, 1), plan), "CYC-SUR-01") == \
        [("CYC-SUR-01", "block")]
    s2 = audit("surveillance", d(2026, 12, 20))
    recertification = audit("recertification", d(2027, 9, 15), d(2027, 9, 17))
    # The decision year 2024 and the recertification year 2027 need no surveillance.
    assert check([s1, s2, recertification], d(2027, 11, 15), plan) == []


def test_surveillance_1_in_the_decision_year_does_not_cover_the_next_year():
    plan = plan_cycle(d(2024, 12, 31))
    early = [audit("surveillance", d(2024, 12, 31))]
    assert rules(check(early, d(2026, 1, 1), plan), "CYC-SUR-01") == [("CYC-SUR-01", "block")]


def test_the_recertification_year_is_exempt():
    plan = plan_cycle(d(2024, 2, 15))
    surveillances = [audit("surveillance", d(2024, 12, 10)), audit("surveillance", d(2025, 12, 1))]
    in_2027 = audit("recertification", d(2027, 1, 10), d(2027, 1, 12), "planned")
    assert rules(check([*surveillances, in_2027], d(2026, 10, 1), plan), "CYC-SUR-01") == \
        [("CYC-SUR-01", "warn")]
    assert rules(check([*surveillances, in_2027], d(2027, 1, 1), plan), "CYC-SUR-01") == \
        [("CYC-SUR-01", "block")]
    in_2026 = audit("recertification", d(2026, 11, 20), d(2026, 11, 22), "planned")
    assert rules(check([*surveillances, in_2026], d(2026, 10, 1), plan), "CYC-SUR-01") == []


def test_an_unscheduled_recertification_exempts_its_target_year_only_while_it_lasts():
    plan = plan_cycle(d(2024, 2, 29))  # recertification target 27 November 2026
    surveillances = [audit("surveillance", d(2025, 2, 1)), audit("surveillance", d(2025, 12, 1))]
    assert rules(check(surveillances, d(2026, 12, 1), plan), "CYC-SUR-01") == []
    assert rules(check(surveillances, d(2027, 1, 5), plan), "CYC-SUR-01") == \
        [("CYC-SUR-01", "block")]


# --- surveillance 2 window and gap ------------------------------------------------------------


def test_surveillance_2_inside_its_window():
    audits = [audit("surveillance", d(2025, 2, 10)),
              audit("surveillance", d(2025, 12, 15), d(2025, 12, 16), "planned")]
    assert rules(check(audits, d(2025, 6, 1))) == []


@pytest.mark.parametrize(("start", "end"), [
    (d(2025, 12, 14), d(2025, 12, 16)),
    (d(2026, 6, 15), d(2026, 6, 16)),
])
def test_surveillance_2_outside_its_window(start, end):
    audits = [audit("surveillance", d(2025, 2, 10)),
              audit("surveillance", start, end, "planned", id="S2")]
    warning = only(check(audits, d(2025, 6, 1)), "CYC-SUR-03")
    assert (warning.severity, warning.audit_id) == ("warn", "S2")
    assert "15 December 2025 to 15 June 2026" in warning.message
    assert "policy" in warning.message


@pytest.mark.parametrize(("today", "expected"), [
    (d(2025, 12, 14), []),
    (d(2025, 12, 15), [("CYC-SUR-03", "warn")]),
    (d(2026, 6, 16), [("CYC-SUR-03", "warn")]),
])
def test_surveillance_2_missing(today, expected):
    assert rules(check([audit("surveillance", d(2025, 2, 10))], today), "CYC-SUR-03") == expected


def test_surveillance_2_missing_after_its_window_says_so():
    warning = only(check([audit("surveillance", d(2025, 2, 10))], d(2026, 6, 16)), "CYC-SUR-03")
    assert "was held" in warning.message and warning.date == d(2026, 6, 15)


def test_gap_between_surveillances_above_the_policy():
    audits = [audit("surveillance", d(2025, 1, 10)),
              audit("surveillance", d(2026, 4, 18), d(2026, 4, 20), "planned", id="S2")]
    warning = only(check(audits, d(2025, 6, 1)), "CYC-SUR-01")
    assert (warning.severity, warning.date, warning.audit_id) == ("warn", d(2026, 4, 10), "S2")
    assert "15 months" in warning.message and "10 January 2025" in warning.message
    assert rules(check(audits, d(2025, 6, 1), policy=CyclePolicy(surveillance_gap_warning=18))) \
        == []


def test_gap_exactly_at_the_policy_is_accepted():
    audits = [audit("surveillance", d(2025, 1, 10)),
              audit("surveillance", d(2026, 4, 10), status="planned")]
    assert rules(check(audits, d(2025, 6, 1))) == []


# --- CYC-S1S2-03 ------------------------------------------------------------------------------


STAGE1 = audit("stage1", d(2024, 1, 30), d(2024, 1, 31), id="S1")


@pytest.mark.parametrize(("stage2_start", "expected"), [
    (d(2024, 7, 31), []),
    (d(2024, 8, 1), [("CYC-S1S2-03", "block")]),
])
def test_stage2_more_than_six_months_after_stage1(stage2_start, expected):
    stage2 = audit("stage2", stage2_start, status="planned", id="S2")
    assert rules(check_programme(None, [STAGE1, stage2], today=d(2024, 3, 1))) == expected


def test_stage2_blocked_names_both_dates_and_the_way_out():
    stage2 = audit("stage2", d(2024, 8, 1), status="planned", id="S2")
    warning = only(check_programme(None, [STAGE1, stage2], today=d(2024, 3, 1)), "CYC-S1S2-03")
    assert warning.audit_id == "S2" and warning.date == d(2024, 8, 1)
    assert "31 January 2024" in warning.message and "1 August 2024" in warning.message
    assert "still valid" in warning.message and "repeat Stage 1" in warning.message


def test_stage2_after_the_gap_is_allowed_once_stage1_is_validated():
    stage2 = audit("stage2", d(2024, 8, 1), status="planned")
    found = check_programme(None, [STAGE1, stage2], today=d(2024, 3, 1), stage1_validated=True)
    assert rules(found) == [("CYC-S1S2-03", "info")]


def test_stage2_gap_uses_the_body_policy_with_month_end_clamping():
    one_month = CyclePolicy(max_stage1_to_stage2=1)
    on_time = audit("stage2", d(2024, 2, 29), status="planned")
    late = audit("stage2", d(2024, 3, 1), status="planned")
    assert check_programme(None, [STAGE1, on_time], today=d(2024, 2, 1), policy=one_month) == []
    assert rules(check_programme(None, [STAGE1, late], today=d(2024, 2, 1), policy=one_month)) \
        == [("CYC-S1S2-03", "block")]


@pytest.mark.parametrize(("today", "validated", "expected"), [
    (d(2024, 6, 30), False, []),
    (d(2024, 7, 1), False, [("CYC-S1S2-03", "warn")]),
    (d(2024, 7, 31), False, [("CYC-S1S2-03", "warn")]),
    (d(2024, 8, 1), False, [("CYC-S1S2-03", "block")]),
    (d(2024, 8, 1), True, []),
])
def test_stage2_not_scheduled(today, validated, expected):
    cancelled = audit("stage2", d(2024, 5, 1), status="cancelled")
    found = check_programme(None, [STAGE1, cancelled], today=today, stage1_validated=validated)
    assert rules(found) == expected


def test_a_repeated_stage1_restarts_the_gap():
    repeat = audit("stage1", d(2024, 9, 2), d(2024, 9, 3))
    stage2 = audit("stage2", d(2025, 1, 10), status="planned")
    assert check_programme(None, [STAGE1, repeat, stage2], today=d(2024, 10, 1)) == []


def test_repeating_stage1_more_than_once_is_flagged():
    stage1s = [audit("stage1", d(2023, 1, 10)), STAGE1, audit("stage1", d(2024, 9, 2))]
    warning = only(check_programme(None, stage1s, today=d(2024, 9, 10)), "CYC-S1S2-03")
    assert warning.severity == "warn" and "3 times" in warning.message


def test_no_stage1_no_stage_warnings():
    assert check_programme(None, [audit("stage2", d(2024, 3, 1))], today=d(2025, 1, 1)) == []


def test_stage_checks_stop_once_the_cycle_has_a_plan():
    stage2 = audit("stage2", d(2024, 8, 1), d(2024, 8, 2))
    plan = plan_cycle(d(2024, 9, 10))
    assert check_programme(plan, [STAGE1, stage2], today=d(2024, 10, 1)) == []


# --- recertification, CYC-REC-01/03/04/05 -----------------------------------------------------


@pytest.mark.parametrize(("today", "expected"), [
    (d(2026, 9, 13), []),
    (d(2026, 9, 14), [("CYC-REC-01", "warn")]),
])
def test_recertification_not_scheduled_by_expiry_minus_six_months(today, expected):
    assert rules(check(held_surveillances(), today)) == expected


def test_recertification_not_scheduled_message():
    warning = only(check(held_surveillances(), d(2026, 10, 1)), "CYC-REC-01")
    assert warning.date == d(2026, 9, 14)
    for day in ("14 September 2026", "14 December 2026", "14 January 2027", "14 March 2027"):
        assert day in warning.message


@pytest.mark.parametrize(("start", "end", "expected"), [
    (d(2026, 12, 1), d(2026, 12, 3), []),
    (d(2026, 9, 14), d(2026, 9, 16), []),
    (d(2027, 1, 12), d(2027, 1, 14), []),
    (d(2026, 9, 1), d(2026, 9, 3), [("CYC-REC-01", "warn")]),
    (d(2027, 1, 13), d(2027, 1, 15), [("CYC-REC-03", "warn")]),
    (d(2027, 3, 12), d(2027, 3, 14), [("CYC-REC-03", "warn")]),
    (d(2027, 3, 13), d(2027, 3, 15), [("CYC-REC-04", "block")]),
])
def test_recertification_schedule(start, end, expected):
    recertification = audit("recertification", start, end, "planned", id="R")
    found = check([*held_surveillances(), recertification], d(2026, 10, 1))
    assert rules(found) == expected
    assert all(w.audit_id == "R" for w in found)


def test_cancelled_recertification_is_not_scheduled():
    cancelled = audit("recertification", d(2026, 12, 1), status="cancelled")
    assert rules(check([*held_surveillances(), cancelled], d(2026, 10, 1))) == \
        [("CYC-REC-01", "warn")]


def recertified():
    return [*held_surveillances(), audit("recertification", d(2026, 12, 1), d(2026, 12, 3))]


@pytest.mark.parametrize(("today", "expected"), [
    (d(2027, 2, 11), []),
    (d(2027, 2, 12), [("CYC-REC-04", "warn")]),
    (d(2027, 3, 14), [("CYC-REC-04", "warn")]),
    (d(2027, 3, 15), [("CYC-REC-04", "block"), ("CYC-REC-05", "info")]),
    (d(2027, 9, 14), [("CYC-REC-04", "block"), ("CYC-REC-05", "info")]),
    (d(2027, 9, 15), [("CYC-REC-04", "block"), ("CYC-REC-05", "warn")]),
])
def test_recertification_decision_deadline(today, expected):
    assert rules(check(recertified(), today)) == expected


def test_expired_certificate_messages():
    found = check(recertified(), d(2027, 3, 15))
    expired = only(found, "CYC-REC-04")
    assert expired.date == d(2027, 3, 14) and "expired on 14 March 2027" in expired.message
    restoration = only(found, "CYC-REC-05")
    assert restoration.date == d(2027, 9, 14) and "14 September 2027" in restoration.message
    assert "Stage 2" in restoration.message


def test_a_recertification_decision_ends_the_recertification_checks():
    assert check(held_surveillances(), d(2027, 10, 1), recertification_decided=True) == []


def test_the_recertification_that_started_a_cycle_is_not_this_cycles():
    previous = audit("recertification", d(2026, 12, 1), d(2026, 12, 3))
    plan = plan_cycle(d(2027, 1, 20), previous_expiry=d(2027, 3, 14))
    surveillances = [audit("surveillance", d(2028, 1, 10)), audit("surveillance", d(2029, 1, 15))]
    assert plan.recertification_earliest == d(2029, 9, 14)
    assert rules(check([previous, *surveillances], d(2029, 9, 14), plan)) == \
        [("CYC-REC-01", "warn")]


# --- the programme as a whole -----------------------------------------------------------------


def test_a_programme_on_its_targets_raises_nothing():
    audits = [audit("surveillance", d(2025, 3, 13), d(2025, 3, 15)),
              audit("surveillance", d(2026, 3, 13), d(2026, 3, 15)),
              audit("recertification", d(2026, 12, 14), d(2026, 12, 16), "confirmed")]
    assert check(audits, d(2026, 12, 1)) == []


def test_an_empty_cycle_after_expiry():
    found = check([], d(2027, 4, 1))
    assert rules(found) == [
        ("CYC-SUR-02", "block"), ("CYC-SUR-01", "block"), ("CYC-SUR-01", "block"),
        ("CYC-REC-04", "block"), ("CYC-SUR-03", "warn"), ("CYC-REC-01", "warn"),
        ("CYC-REC-05", "info"),
    ]
    assert [w.date for w in found if w.rule_id == "CYC-SUR-01"] == [d(2025, 12, 31),
                                                                    d(2026, 12, 31)]


def test_warnings_come_most_severe_first_then_by_date():
    found = check([], d(2027, 4, 1))
    ranks = [("block", "warn", "info").index(w.severity) for w in found]
    assert ranks == sorted(ranks)
    blocks = [w.date for w in found if w.severity == "block"]
    assert blocks == sorted(blocks)


def test_check_uses_the_plans_policy_unless_given():
    gap_18 = CyclePolicy(surveillance_gap_warning=18)
    plan = plan_cycle(DECISION, gap_18)
    audits = [audit("surveillance", d(2025, 1, 10)),
              audit("surveillance", d(2026, 4, 20), status="planned")]
    assert check(audits, d(2025, 6, 1), plan) == []
    assert rules(check(audits, d(2025, 6, 1), plan, policy=CyclePolicy())) == \
        [("CYC-SUR-01", "warn")]


def test_check_accepts_any_iterable_of_audits():
    assert check(iter(held_surveillances()), d(2026, 4, 1)) == []
