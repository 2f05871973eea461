"""The programme manager's dashboard in the browser: a hard-limit warning with its rule id, its
link to where it is fixed, and the filter that updates the lists in place."""

import re
from datetime import timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from dateutil.relativedelta import relativedelta
from playwright.sync_api import expect

from auditkit import db as database
from auditkit.programmes.services import today as body_today
from tests import factories
from tests.e2e.conftest import DEMO, log_in
from tests.e2e.test_accessibility import assert_accessible


@pytest.fixture
def server(own_live_server):
    """A server of its own (the programmes below must not show up in other tests), with a
    27001 certification whose surveillance 1 limit has passed and a 9001 certification whose
    recertification audit could start and is not planned."""
    app = own_live_server.app
    with app.app_context(), database.write_intent():
        db = database.session()
        today = body_today(db)
        overdue = factories.make_client(db, "Harbour Freight Ltd")
        late, _cycle = factories.make_certification_in_cycle(
            db, overdue, decision_date=today - relativedelta(months=13), schemes=("iso27001",))
        renewing = factories.make_client(db, "Copperfield Foods Ltd")
        factories.make_certification_in_cycle(
            db, renewing, decision_date=today - relativedelta(months=31) - timedelta(days=3),
            schemes=("iso9001",))
        db.commit()
        own_live_server.overdue_certification_id = late.id
    return own_live_server


def test_manager_follows_a_hard_limit_warning_and_filters_by_standard(page, server):
    log_in(page, DEMO["manager"]["email"], base=server.url)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Dashboard").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Programme dashboard")

    hard_limits = page.locator("#hard-limits")
    overdue = (hard_limits.locator("tbody tr").filter(has_text="Harbour Freight Ltd")
               .filter(has_text="CYC-SUR-02"))
    expect(overdue).to_have_count(1)
    expect(overdue).to_contain_text("Rule broken")
    expect(overdue).to_contain_text("No surveillance audit was completed by")
    renewal = page.locator("#recertifications tbody tr").filter(has_text="Copperfield Foods Ltd")
    expect(renewal).to_contain_text("CYC-REC-01")

    overdue.get_by_role("link", name="Plan a surveillance audit").click()
    expect(page).to_have_url(re.compile(
        rf"/certifications/{server.overdue_certification_id}/audits/new\?audit_type=surveillance$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Schedule an audit")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Harbour Freight Ltd")

    page.go_back()
    expect(page.get_by_role("heading", level=1)).to_have_text("Programme dashboard")
    page.get_by_label("Standard").select_option(label="ISO 9001")
    expect(page).to_have_url(re.compile(r"/dashboard\?.*scheme=iso9001"))
    expect(hard_limits.locator("tbody tr").filter(has_text="Harbour Freight Ltd")) \
        .to_have_count(0)
    expect(page.locator("#recertifications tbody tr").filter(has_text="Copperfield Foods Ltd")) \
        .to_have_count(1)
    expect(page.get_by_role("link", name="Clear the filters")).to_be_visible()
    assert_accessible(Axe(), page)


def test_the_filter_form_works_without_javascript(browser, server):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    log_in(page, DEMO["manager"]["email"], base=server.url)
    page.goto(f"{server.url}/dashboard")
    page.get_by_label("Standard").select_option(label="ISO/IEC 27001")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"/dashboard\?.*scheme=iso27001"))
    expect(page.locator("#hard-limits tbody tr").filter(has_text="Harbour Freight Ltd")
           .filter(has_text="CYC-SUR-02")).to_have_count(1)
    expect(page.locator("#recertifications tbody tr").filter(has_text="Copperfield Foods Ltd")) \
        .to_have_count(0)
    context.close()
