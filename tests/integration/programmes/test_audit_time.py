"""The audit-time screen: domain.md §2.8 worked examples, the caps, the 42001 table, storing
the justification with an audit, and who may do what."""

import json
from datetime import date
from decimal import Decimal

import pytest
from sqlmodel import select

from auditkit.models import Audit, AuditTimeTableRow
from tests.conftest import csrf_from, login
from tests.integration.programmes.conftest import factories, history

JUSTIFICATION = "Simple, repetitive processes in one small building"


def factor(scheme: int, row: int, label: str, direction: str, percent: str,
           justification: str) -> dict:
    stem = f"schemes-{scheme}-factors-{row}-"
    return {stem + "label": label, stem + "direction": direction, stem + "percent": percent,
            stem + "justification": justification}


def scheme(index: int, name: str, persons: str, ai_role: str = "") -> dict:
    return {f"schemes-{index}-scheme": name, f"schemes-{index}-effective_personnel": persons,
            f"schemes-{index}-ai_role": ai_role}


def form(*parts: dict, **fields) -> dict:
    data = {"calculate": "1", "planned_for": "initial", "stage1_share": "30",
            "integration_reduction": "0"}
    for part in parts:
        data.update(part)
    data.update(fields)
    return data


QMS_WORKED_EXAMPLE = form(scheme(0, "iso9001", "60"),
                          factor(0, 0, "Low-risk activities", "reduction", "10", JUSTIFICATION))


@pytest.fixture
def qms(arrange):
    """A 9001 client of 60 effective persons with planned Stage 1, Stage 2 and surveillance."""
    organisation = arrange(factories.make_client, "Quality Works Ltd")
    arrange(factories.set_scheme_personnel, organisation.id, "iso9001", 60)
    certification = arrange(factories.make_certification, organisation)
    audits = {audit_type: arrange(factories.make_programme_audit, certification, audit_type,
                                  start)
              for audit_type, start in (("stage1", date(2026, 7, 6)),
                                        ("stage2", date(2026, 8, 3)),
                                        ("surveillance", date(2027, 6, 7)))}
    return certification, audits


def _screen(client, certification, args):
    return client.get(f"/certifications/{certification.id}/audit-time", query_string=args)


def _save(client, certification, audit, args):
    page = _screen(client, certification, args).get_data(as_text=True)
    data = {**args, "audit_id": str(audit.id), "csrf_token": csrf_from(page)}
    data.pop("calculate", None)
    return client.post(f"/certifications/{certification.id}/audit-time", data=data)


def _audit(dbs, audit_id) -> Audit:
    dbs.expire_all()
    return dbs.get(Audit, audit_id)


def test_the_form_starts_from_the_client_record(client, manager, qms):
    certification, _audits = qms
    page = client.get(f"/certifications/{certification.id}/audit-time").get_data(as_text=True)
    assert ('name="schemes-0-effective_personnel" required type="number" value="60"'
            in page)
    assert "On the client record: 60 effective personnel." in page
    assert 'name="stage1_share" required step="any" type="number" value="30"' in page


def test_worked_example_qms_60_persons_minus_10_percent_gives_4_5_days(client, manager, qms):
    certification, _audits = qms
    response = _screen(client, certification, QMS_WORKED_EXAMPLE)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Result: Initial audit (Stage 1 + Stage 2) 4.5 days" in page
    assert "5 days for 46-65 persons" in page  # the table value, TIME-05
    assert "<strong>4.5 days</strong> initial audit time (TIME-03)" in page
    assert "1.5 / 3.0 days" in page  # Stage 1 / Stage 2, TIME-10
    assert "1.5 days (about a third, TIME-08)" in page
    assert "3.0 days if nothing changes" in page  # TIME-09
    assert "3.6 days of the initial audit" in page  # TIME-07
    assert "Reduction cap" not in page


def test_integrated_example_qms_and_isms_with_10_percent_integration(client, manager, arrange):
    organisation = arrange(factories.make_client)
    certification = arrange(factories.make_certification, organisation,
                            schemes=("iso27001", "iso9001"), integration="integrated")
    args = form(scheme(0, "iso27001", "60"), scheme(1, "iso9001", "60"),
                factor(1, 0, "Low-risk activities", "reduction", "10", JUSTIFICATION),
                integration_reduction="10")
    page = _screen(client, certification, args).get_data(as_text=True)
    assert "Sum of the standards</th><td>14.5 days" in page  # 10 + 4.5
    assert "Result: Initial audit (Stage 1 + Stage 2) 13.0 days" in page  # 13.05 -> 13.0


def test_reductions_over_30_percent_are_capped_and_the_screen_says_so(client, manager, qms):
    certification, _audits = qms
    args = form(scheme(0, "iso9001", "60"),
                factor(0, 0, "Low-risk activities", "reduction", "20", JUSTIFICATION),
                factor(0, 1, "High automation", "reduction", "15", "Automated assembly line"))
    page = _screen(client, certification, args).get_data(as_text=True)
    assert "Reductions of 35 % are capped at 30 % of the table value (TIME-06)." in page
    assert "Result: Initial audit (Stage 1 + Stage 2) 3.5 days" in page  # 5 x 0.7


def test_an_increase_is_not_capped(client, manager, qms):
    certification, _audits = qms
    args = form(scheme(0, "iso9001", "60"),
                factor(0, 0, "Several languages", "increase", "40", "Three working languages"))
    page = _screen(client, certification, args).get_data(as_text=True)
    assert "Result: Initial audit (Stage 1 + Stage 2) 7.0 days" in page


def test_each_factor_needs_a_justification(client, manager, qms, dbs):
    certification, audits = qms
    args = form(scheme(0, "iso9001", "60"),
                factor(0, 0, "Low-risk activities", "reduction", "10", ""))
    response = _screen(client, certification, args)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Give the justification for this factor (TIME-01)." in page
    assert 'id="audit-time-result"' not in page
    saved = _save(client, certification, audits["stage2"], args)
    assert saved.status_code == 422
    assert _audit(dbs, audits["stage2"].id).planned_days is None


def test_an_integration_reduction_over_20_percent_is_refused(client, manager, arrange, dbs):
    organisation = arrange(factories.make_client)
    certification = arrange(factories.make_certification, organisation,
                            schemes=("iso27001", "iso9001"), integration="integrated")
    audit = arrange(factories.make_programme_audit, certification, "stage2", date(2026, 9, 7))
    args = form(scheme(0, "iso27001", "60"), scheme(1, "iso9001", "60"),
                integration_reduction="25")
    response = _screen(client, certification, args)
    assert response.status_code == 422
    assert "The integration reduction must be from 0 to 20 % (TIME-IMS-02), not 25 %." in \
        response.get_data(as_text=True)
    assert _save(client, certification, audit, args).status_code == 422
    assert _audit(dbs, audit.id).time_justification == ""


def test_an_integration_reduction_needs_an_integrated_certification(client, manager, arrange):
    organisation = arrange(factories.make_client)
    certification = arrange(factories.make_certification, organisation,
                            schemes=("iso27001", "iso9001"), integration="combined")
    args = form(scheme(0, "iso27001", "60"), scheme(1, "iso9001", "60"),
                integration_reduction="10")
    response = _screen(client, certification, args)
    assert response.status_code == 422
    assert "applies only to an integrated certification" in response.get_data(as_text=True)


def test_a_42001_band_without_a_value_names_the_row_and_computes_nothing(
        client, manager, arrange, dbs):
    organisation = arrange(factories.make_client)
    arrange(factories.set_scheme_personnel, organisation.id, "iso42001", 80, ai_personnel=12,
            ai_role="producer")
    certification = arrange(factories.make_certification, organisation, schemes=("iso42001",))
    audit = arrange(factories.make_programme_audit, certification, "stage1", date(2026, 9, 7))
    args = form(scheme(0, "iso42001", "12", "producer"))

    response = _screen(client, certification, args)

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert ("No ISO/IEC 42001 audit time for 11-15 persons, role producer: add this row to the "
            "body&#39;s audit-time table.") in page
    assert 'id="audit-time-result"' not in page
    assert _save(client, certification, audit, args).status_code == 422
    assert _audit(dbs, audit.id).planned_days is None

    dbs.add(AuditTimeTableRow(scheme="iso42001", ai_role="producer", min_personnel=11,
                              max_personnel=15, days=Decimal("6.5")))
    dbs.commit()
    computed = _screen(client, certification, args).get_data(as_text=True)
    assert "Result: Initial audit (Stage 1 + Stage 2) 6.5 days" in computed
    assert "AI-involved headcount" in computed


def test_the_public_first_42001_band_works_out_of_the_box(client, manager, arrange):
    organisation = arrange(factories.make_client)
    certification = arrange(factories.make_certification, organisation, schemes=("iso42001",))
    page = _screen(client, certification,
                   form(scheme(0, "iso42001", "8", "developer"))).get_data(as_text=True)
    assert "Result: Initial audit (Stage 1 + Stage 2) 3.5 days" in page
    missing_role = _screen(client, certification, form(scheme(0, "iso42001", "8")))
    assert missing_role.status_code == 422
    assert "Choose the organisation&#39;s AI role" in missing_role.get_data(as_text=True)


def test_multi_site_sample_sizes_from_the_clients_sites(client, manager, qms, arrange):
    certification, _audits = qms
    arrange(factories.make_site, certification.client_id, "Head office",
            kind="central_function")
    for number in range(5):
        arrange(factories.make_site, certification.client_id, f"Branch {number}")
    page = _screen(client, certification, QMS_WORKED_EXAMPLE).get_data(as_text=True)
    assert ("5 sites besides the central function: visit at least 3 at the initial audit, 2 at "
            "each surveillance and 2 at recertification") in page


def test_saving_stores_the_days_and_the_justification_with_the_audit(
        client, manager, qms, dbs):
    certification, audits = qms

    response = _save(client, certification, audits["stage2"], QMS_WORKED_EXAMPLE)

    assert response.status_code == 302
    assert response.headers["Location"] == f"/audit-time/{audits['stage2'].id}"
    stored = _audit(dbs, audits["stage2"].id)
    assert stored.planned_days == Decimal("3.0")  # Stage 2 share of 4.5 days
    justification = json.loads(stored.time_justification)
    assert justification["initial_days"] == "4.5"
    assert justification["planned_days"] == "3.0"
    assert justification["schemes"][0]["table_days"] == "5"
    assert justification["schemes"][0]["factors"] == [
        {"label": "Low-risk activities", "percent": "-10", "justification": JUSTIFICATION}]
    assert "Net adjustment -10 %: 4.5 days, rounded to 4.5 days (TIME-03)" in \
        justification["lines"]
    assert justification["lines"][-1] == "Stage 2 audit: 3.0 days, at least 2.4 days at the " \
        "client (TIME-07)"
    assert [h.field_name for h in history(dbs, "audit")] == ["planned_days",
                                                             "time_justification"]
    printable = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Audit-time justification" in printable and JUSTIFICATION in printable
    assert "programmes-print.css" in printable
    fragment = client.get(response.headers["Location"], headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.get_data(as_text=True)
    assert _save(client, certification, audits["surveillance"],
                 QMS_WORKED_EXAMPLE).status_code == 302
    assert _audit(dbs, audits["surveillance"].id).planned_days == Decimal("1.5")


def test_printable_view_of_an_unsaved_calculation(client, manager, qms):
    certification, _audits = qms
    page = _screen(client, certification, {**QMS_WORKED_EXAMPLE, "print": "1"})
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Not stored with an audit" in text and "4.5 days" in text
    assert '<nav aria-label="Main">' not in text


def test_the_auditee_sees_the_stored_justification_of_their_own_audit_only(
        app, client, manager, qms, make_user, make_client, dbs):
    certification, audits = qms
    assert _save(client, certification, audits["stage1"], QMS_WORKED_EXAMPLE).status_code == 302
    own = make_user("auditee", client_id=certification.client_id)
    stranger = make_user("auditee", client_id=make_client().id)
    for user, expected in ((own, 200), (stranger, 404)):
        browser = app.test_client()
        assert login(browser, user.email).status_code == 302
        assert browser.get(f"/audit-time/{audits['stage1'].id}").status_code == expected
        assert browser.get(f"/certifications/{certification.id}/audit-time").status_code == 403


def test_a_reviewer_may_calculate_but_not_save(client, login_as, qms, dbs, today):
    certification, audits = qms
    login_as("reviewer")
    page = _screen(client, certification, QMS_WORKED_EXAMPLE)
    assert page.status_code == 200
    assert 'id="save-audit-time"' not in page.get_data(as_text=True)
    data = {**QMS_WORKED_EXAMPLE, "audit_id": str(audits["stage2"].id),
            "csrf_token": csrf_from(page.get_data(as_text=True))}
    assert client.post(f"/certifications/{certification.id}/audit-time",
                       data=data).status_code == 403
    assert _audit(dbs, audits["stage2"].id).planned_days is None


# --- the body's 42001 table ----------------------------------------------------------------------

def _table_post(client, **fields):
    page = client.get("/audit-time-table").get_data(as_text=True)
    return client.post("/audit-time-table", data={"csrf_token": csrf_from(page), **fields})


def test_admin_maintains_the_42001_table(client, login_as, dbs, today):
    login_as("admin")
    page = client.get("/audit-time-table").get_data(as_text=True)
    assert "Shipped with auditkit" in page and "AI producer" in page

    added = _table_post(client, ai_role="producer", min_personnel="11", max_personnel="15",
                        days="6.5")
    assert added.status_code == 302
    [row] = dbs.exec(select(AuditTimeTableRow)).all()
    assert (row.scheme, row.ai_role, row.min_personnel, row.max_personnel, row.days) == (
        "iso42001", "producer", 11, 15, Decimal("6.5"))
    overlap = _table_post(client, ai_role="producer", min_personnel="15", max_personnel="20",
                          days="7")
    assert overlap.status_code == 422
    assert "overlaps the row for 11-15 persons" in overlap.get_data(as_text=True)
    reversed_band = _table_post(client, ai_role="user", min_personnel="30", max_personnel="20",
                                days="7")
    assert reversed_band.status_code == 422
    assert len(dbs.exec(select(AuditTimeTableRow)).all()) == 1

    page = client.get("/audit-time-table").get_data(as_text=True)
    deleted = client.post("/audit-time-table/delete",
                          data={"row_id": str(row.id), "csrf_token": csrf_from(page)})
    assert deleted.status_code == 302
    assert dbs.exec(select(AuditTimeTableRow)).all() == []
    assert [h.after for h in history(dbs, "audit_time_table")][0].startswith(
        "ISO/IEC 42001, producer, 11-15 persons: 6.5 days")


def test_only_administrators_keep_the_table(client, manager):
    assert client.get("/audit-time-table").status_code == 403
