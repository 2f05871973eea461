"""What a programme manager does with a client's Statement of Applicability in the browser:
import a file, read the report of the rows refused, import a corrected file as the next
revision, and print it."""

import uuid

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from auditkit import db as database
from auditkit.models.clients import Scheme
from auditkit.soa.services import annex_a
from tests import factories
from tests.e2e.conftest import DEMO, log_in

CONTROLS = [control.id for control in annex_a(Scheme.ISO42001).controls]


@pytest.fixture
def soa_client(live_server) -> tuple[int, str]:
    """A client of its own with revision 1 (v1.0) of its ISO/IEC 42001 SoA, committed so the
    live server sees it."""
    name = f"Harbour Vision Ltd {uuid.uuid4().hex[:6]}"
    with live_server.app.app_context(), database.write_intent():
        db = database.session()
        client = factories.make_client(db, name)
        factories.make_soa_revision(db, client.id, "iso42001", "v1.0")
        db.commit()
        return client.id, name


def soa_csv(bad_row: int | None = None) -> bytes:
    """Every 42001 control; A.7.3 excluded with a reason. `bad_row` (a spreadsheet row number)
    becomes an exclusion without justification."""
    lines = ["Control ID,Applicable,Justification,Status"]
    for control_id in CONTROLS:
        if control_id == "A.7.3":
            lines.append("A.7.3,no,No data bought from third parties,")
        else:
            lines.append(f"{control_id},yes,Treats a risk in the AI risk register,implemented")
    if bad_row is not None:
        lines[bad_row - 1] = f"{CONTROLS[bad_row - 2]},no,,"
    return ("\n".join(lines) + "\n").encode()


def upload(page, name: str, data: bytes, label: str) -> None:
    page.get_by_label("SoA file (CSV or XLSX)").set_input_files(
        files=[{"name": name, "mimeType": "text/csv", "buffer": data}])
    page.get_by_label("Client's version label").fill(label)
    page.get_by_label("Date of the client's version").fill("2025-06-30")
    page.get_by_role("button", name="Import as revision 2").click()


def test_manager_imports_a_bad_file_then_a_good_one_and_prints_it(page, base_url, soa_client,
                                                                  browser_problems):
    browser_problems.expect("status of 422")  # the refused upload answers 422 on purpose
    client_id, client_name = soa_client
    log_in(page, DEMO["manager"]["email"])
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")
    page.goto(f"{base_url}/clients/{client_id}/soa/iso42001")
    expect(page.get_by_role("heading", level=2, name="Revision 1 (current)")).to_be_visible()
    page.get_by_role("link", name="Import from CSV or XLSX").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Import a Statement of")

    upload(page, "soa-bad.csv", soa_csv(bad_row=5), "v2.0")
    report = page.locator("#import-report")
    expect(report.get_by_role("heading")).to_have_text("Nothing was imported from soa-bad.csv")
    problems = page.locator("#import-problems tbody tr")
    expect(problems).to_have_count(1)
    expect(problems.first).to_contain_text("Row 5")
    expect(problems.first).to_contain_text(CONTROLS[3])
    expect(problems.first).to_contain_text("An excluded control needs a justification")

    upload(page, "soa-good.csv", soa_csv(), "v2.0")
    expect(page).to_have_url(f"{base_url}/clients/{client_id}/soa/iso42001")
    expect(page.get_by_text("Revision 2 of the ISO/IEC 42001 SoA imported from soa-good.csv "
                            "(38 controls).")).to_be_visible()
    expect(page.get_by_role("heading", level=2, name="Revision 2 (current)")).to_be_visible()
    details = page.locator("#revision-details")
    expect(details).to_contain_text("v2.0")
    expect(details).to_contain_text("2025-06-30")
    expect(page.locator("#control-A-7-3")).to_contain_text("Excluded")
    expect(page.locator("#soa-revisions tbody tr")).to_have_count(2)
    expect(page.locator("#change-A-7-3")).to_contain_text("applicability")

    page.get_by_role("link", name="Printable view").click()
    printed = page.locator("#print-details")
    expect(printed).to_contain_text(client_name)
    expect(printed).to_contain_text("ISO/IEC 42001:2023")
    expect(printed).to_contain_text("v2.0, dated 2025-06-30")
    expect(page.locator("#print-revisions tbody tr")).to_have_count(2)
    expect(page.get_by_role("navigation", name="Main")).to_have_count(0)


def test_manager_edits_one_control_in_the_form(page, base_url, soa_client, browser_problems):
    browser_problems.expect("status of 422")
    client_id, _name = soa_client
    log_in(page, DEMO["manager"]["email"])
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")
    page.goto(f"{base_url}/clients/{client_id}/soa/iso42001")
    page.get_by_role("link", name="Record a new revision").click()
    page.get_by_label("Client's version label").fill("v1.1")
    page.get_by_label("Applicability of A.5.5").select_option("Excluded")
    page.get_by_label("Justification for A.5.5").fill("")
    page.get_by_role("button", name="Save as a new revision").click()
    expect(page.locator("#edit-A-5-5")).to_contain_text("needs a justification")
    expect(page.get_by_role("alert")).to_contain_text("1 control needs attention (A.5.5)")
    expect(page.get_by_label("Client's version label")).to_have_value("v1.1")

    page.get_by_label("Justification for A.5.5").fill("No AI system affects the public")
    page.get_by_role("button", name="Save as a new revision").click()
    expect(page.get_by_text("Revision 2 of the ISO/IEC 42001 SoA saved.")).to_be_visible()
    expect(page.locator("#control-A-5-5")).to_contain_text("No AI system affects the public")
    expect(page.locator("#soa-counts")).to_contain_text("1 excluded")


@pytest.mark.parametrize("path", ["", "/edit", "/import"])
def test_soa_pages_are_accessible(page, base_url, soa_client, path):
    client_id, _name = soa_client
    log_in(page, DEMO["manager"]["email"])
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")
    page.goto(f"{base_url}/clients/{client_id}/soa/iso42001{path}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Statement of Applicability")
    results = Axe().run(page)
    serious = [f"{v['id']}: {v['help']}" for v in results.response["violations"]
               if v["impact"] in ("serious", "critical")]
    assert not serious, serious
