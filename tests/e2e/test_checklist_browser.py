"""A lead auditor looks up an Annex A control in the checklist browser."""

from playwright.sync_api import expect

from tests.e2e.conftest import DEMO, log_in
from tests.e2e.test_accessibility import assert_accessible


def test_auditor_searches_a_control_and_reads_its_guidance(page, base_url):
    log_in(page, DEMO["auditor"]["email"])
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Checklists").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Checklists")
    page.get_by_role("link", name="ISO/IEC 42001:2023").click()
    expect(page.locator("#item-A\\.2\\.2")).to_be_visible()

    page.evaluate("window.stillTheSamePage = true")
    search = page.get_by_label("Find an item")
    search.fill("A.7.4")
    search.press("Enter")

    control = page.locator("#item-A\\.7\\.4")
    expect(control).to_contain_text("Quality of data for AI systems")
    expect(page.get_by_text("1 item matches “A.7.4”.")).to_be_visible()
    expect(page.locator("#item-A\\.2\\.2")).to_have_count(0)
    expect(page).to_have_url(f"{base_url}/checklists/iso42001-2023?q=A.7.4")
    guidance = control.locator("details.guidance")
    expect(guidance).to_have_attribute("open", "")
    expect(guidance.get_by_text("AI focus")).to_be_visible()
    assert page.evaluate("window.stillTheSamePage === true")  # htmx swapped a fragment

    page.get_by_role("link", name="Show all").click()
    expect(page.locator("#item-A\\.2\\.2")).to_be_visible()


def test_search_works_without_javascript(new_context):
    page = new_context(java_script_enabled=False).new_page()
    log_in(page, DEMO["reviewer"]["email"])
    page.goto("/checklists/iso27001-2022")
    page.get_by_label("Find an item").fill("A.7.4")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#item-A\\.7\\.4")).to_contain_text("Physical security monitoring")
    expect(page.locator("#item-A\\.5\\.1")).to_have_count(0)


def test_checklist_pages_are_accessible(page):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    log_in(page, DEMO["auditor"]["email"])
    page.goto("/checklists")
    expect(page.get_by_role("heading", level=1)).to_have_text("Checklists")
    assert_accessible(axe, page)
    page.goto("/checklists/iso9001-2015?q=10.2")
    expect(page.locator("#item-10\\.2\\.1")).to_be_visible()
    assert_accessible(axe, page)
