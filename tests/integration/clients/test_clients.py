"""Client screens: create and edit a client with its sites, personnel, technical areas,
contacts and AI systems; who may see and change what; history; stale saves; the list."""

import pytest
from sqlmodel import select

from auditkit.models import (
    AISystem,
    AISystemSite,
    Certification,
    CertificationSite,
    ChangeRecord,
    Client,
    ClientContact,
    ClientTechnicalArea,
    SchemePersonnel,
    Site,
)
from tests import factories
from tests.conftest import csrf_token
from tests.integration.clients.conftest import page_parts, rows, save
from tests.security.support import digest


def _create(client, name="Lumen Test Analytics Ltd", **fields):
    token = csrf_token(client, "/clients/new")
    data = {"name": name, "address": "1 Dock Road\nLondon", "language": "English",
            "sector": "AI analytics", "csrf_token": token}
    data.update(fields)
    return client.post("/clients/new", data=data)


def _client_id(response) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])


def _personnel(**schemes) -> dict:
    data = {f"{scheme}_{name}": "" for scheme in ("iso42001", "iso27001", "iso9001")
            for name in ("effective_personnel", "areas")}
    data.update({"iso42001_ai_personnel": "", "iso42001_ai_role": ""})
    data.update(schemes)
    return data


def test_manager_creates_client_with_sites_and_42001_personnel(client, login_as, dbs):
    manager = login_as("programme_manager")
    client_id = _client_id(_create(client))

    response = save(client, f"/clients/{client_id}/sites", rows("sites", [
        {"site_id": "", "name": "London head office", "kind": "central_function",
         "address": "1 Dock Road", "personnel": "25"},
        {"site_id": "", "name": "Model hosting", "kind": "virtual", "address": "",
         "personnel": "5"},
        {"site_id": "", "name": "", "kind": "permanent", "address": "", "personnel": ""},
    ]))
    assert response.status_code == 302
    response = save(client, f"/clients/{client_id}/personnel", _personnel(
        iso42001_effective_personnel="30", iso42001_ai_personnel="9",
        iso42001_ai_role="developer", iso42001_areas="ML; NLP; ML",
        iso27001_effective_personnel="30", iso27001_areas="33"))
    assert response.status_code == 302

    sites = {s.name: s for s in dbs.exec(select(Site).where(Site.client_id == client_id))}
    assert {(s.name, s.kind, s.personnel) for s in sites.values()} == {
        ("London head office", "central_function", 25), ("Model hosting", "virtual", 5)}
    personnel = {p.scheme: p for p in dbs.exec(
        select(SchemePersonnel).where(SchemePersonnel.client_id == client_id))}
    assert set(personnel) == {"iso42001", "iso27001"}
    aims = personnel["iso42001"]
    assert (aims.effective_personnel, aims.ai_personnel, aims.ai_role) == (30, 9, "developer")
    assert personnel["iso27001"].ai_personnel is None
    areas = {(a.scheme, a.area) for a in dbs.exec(
        select(ClientTechnicalArea).where(ClientTechnicalArea.client_id == client_id))}
    assert areas == {("iso42001", "ML"), ("iso42001", "NLP"), ("iso27001", "33")}

    response = save(client, f"/clients/{client_id}/ai-systems", rows("systems", [
        {"ai_system_id": "", "name": "Churn predictor", "purpose": "Predicts cancellations",
         "ai_role": "developer", "risk_level": "medium",
         "site_ids": [str(sites["London head office"].id), str(sites["Model hosting"].id)]},
    ]))
    assert response.status_code == 302
    system = dbs.exec(select(AISystem).where(AISystem.client_id == client_id)).one()
    links = {link.site_id for link in dbs.exec(
        select(AISystemSite).where(AISystemSite.ai_system_id == system.id))}
    assert links == {sites["London head office"].id, sites["Model hosting"].id}

    page = client.get(f"/clients/{client_id}").get_data(as_text=True)
    for text in ("Lumen Test Analytics Ltd", "London head office", "Central function",
                 "Virtual site", "AI developer", "ML; NLP", "Churn predictor", "Medium"):
        assert text in page
    assert "No central function is recorded" not in page

    history = dbs.exec(select(ChangeRecord).where(ChangeRecord.subject == "client",
                                                  ChangeRecord.subject_id == str(client_id)))
    fields = {h.field_name for h in history if h.actor_id == manager.id}
    assert {"created", "site: London head office", "site: Model hosting",
            "personnel: iso42001", "technical areas: iso42001",
            "AI system: Churn predictor"} <= fields
    assert dbs.get(Client, client_id).version == 4  # sites, personnel, AI systems


def test_edit_sites_rename_and_remove_with_history(client, login_as, organisation, dbs):
    login_as("programme_manager")
    path = f"/clients/{organisation['id']}/sites"
    response = save(client, path, rows("sites", [
        {"site_id": str(organisation["central"]), "name": "Head office, Leeds",
         "kind": "central_function", "address": "2 Mill Lane", "personnel": "31"},
        {"site_id": str(organisation["virtual"]), "name": "Cloud platform", "kind": "virtual",
         "address": "", "personnel": "5", "remove": "y"},
    ]))
    assert response.status_code == 302
    sites = dbs.exec(select(Site).where(Site.client_id == organisation["id"])).all()
    assert [(s.id, s.name, s.personnel) for s in sites] == [
        (organisation["central"], "Head office, Leeds", 31)]
    changes = {(h.field_name, h.before, h.after) for h in dbs.exec(
        select(ChangeRecord).where(ChangeRecord.subject == "client"))}
    assert ("site: Head office", "Head office", "Head office, Leeds") in changes
    assert ("site: Cloud platform", "Virtual site; 5 persons", None) in changes


def test_client_without_central_function_is_warned(client, login_as, arrange):
    login_as("programme_manager")
    client_id = arrange(lambda db: factories.make_client(db, "Plain Widgets Ltd").id)
    response = save(client, f"/clients/{client_id}/sites", rows("sites", [
        {"site_id": "", "name": "Workshop", "kind": "permanent", "address": "",
         "personnel": "12"}]))
    assert response.status_code == 302
    page = client.get(f"/clients/{client_id}").get_data(as_text=True)
    assert "No central function is recorded" in page
    assert "TIME-MS-02" in page


SITE_ROW = {"site_id": "", "name": "Depot", "kind": "permanent", "address": "",
            "personnel": "3"}


@pytest.mark.parametrize(("path", "data", "message"), [
    ("sites", rows("sites", [{**SITE_ROW, "name": "Second HQ", "kind": "central_function"}]),
     "one central function"),
    ("sites", rows("sites", [{**SITE_ROW, "name": ""}]), "Enter the site&#39;s name"),
    ("sites", rows("sites", [{**SITE_ROW, "name": "head OFFICE"}]), "already called"),
    ("sites", rows("sites", [{**SITE_ROW, "personnel": "many"}]), "Not a valid integer"),
    ("sites", rows("sites", [{**SITE_ROW, "site_id": "999999"}]), "not one of this client"),
    ("personnel", _personnel(iso42001_effective_personnel="20", iso42001_ai_personnel="25",
                             iso42001_ai_role="developer"), "cannot exceed the effective"),
    ("personnel", _personnel(iso42001_effective_personnel="20", iso42001_ai_personnel="5"),
     "AI role"),
    ("personnel", _personnel(iso42001_effective_personnel="20", iso42001_ai_role="user"),
     "number of AI-involved persons"),
    ("personnel", _personnel(iso42001_effective_personnel="20", iso42001_ai_personnel="5",
                             iso42001_ai_role="user", iso9001_areas="17"),
     "Enter the effective personnel for this scheme"),
    ("personnel", _personnel(iso42001_effective_personnel="0", iso42001_ai_personnel="0",
                             iso42001_ai_role="user"), "at least 1 person"),
    ("contacts", rows("contacts", [{"contact_id": "", "name": "", "position": "CTO",
                                    "email": "", "phone": ""}]), "Enter the contact&#39;s name"),
    ("contacts", rows("contacts", [{"contact_id": "", "name": "Sam", "position": "",
                                    "email": "sam-at-example", "phone": ""}]),
     "not a valid e-mail"),
    ("ai-systems", rows("systems", [{"ai_system_id": "", "name": "Ranker", "purpose": "",
                                     "ai_role": "developer", "risk_level": ""}]),
     "Choose the risk level"),
    ("edit", {"name": "", "address": "", "language": "English", "sector": ""},
     "Enter the client&#39;s legal name"),
])
def test_bad_input_answers_422_and_changes_nothing(app, client, login_as, organisation, path,
                                                   data, message):
    login_as("programme_manager")
    before = digest(app)
    response = save(client, f"/clients/{organisation['id']}/{path}", data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert digest(app) == before


def test_ai_system_cannot_use_a_site_of_another_client(app, client, login_as, organisation,
                                                       arrange):
    login_as("programme_manager")
    foreign_site = arrange(lambda db: factories.make_site(
        db, factories.make_client(db, "Other Org Ltd").id, "Their office").id)
    before = digest(app)
    response = save(client, f"/clients/{organisation['id']}/ai-systems", rows("systems", [
        {"ai_system_id": "", "name": "Ranker", "purpose": "", "ai_role": "developer",
         "risk_level": "low", "site_ids": [str(organisation["central"]), str(foreign_site)]}]))
    assert response.status_code == 422
    assert "Choose sites of this client only" in response.get_data(as_text=True)
    assert digest(app) == before


def test_ai_systems_need_a_42001_scope(app, client, login_as, arrange):
    login_as("programme_manager")
    client_id = arrange(lambda db: factories.make_client(db, "Quality Only Ltd").id)
    before = digest(app)
    response = save(client, f"/clients/{client_id}/ai-systems", rows("systems", [
        {"ai_system_id": "", "name": "Ranker", "purpose": "", "ai_role": "user",
         "risk_level": "low"}]))
    assert response.status_code == 422
    assert "record the client&#39;s ISO/IEC 42001 personnel first" in \
        response.get_data(as_text=True)
    assert digest(app) == before


def test_duplicate_client_name_is_refused(app, client, login_as, organisation):
    login_as("admin")
    before = digest(app)
    response = _create(client, name="  orchid   DATA ltd ")
    assert response.status_code == 422
    assert "already exists" in response.get_data(as_text=True)
    assert digest(app) == before


def test_site_in_a_certification_scope_cannot_be_removed(app, client, login_as, organisation,
                                                         arrange):
    login_as("programme_manager")

    def certify(db):
        certification = Certification(client_id=organisation["id"], reference="C-1",
                                      scope="Analytics")
        db.add(certification)
        db.flush()
        db.add(CertificationSite(certification_id=certification.id,
                                 site_id=organisation["virtual"]))

    arrange(certify)
    before = digest(app)
    response = save(client, f"/clients/{organisation['id']}/sites", rows("sites", [
        {"site_id": str(organisation["virtual"]), "name": "Cloud platform", "kind": "virtual",
         "address": "", "personnel": "5", "remove": "y"}]))
    assert response.status_code == 422
    assert "in the scope of a certification or an audit" in response.get_data(as_text=True)
    assert digest(app) == before


def test_contacts_are_added_and_removed(client, login_as, organisation, dbs):
    login_as("programme_manager")
    path = f"/clients/{organisation['id']}/contacts"
    assert save(client, path, rows("contacts", [
        {"contact_id": "", "name": "Robin Vale", "position": "AI governance lead",
         "email": "robin@orchid.test", "phone": "+44 20 0000 0000"},
        {"contact_id": "", "name": "Kim Sato", "position": "CISO", "email": "", "phone": ""},
    ])).status_code == 302
    contacts = {c.name: c for c in dbs.exec(select(ClientContact))}
    assert set(contacts) == {"Robin Vale", "Kim Sato"}
    assert save(client, path, rows("contacts", [
        {"contact_id": str(contacts["Robin Vale"].id), "name": "Robin Vale",
         "position": "AI governance lead", "email": "robin@orchid.test", "phone": "",
         "remove": "y"},
        {"contact_id": str(contacts["Kim Sato"].id), "name": "Kim Sato", "position": "CISO",
         "email": "kim@orchid.test", "phone": ""},
    ])).status_code == 302
    dbs.expire_all()
    assert [(c.name, c.email) for c in dbs.exec(select(ClientContact))] == [
        ("Kim Sato", "kim@orchid.test")]


def test_add_row_button_shows_another_empty_row_and_saves_nothing(app, client, login_as,
                                                                 organisation):
    login_as("programme_manager")
    path = f"/clients/{organisation['id']}/contacts"
    before = digest(app)
    response = save(client, path, {**rows("contacts", [
        {"contact_id": "", "name": "Typed So Far", "position": "", "email": "",
         "phone": ""}]), "add_row": "1"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'value="Typed So Far"' in html
    assert 'name="contacts-1-name"' in html
    assert digest(app) == before


# --- who may see and change what --------------------------------------------------------------

def test_auditee_sees_own_client_read_only_and_404_for_another(client, login_as, organisation,
                                                              arrange):
    other = arrange(lambda db: factories.make_client(db, "Someone Else Ltd").id)
    login_as("auditee", client_id=organisation["id"])
    page = client.get(f"/clients/{organisation['id']}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Orchid Data Ltd" in html and "Head office" in html
    assert "Edit sites" not in html and "History of changes" not in html
    assert client.get(f"/clients/{other}").status_code == 404
    assert client.get("/clients/999999").status_code == 404
    assert client.get("/clients").status_code == 403
    assert client.get(f"/clients/{organisation['id']}/sites").status_code == 403


@pytest.mark.parametrize("role", ["reviewer", "auditor"])
def test_staff_without_manage_right_can_view_but_not_edit(app, client, login_as, organisation,
                                                          role):
    login_as(role)
    assert client.get("/clients").status_code == 200
    html = client.get(f"/clients/{organisation['id']}").get_data(as_text=True)
    assert "Orchid Data Ltd" in html and "Edit details" not in html
    token = csrf_token(client, "/")
    before = digest(app)
    for path in ("/clients/new", f"/clients/{organisation['id']}/edit",
                 f"/clients/{organisation['id']}/sites", "/clients/import"):
        assert client.get(path).status_code == 403, path
        response = client.post(path, data={"csrf_token": token, "name": "Changed"})
        assert response.status_code == 403, path
    assert digest(app) == before


# --- concurrent edits -------------------------------------------------------------------------

def test_stale_save_answers_409_and_keeps_the_first_save(app, client, login_as, organisation,
                                                         dbs):
    login_as("programme_manager")
    path = f"/clients/{organisation['id']}/edit"
    _token, old_version = page_parts(client, path)
    fields = {"address": "", "language": "English", "sector": ""}
    assert save(client, path, {"name": "Orchid Data Group Ltd", **fields}).status_code == 302
    response = save(client, path, {"name": "Orchid Second Save Ltd", **fields},
                    version=old_version)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Someone else saved changes to this client" in html
    assert "Orchid Data Group Ltd" in html  # the version saved now, shown beside theirs
    assert 'value="Orchid Second Save Ltd"' in html  # what they typed is kept
    assert dbs.get(Client, organisation["id"]).name == "Orchid Data Group Ltd"


def test_a_saved_section_makes_other_open_forms_stale(app, client, login_as, organisation, dbs):
    """Sites and personnel belong to the client: saving one moves the client's version on."""
    login_as("programme_manager")
    _token, old_version = page_parts(client, f"/clients/{organisation['id']}/personnel")
    assert save(client, f"/clients/{organisation['id']}/contacts", rows("contacts", [
        {"contact_id": "", "name": "Robin Vale", "position": "", "email": "",
         "phone": ""}])).status_code == 302
    before = digest(app)
    response = save(client, f"/clients/{organisation['id']}/personnel", _personnel(
        iso42001_effective_personnel="50", iso42001_ai_personnel="9",
        iso42001_ai_role="developer"), version=old_version)
    assert response.status_code == 409
    assert digest(app) == before
    row = dbs.exec(select(SchemePersonnel)).one()
    assert row.effective_personnel == 35


# --- the list ----------------------------------------------------------------------------------

def _many_clients(arrange, count: int, start: int = 0):
    def build(db):
        for number in range(start, start + count):
            client = factories.make_client(db, f"Bulk Client {number:03d} Ltd")
            factories.make_site(db, client.id, "HQ", "central_function", 10)
            factories.make_site(db, client.id, "Branch", "permanent", 5)
            factories.set_scheme_personnel(db, client.id, "iso9001", 15)
            factories.set_scheme_personnel(db, client.id, "iso27001", 15)

    arrange(build)


def test_list_searches_by_name_and_pages(client, login_as, arrange):
    login_as("reviewer")
    _many_clients(arrange, 30)
    first = client.get("/clients").get_data(as_text=True)
    assert "30 clients" in first and "page 1 of 2" in first
    assert "Bulk Client 000 Ltd" in first and "Bulk Client 029 Ltd" not in first
    assert "ISO/IEC 27001, ISO 9001" in first
    second = client.get("/clients?page=2").get_data(as_text=True)
    assert "Bulk Client 029 Ltd" in second and "Bulk Client 000 Ltd" not in second
    found = client.get("/clients?q=client 02").get_data(as_text=True)
    assert "10 clients matching" in found and "Bulk Client 025 Ltd" in found
    fragment = client.get("/clients?q=025", headers={"HX-Request": "true"})
    assert "<html" not in fragment.get_data(as_text=True)
    assert "Bulk Client 025 Ltd" in fragment.get_data(as_text=True)
    assert "No client matches" in client.get("/clients?q=100%").get_data(as_text=True)


def test_list_runs_the_same_number_of_queries_for_5_and_50_clients(client, login_as, arrange,
                                                                   count_statements):
    login_as("programme_manager")
    _many_clients(arrange, 5)
    client.get("/clients")  # warm up: the session's first touch, caches
    with count_statements() as few:
        assert client.get("/clients").status_code == 200
    _many_clients(arrange, 45, start=5)
    with count_statements() as many:
        page = client.get("/clients")
    assert page.status_code == 200
    assert "50 clients" in page.get_data(as_text=True)
    assert few.count == many.count
    assert few.count <= 10
