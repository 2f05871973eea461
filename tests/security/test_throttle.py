"""T06: per-address login throttling, the per-account soft lock kept in the database, generic
messages, deactivated accounts and `next` open-redirect cases."""

import html
import re
from datetime import timedelta
from urllib.parse import quote, unquote, urljoin, urlsplit

import pytest
from sqlalchemy import update

from auditkit import create_app
from auditkit.accounts.services import LOCK_AFTER_FAILURES, LOCK_MINUTES
from auditkit.config import Config
from auditkit.models import User
from tests.conftest import csrf_from, csrf_token, login
from tests.factories import PASSWORD
from tests.security.support import (
    load_session_cookie,
    session_cookie,
    sessions_of,
    update_rows,
    user_row,
)

pytestmark = pytest.mark.auth

WRONG = "definitely-not-the-password"
GENERIC = "The e-mail address or password is not correct."


def client_at(app, address: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def form_errors(response) -> list[str]:
    """The messages of the login form's error box, unescaped."""
    text = response.get_data(as_text=True)
    box = re.search(r'<div class="form-errors"[^>]*>(.*?)</div>', text, re.S)
    return [html.unescape(m) for m in re.findall(r"<p>(.*?)</p>", box.group(1))] if box else []


# --- per address -----------------------------------------------------------------------------

def test_sixth_failed_login_from_one_address_in_a_minute_gets_429(app, make_user):
    user = make_user("auditor")
    address = "198.51.100.7"
    for attempt in range(4):
        assert login(client_at(app, address), user.email, WRONG).status_code == 401, attempt
    # A successful login from the same address does not count as an attempt against it.
    assert login(client_at(app, address), user.email).status_code == 302
    assert login(client_at(app, address), "nobody@example.test", WRONG).status_code == 401
    sixth = login(client_at(app, address), user.email, WRONG)
    assert sixth.status_code == 429
    body = sixth.get_data(as_text=True)
    assert "Too many attempts" in body
    assert 'name="password"' not in body
    assert 0 < int(sixth.headers["Retry-After"]) <= 60
    # Even the right password waits now; another address is not affected.
    assert login(client_at(app, address), user.email).status_code == 429
    assert login(client_at(app, "198.51.100.8"), user.email).status_code == 302
    # The login page itself can still be read.
    assert client_at(app, address).get("/login").status_code == 200


def test_htmx_login_attempt_over_the_limit_gets_a_fragment(app, make_user):
    user = make_user("auditor")
    client = client_at(app, "198.51.100.9")
    for _ in range(5):
        assert login(client, user.email, WRONG).status_code == 401
    token = csrf_token(client, "/login")
    response = client.post("/login", data={"email": user.email, "password": WRONG,
                                           "csrf_token": token}, headers={"HX-Request": "true"})
    assert response.status_code == 429
    assert "Too many attempts" in response.get_data(as_text=True)
    assert "<html" not in response.get_data(as_text=True)


# --- per account --------------------------------------------------------------------------------

def _fail_from_many_addresses(app, email: str, count: int, first: int = 1):
    for number in range(first, first + count):
        response = login(client_at(app, f"203.0.113.{number}"), email, WRONG)
        assert response.status_code == 401, number
        assert form_errors(response) == [GENERIC]


def test_ten_failures_from_different_addresses_lock_the_account(app, make_user, clock):
    user = make_user("auditor")
    _fail_from_many_addresses(app, user.email, LOCK_AFTER_FAILURES - 1)
    # Nine failures: not locked yet, the right password still works (and resets the count).
    assert login(client_at(app, "203.0.113.99"), user.email).status_code == 302
    assert user_row(app, user.email).failed_login_count == 0
    _fail_from_many_addresses(app, user.email, LOCK_AFTER_FAILURES, first=20)
    row = user_row(app, user.email)
    assert row.failed_login_count == LOCK_AFTER_FAILURES
    assert row.locked_until == clock.now + timedelta(minutes=LOCK_MINUTES)
    sessions_before = len(sessions_of(app, user.id))

    # Locked: the right password fails with the same generic message, from a new address.
    locked = login(client_at(app, "203.0.113.200"), user.email)
    assert locked.status_code == 401
    assert form_errors(locked) == [GENERIC]
    assert len(sessions_of(app, user.id)) == sessions_before
    # Attempts while locked neither count nor extend the lock.
    login(client_at(app, "203.0.113.201"), user.email, WRONG)
    assert user_row(app, user.email).failed_login_count == LOCK_AFTER_FAILURES
    assert user_row(app, user.email).locked_until == row.locked_until

    clock.advance(minutes=LOCK_MINUTES - 1)
    assert login(client_at(app, "203.0.113.202"), user.email).status_code == 401
    clock.advance(minutes=2)
    assert login(client_at(app, "203.0.113.203"), user.email).status_code == 302
    assert user_row(app, user.email).failed_login_count == 0
    assert user_row(app, user.email).locked_until is None


def test_locked_unknown_and_wrong_look_the_same(app, make_user):
    user = make_user("auditor")
    _fail_from_many_addresses(app, user.email, LOCK_AFTER_FAILURES)
    locked = login(client_at(app, "192.0.2.1"), user.email)
    unknown = login(client_at(app, "192.0.2.2"), "nobody@example.test", PASSWORD)
    other = make_user("auditor")
    wrong = login(client_at(app, "192.0.2.3"), other.email, WRONG)
    assert {r.status_code for r in (locked, unknown, wrong)} == {401}
    assert form_errors(locked) == form_errors(unknown) == form_errors(wrong) == [GENERIC]


def test_the_lock_is_in_the_database(app, make_user, database_url, tmp_path):
    user = make_user("auditor")
    _fail_from_many_addresses(app, user.email, LOCK_AFTER_FAILURES)
    second = create_app(Config(instance_dir=tmp_path / "second", database_url=database_url,
                               secret_key="another-instance", testing=True))
    try:
        response = login(client_at(second, "192.0.2.50"), user.email)
        assert response.status_code == 401
        assert form_errors(response) == [GENERIC]
        other = make_user("auditor")
        assert login(client_at(second, "192.0.2.51"), other.email).status_code == 302
    finally:
        second.extensions["auditkit.engine"].dispose()


# --- deactivated accounts ------------------------------------------------------------------------

def test_deactivated_user_gets_a_clear_message_and_no_session(app, make_user):
    user = make_user("auditor")
    update_rows(app, update(User.__table__).where(User.id == user.id).values(is_active=False))
    client = client_at(app, "192.0.2.60")
    response = login(client, user.email)
    assert response.status_code == 403
    assert any("deactivated" in message for message in form_errors(response))
    assert sessions_of(app, user.id) == []
    cookie = session_cookie(client)
    assert cookie is None or "_user_id" not in load_session_cookie(app, cookie.value)
    assert client.get("/").status_code == 302
    # A wrong password does not reveal that the account exists and is deactivated.
    wrong = login(client_at(app, "192.0.2.61"), user.email, WRONG)
    assert wrong.status_code == 401
    assert form_errors(wrong) == [GENERIC]


# --- `next` never leaves the site ----------------------------------------------------------------

OFF_SITE = [
    "//evil.example",
    "///evil.example",
    "https://evil.example",
    "http:evil.example",
    "https:/evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "\\/evil.example",
    " //evil.example",
    "/\t/evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(document.cookie)",
    "data:text/html,<script>alert(1)</script>",
    "%2F%2Fevil.example",
    "/\r\nLocation: https://evil.example",
    "/\nhttps://evil.example",
    "https://localhost@evil.example/",
]


def assert_local(location: str) -> None:
    parts = urlsplit(location)
    assert not parts.scheme and not parts.netloc, location
    assert location.startswith("/") and not location.startswith(("//", "/\\")), location
    assert not any(ch in location for ch in "\r\n\t\\"), location
    assert urlsplit(urljoin("http://localhost/login", location)).netloc == "localhost"


def test_next_never_redirects_off_site(app, make_user, subtests):
    user = make_user("auditor")
    signed_in = client_at(app, "192.0.2.72")
    assert login(signed_in, user.email).status_code == 302
    for target in OFF_SITE:
        with subtests.test(target=target):
            # 1. `next` posted with the login form.
            posted = login(client_at(app, "192.0.2.70"), user.email, next_path=target)
            assert posted.status_code == 302
            assert_local(posted.headers["Location"])
            # 2. `next` in the login page's address (percent-decoded by the server) is carried
            #    in the form's hidden field; a value that decoding changed is posted too.
            client = client_at(app, "192.0.2.71")
            page = client.get("/login?next=" + quote(target, safe="%")).get_data(as_text=True)
            hidden = html.unescape(re.search(r'name="next" value="([^"]*)"', page).group(1))
            assert hidden == unquote(target)
            if hidden != target:
                response = client.post("/login", data={
                    "email": user.email, "password": PASSWORD, "csrf_token": csrf_from(page),
                    "next": hidden})
                assert response.status_code == 302
                assert_local(response.headers["Location"])
            # 3. A signed-in user opening the login page with `next`.
            again = signed_in.get("/login?next=" + quote(target, safe="%"))
            assert again.status_code == 302
            assert_local(again.headers["Location"])


def test_local_next_is_honoured(app, make_user):
    user = make_user("admin")
    for target in ["/admin/users?q=x", "/account/password", "/"]:
        response = login(client_at(app, "192.0.2.80"), user.email, next_path=target)
        assert response.headers["Location"] == target
