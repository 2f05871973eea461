"""The certification decision, taking on certified clients, and the cycle page."""

import json
from datetime import date

import pytest
from sqlalchemy import event

from auditkit.models import Certification
from auditkit.rules.cycle import CyclePolicy, plan_continued_cycle, plan_cycle
from tests.conftest import csrf_from
from tests.integration.programmes.conftest import TODAY, audits_of, cycles_of, factories, history


def _post(client, url, **data):
    page = client.get(url)
    assert page.status_code == 200, page.get_data(as_text=True)
    return client.post(url, data={"csrf_token": csrf_from(page.get_data(as_text=True)), **data})


def _applicant_after_stage2(arrange, stage2_end=date(2026, 5, 20)):
    organisation = arrange(factories.make_client)
    certification = arrange(factories.make_certification, organisation)
    arrange(factories.make_programme_audit, certification, "stage1", date(2026, 2, 2),
            date(2026, 2, 3), status="completed")
    arrange(factories.make_programme_audit, certification, "stage2", date(2026, 5, 18),
            stage2_end, status="completed")
    return certification


def _state(dbs, certification_id):
    dbs.expire_all()
    return dbs.get(Certification, certification_id).state


# --- the initial decision ------------------------------------------------------------------------

def test_decision_starts_cycle_1_with_the_policy_dates(client, manager, arrange, dbs):
    certification = _applicant_after_stage2(arrange)

    response = _post(client, f"/certifications/{certification.id}/decision",
                     decision_date="2026-06-01", note="Committee decision of 1 June")

    assert response.status_code == 302
    [cycle] = cycles_of(dbs, certification.id)
    assert (cycle.number, cycle.origin, cycle.is_current) == (1, "initial", True)
    assert cycle.decision_date == date(2026, 6, 1)
    assert cycle.certificate_expiry == date(2029, 5, 31)  # CYC-VAL-03, minus one day
    assert cycle.surveillance_1_window_start == date(2027, 3, 1)
    assert cycle.surveillance_1_latest == date(2027, 6, 1)  # CYC-SUR-02
    assert (cycle.surveillance_2_window_start, cycle.surveillance_2_window_end) == (
        date(2028, 3, 1), date(2028, 9, 1))
    assert cycle.recertification_earliest == date(2028, 11, 30)
    assert cycle.recertification_target == date(2029, 2, 28)
    assert cycle.restoration_deadline == date(2029, 11, 30)
    plan = plan_cycle(date(2026, 6, 1))
    assert json.loads(cycle.policy_json)["policy"] == CyclePolicy().__dict__
    assert json.loads(cycle.policy_json)["plan"]["recertification_finish_by"] == \
        plan.recertification_finish_by.isoformat()
    assert _state(dbs, certification.id) == "active"
    assert {audit.cycle_id for audit in audits_of(dbs, certification.id)} == {cycle.id}
    fields = [h.field_name for h in history(dbs, "certification")]
    assert "decision_date" in fields and "state" in fields


def test_a_later_policy_change_never_re_dates_a_stored_cycle(
        client, manager, arrange, dbs, set_policy):
    set_policy("expiry_convention", "same_day")
    set_policy("surveillance_1_window_start", 10)
    first = _applicant_after_stage2(arrange)
    assert _post(client, f"/certifications/{first.id}/decision",
                 decision_date="2026-06-01", note="").status_code == 302
    [cycle] = cycles_of(dbs, first.id)
    assert cycle.certificate_expiry == date(2029, 6, 1)  # the policy of the day: same_day
    assert cycle.surveillance_1_window_start == date(2027, 4, 1)  # 10 months

    set_policy("expiry_convention", "minus_one_day")
    set_policy("surveillance_1_window_start", 7)

    [unchanged] = cycles_of(dbs, first.id)
    assert unchanged.certificate_expiry == date(2029, 6, 1)
    assert unchanged.surveillance_1_window_start == date(2027, 4, 1)
    page = client.get(f"/certifications/{first.id}").get_data(as_text=True)
    assert 'datetime="2029-06-01"' in page and 'datetime="2029-05-31"' not in page
    assert 'datetime="2027-04-01"' in page and 'datetime="2027-01-01"' not in page
    second = _applicant_after_stage2(arrange)
    assert _post(client, f"/certifications/{second.id}/decision",
                 decision_date="2026-06-01", note="").status_code == 302
    [new_cycle] = cycles_of(dbs, second.id)
    assert new_cycle.certificate_expiry == date(2029, 5, 31)
    assert new_cycle.surveillance_1_window_start == date(2027, 1, 1)


@pytest.mark.parametrize(("decision_date", "note", "message"), [
    ("2026-06-16", "", "cannot be in the future"),
    ("2026-05-19", "", "cannot come before the end of Stage 2 on 20 May 2026"),
    ("", "", "Enter the decision date."),
])
def test_bad_decision_is_refused(client, manager, arrange, dbs, decision_date, note, message):
    certification = _applicant_after_stage2(arrange)
    response = _post(client, f"/certifications/{certification.id}/decision",
                     decision_date=decision_date, note=note)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert cycles_of(dbs, certification.id) == []
    assert _state(dbs, certification.id) == "applicant"


def test_decision_without_a_recorded_stage2_needs_a_note(client, manager, arrange, dbs):
    certification = arrange(factories.make_certification, arrange(factories.make_client))
    url = f"/certifications/{certification.id}/decision"
    refused = _post(client, url, decision_date="2026-06-01", note="")
    assert refused.status_code == 422
    assert "No completed Stage 2 audit is recorded" in refused.get_data(as_text=True)
    assert _post(client, url, decision_date="2026-06-01",
                 note="Initial audit on paper, file 2026/17").status_code == 302
    assert _state(dbs, certification.id) == "active"


def test_a_second_decision_is_refused(client, manager, arrange, dbs):
    certification = _applicant_after_stage2(arrange)
    url = f"/certifications/{certification.id}/decision"
    assert _post(client, url, decision_date="2026-06-01", note="").status_code == 302
    again = _post(client, url, decision_date="2026-06-02", note="")
    assert again.status_code == 422
    assert "already has a cycle" in again.get_data(as_text=True)
    assert len(cycles_of(dbs, certification.id)) == 1


def test_the_decision_screen_says_the_full_workflow_comes_later(client, manager, arrange):
    certification = _applicant_after_stage2(arrange)
    page = client.get(f"/certifications/{certification.id}/decision").get_data(as_text=True)
    assert "full independent decision workflow" in page and "later issue" in page


# --- taking on a certified client ----------------------------------------------------------------

def test_a_continued_cycle_keeps_its_expiry_and_measures_from_it():
    """CYC-TRF-04 (rules.cycle.plan_continued_cycle, added for taking on clients): the same
    plan as plan_cycle when the expiry is the policy's; otherwise the recertification dates
    and the restoration deadline follow the certificate's own expiry."""
    assert plan_continued_cycle(date(2025, 3, 10), date(2028, 3, 9)) == \
        plan_cycle(date(2025, 3, 10))
    plan = plan_continued_cycle(date(2025, 3, 10), date(2028, 5, 1))
    assert plan.surveillance_1_latest == date(2026, 3, 10)
    assert (plan.recertification_earliest, plan.recertification_target,
            plan.recertification_finish_by) == (date(2027, 11, 1), date(2028, 2, 1),
                                                date(2028, 3, 1))
    assert plan.restoration_deadline == date(2028, 11, 1)
    with pytest.raises(ValueError, match="cannot expire"):
        plan_continued_cycle(date(2025, 3, 10), date(2025, 3, 10))


TAKE_OVER = {
    "origin": "taken_over", "cycle_number": "2", "decision_date": "2025-03-10",
    "certificate_expiry": "2028-05-01",
    "note": "Recertified two months before the old expiry (CYC-VAL-04).",
    "audits-0-audit_type": "recertification", "audits-0-start_date": "2025-01-13",
    "audits-0-end_date": "2025-01-15",
    "audits-1-audit_type": "surveillance", "audits-1-start_date": "2025-12-01",
    "audits-1-end_date": "2025-12-02",
}


def test_take_over_continues_the_cycle_with_the_same_expiry(client, manager, arrange, dbs):
    certification = arrange(factories.make_certification, arrange(factories.make_client))

    response = _post(client, f"/certifications/{certification.id}/take-over", **TAKE_OVER)

    assert response.status_code == 302, response.get_data(as_text=True)
    [cycle] = cycles_of(dbs, certification.id)
    assert (cycle.number, cycle.origin) == (2, "taken_over")
    assert cycle.decision_date == date(2025, 3, 10)
    assert cycle.certificate_expiry == date(2028, 5, 1)  # CYC-TRF-04: its own expiry
    plan = plan_continued_cycle(date(2025, 3, 10), date(2028, 5, 1))
    assert cycle.recertification_target == plan.recertification_target == date(2028, 2, 1)
    assert cycle.surveillance_1_latest == date(2026, 3, 10)
    assert "CYC-VAL-04" in cycle.note
    audits = audits_of(dbs, certification.id)
    assert [(a.audit_type, a.start_date, a.end_date, a.status, a.cycle_id) for a in audits] == [
        ("recertification", date(2025, 1, 13), date(2025, 1, 15), "completed", cycle.id),
        ("surveillance", date(2025, 12, 1), date(2025, 12, 2), "completed", cycle.id)]
    assert _state(dbs, certification.id) == "active"
    page = client.get(f"/certifications/{certification.id}").get_data(as_text=True)
    assert "Certified by this body before auditkit" in page
    assert 'datetime="2028-05-01"' in page
    assert "No warnings" in page  # surveillance 1 held in time; surveillance 2 not yet due


def test_an_expiry_other_than_the_policy_gives_needs_a_note(client, manager, arrange, dbs):
    certification = arrange(factories.make_certification, arrange(factories.make_client))
    response = _post(client, f"/certifications/{certification.id}/take-over",
                     **{**TAKE_OVER, "note": ""})
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "Your body&#39;s policy gives an expiry of 9 March 2028" in text
    assert cycles_of(dbs, certification.id) == []
    assert audits_of(dbs, certification.id) == []


def test_transfer_with_the_policy_expiry_needs_the_pre_transfer_review(
        client, manager, arrange, dbs):
    certification = arrange(factories.make_certification, arrange(factories.make_client))
    url = f"/certifications/{certification.id}/take-over"
    data = {"origin": "transfer", "cycle_number": "1", "decision_date": "2025-03-10",
            "certificate_expiry": "2028-03-09", "note": ""}
    refused = _post(client, url, **data)
    assert refused.status_code == 422
    assert "CYC-TRF-01, CYC-TRF-02" in refused.get_data(as_text=True)
    assert _post(client, url, **data, transfer_checked="y").status_code == 302
    [cycle] = cycles_of(dbs, certification.id)
    assert (cycle.origin, cycle.certificate_expiry) == ("transfer", date(2028, 3, 9))


@pytest.mark.parametrize(("fields", "message"), [
    ({"certificate_expiry": "2026-06-14", "decision_date": "2023-06-15"},
     "an expired certificate cannot be taken on"),
    ({"certificate_expiry": "2025-03-10"}, "must expire after its decision date"),
    ({"decision_date": "2026-06-16"}, "cannot be in the future"),
    ({"audits-1-end_date": "2026-06-15"}, "the last day must be before today"),
    ({"audits-1-end_date": "2025-11-30"}, "The last day comes before the first day."),
    ({"audits-1-audit_type": ""}, "Choose the type of audit."),
    ({"origin": "initial"}, "Choose how the client was certified."),
])
def test_bad_take_over_is_refused_and_changes_nothing(
        client, manager, arrange, dbs, fields, message):
    certification = arrange(factories.make_certification, arrange(factories.make_client))
    response = _post(client, f"/certifications/{certification.id}/take-over",
                     **{**TAKE_OVER, **fields})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert cycles_of(dbs, certification.id) == []
    assert audits_of(dbs, certification.id) == []


def test_a_taken_over_cycle_past_its_surveillance_limit_is_flagged(
        client, manager, arrange, dbs):
    certification = arrange(factories.make_certification, arrange(factories.make_client))
    data = {**TAKE_OVER, "audits-1-audit_type": "", "audits-1-start_date": "",
            "audits-1-end_date": ""}
    assert _post(client, f"/certifications/{certification.id}/take-over",
                 **data).status_code == 302
    page = client.get(f"/certifications/{certification.id}").get_data(as_text=True)
    assert "CYC-SUR-02" in page
    assert "No surveillance audit was completed by 10 March 2026" in page


# --- the certification page ----------------------------------------------------------------------

def _mid_cycle(arrange):
    organisation = arrange(factories.make_client)
    certification, cycle = arrange(factories.make_certification_in_cycle, organisation,
                                   decision_date=date(2025, 6, 2))
    arrange(factories.make_programme_audit, certification, "stage1", date(2025, 3, 3),
            date(2025, 3, 4), status="completed", cycle=cycle)
    arrange(factories.make_programme_audit, certification, "stage2", date(2025, 5, 12),
            date(2025, 5, 14), status="completed", cycle=cycle)
    return certification, cycle


def test_the_page_draws_the_cycle_and_lists_every_date(client, manager, arrange):
    certification, _cycle = _mid_cycle(arrange)
    plan = plan_cycle(date(2025, 6, 2))

    page = client.get(f"/certifications/{certification.id}").get_data(as_text=True)

    assert '<svg xmlns="http://www.w3.org/2000/svg"' in page
    assert 'role="img" aria-labelledby="timeline-title timeline-desc"' in page
    assert f'<title id="timeline-title">Timeline of {certification.reference}</title>' in page
    svg = page[page.index("<svg"):page.index("</svg>")]
    for shaded in ("window-surveillance", "window-recertification", "window-restoration"):
        assert shaded in svg
    for marker in ("marker-decision", "marker-hard", "marker-target", "marker-today"):
        assert marker in svg
    assert svg.count("audit-completed") == 2
    table = page[page.index('id="cycle-dates"'):]
    table = table[:table.index("</table>")]
    expected = {
        "Stage 1": date(2025, 3, 3), "Stage 2": date(2025, 5, 12),
        "Certification decision": plan.decision_date,
        "Surveillance 1 window": plan.surveillance_1_window[0],
        "Surveillance 1 latest": plan.surveillance_1_latest,
        "Surveillance 2 window": plan.surveillance_2_window[0],
        "Surveillance 2 target": plan.surveillance_2_target,
        "Recertification audit may start": plan.recertification_earliest,
        "Recertification audit target": plan.recertification_target,
        "Recertification audit should end by": plan.recertification_finish_by,
        "Recertification decision deadline": plan.recertification_decision_deadline,
        "Certificate expiry": plan.certificate_expiry,
        "Restoration deadline": plan.restoration_deadline,
        "Today": TODAY,
    }
    for label, day in expected.items():
        assert label in table, label
        assert f'datetime="{day.isoformat()}"' in table, label
    assert f'datetime="{plan.surveillance_2_window[1].isoformat()}"' in table
    assert 'datetime="2028-06-01"' in table  # expiry: 2 June 2025 + 3 years - 1 day


def test_the_page_shows_the_warnings_with_their_rule_ids(client, manager, arrange):
    certification, _cycle = _mid_cycle(arrange)
    page = client.get(f"/certifications/{certification.id}").get_data(as_text=True)
    warnings = page[page.index('id="programme-warnings"'):]
    warnings = warnings[:warnings.index("</section>")]
    assert "<strong>CYC-SUR-02</strong> · Must be resolved" in warnings
    assert "No surveillance audit was completed by 2 June 2026" in warnings


def test_a_planned_surveillance_clears_the_warning_and_is_next(client, manager, arrange):
    certification, cycle = _mid_cycle(arrange)
    arrange(factories.make_programme_audit, certification, "surveillance", date(2026, 5, 26),
            date(2026, 5, 27), status="completed", cycle=cycle)
    arrange(factories.make_programme_audit, certification, "surveillance", date(2027, 5, 17),
            date(2027, 5, 18), cycle=cycle)
    page = client.get(f"/certifications/{certification.id}").get_data(as_text=True)
    assert "No warnings" in page
    assert "Next audit: Surveillance" in page and 'datetime="2027-05-17"' in page


def test_an_applicant_page_shows_the_stage2_limit(client, manager, arrange):
    certification = arrange(factories.make_certification, arrange(factories.make_client))
    arrange(factories.make_programme_audit, certification, "stage1", date(2025, 10, 1),
            status="completed")
    page = client.get(f"/certifications/{certification.id}").get_data(as_text=True)
    assert "Stage 2 must start by" in page and 'datetime="2026-04-01"' in page
    assert "<strong>CYC-S1S2-03</strong>" in page
    assert "Record the certification decision" in page


def test_the_page_issues_the_same_number_of_queries_for_3_or_30_audits(
        app, client, manager, arrange):
    few, few_cycle = _mid_cycle(arrange)
    many, many_cycle = _mid_cycle(arrange)
    for number in range(1):
        arrange(factories.make_programme_audit, few, "nc_follow_up", date(2025, 7, 1 + number),
                cycle=few_cycle)
    for number in range(28):
        arrange(factories.make_programme_audit, many, "nc_follow_up",
                date(2025, 7, 1 + number), cycle=many_cycle)
    engine = app.extensions["auditkit.engine"]
    counted = []

    def count(*_args):
        counted.append(1)

    def queries(path: str) -> int:
        client.get(path)  # warm up: the session touch, caches
        counted.clear()
        event.listen(engine, "before_cursor_execute", count)
        try:
            assert client.get(path).status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return len(counted)

    assert len(audits_of_page(client, few.id)) == 3
    assert len(audits_of_page(client, many.id)) == 30
    assert queries(f"/certifications/{few.id}") == queries(f"/certifications/{many.id}")
    assert queries(f"/certifications/{many.id}") <= 15  # one per table, plus sign-in checks


def audits_of_page(client, certification_id: int) -> list[str]:
    page = client.get(f"/certifications/{certification_id}").get_data(as_text=True)
    audits = page[page.index('id="audits-title"'):]
    return [row for row in audits.split("<tr>")[1:] if "<td>" in row and "None." not in row]


def test_every_page_also_answers_htmx_with_a_fragment(client, manager, arrange):
    certification, _cycle = _mid_cycle(arrange)
    applicant = arrange(factories.make_certification, arrange(factories.make_client))
    for path in ("/certifications", f"/certifications/{certification.id}",
                 f"/certifications/{certification.id}/edit",
                 f"/certifications/{applicant.id}/decision",
                 f"/certifications/{applicant.id}/take-over",
                 f"/certifications/{certification.id}/audit-time"):
        response = client.get(path, headers={"HX-Request": "true"})
        assert response.status_code == 200, path
        assert "<html" not in response.get_data(as_text=True), path
        assert "HX-Request" in response.headers["Vary"], path
