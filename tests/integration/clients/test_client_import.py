"""Bulk import through the upload screen: all rows or none, a report of rejected rows."""

import io

import pytest
from openpyxl import Workbook
from sqlmodel import select

from auditkit.models import (
    AuditorProfile,
    ChangeRecord,
    Client,
    Qualification,
    SchemePersonnel,
    Site,
    User,
    UserRole,
)
from tests import factories
from tests.conftest import csrf_token, login
from tests.security.support import digest
from tests.unit.crafted_xlsx import far_corner_sheet, shared_strings_bomb

CLIENTS_CSV = (
    "name,address,language,sector,scheme,effective_personnel,ai_personnel,ai_role\n"
    "Northwind AI Ltd,4 Quay Street,English,AI services,iso42001,60,8,provider\n"
    "Northwind AI Ltd,,,,iso27001,60,,\n"
    "Harrow Castings Ltd,Unit 2,English,Metal castings,iso9001,85,,\n"
)


def upload(client, kind: str, data: bytes, filename: str, action: str = "import"):
    token = csrf_token(client, "/clients/import")
    return client.post("/clients/import", data={
        "csrf_token": token, "kind": kind, "action": action,
        "upload": (io.BytesIO(data), filename)}, content_type="multipart/form-data")


def xlsx(rows: list[list]) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_good_clients_csv_is_imported(client, login_as, dbs):
    manager = login_as("programme_manager")
    response = upload(client, "clients", CLIENTS_CSV.encode(), "clients.csv")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/clients")
    listing = client.get("/clients").get_data(as_text=True)
    assert "Imported 2 clients with 3 scheme personnel records." in listing
    assert "Northwind AI Ltd" in listing and "Harrow Castings Ltd" in listing
    clients = {c.name: c for c in dbs.exec(select(Client))}
    personnel = {(p.client_id, p.scheme): p for p in dbs.exec(select(SchemePersonnel))}
    northwind = clients["Northwind AI Ltd"]
    assert northwind.address == "4 Quay Street"
    aims = personnel[(northwind.id, "iso42001")]
    assert (aims.effective_personnel, aims.ai_personnel, aims.ai_role) == (60, 8, "provider")
    assert personnel[(northwind.id, "iso27001")].effective_personnel == 60
    assert personnel[(clients["Harrow Castings Ltd"].id, "iso9001")].effective_personnel == 85
    created = dbs.exec(select(ChangeRecord).where(ChangeRecord.subject == "client",
                                                  ChangeRecord.field_name == "created")).all()
    assert {(c.subject_id, c.actor_id) for c in created} == {
        (str(northwind.id), manager.id), (str(clients["Harrow Castings Ltd"].id), manager.id)}


def test_good_sites_xlsx_is_imported(client, login_as, arrange, dbs):
    login_as("admin")
    client_id = arrange(lambda db: factories.make_client(db, "Northwind AI Ltd").id)
    data = xlsx([["client_name", "site_name", "kind", "address", "personnel"],
                 ["Northwind AI Ltd", "Bristol HQ", "central_function", "4 Quay Street", 40],
                 ["northwind ai ltd", "Remote team", "virtual", None, 20.0]])
    response = upload(client, "sites", data, "sites.xlsx")
    assert response.status_code == 302, response.get_data(as_text=True)
    sites = {(s.name, s.kind, s.personnel, s.address) for s in dbs.exec(
        select(Site).where(Site.client_id == client_id))}
    assert sites == {("Bristol HQ", "central_function", 40, "4 Quay Street"),
                     ("Remote team", "virtual", 20, "")}
    assert dbs.get(Client, client_id).version == 2  # open edit forms of the client go stale


def test_auditors_are_created_with_a_password_nobody_knows(app, client, login_as, dbs):
    login_as("programme_manager")
    data = (b"email,full_name,languages,scheme,role,technical_areas,valid_from,valid_until\n"
            b"Lee.Auditor@example.test,Lee Auditor,English; Welsh,iso27001,lead_auditor,"
            b"33; 35,2025-01-15,2028-01-14\n"
            b"kai@example.test,Kai Expert,,,,,,\n")
    response = upload(client, "auditors", data, "auditors.csv")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Imported 2 auditors, 1 with a qualification." in page
    assert "random password" in page
    users = {u.email: u for u in dbs.exec(select(User))}
    lee = users["lee.auditor@example.test"]
    roles = {r.role for r in dbs.exec(select(UserRole).where(UserRole.user_id == lee.id))}
    assert roles == {"auditor"}
    assert dbs.get(AuditorProfile, lee.id).languages == "English, Welsh"
    qualification = dbs.exec(select(Qualification).where(Qualification.user_id == lee.id)).one()
    assert (qualification.scheme, qualification.role, qualification.technical_areas) == (
        "iso27001", "lead_auditor", "33;35")
    assert users["kai@example.test"].password_hash != lee.password_hash
    assert login(app.test_client(), "kai@example.test", factories.PASSWORD).status_code == 401


def test_one_bad_row_imports_nothing_and_is_listed(app, client, login_as):
    login_as("programme_manager")
    data = (CLIENTS_CSV + "Broken Ltd,,,,iso14001,10,,\nCounted Ltd,,,,iso9001,lots,,\n").encode()
    before = digest(app)
    response = upload(client, "clients", data, "clients.csv")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Nothing was imported" in html
    assert "<td>5</td><td>Unknown scheme “iso14001”" in html
    assert "<td>6</td><td>“lots” in column “effective_personnel” is not a whole number" in html
    assert "Northwind AI Ltd" not in html.split('id="import-report"')[1].split("</section>")[0]
    assert digest(app) == before


@pytest.mark.parametrize(("kind", "data", "message"), [
    ("clients", b"name,scheme,effective_personnel\nExisting Org Ltd,iso9001,5\n",
     "<td>2</td><td>Duplicate name: a client named “Existing Org Ltd” already exists."),
    ("sites", b"client_name,site_name,kind\nNobody Ltd,HQ,central_function\n",
     "<td>2</td><td>Unknown client “Nobody Ltd”"),
    ("sites", b"client_name,site_name,kind\nExisting Org Ltd,Second HQ,central_function\n",
     "already has “Main office”"),
    ("sites", b"client_name,site_name\nExisting Org Ltd,Annex\n", "Missing column “kind”"),
    ("auditors", b"email,full_name\ntaken@example.test,Someone\n",
     "<td>2</td><td>A user with the e-mail address taken@example.test already exists."),
])
def test_rows_that_clash_with_the_database_are_refused(app, client, login_as, arrange, make_user,
                                                       kind, data, message):
    def existing(db):
        organisation = factories.make_client(db, "Existing Org Ltd")
        factories.make_site(db, organisation.id, "Main office", "central_function")

    arrange(existing)
    make_user("auditor", email="taken@example.test")
    login_as("admin")
    before = digest(app)
    response = upload(client, kind, data, f"{kind}.csv")
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert digest(app) == before


def test_non_utf8_csv_names_the_row(app, client, login_as):
    login_as("programme_manager")
    data = "name,language\nPlain Ltd,English\nCafé Noir SARL,French\n".encode("latin-1")
    before = digest(app)
    response = upload(client, "clients", data, "clients.csv")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "<td>3</td><td>This row is not UTF-8 text (byte 0xE9" in html
    assert digest(app) == before


def test_check_only_previews_and_imports_nothing(app, client, login_as):
    login_as("programme_manager")
    before = digest(app)
    response = upload(client, "clients", CLIENTS_CSV.encode(), "clients.csv", action="check")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "The file is ready to import" in html
    assert "creates 2 clients with 3 scheme personnel records" in html
    assert "Northwind AI Ltd" in html
    assert digest(app) == before


def test_too_many_rows_are_refused_with_a_clear_message(app, client, login_as):
    login_as("programme_manager")
    rows = "".join(f"Client {n} Ltd\n" for n in range(5001))
    before = digest(app)
    response = upload(client, "clients", ("name\n" + rows).encode(), "clients.csv")
    assert response.status_code == 422
    assert "more than 5,000 data rows" in response.get_data(as_text=True)
    assert digest(app) == before


def test_upload_without_file_is_422(client, login_as):
    login_as("programme_manager")
    token = csrf_token(client, "/clients/import")
    response = client.post("/clients/import", data={"csrf_token": token, "kind": "clients"},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Choose a file to upload." in response.get_data(as_text=True)


def test_screen_documents_the_columns(client, login_as):
    login_as("programme_manager")
    html = client.get("/clients/import").get_data(as_text=True)
    for column in ("effective_personnel", "ai_personnel", "ai_role", "client_name",
                   "site_name", "technical_areas", "valid_from", "valid_until"):
        assert f"<code>{column}</code>" in html
    assert "All or nothing" in html


@pytest.mark.parametrize(("attack", "message"), [
    ("far_corner", "declares a range of 1,048,576 rows and 16,384 columns"),
    ("bomb", "This spreadsheet expands to more than 20 MB; split it or save it as CSV."),
])
def test_hostile_workbooks_are_refused_and_import_nothing(app, client, login_as, attack,
                                                          message):
    login_as("programme_manager")
    data = (far_corner_sheet(["name", "scheme"]) if attack == "far_corner"
            else shared_strings_bomb(50))
    before = digest(app)
    response = upload(client, "clients", data, "clients.xlsx")
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert digest(app) == before
