"""Statement of Applicability screens: viewing revisions and their changes, recording a new
revision through the form, who may see and change what, and a constant number of queries."""

import pytest
from sqlmodel import select

from auditkit.models import ChangeRecord
from tests import factories
from tests.integration.soa.conftest import (
    AIMS_CONTROLS,
    counted_statements,
    edit_form,
    entries_of,
    revisions,
    soa_url,
)


def text(response) -> str:
    return response.get_data(as_text=True)


# --- viewing ---------------------------------------------------------------------------------

def test_staff_see_every_control_of_the_current_revision_with_counts(client, login_as,
                                                                    organisation):
    login_as("auditor")
    response = client.get(soa_url(organisation))
    assert response.status_code == 200
    page = text(response)
    assert "Orchid Data Ltd" in page and "ISO/IEC 42001:2023" in page
    for control_id in AIMS_CONTROLS:
        assert f'id="control-{control_id.replace(".", "-")}"' in page
    row = page.split('id="control-A-7-3"', 1)[1].split("</tr>", 1)[0]
    assert "Excluded" in row and "No data bought from third parties" in row
    assert "Acquisition of data" in row
    counts = page.split('id="soa-counts"', 1)[1].split("</ul>", 1)[0]
    for number, label in ((38, "controls"), (37, "applicable"), (1, "excluded"),
                          (36, "implemented"), (1, "planned"), (0, "not implemented")):
        assert f"<strong>{number}</strong> {label}</li>" in counts
    details = page.split('id="revision-details"', 1)[1].split("</dl>", 1)[0]
    assert "<dd>1</dd>" in details and "<dd>v1.0</dd>" in details
    assert "This is the first revision" in page
    assert "Record a new revision" not in page  # an auditor reads, does not edit


def test_earlier_revisions_stay_viewable_with_what_changed(client, login_as, organisation,
                                                           arrange):
    arrange(lambda db: factories.make_soa_revision(db, organisation, "iso42001", "v1.1", {
        "A.7.3": (False, "No data bought from third parties", None),
        "A.8.4": (True, "Incidents told to customers", "implemented"),
        "A.6.2.5": (False, "Customers deploy the models themselves", None)}))
    login_as("programme_manager")
    current = text(client.get(soa_url(organisation)))
    assert "Revision 2 (current)" in current
    history = current.split('id="soa-revisions"', 1)[1]
    assert history.index('id="revision-2"') < history.index('id="revision-1"')
    changes = current.split('id="soa-changes"', 1)[1].split("</table>", 1)[0]
    assert 'id="change-A-8-4"' in changes and 'id="change-A-6-2-5"' in changes
    assert 'id="change-A-7-3"' not in changes
    assert "v1.0</del> → <ins>v1.1" in current  # the client's label changed too
    a_8_4 = changes.split('id="change-A-8-4"', 1)[1].split("</tr>", 1)[0]
    assert "<td>status</td>" in a_8_4 and "Planned" in a_8_4 and "Implemented" in a_8_4

    old = client.get(soa_url(organisation, "/revisions/1"))
    assert old.status_code == 200
    assert "superseded by revision 2" in text(old)
    row = text(old).split('id="control-A-6-2-5"', 1)[1].split("</tr>", 1)[0]
    assert "Applicable" in row
    assert client.get(soa_url(organisation, "/revisions/3")).status_code == 404


def test_a_scheme_without_annex_a_says_there_is_no_soa(client, login_as, organisation):
    login_as("programme_manager")
    page = client.get(soa_url(organisation, scheme="iso9001"))
    assert page.status_code == 200
    assert "has no Annex A of controls" in text(page)
    assert client.get(soa_url(organisation, "/edit", "iso9001")).status_code == 404
    assert client.get(soa_url(organisation, "/import", "iso9001")).status_code == 404
    assert client.get(soa_url(organisation, scheme="iso14001")).status_code == 404
    overview = text(client.get(f"/clients/{organisation}/soa"))
    assert "No Annex A of controls" in overview.split('id="scheme-iso9001"', 1)[1]
    assert "Revision 1" in overview.split('id="scheme-iso42001"', 1)[1].split("</tr>")[0]
    assert "No SoA recorded yet" in overview.split('id="scheme-iso27001"', 1)[1].split("</tr>")[0]


def test_a_scheme_without_a_revision_yet(client, login_as, organisation):
    login_as("programme_manager")
    page = text(client.get(soa_url(organisation, scheme="iso27001")))
    assert "No Statement of Applicability has been recorded for ISO/IEC 27001:2022" in page
    assert "Import from CSV or XLSX" in page


def test_the_page_runs_the_same_number_of_queries_for_many_revisions(app, client, login_as,
                                                                     organisation, arrange):
    login_as("programme_manager")
    arrange(lambda db: factories.make_soa_revision(db, organisation, "iso42001", "v1.1"))
    client.get(soa_url(organisation))  # warm up: first-request work is not the page's
    paths = (soa_url(organisation), soa_url(organisation, "/revisions/2"),
             f"/clients/{organisation}/soa", soa_url(organisation, "/print"))
    with counted_statements(app) as few:
        for path in paths:
            assert client.get(path).status_code == 200
    for number in range(3, 11):
        arrange(lambda db, number=number: factories.make_soa_revision(
            db, organisation, "iso42001", f"v1.{number}",
            {"A.2.2": (True, f"Reason {number}", "implemented")}))
    with counted_statements(app) as many:
        for path in paths:
            assert client.get(path).status_code == 200
    assert len(many) == len(few), (len(few), len(many))
    assert len(few) <= 4 * 12


# --- who may see and change ------------------------------------------------------------------

def test_an_auditee_sees_their_own_soa_and_not_another_clients(app, client, login_as,
                                                               organisation, arrange):
    other = arrange(lambda db: factories.make_client(db, "Other Robotics Ltd").id)
    arrange(lambda db: factories.make_soa_revision(db, other, "iso42001", "x9"))
    login_as("auditee", client_id=organisation)
    assert client.get(soa_url(organisation)).status_code == 200
    assert client.get(soa_url(organisation, "/revisions/1")).status_code == 200
    assert client.get(soa_url(organisation, "/print")).status_code == 200
    assert client.get(soa_url(organisation, "/export.csv")).status_code == 200
    assert "Record a new revision" not in text(client.get(soa_url(organisation)))
    for path in ("", "/revisions/1", "/print", "/export.csv"):
        assert client.get(soa_url(other, path)).status_code == 404, path
    assert client.get(f"/clients/{other}/soa").status_code == 404
    assert client.get(soa_url(organisation, "/edit")).status_code == 403


@pytest.mark.parametrize("role", ["reviewer", "auditor", "auditee"])
def test_roles_without_manage_clients_cannot_record_a_revision(client, login_as, organisation,
                                                               dbs, role):
    from tests.conftest import csrf_token

    login_as(role, **({"client_id": organisation} if role == "auditee" else {}))
    assert client.get(soa_url(organisation)).status_code == 200
    assert client.get(soa_url(organisation, "/edit")).status_code == 403
    assert client.get(soa_url(organisation, "/import")).status_code == 403
    token = csrf_token(client, soa_url(organisation))
    data = {"csrf_token": token, "client_version_label": "v9", "base_revision": "1"}
    assert client.post(soa_url(organisation, "/edit"), data=data).status_code == 403
    assert client.post(soa_url(organisation, "/import"), data=data).status_code == 403
    assert len(revisions(dbs, organisation)) == 1


# --- recording a new revision ----------------------------------------------------------------

def test_the_form_records_the_next_revision_and_keeps_the_previous_one(client, login_as,
                                                                       organisation, dbs):
    manager = login_as("programme_manager")
    before = entries_of(dbs, revisions(dbs, organisation)[0].id)
    data = edit_form(client, organisation)
    assert data["applicable-A.7.3"] == "no" and data["status-A.8.4"] == "planned"
    data.update({"client_version_label": "v1.1", "client_version_date": "2025-05-02",
                 "note": "Sent before Stage 1", "status-A.8.4": "partially_implemented",
                 "applicable-A.9.3": "no", "justification-A.9.3": "No internal AI use",
                 "status-A.9.3": "implemented"})
    response = client.post(soa_url(organisation, "/edit"), data=data)
    assert response.status_code == 302, text(response)
    first, second = revisions(dbs, organisation)
    assert (second.revision, second.client_version_label, str(second.client_version_date),
            second.note, second.created_by_id) == (2, "v1.1", "2025-05-02",
                                                   "Sent before Stage 1", manager.id)
    assert entries_of(dbs, first.id) == before  # revision 1 is never touched
    after = entries_of(dbs, second.id)
    assert after["A.8.4"] == (True, "Incidents told to customers", "partially_implemented")
    assert after["A.9.3"] == (False, "No internal AI use", None)  # no status when excluded
    assert len(after) == 38
    page = text(client.get(response.headers["Location"]))
    assert "Revision 2 of the ISO/IEC 42001 SoA saved." in page
    changes = dbs.exec(select(ChangeRecord).where(ChangeRecord.subject == "client")
                       .order_by(ChangeRecord.id)).all()
    assert [(c.subject_id, c.actor_id, c.before, c.after) for c in changes] == [
        (str(organisation), None, None, "revision 1 (v1.0)"),
        (str(organisation), manager.id, "revision 1 (v1.0)", "revision 2 (v1.1)")]
    assert changes[-1].field_name == "Statement of Applicability: ISO/IEC 42001"


def test_an_exclusion_without_justification_is_refused_naming_the_control(client, login_as,
                                                                          organisation, dbs):
    login_as("programme_manager")
    data = edit_form(client, organisation) | {
        "client_version_label": "v1.1", "applicable-A.5.5": "no", "justification-A.5.5": " "}
    response = client.post(soa_url(organisation, "/edit"), data=data)
    assert response.status_code == 422
    page = text(response)
    row = page.split('id="edit-A-5-5"', 1)[1].split("</tr>", 1)[0]
    assert "An excluded control needs a justification" in row
    assert 'aria-invalid="true"' in row
    assert "Nothing was saved: 1 control needs attention (A.5.5)" in page
    assert len(revisions(dbs, organisation)) == 1


@pytest.mark.parametrize(("changes", "status", "message"), [
    ({"status-A.2.2": "finished"}, 422, "Unknown status “finished”"),
    ({"status-A.2.2": ""}, 422, "An applicable control needs an implementation status"),
    ({"applicable-A.2.2": "maybe"}, 422, "Applicable must be yes or no"),
    ({"applicable-A.2.2": ""}, 422, "Choose applicable or excluded"),
    ({"client_version_label": ""}, 422, "Enter the version label of the client"),
    ({"client_version_date": "2025-13-40"}, 422, "Not a valid date"),
])
def test_bad_input_is_refused_and_saves_nothing(client, login_as, organisation, dbs, changes,
                                                status, message):
    login_as("admin")
    data = edit_form(client, organisation) | {"client_version_label": "v2"} | changes
    response = client.post(soa_url(organisation, "/edit"), data=data)
    assert response.status_code == status
    assert message in text(response)
    assert len(revisions(dbs, organisation)) == 1


def test_a_revision_recorded_meanwhile_is_not_overwritten_silently(client, login_as,
                                                                   organisation, dbs, arrange):
    login_as("programme_manager")
    data = edit_form(client, organisation) | {"client_version_label": "v2 (mine)",
                                              "status-A.2.2": "planned"}
    arrange(lambda db: factories.make_soa_revision(db, organisation, "iso42001", "v2 (theirs)"))
    response = client.post(soa_url(organisation, "/edit"), data=data)
    assert response.status_code == 409
    page = text(response)
    assert "Revision 2 (v2 (theirs)) was recorded by system after you opened this page. " \
           "Nothing was saved." in page
    assert f'href="{soa_url(organisation, "/revisions/2")}"' in page
    assert '<option value="planned" selected>' in page.split('id="edit-A-2-2"')[1]
    assert [r.client_version_label for r in revisions(dbs, organisation)] == ["v1.0",
                                                                               "v2 (theirs)"]
    again = {**data, "base_revision": "2", "csrf_token": data["csrf_token"]}
    assert 'name="base_revision" type="hidden" value="2"' in page
    assert client.post(soa_url(organisation, "/edit"), data=again).status_code == 302
    assert [r.client_version_label for r in revisions(dbs, organisation)] == [
        "v1.0", "v2 (theirs)", "v2 (mine)"]


def test_a_control_left_out_of_the_form_is_refused(client, login_as, organisation, dbs):
    login_as("programme_manager")
    data = edit_form(client, organisation) | {"client_version_label": "v2"}
    for name in ("applicable-A.10.4", "justification-A.10.4", "status-A.10.4"):
        del data[name]
    response = client.post(soa_url(organisation, "/edit"), data=data)
    assert response.status_code == 422
    assert "Choose applicable or excluded" in text(response).split('id="edit-A-10-4"')[1]
    assert len(revisions(dbs, organisation)) == 1


def test_saving_without_any_change_is_refused(client, login_as, organisation, dbs):
    login_as("programme_manager")
    data = edit_form(client, organisation) | {"client_version_label": "v1.0"}
    response = client.post(soa_url(organisation, "/edit"), data=data)
    assert response.status_code == 422
    assert "Nothing differs from revision 1" in text(response)
    assert len(revisions(dbs, organisation)) == 1


def test_the_first_revision_can_be_entered_in_the_form(client, login_as, organisation, dbs):
    login_as("programme_manager")
    data = edit_form(client, organisation, "iso27001")
    assert data["base_revision"] == "0"
    assert data["applicable-A.5.1"] == "yes" and data["status-A.5.1"] == ""
    data = {**data, "client_version_label": "ISMS-SoA 4"}
    data.update({f"status-{name.split('-', 1)[1]}": "implemented"
                 for name in data if name.startswith("status-")})
    response = client.post(soa_url(organisation, "/edit", "iso27001"), data=data)
    assert response.status_code == 302, text(response)
    (first,) = revisions(dbs, organisation, "iso27001")
    assert first.revision == 1 and first.checklist_key == "iso27001-2022"
    assert len(entries_of(dbs, first.id)) == 93


def test_the_printable_view_names_client_scheme_label_and_revisions(client, login_as,
                                                                    organisation, arrange):
    arrange(lambda db: factories.make_soa_revision(db, organisation, "iso42001", "v1.1"))
    login_as("reviewer")
    response = client.get(soa_url(organisation, "/print?revision=1"))
    assert response.status_code == 200
    page = text(response)
    assert "<nav" not in page  # a plain document, without the app's navigation
    details = page.split('id="print-details"', 1)[1].split("</dl>", 1)[0]
    for expected in ("Orchid Data Ltd", "ISO/IEC 42001:2023", "v1.0",
                     "(superseded by revision 2)", "Printed"):
        assert expected in details
    assert page.count("<tr>") >= 38 + 2
    assert "css/soa.css" in page and "Save as PDF" in page
    assert client.get(soa_url(organisation, "/print?revision=7")).status_code == 404
