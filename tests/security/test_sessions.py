"""T07: session cookie attributes, a new session at login, revocation (logout, password
change, deactivation, admin reset), idle and absolute timeouts on a frozen clock, polling,
htmx after expiry, and a form posted after expiry that keeps what was typed."""

import html
import json
import time
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select, update

from auditkit import db as database
from auditkit.admin import services as admin_services
from auditkit.models import BodySettings, FormDraft
from tests.conftest import csrf_from, csrf_token, login
from tests.factories import PASSWORD
from tests.security.support import (
    engine_of,
    load_session_cookie,
    session_cookie,
    sessions_of,
    set_cookies,
    update_rows,
    user_row,
)

pytestmark = pytest.mark.session

HTTPS = {"base_url": "https://localhost"}
NEW_PASSWORD = "meadow-copper-lantern-38"
BODY_NAME = "Original Certification Body"


def body_row(app) -> dict:
    with engine_of(app).connect() as conn:
        return dict(conn.execute(select(BodySettings.__table__)).one()._mapping)


def drafts(app) -> list[dict]:
    with engine_of(app).connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(FormDraft.__table__))]


def set_body(app, **values) -> None:
    with app.app_context(), database.write_intent():
        admin_services.ensure_body(database.session(), BODY_NAME)
        database.session().commit()
    if values:
        update_rows(app, update(BodySettings.__table__).values(**values))


def is_signed_in(client, **kwargs) -> bool:
    response = client.get("/", **kwargs)
    assert response.status_code in (200, 302)
    if response.status_code == 302:
        assert urlsplit(response.headers["Location"]).path == "/login"
    return response.status_code == 200


# --- cookie attributes ---------------------------------------------------------------------------

def test_cookie_over_plain_http(app, make_user):
    user = make_user("auditor")
    client = app.test_client()
    response = login(client, user.email)
    cookies = set_cookies(response)
    assert "__Host-auditkit" not in cookies
    cookie = cookies["auditkit"]
    assert "httponly" in cookie.attributes
    assert cookie.attributes["samesite"] == "Lax"
    assert "secure" not in cookie.attributes  # a laptop on http://localhost must work
    assert cookie.attributes["path"] == "/"
    assert "domain" not in cookie.attributes
    assert is_signed_in(client)


def test_cookie_over_https(app, make_user):
    user = make_user("auditor")
    client = app.test_client()
    page = client.get("/login", **HTTPS)
    token = csrf_from(page.get_data(as_text=True))
    response = client.post("/login", data={"email": user.email, "password": PASSWORD,
                                           "csrf_token": token},
                           headers={"Referer": "https://localhost/login"}, **HTTPS)
    assert response.status_code == 302
    for sent in (page, response):
        cookies = set_cookies(sent)
        assert "auditkit" not in cookies
        cookie = cookies["__Host-auditkit"]
        assert "secure" in cookie.attributes
        assert "httponly" in cookie.attributes
        assert cookie.attributes["samesite"] == "Lax"
        assert cookie.attributes["path"] == "/"
        assert "domain" not in cookie.attributes
    assert is_signed_in(client, **HTTPS)


# --- a new session at login ----------------------------------------------------------------------

def test_login_starts_a_new_session(app, make_user):
    user = make_user("auditor")
    client = app.test_client()
    client.get("/login")
    before = session_cookie(client).value
    before_content = load_session_cookie(app, before)
    assert "_user_id" not in before_content and "csrf_token" in before_content
    assert login(client, user.email).status_code == 302
    after = session_cookie(client).value
    after_content = load_session_cookie(app, after)
    assert after != before
    assert after_content.get("csrf_token") != before_content["csrf_token"]
    rows = sessions_of(app, user.id)
    assert [row["id"] for row in rows] == [after_content["_user_id"]]

    # Logging in again in the same browser gives yet another server-side session.
    token = csrf_token(client, "/account/password")
    again = client.post("/login", data={"email": user.email, "password": PASSWORD,
                                        "csrf_token": token})
    assert again.status_code == 302
    newest = load_session_cookie(app, session_cookie(client).value)["_user_id"]
    assert newest != after_content["_user_id"]
    rows = {row["id"]: row for row in sessions_of(app, user.id)}
    assert rows[newest]["ended_at"] is None
    assert rows[after_content["_user_id"]]["end_reason"] == "replaced"
    copy = app.test_client()
    copy.set_cookie("auditkit", after)  # the cookie from before the second login
    assert not is_signed_in(copy)
    assert is_signed_in(client)


# --- revocation ------------------------------------------------------------------------------------

def test_cookie_copied_before_logout_is_useless_after(app, make_user):
    user = make_user("auditor")
    client = app.test_client()
    login(client, user.email)
    copied = session_cookie(client).value
    token = csrf_token(client, "/")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert [row["end_reason"] for row in sessions_of(app, user.id)] == ["logout"]
    replay = app.test_client()
    replay.set_cookie("auditkit", copied)
    response = replay.get("/")
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/login"
    htmx = replay.get("/", headers={"HX-Request": "true"})
    assert htmx.status_code == 401
    assert not is_signed_in(client)


def test_password_change_ends_every_other_session(app, make_user):
    user = make_user("auditor")
    changing, other = app.test_client(), app.test_client()
    login(changing, user.email)
    login(other, user.email)
    old_id = load_session_cookie(app, session_cookie(changing).value)["_user_id"]
    token = csrf_token(changing, "/account/password")
    response = changing.post("/account/password", data={
        "current_password": PASSWORD, "new_password": NEW_PASSWORD,
        "confirm_password": NEW_PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    assert is_signed_in(changing)
    assert not is_signed_in(other)
    new_id = load_session_cookie(app, session_cookie(changing).value)["_user_id"]
    assert new_id != old_id
    rows = {row["id"]: row for row in sessions_of(app, user.id)}
    assert rows[new_id]["ended_at"] is None
    assert {row["end_reason"] for sid, row in rows.items() if sid != new_id} == {
        "password_changed"}


@pytest.mark.parametrize("action", ["deactivate", "reset"])
def test_admin_deactivation_and_reset_end_the_users_sessions(app, make_user, action):
    admin = make_user("admin")
    user = make_user("auditor")
    admin_client, first, second = app.test_client(), app.test_client(), app.test_client()
    login(admin_client, admin.email)
    login(first, user.email)
    login(second, user.email)
    page = admin_client.get(f"/admin/users/{user.id}").get_data(as_text=True)
    token = csrf_from(page)
    if action == "deactivate":
        version = user_row(app, user.email).version
        response = admin_client.post(f"/admin/users/{user.id}", data={
            "full_name": user.full_name, "roles": ["auditor"], "client_id": "",
            "is_active": "", "version": str(version), "csrf_token": token})
        reason = "deactivated"
    else:
        response = admin_client.post(f"/admin/users/{user.id}/password", data={
            "new_password": NEW_PASSWORD, "csrf_token": token})
        reason = "password_reset"
    assert response.status_code == 302
    assert not is_signed_in(first)
    assert not is_signed_in(second)
    assert {row["end_reason"] for row in sessions_of(app, user.id)} == {reason}
    assert is_signed_in(admin_client)
    if action == "deactivate":
        # Reactivating the account does not bring the ended sessions back.
        version = user_row(app, user.email).version
        admin_client.post(f"/admin/users/{user.id}", data={
            "full_name": user.full_name, "roles": ["auditor"], "client_id": "",
            "is_active": "y", "version": str(version), "csrf_token": token})
        assert user_row(app, user.email).is_active
        assert not is_signed_in(first)


# --- timeouts on a frozen clock --------------------------------------------------------------------

def test_idle_timeout_is_30_minutes(app, make_user, clock):
    user = make_user("auditor")
    client = app.test_client()
    login(client, user.email)
    clock.advance(minutes=29)
    assert is_signed_in(client)  # activity: the idle time starts again from here
    clock.advance(minutes=29)
    assert is_signed_in(client)
    clock.advance(minutes=31)
    response = client.get("/")
    assert response.status_code == 302
    assert "Your session expired" in html.unescape(
        client.get(response.headers["Location"]).get_data(as_text=True))
    clock.advance(minutes=-2)  # back within 29 minutes of the last activity: not ended
    assert is_signed_in(client)


def test_idle_timeout_follows_the_body_setting(app, make_user, clock):
    set_body(app, session_idle_minutes=10)
    user = make_user("auditor")
    client = app.test_client()
    login(client, user.email)
    clock.advance(minutes=9)
    assert is_signed_in(client)
    clock.advance(minutes=11)
    assert not is_signed_in(client)


def test_absolute_timeout_is_12_hours_despite_activity(app, make_user, clock):
    user = make_user("auditor")
    client = app.test_client()
    login(client, user.email)
    start = clock.now
    while clock.now < start + timedelta(hours=11, minutes=39):
        clock.advance(minutes=20)
        assert is_signed_in(client), clock.now - start
    clock.set(start + timedelta(hours=11, minutes=59))
    assert is_signed_in(client)
    clock.set(start + timedelta(hours=12, minutes=1))
    assert not is_signed_in(client)


def test_absolute_timeout_follows_the_body_setting(app, make_user, clock):
    set_body(app, session_absolute_hours=1, session_idle_minutes=30)
    user = make_user("auditor")
    client = app.test_client()
    login(client, user.email)
    clock.advance(minutes=29)
    assert is_signed_in(client)
    clock.advance(minutes=30)
    assert is_signed_in(client)  # 59 minutes
    clock.advance(minutes=2)
    assert not is_signed_in(client)  # 61 minutes


def test_polling_does_not_extend_the_idle_time(app, make_user, clock):
    user = make_user("auditor")
    client = app.test_client()
    login(client, user.email)
    started = sessions_of(app, user.id)[0]["last_seen_at"]
    clock.advance(minutes=20)
    poll = client.get("/", headers={"X-Auditkit-Poll": "1", "HX-Request": "true"})
    assert poll.status_code == 200
    assert sessions_of(app, user.id)[0]["last_seen_at"] == started
    clock.advance(minutes=11)  # 31 minutes after the last real activity
    assert not is_signed_in(client)


def test_real_activity_does_extend_the_idle_time(app, make_user, clock):
    """The control for the polling test: the same request without the header counts."""
    user = make_user("auditor")
    client = app.test_client()
    login(client, user.email)
    clock.advance(minutes=20)
    assert client.get("/", headers={"HX-Request": "true"}).status_code == 200
    assert sessions_of(app, user.id)[0]["last_seen_at"] == clock.now
    clock.advance(minutes=11)
    assert is_signed_in(client)


def test_a_write_request_after_a_quiet_minute_touches_without_waiting(app, make_user, clock):
    """Regression: the touch used to wait for the write lock its own POST held on SQLite
    (30 s, then 503)."""
    user = make_user("auditor")
    client = app.test_client()
    login(client, user.email)
    token = csrf_token(client, "/account/password")
    clock.advance(minutes=5)
    started = time.monotonic()
    response = client.post("/account/password", data={
        "current_password": "not-my-password-at-all", "new_password": NEW_PASSWORD,
        "confirm_password": NEW_PASSWORD, "csrf_token": token})
    assert response.status_code == 422
    assert time.monotonic() - started < 5
    assert sessions_of(app, user.id)[0]["last_seen_at"] == clock.now
    clock.advance(minutes=5)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert time.monotonic() - started < 10


def _write_then_ask_for_the_user():
    from flask_login import current_user

    from auditkit.web.transactions import commit, request_db

    request_db().exec(select(1))  # the request's write transaction (and lock) starts here
    signed_in = current_user.is_authenticated  # the user is loaded only now
    commit()
    return ("yes" if signed_in else "no"), 200


def test_user_first_needed_inside_a_write_transaction_touches_without_waiting(
        app, make_user, clock):
    from auditkit.accounts.policy import public

    app.add_url_rule("/test-only/write-then-user", "test_write_then_user",
                     public(_write_then_ask_for_the_user), methods=["POST"])
    user = make_user("auditor")
    client = app.test_client()
    login(client, user.email)
    token = csrf_token(client, "/")
    clock.advance(minutes=5)
    started = time.monotonic()
    response = client.post("/test-only/write-then-user", data={"csrf_token": token})
    assert response.get_data(as_text=True) == "yes"
    assert time.monotonic() - started < 5
    assert sessions_of(app, user.id)[0]["last_seen_at"] == clock.now


def test_htmx_request_after_expiry_gets_401_with_hx_redirect(app, make_user, clock):
    user = make_user("admin")
    client = app.test_client()
    login(client, user.email)
    clock.advance(minutes=31)
    response = client.get("/admin/users?q=x", headers={
        "HX-Request": "true", "HX-Current-URL": "http://localhost/admin/users?q=x"})
    assert response.status_code == 401
    location = urlsplit(response.headers["HX-Redirect"])
    assert location.path == "/login" and not location.netloc
    assert parse_qs(location.query)["next"] == ["/admin/users?q=x"]
    body = response.get_data(as_text=True)
    assert 'name="password"' not in body and "<form" not in body
    # A plain request is redirected instead.
    assert client.get("/admin/users").status_code == 302


# --- a form posted after expiry keeps what was typed ---------------------------------------------

TYPED = {"name": "Typed Body Name", "address": "Typed Street 1\nTyped Town",
         "accreditation_body": "Typed Accreditation", "accreditation_number": "TYP-123",
         "time_zone": "Europe/Berlin", "session_idle_minutes": "45",
         "session_absolute_hours": "10"}


def test_settings_posted_after_expiry_are_kept_until_the_user_logs_in(app, make_user, clock):
    set_body(app)
    admin = make_user("admin")
    client = app.test_client()
    login(client, admin.email)
    page = client.get("/admin/settings").get_data(as_text=True)
    version = body_row(app)["version"]
    clock.advance(minutes=31)

    response = client.post("/admin/settings", data={**TYPED, "version": str(version),
                                                    "csrf_token": csrf_from(page)})
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/login"
    assert parse_qs(location.query)["next"] == ["/admin/settings"]
    assert body_row(app)["name"] == BODY_NAME  # nothing saved
    assert body_row(app)["version"] == version
    login_page = html.unescape(client.get(response.headers["Location"]).get_data(as_text=True))
    assert "what you typed is kept" in login_page
    assert len(drafts(app)) == 1
    assert "csrf_token" not in json.loads(drafts(app)[0]["fields_json"])

    again = login(client, admin.email, next_path="/admin/settings")
    assert again.headers["Location"] == "/admin/settings"
    restored = client.get("/admin/settings")
    text = html.unescape(restored.get_data(as_text=True))
    assert restored.status_code == 200
    assert "Your unsaved changes were kept" in text
    for name in ("name", "accreditation_body", "accreditation_number"):
        assert f'value="{TYPED[name]}"' in text, name
    assert TYPED["address"] in text
    assert body_row(app)["name"] == BODY_NAME  # still not saved: the user checks and saves
    assert drafts(app) == []  # offered once

    saved = client.post("/admin/settings", data={**TYPED, "version": str(version),
                                                 "csrf_token": csrf_from(text)})
    assert saved.status_code == 302
    assert body_row(app)["name"] == TYPED["name"]
    assert "Your unsaved changes" not in client.get("/admin/settings").get_data(as_text=True)


def test_passwords_are_never_kept_in_a_draft(app, make_user, clock):
    admin = make_user("admin")
    client = app.test_client()
    login(client, admin.email)
    token = csrf_token(client, "/admin/users/new")
    clock.advance(minutes=31)
    response = client.post("/admin/users/new", data={
        "email": "kept@example.test", "full_name": "Kept Person", "roles": ["auditor"],
        "password": "secret-typed-password-1", "csrf_token": token})
    assert response.status_code == 302
    (draft,) = drafts(app)
    fields = json.loads(draft["fields_json"])
    assert fields["email"] == ["kept@example.test"]
    assert "password" not in fields and "secret-typed-password-1" not in draft["fields_json"]


def test_anonymous_post_stores_no_draft(app):
    client = app.test_client()
    token = csrf_token(client, "/login")
    response = client.post("/admin/settings", data={**TYPED, "csrf_token": token})
    assert response.status_code == 302
    assert drafts(app) == []


def test_a_draft_is_not_offered_to_another_user_of_the_same_browser(app, make_user, clock):
    set_body(app)
    first, second = make_user("admin"), make_user("admin")
    client = app.test_client()
    login(client, first.email)
    token = csrf_token(client, "/admin/settings")
    clock.advance(minutes=31)
    client.post("/admin/settings", data={**TYPED, "version": "1", "csrf_token": token})
    assert len(drafts(app)) == 1
    login(client, second.email, next_path="/admin/settings")
    text = html.unescape(client.get("/admin/settings").get_data(as_text=True))
    assert TYPED["name"] not in text
    assert "Your unsaved changes" not in text
