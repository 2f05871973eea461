"""What a programme manager does in the browser: open a certification, record the decision,
see the drawn cycle and its dates; and the audit-time screen."""

from datetime import date, timedelta

from playwright.sync_api import expect

from auditkit.demo import DEMO_CLIENT
from auditkit.rules.cycle import plan_cycle
from tests.e2e.conftest import DEMO, log_in
from tests.e2e.test_accessibility import assert_accessible


def _open_certification(page, scope: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Certifications").click()
    page.get_by_role("link", name="Open a certification").click()
    page.get_by_label("Client").select_option(label=DEMO_CLIENT)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("ISO 9001", exact=True).check()
    page.get_by_label("How the standards are audited").select_option("single")
    page.get_by_label("Scope of certification").fill(scope)
    page.get_by_role("button", name="Open certification").click()


def test_manager_opens_a_certification_records_the_decision_and_sees_the_cycle(page):
    decision = date.today() - timedelta(days=3)
    plan = plan_cycle(decision)  # the demo body keeps the default policy
    log_in(page, DEMO["manager"]["email"])

    _open_certification(page, "Managed analytics reporting for business customers")

    expect(page.get_by_text("opened.")).to_be_visible()
    expect(page.locator("#certification-state")).to_have_text("Applicant")
    page.get_by_role("link", name="Record the certification decision").click()
    expect(page.get_by_text("full independent decision workflow")).to_be_visible()
    page.get_by_label("Date of the certification decision").fill(decision.isoformat())
    page.get_by_label("Note").fill("Decision by the certification committee")
    page.get_by_role("button", name="Record decision").click()

    expect(page.get_by_text("Certification decision recorded")).to_be_visible()
    expect(page.locator("#certification-state")).to_have_text("Certified")
    timeline = page.get_by_role("img", name="Timeline of")
    expect(timeline).to_be_visible()
    box = timeline.bounding_box()
    assert box["width"] > 300 and box["height"] > 80
    dates = page.locator("#cycle-dates")
    for label, day in (("Certification decision, certificate effective", plan.decision_date),
                       ("Surveillance 1 latest", plan.surveillance_1_latest),
                       ("Certificate expiry", plan.certificate_expiry),
                       ("Restoration deadline", plan.restoration_deadline)):
        row = dates.locator("tr").filter(has_text=label)
        expect(row).to_have_count(1)
        expect(row.locator("time").first).to_have_attribute("datetime", day.isoformat())
    expect(page.locator("#programme-warnings")).to_contain_text("No warnings")


def test_the_certification_and_audit_time_pages_are_accessible(page):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    log_in(page, DEMO["manager"]["email"])
    _open_certification(page, "Analytics services, accessibility check")
    expect(page.locator("#certification-state")).to_have_text("Applicant")
    assert_accessible(axe, page)
    page.get_by_role("link", name="Calculate audit time").click()
    page.get_by_label("Effective personnel").fill("60")
    page.get_by_label("Factor, factor 1, ISO 9001").fill("Low-risk activities")
    page.get_by_label("Percent, factor 1, ISO 9001").fill("10")
    page.get_by_label("Justification, factor 1, ISO 9001").fill("Simple repetitive work")
    page.get_by_role("button", name="Calculate").click()
    expect(page.locator("#result-title")).to_contain_text("4.5 days")
    assert_accessible(axe, page)
