"""No serious or critical accessibility violations (axe-core) on the main pages."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from tests.e2e.conftest import DEMO, log_in

BLOCKING = ("serious", "critical")


@pytest.fixture(scope="module")
def axe():
    return Axe()


def blocking_violations(axe, page) -> list[str]:
    results = axe.run(page)
    found = []
    for violation in results.response["violations"]:
        if violation["impact"] not in BLOCKING:
            continue
        targets = "; ".join(", ".join(node["target"]) for node in violation["nodes"][:5])
        found.append(f"[{violation['impact']}] {violation['id']}: {violation['help']} "
                     f"({len(violation['nodes'])} elements, e.g. {targets}) "
                     f"{violation['helpUrl']}")
    return found


def assert_accessible(axe, page) -> None:
    found = blocking_violations(axe, page)
    if found:
        print(f"axe on {page.url}:\n" + "\n".join(found))
    assert not found, f"serious or critical axe violations on {page.url}:\n" + "\n".join(found)


def test_login_page(page, axe):
    page.goto("/login")
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    assert_accessible(axe, page)


def test_login_page_with_an_error(page, axe, browser_problems):
    browser_problems.expect("status of 401")
    log_in(page, DEMO["auditor"]["email"], password="not-the-right-password-9")
    expect(page.get_by_role("alert")).to_be_visible()
    assert_accessible(axe, page)


@pytest.mark.parametrize(("path", "heading"), [
    ("/admin/settings", "Body settings"),
    ("/admin/policies", "Certification policies"),
    ("/admin/users", "Users"),
    ("/admin/users/new", "New user"),
    ("/admin/history", "History of changes"),
    ("/account/password", "Change your password"),
])
def test_admin_page(page, axe, path, heading):
    log_in(page, DEMO["admin"]["email"])
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")
    page.goto(path)
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    assert_accessible(axe, page)
