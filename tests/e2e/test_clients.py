"""What a programme manager does with clients in the browser: create one with a site and an AI
system, find it in the list, and import a file with a rejected row."""

import uuid

from playwright.sync_api import expect

from tests.e2e.conftest import DEMO, log_in
from tests.e2e.test_accessibility import assert_accessible

FILE_LABEL = "File (CSV UTF-8 or Excel .xlsx)"


def _open_clients(page) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Clients").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Clients")


def test_manager_creates_a_client_with_a_site_and_an_ai_system(page):
    name = f"Fernhill Vision Ltd {uuid.uuid4().hex[:6]}"
    log_in(page, DEMO["manager"]["email"])
    _open_clients(page)
    page.get_by_role("link", name="New client").click()
    page.get_by_label("Legal name").fill(name)
    page.get_by_label("Address").fill("8 Orchard Row\nCambridge")
    page.get_by_label("Sector").fill("Computer vision for agriculture")
    page.get_by_role("button", name="Create client").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    expect(page.get_by_text(f"Client {name} created.")).to_be_visible()
    expect(page.get_by_text("No central function is recorded")).to_be_visible()

    page.get_by_role("link", name="Edit personnel and technical areas").click()
    aims = page.get_by_role("group", name="ISO/IEC 42001")
    aims.get_by_label("Effective personnel").fill("40")
    aims.get_by_label("AI-involved persons").fill("9")
    aims.get_by_label("AI role of the organisation").select_option(label="AI developer")
    aims.get_by_label("AI technical areas").fill("computer vision; machine learning")
    page.get_by_role("button", name="Save personnel").click()
    expect(page.get_by_text("Personnel and technical areas saved.")).to_be_visible()

    page.get_by_role("link", name="Edit sites").click()
    new_site = page.get_by_role("group", name="New site")
    new_site.get_by_label("Site name").fill("Cambridge lab")
    new_site.get_by_label("Kind of site").select_option(label="Central function")
    new_site.get_by_label("Persons at the site").fill("40")
    page.get_by_role("button", name="Save sites").click()
    expect(page.get_by_text("Sites saved.")).to_be_visible()
    expect(page.locator("#site-table")).to_contain_text("Cambridge lab")
    expect(page.get_by_text("No central function is recorded")).to_have_count(0)

    page.get_by_role("link", name="Edit AI systems").click()
    new_system = page.get_by_role("group", name="New AI system")
    new_system.get_by_label("Name of the AI system").fill("Crop disease detector")
    new_system.get_by_label("Purpose").fill("Flags diseased plants in drone images.")
    new_system.get_by_label("AI role for this system").select_option(label="AI developer")
    new_system.get_by_label("Risk level").select_option(label="Medium")
    new_system.get_by_label("Cambridge lab").check()
    page.get_by_role("button", name="Save AI systems").click()
    expect(page.get_by_text("AI systems saved.")).to_be_visible()
    system = page.locator("#ai-system-table tbody tr").filter(has_text="Crop disease detector")
    expect(system).to_contain_text("Medium")
    expect(system).to_contain_text("Cambridge lab")

    _open_clients(page)
    page.get_by_label("Find a client by name").fill(name)
    row = page.locator("#clients tbody tr").filter(has_text=name)
    expect(row).to_have_count(1)
    expect(page.locator("#clients tbody tr")).to_have_count(1)
    expect(row).to_contain_text("ISO/IEC 42001")
    expect(row).to_contain_text("Cambridge lab")
    row.get_by_role("link", name=name).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)


def test_import_with_a_rejected_row_imports_nothing_and_shows_the_report(page,
                                                                          browser_problems):
    browser_problems.expect("status of 422")
    suffix = uuid.uuid4().hex[:6]
    good = f"Saltmarsh Robotics {suffix} Ltd"
    content = ("name,scheme,effective_personnel,ai_personnel,ai_role\n"
               f"{good},iso42001,30,6,producer\n"
               f"Broken Row {suffix} Ltd,iso42001,30,31,producer\n").encode()
    log_in(page, DEMO["manager"]["email"])
    _open_clients(page)
    page.get_by_role("link", name="Import from a file").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import clients, sites or auditors")
    page.get_by_label("The file holds").select_option(label="Clients")
    page.get_by_label(FILE_LABEL).set_input_files(
        files=[{"name": "clients.csv", "mimeType": "text/csv", "buffer": content}])
    page.get_by_role("button", name="Import", exact=True).click()

    report = page.locator("#import-report")
    expect(report.get_by_role("heading", name="Nothing was imported")).to_be_visible()
    rejected = report.locator("tbody tr")
    expect(rejected).to_have_count(1)
    expect(rejected.locator("td").nth(0)).to_have_text("3")
    expect(rejected.locator("td").nth(1)).to_contain_text("cannot exceed the effective")

    _open_clients(page)
    page.get_by_label("Find a client by name").fill(suffix)
    expect(page.locator("#clients tbody")).to_contain_text("No client matches")


def test_client_pages_are_accessible(page):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    log_in(page, DEMO["manager"]["email"])
    _open_clients(page)
    assert_accessible(axe, page)
    page.locator("#clients tbody tr a").first.click()
    expect(page.get_by_role("heading", level=2, name="Sites")).to_be_visible()
    assert_accessible(axe, page)
    for link, heading in (("Edit sites", "Sites"),
                          ("Edit personnel and technical areas", "Personnel and technical"),
                          ("Edit contacts", "Contacts")):
        page.get_by_role("link", name=link).click()
        expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
        assert_accessible(axe, page)
        page.go_back()
    page.goto("/clients/import")
    assert_accessible(axe, page)
