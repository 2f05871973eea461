"""What an administrator does in the browser: users, the body's settings, its policies."""

import uuid

from playwright.sync_api import expect

from tests.e2e.conftest import DEMO, log_in, log_out


def test_admin_creates_a_user_who_can_then_log_in(page, base_url):
    suffix = uuid.uuid4().hex[:6]
    email = f"new.auditor.{suffix}@example.test"
    name = f"Nadia Okafor {suffix}"
    password = "maple-harbour-quiet-71"

    log_in(page, DEMO["admin"]["email"])
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Users").click()
    page.get_by_role("link", name="New user").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New user")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Full name").fill(name)
    page.get_by_label("Auditor", exact=True).check()
    page.get_by_label("Initial password").fill(password)
    page.get_by_role("button", name="Create user").click()

    expect(page).to_have_url(f"{base_url}/admin/users")
    expect(page.get_by_text(f"User {email} created.")).to_be_visible()
    row = page.locator("#users tbody tr").filter(has_text=email)
    expect(row).to_contain_text(name)
    expect(row).to_contain_text("Auditor")
    expect(row).to_contain_text("Active")

    log_out(page)
    log_in(page, email, password)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Welcome, {name}")
    expect(page.locator("header .who")).to_contain_text(name)
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Users")) \
        .to_have_count(0)


def test_admin_renames_the_body_and_sees_it_in_the_header(page):
    new_name = f"Harbourside Certification {uuid.uuid4().hex[:6]}"
    log_in(page, DEMO["admin"]["email"])
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Body settings").click()
    page.get_by_label("Name of the certification body").fill(new_name)
    page.get_by_role("button", name="Save settings").click()

    expect(page.get_by_text("Settings saved.")).to_be_visible()
    expect(page.locator("header .brand a")).to_have_text(new_name)
    expect(page.get_by_label("Name of the certification body")).to_have_value(new_name)

    page.get_by_role("navigation", name="Main").get_by_role("link", name="History").click()
    change = page.locator("#history tbody tr").filter(has_text=new_name)
    expect(change).to_have_count(1)
    expect(change).to_contain_text(DEMO["admin"]["email"])
    expect(change).to_contain_text("name")


def test_admin_changes_a_policy_and_sees_it_in_history(page):
    log_in(page, DEMO["admin"]["email"])
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Policies").click()
    field = page.get_by_label("Days to answer a major nonconformity")
    expect(field).to_have_value("90")
    field.fill("60")
    page.get_by_role("button", name="Save policies").click()

    expect(page.get_by_text("1 policies changed.")).to_be_visible()
    expect(page.get_by_label("Days to answer a major nonconformity")).to_have_value("60")
    expect(page.locator("#policy-major_days")).to_contain_text("changed")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="History").click()
    change = page.locator("#history tbody tr").filter(has_text="cb_policy.major_days")
    expect(change).to_have_count(1)
    cells = change.locator("td")
    expect(cells.nth(1)).to_have_text(DEMO["admin"]["email"])
    expect(cells.nth(4)).to_have_text("90 days")
    expect(cells.nth(5)).to_have_text("60 days")


def test_other_roles_cannot_open_admin_pages(page, browser_problems):
    browser_problems.expect("status of 403")
    log_in(page, DEMO["manager"]["email"])
    for path in ("/admin/users", "/admin/settings", "/admin/policies", "/admin/history"):
        response = page.goto(path)
        assert response.status == 403, path
        expect(page.get_by_role("heading", level=1)).to_have_text("Not allowed")
