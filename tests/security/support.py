"""Helpers for the security tests: database digests, direct row access, cookies, the route
matrix and a frozen clock.

Everything here reaches the database through its own short connection, never through an app
context: an open app context would be shared by the test client's requests (Flask reuses it),
and with it Flask-Login's cached user and the request's database session.
"""

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml
from sqlalchemy import select, text, update
from sqlmodel import SQLModel

from auditkit import db as database
from auditkit import models  # noqa: F401 - registers every table in SQLModel.metadata
from auditkit.models import AuthSession, User
from tests.conftest import csrf_from

MATRIX_FILE = Path(__file__).resolve().parents[1] / "authz_matrix.yaml"
ROLES = ("admin", "programme_manager", "auditor", "reviewer", "auditee")
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
AUTOMATIC_METHODS = frozenset({"HEAD", "OPTIONS"})

# The one column a request is allowed to move without changing anything: the session's
# "last seen" time, touched at most once a minute so that the idle timeout can work.
STATIC_SAMPLE_PATH = "css/auditkit.css"

SESSION_TOUCH = frozenset({("auth_session", "last_seen_at")})


def engine_of(app):
    return app.extensions["auditkit.engine"]


def tables():
    return list(SQLModel.metadata.sorted_tables)


def table_rows(app, exclude=frozenset()) -> dict[str, list[tuple]]:
    """Every row of every table (minus excluded (table, column) pairs), in primary-key order."""
    result: dict[str, list[tuple]] = {}
    with engine_of(app).connect() as conn:
        for table in tables():
            columns = [c for c in table.columns if (table.name, c.name) not in exclude]
            order = list(table.primary_key.columns) or columns
            rows = conn.execute(select(*columns).order_by(*order)).all()
            result[table.name] = [tuple(row) for row in rows]
    return result


def digest(app, exclude=SESSION_TOUCH) -> str:
    """A hash of the whole database's content, except the excluded columns."""
    hashed = hashlib.sha256()
    for name, rows in table_rows(app, exclude).items():
        hashed.update(name.encode())
        for row in rows:
            hashed.update(repr(row).encode())
    return hashed.hexdigest()


def row_counts(app) -> dict[str, int]:
    with engine_of(app).connect() as conn:
        return {t.name: conn.execute(text(f"SELECT count(*) FROM {t.name}")).scalar_one()
                for t in tables()}


def user_row(app, email: str) -> User:
    with engine_of(app).connect() as conn:
        row = conn.execute(select(User.__table__).where(User.email == email.lower())).one()
    return User.model_validate(dict(row._mapping))


def sessions_of(app, user_id: int) -> list[dict]:
    with engine_of(app).connect() as conn:
        rows = conn.execute(select(AuthSession.__table__)
                            .where(AuthSession.user_id == user_id)
                            .order_by(AuthSession.created_at)).all()
    return [dict(row._mapping) for row in rows]


def update_rows(app, statement) -> None:
    with database.write_intent(), engine_of(app).begin() as conn:
        conn.execute(statement)


def set_password_hash(app, user_id: int, password_hash: str) -> None:
    update_rows(app, update(User.__table__).where(User.id == user_id)
                .values(password_hash=password_hash))


# --- cookies ----------------------------------------------------------------------------------

@dataclass
class SetCookie:
    name: str
    value: str
    attributes: dict[str, str]  # lower-case names; flags map to ""


def set_cookies(response) -> dict[str, SetCookie]:
    found = {}
    for header in response.headers.getlist("Set-Cookie"):
        first, *rest = [part.strip() for part in header.split(";")]
        name, _, value = first.partition("=")
        attributes = {}
        for part in rest:
            key, _, attr_value = part.partition("=")
            attributes[key.strip().lower()] = attr_value.strip()
        found[name] = SetCookie(name, value, attributes)
    return found


def session_cookie(client, secure: bool = False):
    return client.get_cookie("__Host-auditkit" if secure else "auditkit")


def load_session_cookie(app, value: str) -> dict:
    """The signed cookie's content (the server-side session id sits in `_user_id`)."""
    return app.session_interface.get_signing_serializer(app).loads(value)


# --- pages -------------------------------------------------------------------------------------

def header_token(html: str) -> str:
    """The CSRF token base.html hands to htmx in `hx-headers` (the htmx way to send it)."""
    marker = "hx-headers='"
    start = html.index(marker) + len(marker)
    import json

    headers = json.loads(html[start:html.index("'", start)])
    return headers["X-CSRFToken"]


def page_token(client, path: str = "/") -> str:
    return csrf_from(client.get(path).get_data(as_text=True))


# --- the route matrix --------------------------------------------------------------------------

def load_matrix() -> list[dict]:
    return yaml.safe_load(MATRIX_FILE.read_text())["routes"]


def rule_methods(rule) -> frozenset[str]:
    return frozenset(rule.methods - AUTOMATIC_METHODS)


# --- a frozen clock ----------------------------------------------------------------------------

class Clock:
    """Stands in for auditkit.db.utcnow: time moves only when the test says so."""

    def __init__(self):
        self.now = datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> datetime:
        self.now += timedelta(**delta)
        return self.now

    def set(self, moment: datetime) -> datetime:
        self.now = moment
        return self.now
