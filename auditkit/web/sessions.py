"""Browser sessions: the cookie, the server-side login session behind it, timeouts, and what
happens when a request arrives after the session ended."""

from flask import Flask, flash, g, jsonify, redirect, request, session, url_for
from flask.sessions import SecureCookieSessionInterface
from sqlmodel import Session

from auditkit import db as database
from auditkit.accounts import services as accounts
from auditkit.extensions import login_manager
from auditkit.web import drafts

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
POLL_HEADER = "X-Auditkit-Poll"


class AuditkitSessionInterface(SecureCookieSessionInterface):
    """`__Host-` prefix and Secure over https; plain HttpOnly + SameSite=Lax on http, so that
    login works in a browser on a laptop (a Secure cookie is never sent back over http)."""

    def get_cookie_name(self, app: Flask) -> str:
        return "__Host-auditkit" if request.is_secure else "auditkit"

    def get_cookie_secure(self, app: Flask) -> bool:
        return request.is_secure

    def get_cookie_domain(self, app: Flask):
        return None

    def get_cookie_path(self, app: Flask) -> str:
        return "/"


def init_sessions(app: Flask) -> None:
    app.session_interface = AuditkitSessionInterface()
    login_manager.session_protection = None  # the server-side session does this job
    login_manager.login_view = "accounts.login"
    login_manager.user_loader(_load_user)
    login_manager.unauthorized_handler(_unauthorized)
    app.before_request(_declare_write_intent)
    app.teardown_request(_clear_write_intent)


def _declare_write_intent() -> None:
    if request.method in UNSAFE_METHODS:
        g.write_intent_token = database.set_write_intent(True)


def _clear_write_intent(_exc=None) -> None:
    token = g.pop("write_intent_token", None)
    if token is not None:
        database.reset_write_intent(token)


def _load_user(session_id: str):
    # A short read of its own, never holding the write lock: the request's own transaction
    # (BEGIN IMMEDIATE on SQLite for a write request) begins only when the view needs it, so
    # the touch below does not wait 30 s for a lock its own request holds.
    token = database.set_write_intent(False)
    try:
        with Session(database.engine()) as db:
            check = accounts.check_session(db, session_id)
    finally:
        database.reset_write_intent(token)
    if check.user is None:
        g.session_expired = check.expired
        return None
    if check.touch and POLL_HEADER not in request.headers:
        _touch(session_id)
    return check.user


def _touch(session_id: str) -> None:
    request_db = g.get("db_session")
    if (g.get("write_intent_token") is not None and request_db is not None
            and request_db.in_transaction()):
        # The user was first needed after the request took the write lock: the touch joins
        # the request's transaction instead of waiting for it.
        accounts.touch_session(request_db, session_id)
        return
    # Its own short write transaction, so a GET never upgrades a read transaction to a writer.
    with database.write_intent(), Session(database.engine()) as db:
        accounts.touch_session(db, session_id)
        db.commit()


def _unauthorized():
    expired = g.get("session_expired")
    login_url = url_for("accounts.login", next=_next_target())
    # Only a signed-in user whose session ended has typed something worth keeping; an
    # anonymous visitor must not be able to write form contents into the database.
    if expired and request.method in UNSAFE_METHODS and request.form:
        drafts.keep(request.path, request.form)
    if request.headers.get("HX-Request") == "true":
        response = jsonify(error="login required")
        response.status_code = 401
        response.headers["HX-Redirect"] = login_url
        return response
    if expired and request.method in UNSAFE_METHODS:
        flash("Your session expired before you saved. Log in again: what you typed is kept "
              "and shown again for you to save.", "warning")
    elif expired:
        flash("Your session expired. Please log in again.", "info")
    return redirect(login_url)


def _next_target() -> str:
    if request.method in UNSAFE_METHODS:
        target = request.path
    else:
        target = request.full_path.rstrip("?")
    if request.headers.get("HX-Request") == "true":
        current = request.headers.get("HX-Current-URL", "")
        if current.startswith(request.host_url):
            target = "/" + current.removeprefix(request.host_url)
    return target


def start_login(user: accounts.CurrentUser) -> None:
    """Fresh cookie contents at login (no fixation). A kept draft survives the rotation when
    the same user logs in again, never for another user of the same browser."""
    draft_key = session.get(drafts.SESSION_KEY)
    previous_session = session.get("_user_id")
    session.clear()
    if draft_key and previous_session and (
            accounts.session_owner(database.session(), previous_session) == user.id):
        session[drafts.SESSION_KEY] = draft_key
    session.permanent = True
