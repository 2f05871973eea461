"""Opening and editing certifications; who may see and change them."""

import re

import pytest
from sqlmodel import select

from auditkit.models import Certification, CertificationScheme, CertificationSite
from tests.conftest import csrf_from, login
from tests.integration.programmes.conftest import factories, history


def _open(client, client_id, **fields):
    page = client.get(f"/certifications/new?client_id={client_id}").get_data(as_text=True)
    data = {"schemes": ["iso9001"], "edition_iso9001": "ISO 9001:2015",
            "edition_iso27001": "ISO/IEC 27001:2022", "edition_iso42001": "ISO/IEC 42001:2023",
            "integration": "single", "scope": "Managed analytics reporting services",
            "csrf_token": csrf_from(page)}
    data.update(fields)
    return client.post(f"/certifications/new?client_id={client_id}", data=data)


def _certifications(dbs):
    dbs.expire_all()
    return list(dbs.exec(select(Certification).order_by(Certification.id)))


def test_manager_opens_a_single_standard_certification(client, manager, arrange, dbs):
    organisation = arrange(factories.make_client, "Lumen Test Ltd")
    arrange(factories.make_site, organisation.id, "Head office", kind="central_function")

    response = _open(client, organisation.id)

    assert response.status_code == 302
    certification = _certifications(dbs)[0]
    assert response.headers["Location"] == f"/certifications/{certification.id}"
    assert certification.state == "applicant"
    assert re.fullmatch(r"CB-2026-0001", certification.reference)
    schemes = dbs.exec(select(CertificationScheme)).all()
    assert [(s.scheme, s.edition) for s in schemes] == [("iso9001", "ISO 9001:2015")]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "CB-2026-0001" in page and "Applicant" in page and "ISO 9001:2015" in page
    created = history(dbs, "certification")
    assert [(h.field_name, h.actor_id) for h in created] == [("created", manager.id)]


def test_integrated_certification_with_sites_and_editions(client, manager, arrange, dbs):
    organisation = arrange(factories.make_client)
    office = arrange(factories.make_site, organisation.id, "Head office",
                     kind="central_function")
    lab = arrange(factories.make_site, organisation.id, "Model lab")

    response = _open(client, organisation.id, schemes=["iso42001", "iso27001"],
                     integration="integrated", edition_iso42001="ISO/IEC 42001:2023",
                     site_ids=[str(office.id), str(lab.id)])

    assert response.status_code == 302
    certification = _certifications(dbs)[0]
    assert certification.integration == "integrated"
    assert {s.scheme for s in dbs.exec(select(CertificationScheme))} == {"iso42001",
                                                                         "iso27001"}
    assert {s.site_id for s in dbs.exec(select(CertificationSite))} == {office.id, lab.id}
    page = client.get(f"/certifications/{certification.id}").get_data(as_text=True)
    assert "ISO/IEC 42001:2023 + ISO/IEC 27001:2022" in page
    assert "Model lab" in page and "Integrated" in page


def test_references_are_unique_and_numbered_per_year(client, manager, arrange, dbs):
    from auditkit.admin.services import ensure_body

    ensure_body(dbs, "Northgate Certification")
    dbs.commit()
    organisation = arrange(factories.make_client)
    for _ in range(3):
        assert _open(client, organisation.id).status_code == 302
    assert [c.reference for c in _certifications(dbs)] == [
        "NC-2026-0001", "NC-2026-0002", "NC-2026-0003"]


@pytest.mark.parametrize(("fields", "message"), [
    ({"schemes": []}, "Choose at least one standard."),
    ({"schemes": ["iso9001", "iso27001"]}, "A single-standard certification covers one"),
    ({"integration": "integrated"}, "two or more standards"),
    ({"scope": "  "}, "Describe the scope of certification."),
    ({"edition_iso9001": ""}, "Give the edition of ISO 9001"),
    ({"schemes": ["iso14001"]}, "Choose standards from the list."),
])
def test_bad_certification_input_is_refused_and_nothing_is_saved(
        client, manager, arrange, dbs, fields, message):
    organisation = arrange(factories.make_client)
    response = _open(client, organisation.id, **fields)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert _certifications(dbs) == []


def test_sites_of_another_client_are_refused(client, manager, arrange, dbs):
    organisation = arrange(factories.make_client)
    elsewhere = arrange(factories.make_site, arrange(factories.make_client).id, "Not theirs")
    response = _open(client, organisation.id, site_ids=[str(elsewhere.id)])
    assert response.status_code == 422
    assert "Choose sites of this client only." in response.get_data(as_text=True)
    assert _certifications(dbs) == []


def test_an_unknown_client_answers_404(client, manager):
    assert client.get("/certifications/new?client_id=98765").status_code == 404


def test_edit_keeps_history_and_a_stale_save_answers_409(client, manager, arrange, dbs):
    organisation = arrange(factories.make_client)
    certification = arrange(factories.make_certification, organisation)
    url = f"/certifications/{certification.id}/edit"
    page = client.get(url).get_data(as_text=True)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)
    form = {"schemes": ["iso9001"], "edition_iso9001": "ISO 9001:2015", "integration": "single",
            "scope": "A wider scope", "version": version, "csrf_token": csrf_from(page)}

    assert client.post(url, data=form).status_code == 302
    stale = client.post(url, data={**form, "scope": "Overwritten"})

    assert stale.status_code == 409
    assert "Someone else changed this certification" in stale.get_data(as_text=True)
    dbs.expire_all()
    assert dbs.get(Certification, certification.id).scope == "A wider scope"
    change = [h for h in history(dbs, "certification") if h.field_name == "scope"]
    assert [(h.before, h.after) for h in change] == [("Design and delivery of services",
                                                      "A wider scope")]


def test_auditee_sees_their_own_certification_read_only_and_not_others(
        app, arrange, make_user, dbs, today):
    own = arrange(factories.make_client)
    other = arrange(factories.make_client)
    theirs = arrange(factories.make_certification, own)
    foreign = arrange(factories.make_certification, other)
    auditee = make_user("auditee", client_id=own.id)
    browser = app.test_client()
    assert login(browser, auditee.email).status_code == 302

    page = browser.get(f"/certifications/{theirs.id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert theirs.reference in text
    assert "Edit certification" not in text and "Record the certification decision" not in text
    assert "Programme warnings" not in text
    assert browser.get(f"/certifications/{foreign.id}").status_code == 404
    assert browser.get("/certifications/987654").status_code == 404
    assert browser.get("/certifications").status_code == 403
    assert browser.get(f"/certifications/{theirs.id}/edit").status_code == 403


def test_reviewer_reads_but_may_not_change(client, login_as, arrange, dbs, today):
    organisation = arrange(factories.make_client)
    certification = arrange(factories.make_certification, organisation)
    login_as("reviewer")
    page = client.get(f"/certifications/{certification.id}")
    assert page.status_code == 200
    assert "Edit certification" not in page.get_data(as_text=True)
    data = {"csrf_token": csrf_from(page.get_data(as_text=True)), "decision_date": "2026-06-01",
            "note": "Recorded elsewhere", "schemes": ["iso9001"], "scope": "Changed"}
    for path in (f"/certifications/{certification.id}/edit",
                 f"/certifications/{certification.id}/decision",
                 f"/certifications/{certification.id}/take-over",
                 f"/certifications/new?client_id={organisation.id}"):
        assert client.get(path).status_code == 403, path
        assert client.post(path, data=data).status_code == 403, path
    assert dbs.exec(select(Certification.state)).all() == ["applicant"]


def test_client_page_partial_lists_the_certifications(app, client, manager, arrange, dbs):
    """The partial the clients page includes renders from `client_certifications`."""
    from flask import render_template

    from auditkit.programmes.certifications import client_certifications

    organisation = arrange(factories.make_client, "Partial Ltd")
    certification = arrange(factories.make_certification, organisation)
    with app.test_request_context():
        from auditkit import db as database

        rows = client_certifications(database.session(), _staff(), organisation.id)
        html = render_template("programmes/_client_certifications.html",
                               client=organisation, client_certifications=rows,
                               can_manage_programmes=True)
    assert certification.reference in html
    assert f"/certifications/{certification.id}" in html
    assert f"/certifications/new?client_id={organisation.id}" in html


def _staff():
    from auditkit.accounts.services import CurrentUser
    from auditkit.models import Role

    return CurrentUser(id=0, email="x@example.test", full_name="X",
                       roles=frozenset({Role.PROGRAMME_MANAGER}), client_id=None,
                       session_id="none")
