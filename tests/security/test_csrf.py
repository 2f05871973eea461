"""T04: every unsafe route refuses a request without a valid CSRF token (form and htmx) and
changes nothing; the token in the X-CSRFToken header (the htmx way) is accepted; no GET route
changes the database."""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import update

from auditkit import db as database
from auditkit.admin import services as admin_services
from auditkit.models import AuthSession, BodySettings
from auditkit.rules.policies import POLICIES
from tests.conftest import csrf_from, csrf_token, login
from tests.factories import PASSWORD
from tests.security.support import (
    STATIC_SAMPLE_PATH,
    UNSAFE_METHODS,
    digest,
    engine_of,
    header_token,
    load_matrix,
    sessions_of,
    update_rows,
    user_row,
)

pytestmark = pytest.mark.csrf

NEW_PASSWORD = "violet-canyon-drift-2047"
POLICY = next(p for p in POLICIES if p.kind == "months")
POLICY_VALUE = str(POLICY.default + 1 if POLICY.default < POLICY.maximum else POLICY.default - 1)


@dataclass
class World:
    admin: object
    target: object
    admin_client: object
    anonymous_client: object


@dataclass(frozen=True)
class Case:
    """How to make a request to one unsafe route that would change the database if it were
    accepted (so that "no change" without a token means something)."""

    actor: str  # "admin" or "anonymous"
    path: str
    data: object  # dict, or a callable (app, world) -> dict


def _settings_data(app, world):
    with engine_of(app).connect() as conn:
        version = conn.execute(BodySettings.__table__.select()).one().version
    return {"name": "Renamed Certification Body", "address": "", "accreditation_body": "",
            "accreditation_number": "", "time_zone": "UTC", "session_idle_minutes": "30",
            "session_absolute_hours": "12", "version": str(version)}


def _edit_user_data(app, world):
    version = user_row(app, world.target.email).version
    return {"full_name": "Renamed Person", "roles": ["auditor"], "client_id": "",
            "is_active": "y", "version": str(version)}


CASES = {
    ("accounts.login", "POST"): Case(
        "anonymous", "/login",
        lambda app, world: {"email": world.target.email, "password": PASSWORD, "next": ""}),
    ("accounts.logout", "POST"): Case("admin", "/logout", {}),
    ("accounts.change_password", "POST"): Case(
        "admin", "/account/password",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD,
         "confirm_password": NEW_PASSWORD}),
    ("admin.create_user", "POST"): Case(
        "admin", "/admin/users/new",
        {"email": "csrf.created@example.test", "full_name": "Created Person",
         "roles": ["auditor"], "client_id": "", "password": NEW_PASSWORD}),
    ("admin.edit_user", "POST"): Case("admin", "/admin/users/{target}", _edit_user_data),
    ("admin.reset_password", "POST"): Case(
        "admin", "/admin/users/{target}/password", {"new_password": NEW_PASSWORD}),
    ("admin.settings", "POST"): Case("admin", "/admin/settings", _settings_data),
    ("admin.policies", "POST"): Case("admin", "/admin/policies", {POLICY.name: POLICY_VALUE}),
}


def _unsafe_pairs():
    return sorted((entry["endpoint"], method) for entry in load_matrix()
                  for method in entry["methods"] if method in UNSAFE_METHODS)


@pytest.fixture
def world(app, make_user):
    admin = make_user("admin", full_name="Admin Person")
    target = make_user("auditor", full_name="Target Person")
    with app.app_context(), database.write_intent():
        admin_services.ensure_body(database.session(), "Csrf Certification")
        database.session().commit()
    admin_client = app.test_client()
    assert login(admin_client, admin.email).status_code == 302
    anonymous_client = app.test_client()
    return World(admin, target, admin_client, anonymous_client)


def test_every_unsafe_rule_has_a_case(app):
    in_app = sorted((rule.endpoint, method) for rule in app.url_map.iter_rules()
                    for method in rule.methods if method in UNSAFE_METHODS)
    assert in_app == sorted(CASES), "add a case to CASES for every unsafe route"
    assert _unsafe_pairs() == sorted(CASES)


def _request_parts(case: Case, app, world: World):
    client = world.admin_client if case.actor == "admin" else world.anonymous_client
    data = case.data(app, world) if callable(case.data) else dict(case.data)
    return client, case.path.format(target=world.target.id), data


@pytest.mark.parametrize(("endpoint", "method"), sorted(CASES), ids=lambda v: str(v))
def test_unsafe_request_without_valid_token_is_refused_and_changes_nothing(
        app, world, endpoint, method):
    case = CASES[(endpoint, method)]
    client, path, data = _request_parts(case, app, world)
    page = client.get("/login" if case.actor == "anonymous" else "/").get_data(as_text=True)
    other_browser = app.test_client()
    foreign_token = csrf_token(other_browser, "/login")
    before = digest(app)
    attempts = {
        "form without token": {"data": data},
        "htmx without token": {"data": data, "headers": {"HX-Request": "true"}},
        "forged form token": {"data": {**data, "csrf_token": "forged." + "x" * 40}},
        "forged header token": {"data": data, "headers": {"X-CSRFToken": "forged.token"}},
        "token of another browser": {"data": {**data, "csrf_token": foreign_token}},
        "token under another header name": {
            "data": data, "headers": {"X-CSRF-Token-Other": header_token(page)}},
    }
    for name, kwargs in attempts.items():
        response = client.open(path, method=method, **kwargs)
        assert response.status_code == 400, name
        assert "did not come from auditkit" in response.get_data(as_text=True), name
        assert digest(app) == before, f"{name} changed the database"
    htmx_refusal = client.open(path, method=method, data=data, headers={"HX-Request": "true"})
    assert "<html" not in htmx_refusal.get_data(as_text=True)  # a fragment for htmx

    # The same request with the token that base.html hands to htmx (hx-headers) is accepted.
    accepted = client.open(path, method=method, data=data,
                           headers={"X-CSRFToken": header_token(page), "HX-Request": "true"})
    assert accepted.status_code == 302, accepted.get_data(as_text=True)
    assert digest(app) != before, "the accepted request should have changed something"


def test_form_field_token_is_accepted(app, world):
    """The plain form path (no JavaScript) works too."""
    client = world.admin_client
    token = csrf_token(client, "/admin/settings")
    data = _settings_data(app, world) | {"csrf_token": token}
    assert client.post("/admin/settings", data=data).status_code == 302


def test_https_requires_a_same_origin_referer(app, make_user):
    """Over https Flask-WTF also checks the Referer (the reason for Referrer-Policy
    same-origin): a token alone from another origin is refused."""
    user = make_user("auditor")
    client = app.test_client()
    https = {"base_url": "https://localhost"}
    token = csrf_from_https(client, "/login")
    response = client.post("/login", data={"email": user.email, "password": PASSWORD,
                                           "csrf_token": token},
                           headers={"Referer": "https://localhost/login"}, **https)
    assert response.status_code == 302
    page = client.get("/", **https).get_data(as_text=True)
    token = header_token(page)
    for referer in (None, "https://evil.example/", "http://localhost/"):
        headers = {"X-CSRFToken": token} | ({"Referer": referer} if referer else {})
        refused = client.post("/logout", headers=headers, **https)
        assert refused.status_code == 400, referer
    assert all(s["ended_at"] is None for s in sessions_of(app, user.id))
    accepted = client.post("/logout", headers={"X-CSRFToken": token,
                                               "Referer": "https://localhost/"}, **https)
    assert accepted.status_code == 302
    assert all(s["ended_at"] is not None for s in sessions_of(app, user.id))


def csrf_from_https(client, path):
    return csrf_from(client.get(path, base_url="https://localhost").get_data(as_text=True))


# --- GET requests change nothing ---------------------------------------------------------------

def _get_urls(app, user_id: int) -> list[str]:
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        values = {"user_id": user_id, "filename": STATIC_SAMPLE_PATH}
        urls.append(rule.build({name: values[name] for name in rule.arguments})[1])
    urls += ["/admin/history?subject=user", "/admin/users?q=target", "/login?next=/admin/users",
             "/does-not-exist"]
    return urls


@pytest.mark.parametrize("role", ["admin", "auditee", None], ids=["admin", "auditee", "anonymous"])
def test_no_get_route_changes_the_database(app, signed_in, make_user, role):
    target = make_user("reviewer", full_name="Looked At")
    with app.app_context(), database.write_intent():
        admin_services.ensure_body(database.session(), "Get Certification")
        database.session().commit()
    if role is None:
        client = app.test_client()
    else:
        client, user = signed_in(role)
        # An old "last seen" time makes the first request touch the session: the one column a
        # GET may move, excluded from the digest by name (and checked to have moved).
        update_rows(app, update(AuthSession.__table__).where(AuthSession.user_id == user.id)
                    .values(last_seen_at=database.utcnow() - timedelta(minutes=5)))
        touched_before = sessions_of(app, user.id)[0]["last_seen_at"]
    before = digest(app)
    before_with_touch = digest(app, exclude=frozenset())
    statuses = {}
    for url in _get_urls(app, target.id):
        for headers in ({}, {"HX-Request": "true"}):
            statuses[url] = client.get(url, headers=headers).status_code
            assert digest(app) == before, f"GET {url} {headers} changed the database"
    assert statuses["/healthz"] == 200
    if role is not None:
        assert sessions_of(app, user.id)[0]["last_seen_at"] > touched_before
        assert digest(app, exclude=frozenset()) != before_with_touch  # the touch is excluded
