"""Logging in and out in a real browser, over plain http."""

import re
from urllib.parse import urljoin

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ADMIN_NAV, DEMO, log_in, log_out

GENERIC_FAILURE = "The e-mail address or password is not correct."


@pytest.mark.parametrize("role", list(DEMO))
def test_each_demo_role_sees_its_navigation_and_can_log_out(page, base_url, role):
    user = DEMO[role]
    log_in(page, user["email"])

    expect(page).to_have_url(f"{base_url}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Welcome, {user['name']}")
    expect(page.locator("header .who")).to_contain_text(user["name"])
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Home", exact=True)).to_be_visible()
    for label in ADMIN_NAV:
        link = nav.get_by_role("link", name=label, exact=True)
        if role == "admin":
            expect(link).to_be_visible()
        else:
            expect(link).to_have_count(0)

    log_out(page)
    expect(page).to_have_url(f"{base_url}/login")
    expect(page.get_by_text("You are logged out.")).to_be_visible()
    expect(page.get_by_role("button", name="Log in")).to_be_visible()

    page.goto("/")
    expect(page).to_have_url(re.compile(re.escape(f"{base_url}/login")))
    expect(page.get_by_label("E-mail address")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main")).to_have_count(0)


def test_wrong_password_shows_the_generic_message(page, browser_problems):
    browser_problems.expect("status of 401")
    log_in(page, DEMO["auditor"]["email"], password="not-the-right-password-9")

    expect(page.get_by_role("alert")).to_have_text(GENERIC_FAILURE)
    expect(page.get_by_label("E-mail address")).to_have_value(DEMO["auditor"]["email"])
    expect(page.get_by_label("Password")).to_have_value("")
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)


def test_session_cookie_works_over_plain_http(page, context, base_url):
    log_in(page, DEMO["reviewer"]["email"])
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")

    cookies = {cookie["name"]: cookie for cookie in context.cookies(base_url)}
    assert "auditkit" in cookies, f"no session cookie named auditkit: {sorted(cookies)}"
    cookie = cookies["auditkit"]
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Lax"
    assert cookie["secure"] is False, "a Secure cookie is never sent back over plain http"
    assert cookie["path"] == "/"

    # The browser sends it back: a later page is still signed in.
    page.goto("/account/password")
    expect(page.get_by_label("Current password")).to_be_visible()


def test_sixth_wrong_password_from_one_address_is_refused(page, own_live_server,
                                                          browser_problems):
    browser_problems.expect("status of 401")
    browser_problems.expect("status of 429")
    base = own_live_server.url
    for attempt in range(5):
        log_in(page, DEMO["manager"]["email"], password=f"wrong-password-{attempt}", base=base)
        expect(page.get_by_role("alert")).to_have_text(GENERIC_FAILURE)

    page.goto(f"{base}/login")
    page.get_by_label("E-mail address").fill(DEMO["manager"]["email"])
    page.get_by_label("Password").fill("wrong-password-5")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("button", name="Log in").click()
    assert posted.value.status == 429
    expect(page.get_by_role("heading", level=1)).to_have_text("Too many attempts")
    expect(page.get_by_text("Wait a minute and try again")).to_be_visible()


def test_the_browser_finds_a_favicon(page):
    """Without a declared icon Chromium asks for /favicon.ico; a 404 there is a console error
    on every first page (it was, before base.html declared one)."""
    page.goto("/login")
    icon = page.locator("link[rel~='icon']")
    href = icon.first.get_attribute("href") if icon.count() else "/favicon.ico"
    if href.startswith("data:"):
        return
    response = page.request.get(urljoin(page.url, href))
    assert response.status == 200, f"the favicon {href} answered {response.status}"
