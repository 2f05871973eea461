"""Audit team checks, domain.md §5.3 (TEAM-01..08) and §5.4 (IMP-02, IMP-03, IMP-05), CYC-SPE-02.

Each test starts from a team that passes every check and breaks one thing."""

from dataclasses import replace
from datetime import date

import pytest

from auditkit.rules.team import (
    BLOCK,
    WARN,
    Assignment,
    AuditUnderPlan,
    Engagement,
    Qualification,
    TeamIssue,
    TeamMember,
    check_team,
    has_blocking_issue,
    team_coverage,
)

START, END = date(2025, 3, 10), date(2025, 3, 12)
CLIENT = "client-7"


def audit(**changes) -> AuditUnderPlan:
    base = AuditUnderPlan(
        schemes=frozenset({"iso9001", "iso42001"}), start_date=START, end_date=END,
        client_ref=CLIENT,
        technical_areas=frozenset({("iso9001", "IAF 33"), ("iso42001", "machine learning")}),
        language="English", audit_ref="audit-1")
    return replace(base, **changes)


def lead(**changes) -> TeamMember:
    base = TeamMember(
        person_ref="p-lead", name="Lead Auditor Ada", audit_role="lead_auditor",
        qualifications=(
            Qualification("iso9001", "lead_auditor", frozenset({"IAF 33"}), date(2019, 1, 1)),
            Qualification("iso42001", "lead_auditor", frozenset(), date(2024, 6, 1),
                          date(2026, 12, 31)),
        ),
        languages=frozenset({"English", "German"}), impartiality_declared=True,
        times_led_client_cycles=1)
    return replace(base, **changes)


def auditor(**changes) -> TeamMember:
    base = TeamMember(
        person_ref="p-aud", name="Auditor Ben", audit_role="auditor",
        qualifications=(
            Qualification("iso9001", "auditor", frozenset(), date(2021, 1, 1)),
            Qualification("iso42001", "auditor", frozenset(), date(2024, 1, 1),
                          date(2027, 1, 1)),
        ),
        languages=frozenset({"English"}), impartiality_declared=True)
    return replace(base, **changes)


def expert(**changes) -> TeamMember:
    base = TeamMember(
        person_ref="p-te", name="Expert Chloe", audit_role="technical_expert",
        qualifications=(Qualification("iso42001", "technical_expert",
                                      frozenset({"machine learning"}), date(2023, 1, 1)),),
        languages=frozenset({"French"}), impartiality_declared=True)
    return replace(base, **changes)


def witness(**changes) -> TeamMember:
    base = TeamMember(person_ref="p-obs", name="Witness Dan", audit_role="observer",
                      has_login=False)
    return replace(base, **changes)


def team(**replacements) -> list[TeamMember]:
    members = {"lead": lead(), "auditor": auditor(), "expert": expert(), "witness": witness()}
    members.update(replacements)
    return [member for member in members.values() if member is not None]


def only_issue(issues: list[TeamIssue]) -> TeamIssue:
    assert len(issues) == 1, issues
    return issues[0]


# --- a clean team -----------------------------------------------------------------------------

def test_clean_team_has_no_issues():
    assert check_team(audit(), team()) == []
    assert check_team(audit(), team(), confirming=True) == []
    assert not has_blocking_issue([])


def test_coverage_names_who_covers_each_area():
    assert team_coverage(audit(), team()) == {
        ("iso42001", "machine learning"): ("p-te",),
        ("iso9001", "IAF 33"): ("p-lead",),
    }


# --- TEAM-01 qualification valid on every audit day -------------------------------------------

def test_qualification_expiring_during_the_audit_blocks():
    short = auditor(qualifications=(
        Qualification("iso9001", "auditor", frozenset(), date(2021, 1, 1)),
        Qualification("iso42001", "auditor", frozenset(), date(2024, 1, 1), date(2025, 3, 11)),
    ))
    issue = only_issue(check_team(audit(), team(auditor=short)))
    assert (issue.rule_id, issue.severity, issue.person_ref) == ("TEAM-01", BLOCK, "p-aud")
    assert "Auditor Ben" in issue.message
    assert "ISO/IEC 42001" in issue.message and "expires on 2025-03-11" in issue.message


def test_qualification_valid_today_but_starting_mid_audit_blocks():
    late = auditor(qualifications=(
        Qualification("iso9001", "auditor", frozenset(), date(2025, 3, 11)),
        Qualification("iso42001", "auditor", frozenset(), date(2024, 1, 1)),
    ))
    issue = only_issue(check_team(audit(), team(auditor=late)))
    assert issue.rule_id == "TEAM-01"
    assert "ISO 9001" in issue.message and "valid only from 2025-03-11" in issue.message


def test_qualification_ending_on_the_last_audit_day_is_enough():
    exact = auditor(qualifications=(
        Qualification("iso9001", "auditor", frozenset(), START, END),
        Qualification("iso42001", "auditor", frozenset(), START, END),
    ))
    assert check_team(audit(), team(auditor=exact)) == []


def test_auditor_without_a_qualification_for_one_scheme_blocks():
    issue = only_issue(check_team(audit(), team(auditor=auditor(
        qualifications=auditor().qualifications[:1]))))
    assert issue.rule_id == "TEAM-01"
    assert "no qualification to audit ISO/IEC 42001" in issue.message


def test_technical_expert_qualification_does_not_qualify_an_auditor():
    as_expert = auditor(qualifications=(
        *auditor().qualifications[:1],
        Qualification("iso42001", "technical_expert", frozenset(), date(2020, 1, 1)),
    ))
    assert only_issue(check_team(audit(), team(auditor=as_expert))).rule_id == "TEAM-01"


def test_technical_experts_and_observers_need_no_scheme_qualification():
    members = team(expert=expert(qualifications=()),
                   witness=witness(has_login=True, impartiality_declared=True),
                   auditor=None)
    audit_without_ai_area = audit(technical_areas=frozenset({("iso9001", "IAF 33")}))
    assert check_team(audit_without_ai_area, members) == []


# --- TEAM-03 lead, coverage, language ---------------------------------------------------------

def test_no_lead_auditor_blocks():
    issue = only_issue(check_team(audit(), team(lead=lead(audit_role="auditor"))))
    assert (issue.rule_id, issue.severity, issue.person_ref) == ("TEAM-03", BLOCK, None)
    assert "no lead auditor" in issue.message


def test_two_lead_auditors_block():
    second = lead(person_ref="p-lead-2", name="Lead Auditor Eve", times_led_client_cycles=0)
    issue = only_issue(check_team(audit(), [*team(), second]))
    assert issue.rule_id == "TEAM-03"
    assert "Lead Auditor Ada" in issue.message and "Lead Auditor Eve" in issue.message


def test_lead_without_lead_qualification_for_a_scheme_blocks():
    not_lead = lead(qualifications=(
        lead().qualifications[0],
        Qualification("iso42001", "auditor", frozenset(), date(2024, 1, 1)),
    ))
    issue = only_issue(check_team(audit(), team(lead=not_lead)))
    assert (issue.rule_id, issue.person_ref) == ("TEAM-03", "p-lead")
    assert "Lead Auditor Ada is not qualified as lead auditor for ISO/IEC 42001" in issue.message


def test_lead_qualification_expired_before_the_audit_blocks():
    expired = lead(qualifications=(
        lead().qualifications[0],
        Qualification("iso42001", "lead_auditor", frozenset(), date(2022, 1, 1),
                      date(2025, 3, 1)),
        Qualification("iso42001", "auditor", frozenset(), date(2022, 1, 1)),
    ))
    issue = only_issue(check_team(audit(), team(lead=expired)))
    assert (issue.rule_id, issue.person_ref) == ("TEAM-03", "p-lead")


def test_lead_with_no_qualification_at_all_is_reported_once():
    bare = lead(qualifications=lead().qualifications[:1])
    issue = only_issue(check_team(audit(), team(lead=bare)))
    assert issue.rule_id == "TEAM-01"


def test_uncovered_ai_area_blocks_with_team_06():
    issue = only_issue(check_team(audit(), team(expert=None)))
    assert (issue.rule_id, issue.severity, issue.person_ref) == ("TEAM-06", BLOCK, None)
    assert "ISO/IEC 42001 technical area machine learning" in issue.message


def test_uncovered_qms_area_blocks_with_team_03():
    changed = audit(technical_areas=audit().technical_areas | {("iso9001", "IAF 28")})
    issue = only_issue(check_team(changed, team()))
    assert issue.rule_id == "TEAM-03" and "ISO 9001 technical area IAF 28" in issue.message


def test_area_of_another_scheme_does_not_count():
    # Holding "IAF 33" for ISO/IEC 42001 does not cover the ISO 9001 area IAF 33.
    wrong_scheme = lead(qualifications=(
        Qualification("iso9001", "lead_auditor", frozenset(), date(2019, 1, 1)),
        Qualification("iso42001", "lead_auditor", frozenset({"IAF 33"}), date(2024, 1, 1)),
    ))
    issue = only_issue(check_team(audit(), team(lead=wrong_scheme)))
    assert issue.rule_id == "TEAM-03" and "IAF 33" in issue.message


def test_expired_technical_expert_does_not_cover_the_area():
    expired = expert(qualifications=(Qualification(
        "iso42001", "technical_expert", frozenset({"machine learning"}), date(2020, 1, 1),
        date(2025, 3, 10)),))
    assert only_issue(check_team(audit(), team(expert=expired))).rule_id == "TEAM-06"


def test_auditor_may_cover_the_area_instead_of_an_expert():
    covering = auditor(qualifications=(
        auditor().qualifications[0],
        Qualification("iso42001", "auditor", frozenset({"machine learning"}), date(2024, 1, 1)),
    ))
    assert check_team(audit(), team(auditor=covering, expert=None)) == []


def test_observer_does_not_cover_an_area():
    observer = witness(has_login=True, impartiality_declared=True,
                       qualifications=expert().qualifications)
    assert only_issue(check_team(audit(), team(expert=None, witness=observer))).rule_id == \
        "TEAM-06"


def test_no_auditor_speaking_the_language_blocks():
    # The technical expert speaks French but is not an auditor (TEAM-03).
    issue = only_issue(check_team(audit(language="French"), team()))
    assert (issue.rule_id, issue.severity, issue.person_ref) == ("TEAM-03", BLOCK, None)
    assert "French" in issue.message


def test_language_match_ignores_case():
    assert check_team(audit(language="german"), team()) == []


# --- IMP-03 conflicts -------------------------------------------------------------------------

@pytest.mark.parametrize("ended_on", [None, date(2023, 3, 11), date(2025, 1, 31),
                                      date(2025, 4, 1)])
def test_consultancy_within_two_years_blocks(ended_on):
    consultant = auditor(engagements=(Engagement("consultancy", CLIENT, ended_on),))
    issue = only_issue(check_team(audit(), team(auditor=consultant)))
    assert (issue.rule_id, issue.severity, issue.person_ref) == ("IMP-03", BLOCK, "p-aud")
    assert "Auditor Ben" in issue.message and "consultancy" in issue.message
    assert "policy" not in issue.message  # a requirement, not the body's policy


@pytest.mark.parametrize("engagement", [
    Engagement("consultancy", CLIENT, date(2023, 3, 10)),  # exactly two years before
    Engagement("consultancy", "another-client", None),
])
def test_consultancy_that_does_not_block(engagement):
    assert check_team(audit(), team(auditor=auditor(engagements=(engagement,)))) == []


def test_consultancy_is_not_shortened_by_the_employment_policy():
    consultant = auditor(engagements=(Engagement("consultancy", CLIENT, date(2024, 1, 1)),))
    assert only_issue(check_team(audit(), team(auditor=consultant),
                                 employment_cooling_off_years=0)).rule_id == "IMP-03"


def test_former_employment_within_the_cooling_off_blocks_as_policy():
    former = auditor(engagements=(Engagement("employment", CLIENT, date(2024, 1, 1)),))
    issue = only_issue(check_team(audit(), team(auditor=former)))
    assert (issue.rule_id, issue.severity) == ("IMP-03", BLOCK)
    assert "body's policy" in issue.message and "employed" in issue.message
    assert check_team(audit(), team(auditor=former), employment_cooling_off_years=1) == []
    assert only_issue(check_team(audit(), team(auditor=former),
                                 employment_cooling_off_years=3)).rule_id == "IMP-03"


def test_current_employment_blocks_even_without_cooling_off():
    employee = auditor(engagements=(Engagement("employment", CLIENT),))
    issue = only_issue(check_team(audit(), team(auditor=employee),
                                  employment_cooling_off_years=0))
    assert issue.rule_id == "IMP-03" and "is employed by" in issue.message


def test_related_body_consultancy_blocks_the_audit():
    related = audit(related_body_engagements=(Engagement("consultancy", CLIENT,
                                                         date(2024, 6, 30)),))
    issue = only_issue(check_team(related, team()))
    assert (issue.rule_id, issue.severity, issue.person_ref) == ("IMP-02", BLOCK, None)
    past = audit(related_body_engagements=(Engagement("consultancy", CLIENT,
                                                      date(2022, 6, 30)),))
    assert check_team(past, team()) == []


# --- TEAM-08 (auditkit's own check) -----------------------------------------------------------

@pytest.mark.parametrize(("start", "end"), [
    (date(2025, 3, 12), date(2025, 3, 14)), (date(2025, 3, 7), date(2025, 3, 10)),
    (date(2025, 3, 11), date(2025, 3, 11)), (date(2025, 3, 1), date(2025, 3, 31)),
])
def test_overlapping_audit_blocks(start, end):
    busy = auditor(other_assignments=((start, end, "audit-9"),))
    issue = only_issue(check_team(audit(), team(auditor=busy)))
    assert (issue.rule_id, issue.severity, issue.person_ref) == ("TEAM-08", BLOCK, "p-aud")
    assert "Auditor Ben" in issue.message and "audit-9" in issue.message
    assert "auditkit's own check" in issue.message


@pytest.mark.parametrize("assignment", [
    Assignment(date(2025, 3, 13), date(2025, 3, 14), "audit-9"),
    Assignment(date(2025, 3, 3), date(2025, 3, 9), "audit-9"),
    Assignment(START, END, "audit-1"),  # this audit itself
])
def test_audits_on_other_days_do_not_block(assignment):
    assert check_team(audit(), team(auditor=auditor(other_assignments=(assignment,)))) == []


def test_person_listed_twice_blocks():
    issue = only_issue(check_team(audit(), [*team(), auditor()]))
    assert (issue.rule_id, issue.person_ref) == ("TEAM-08", "p-aud")
    assert "twice" in issue.message


# --- TEAM-04 objection, CYC-SPE-02 ------------------------------------------------------------

def test_client_objection_blocks_the_member():
    objected = auditor(objected_by_client=True, objection_reason="audited our competitor")
    issue = only_issue(check_team(audit(), team(auditor=objected)))
    assert (issue.rule_id, issue.severity, issue.person_ref) == ("TEAM-04", BLOCK, "p-aud")
    assert "Auditor Ben" in issue.message and "audited our competitor" in issue.message


def test_objection_on_unannounced_audit_is_only_recorded():
    objected = auditor(objected_by_client=True, objection_reason="audited our competitor")
    issue = only_issue(check_team(audit(client_objection_allowed=False),
                                  team(auditor=objected)))
    assert (issue.rule_id, issue.severity) == ("CYC-SPE-02", WARN)
    assert "Auditor Ben" in issue.message and "recorded" in issue.message
    assert not has_blocking_issue([issue])


# --- IMP-05 declaration -----------------------------------------------------------------------

def test_missing_declaration_warns_while_planning_and_blocks_confirmation():
    undeclared = team(expert=expert(impartiality_declared=False))
    planning = only_issue(check_team(audit(), undeclared))
    assert (planning.rule_id, planning.severity, planning.person_ref) == \
        ("IMP-05", WARN, "p-te")
    assert "Expert Chloe" in planning.message
    confirming = only_issue(check_team(audit(), undeclared, confirming=True))
    assert (confirming.rule_id, confirming.severity) == ("IMP-05", BLOCK)


# --- TEAM-07 familiarity (policy) -------------------------------------------------------------

def test_lead_beyond_the_rotation_policy_warns():
    familiar = lead(times_led_client_cycles=3)
    issue = only_issue(check_team(audit(), team(lead=familiar)))
    assert (issue.rule_id, issue.severity, issue.person_ref) == ("TEAM-07", WARN, "p-lead")
    assert "Lead Auditor Ada" in issue.message and "body's policy" in issue.message
    assert check_team(audit(), team(lead=familiar), max_consecutive_cycles_same_lead=3) == []


def test_lead_at_the_rotation_limit_is_fine_and_auditors_are_not_counted():
    assert check_team(audit(), team(lead=lead(times_led_client_cycles=2))) == []
    assert check_team(audit(), team(auditor=auditor(times_led_client_cycles=5))) == []


# --- observers --------------------------------------------------------------------------------

def test_observer_without_login_is_recorded_but_not_checked():
    anything = witness(objected_by_client=True, impartiality_declared=False,
                       engagements=(Engagement("consultancy", CLIENT),),
                       other_assignments=((START, END, "audit-9"),))
    assert check_team(audit(), team(witness=anything), confirming=True) == []


def test_observer_with_login_is_checked_for_conflicts_but_not_qualifications():
    observer = witness(has_login=True, impartiality_declared=True,
                       engagements=(Engagement("consultancy", CLIENT),))
    issue = only_issue(check_team(audit(), team(witness=observer)))
    assert (issue.rule_id, issue.person_ref) == ("IMP-03", "p-obs")
    undeclared = witness(has_login=True)
    assert only_issue(check_team(audit(), team(witness=undeclared))).rule_id == "IMP-05"


# --- all together -----------------------------------------------------------------------------

def test_every_member_issue_names_the_person():
    troubled = auditor(
        qualifications=(), impartiality_declared=False, objected_by_client=True,
        engagements=(Engagement("consultancy", CLIENT),),
        other_assignments=((START, END, "audit-9"),))
    issues = check_team(audit(), team(auditor=troubled), confirming=True)
    assert {issue.rule_id for issue in issues} == {"TEAM-01", "IMP-03", "TEAM-08", "TEAM-04",
                                                   "IMP-05"}
    for issue in issues:
        assert issue.person_ref == "p-aud" and "Auditor Ben" in issue.message
    assert has_blocking_issue(issues)


def test_empty_team():
    issues = check_team(audit(), [])
    assert {issue.rule_id for issue in issues} == {"TEAM-03", "TEAM-06"}
    assert all(issue.severity == BLOCK for issue in issues)


# --- impossible input -------------------------------------------------------------------------

@pytest.mark.parametrize("build", [
    lambda: Qualification("iso14001", "auditor", frozenset(), START),
    lambda: Qualification("iso9001", "trainee", frozenset(), START),
    lambda: Qualification("iso9001", "auditor", frozenset(), END, START),
    lambda: Engagement("friendship", CLIENT),
    lambda: TeamMember("p", "P", "chair"),
    lambda: TeamMember("p", "P", "auditor", times_led_client_cycles=-1),
    lambda: audit(end_date=date(2025, 3, 9)),
    lambda: audit(schemes=frozenset()),
    lambda: audit(technical_areas=frozenset({("iso27001", "A")})),
    lambda: audit(related_body_engagements=(Engagement("employment", CLIENT),)),
])
def test_impossible_records_are_refused(build):
    with pytest.raises(ValueError):
        build()


def test_strings_are_not_taken_for_sets():
    with pytest.raises(TypeError):
        TeamMember("p", "P", "auditor", languages="English")
    with pytest.raises(TypeError):
        Qualification("iso9001", "auditor", "IAF 33", START)


@pytest.mark.parametrize("kwargs", [{"employment_cooling_off_years": -1},
                                    {"max_consecutive_cycles_same_lead": 0}])
def test_impossible_policies_are_refused(kwargs):
    with pytest.raises(ValueError):
        check_team(audit(), team(), **kwargs)
