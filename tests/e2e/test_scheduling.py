"""What a programme manager does in the browser to schedule an audit: plan it, meet the block
on a conflicted auditor (with its rule id), add a qualified lead, have the declaration signed,
confirm the team. The lead signs in their own browser, from "My audits"."""

import uuid
from datetime import date, timedelta

import pytest
from dateutil.relativedelta import relativedelta
from playwright.sync_api import expect

from auditkit import db as database
from tests import factories
from tests.e2e.conftest import DEMO, log_in
from tests.e2e.test_accessibility import assert_accessible

START = date.today() + timedelta(days=120)


@pytest.fixture
def scheduling(live_server) -> dict:
    """A client of its own with an ISO/IEC 27001 application, a lead auditor qualified for it,
    and an auditor who gave the client consultancy a year ago (committed, as a user would
    find them)."""
    suffix = uuid.uuid4().hex[:6]
    with live_server.app.app_context(), database.write_intent():
        db = database.session()
        client = factories.make_client(db, f"Brightline Data {suffix} Ltd")
        certification = factories.make_certification(db, client, schemes=("iso27001",))
        lead = factories.make_user(db, "auditor", full_name=f"Lena Lead {suffix}",
                                   email=f"lena.{suffix}@example.test")
        factories.make_qualification(db, lead.id, "iso27001", "lead_auditor")
        factories.set_auditor_languages(db, lead.id, "English")
        conflicted = factories.make_user(db, "auditor", full_name=f"Conrad Consultant {suffix}",
                                         email=f"conrad.{suffix}@example.test")
        factories.make_qualification(db, conflicted.id, "iso27001", "auditor")
        factories.set_auditor_languages(db, conflicted.id, "English")
        factories.make_engagement(db, conflicted.id, client.id, "consultancy",
                                  date.today() - relativedelta(years=1))
        db.commit()
        return {"certification": certification.id, "client": client.name,
                "lead": (lead.full_name, lead.email),
                "conflicted": (conflicted.full_name, conflicted.email)}


def _person_option(name_and_email: tuple[str, str]) -> str:
    return f"{name_and_email[0]} ({name_and_email[1]})"


def test_manager_schedules_an_audit_and_confirms_its_team(page, new_context, base_url,
                                                          scheduling, browser_problems):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    browser_problems.expect("status of 422")
    lead_name, lead_email = scheduling["lead"]
    conflicted_name = scheduling["conflicted"][0]

    log_in(page, DEMO["manager"]["email"])
    page.goto(f"/certifications/{scheduling['certification']}/audits/new")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Schedule an audit")
    assert_accessible(axe, page)
    page.get_by_label("Type of audit").select_option(label="Stage 1")
    page.get_by_label("First audit day").fill(f"{START:%Y-%m-%d}")
    page.get_by_label("Last audit day").fill(f"{START + timedelta(days=1):%Y-%m-%d}")
    page.get_by_label("How the audit is held").select_option(label="Remote (ICT)")
    page.get_by_label("Planned audit days").fill("1.5")
    page.get_by_role("button", name="Schedule audit").click()
    expect(page.get_by_text("Name the ICT tool used for the remote part")).to_be_visible()
    page.get_by_label("ICT tool").fill("Video meeting tool")
    page.get_by_role("button", name="Schedule audit").click()

    expect(page.get_by_text("Audit scheduled. Now put its team together.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Stage 1")
    expect(page.locator("#audit-dates")).to_contain_text(f"{START:%Y-%m-%d}")
    audit_url = page.url

    add = page.locator("#add-member")
    add.get_by_label("Person with a login").select_option(
        label=_person_option(scheduling["conflicted"]))
    add.get_by_label("Role on the team").select_option(label="Auditor")
    add.get_by_role("button", name="Add to the team").click()
    blocks = page.locator("#blocks")
    expect(blocks).to_contain_text(f"{conflicted_name} cannot join the team")
    expect(blocks).to_contain_text("IMP-03")
    expect(blocks).to_contain_text("gave consultancy to")
    expect(page.locator("#team article")).to_have_count(0)
    assert_accessible(axe, page)

    add.get_by_label("Person with a login").select_option(label=_person_option(scheduling["lead"]))
    add.get_by_label("Role on the team").select_option(label="Lead auditor")
    add.get_by_role("button", name="Add to the team").click()
    expect(page.get_by_text(f"{lead_name} is on the team as lead auditor.")).to_be_visible()
    member = page.locator("#team article").filter(has_text=lead_name)
    expect(member).to_contain_text("missing")
    expect(member).to_contain_text("IMP-05")

    page.get_by_role("button", name="Confirm the team").click()
    expect(page.locator("#blocks")).to_contain_text("IMP-05")
    expect(page.locator("#audit-status")).to_have_text("Planned")

    lead_page = new_context().new_page()
    log_in(lead_page, lead_email, password=factories.PASSWORD, base=base_url)
    lead_page.get_by_role("navigation", name="Main").get_by_role("link", name="My audits").click()
    row = lead_page.locator("#my-audits tbody tr").filter(has_text=scheduling["client"])
    expect(row).to_contain_text("Lead auditor")
    expect(row).to_contain_text("Missing")
    row.get_by_role("link", name="Stage 1").click()
    lead_page.get_by_label("I have no conflict of interest with this client").check()
    lead_page.get_by_role("button", name="Sign my declaration").click()
    expect(lead_page.get_by_text(f"Declaration of {lead_name} recorded.")).to_be_visible()
    expect(lead_page.locator("#team article").filter(has_text=lead_name)).to_contain_text(
        "declared in auditkit having no conflict of interest")
    assert_accessible(axe, lead_page)

    page.goto(audit_url)
    expect(page.get_by_text("Nothing stops the team from being confirmed.")).to_be_visible()
    page.get_by_role("button", name="Confirm the team").click()
    expect(page.get_by_text("The team is confirmed.")).to_be_visible()
    expect(page.locator("#audit-status")).to_contain_text("Team confirmed")
    expect(page.locator("#team-confirmed")).to_be_visible()


def test_manager_records_a_qualification_on_an_auditors_record(page, scheduling):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    lead_name = scheduling["lead"][0]
    log_in(page, DEMO["manager"]["email"])
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Auditors").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Auditors")
    assert_accessible(axe, page)
    page.get_by_role("link", name=lead_name).click()
    expect(page.locator("#auditor-languages")).to_have_text("English")
    assert_accessible(axe, page)
    page.get_by_role("link", name="Add qualification").click()
    assert_accessible(axe, page)
    page.get_by_label("Scheme").select_option(label="ISO/IEC 42001")
    page.get_by_label("Role").select_option(label="Technical expert")
    page.get_by_label("Technical areas").fill("machine learning; computer vision")
    page.get_by_label("Valid from").fill("2024-02-01")
    page.get_by_role("button", name="Add qualification").click()
    expect(page.get_by_text("Qualification added.")).to_be_visible()
    row = page.locator("#qualifications tbody tr").filter(has_text="ISO/IEC 42001")
    expect(row).to_contain_text("Technical expert")
    expect(row).to_contain_text("machine learning; computer vision")
