"""T04: every unsafe route refuses a request without a valid CSRF token (form and htmx) and
changes nothing; the token in the X-CSRFToken header (the htmx way) is accepted; no GET route
changes the database."""

import io
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from sqlalchemy import update

from auditkit import db as database
from auditkit.admin import services as admin_services
from auditkit.models import AuthSession, BodySettings
from auditkit.rules.policies import POLICIES
from tests import factories
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
    path: object  # str with {target}, or a callable (app, world) -> str
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


def _programme(app, world) -> dict:
    """A client with an applicant certification, one with an audit to time, and a row of the
    body's 42001 table; made once per test."""
    if not hasattr(world, "programme"):
        from auditkit.models import AuditTimeTableRow

        with app.app_context(), database.write_intent():
            db = database.session()
            client = factories.make_client(db)
            applicant = factories.make_certification(db, client)
            timed = factories.make_certification(db, client)
            audit = factories.make_programme_audit(db, timed, "stage1", date(2030, 1, 7))
            factories.set_scheme_personnel(db, client.id, "iso9001", 60)
            row = AuditTimeTableRow(scheme="iso42001", ai_role="producer", min_personnel=16,
                                    max_personnel=25, days=7)
            db.add(row)
            db.commit()
            world.programme = {"client": client.id, "applicant": applicant.id,
                               "timed": timed.id, "audit": audit.id, "row": row.id}
    return world.programme


def _programme_path(template: str):
    return lambda app, world: template.format(**_programme(app, world))


CERTIFICATION_FORM = {"schemes": ["iso9001"], "edition_iso9001": "ISO 9001:2015",
                      "integration": "single", "scope": "Changed scope", "version": "1"}
PROGRAMME_CASES = {
    ("programmes.new_certification", "POST"): Case(
        "admin", _programme_path("/certifications/new?client_id={client}"), CERTIFICATION_FORM),
    ("programmes.edit_certification", "POST"): Case(
        "admin", _programme_path("/certifications/{applicant}/edit"), CERTIFICATION_FORM),
    ("programmes.record_decision", "POST"): Case(
        "admin", _programme_path("/certifications/{applicant}/decision"),
        {"decision_date": "2025-06-02", "note": "Initial audit recorded on paper."}),
    ("programmes.take_over", "POST"): Case(
        "admin", _programme_path("/certifications/{applicant}/take-over"),
        {"origin": "taken_over", "cycle_number": "1", "decision_date": "2025-06-02",
         "certificate_expiry": "2028-06-01", "note": ""}),
    ("programmes.save_audit_time", "POST"): Case(
        "admin", _programme_path("/certifications/{timed}/audit-time"),
        lambda app, world: {
            "planned_for": "initial", "audit_id": str(_programme(app, world)["audit"]),
            "schemes-0-scheme": "iso9001", "schemes-0-effective_personnel": "60",
            "integration_reduction": "0", "stage1_share": "30"}),
    ("programmes.audit_time_table", "POST"): Case(
        "admin", "/audit-time-table",
        {"ai_role": "producer", "min_personnel": "11", "max_personnel": "15", "days": "6"}),
    ("programmes.delete_audit_time_row", "POST"): Case(
        "admin", "/audit-time-table/delete",
        lambda app, world: {"row_id": str(_programme(app, world)["row"])}),
}

def _scheduling(app, world) -> dict:
    """A certification in its cycle with a surveillance whose team can be confirmed, the
    target as its qualified lead auditor, and a named observer; made once per test."""
    if not hasattr(world, "scheduling"):
        with app.app_context(), database.write_intent():
            db = database.session()
            world.scheduling = factories.make_scheduling_world(db, world.target.id)
            db.commit()
    return world.scheduling


def _scheduling_path(template: str):
    return lambda app, world: template.format(target=world.target.id,
                                              **_scheduling(app, world))


def _audit_version(app, world) -> str:
    from auditkit.models import Audit

    with engine_of(app).connect() as conn:
        return str(conn.execute(Audit.__table__.select().where(
            Audit.__table__.c.id == _scheduling(app, world)["audit"])).one().version)


def _with_version(fields: dict):
    return lambda app, world: {**fields, "version": _audit_version(app, world)}


def _familiarity_warning(app, world) -> dict:
    """TEAM-07 warns once the body allows one cycle per lead: the target led Stage 2 too."""
    from sqlalchemy import insert

    from auditkit.models import PolicyValue

    _scheduling(app, world)
    update_rows(app, insert(PolicyValue.__table__).values(
        name="max_consecutive_cycles_same_lead", value="1"))
    return {"rule_id": "TEAM-07",
            "justification": "Only qualified lead available; rotation planned for next cycle."}


AUDIT_PLAN = {"start_date": "2031-03-10", "end_date": "2031-03-11", "mode": "on_site",
              "ict_tool": "", "planned_days": "2", "language": "English",
              "client_objection_allowed": "y"}
QUALIFICATION_FORM = {"scheme": "iso42001", "role": "auditor", "technical_areas": "NLP",
                      "valid_from": "2024-01-01", "valid_until": ""}
SCHEDULING_CASES = {
    ("scheduling.auditor_languages", "POST"): Case(
        "admin", "/auditors/{target}/languages", {"languages": "English, Dutch"}),
    ("scheduling.new_qualification", "POST"): Case(
        "admin", "/auditors/{target}/qualifications/new", QUALIFICATION_FORM),
    ("scheduling.edit_qualification", "POST"): Case(
        "admin", _scheduling_path("/auditors/{target}/qualifications/{qualification}"),
        {**QUALIFICATION_FORM, "scheme": "iso27001", "role": "lead_auditor"}),
    ("scheduling.end_qualification", "POST"): Case(
        "admin", _scheduling_path("/auditors/{target}/qualifications/{qualification}/end"),
        {"ended_on": "2024-12-31"}),
    ("scheduling.new_engagement", "POST"): Case(
        "admin", _scheduling_path("/auditors/{target}/engagements/new"),
        lambda app, world: {"client_id": str(_scheduling(app, world)["client"]),
                            "kind": "consultancy", "description": "", "ended_on": "2015-06-30"}),
    ("scheduling.edit_engagement", "POST"): Case(
        "admin", _scheduling_path("/auditors/{target}/engagements/{engagement}"),
        lambda app, world: {"client_id": str(_scheduling(app, world)["other_client"]),
                            "kind": "employment", "description": "Analyst",
                            "ended_on": "2011-01-31"}),
    ("scheduling.new_audit", "POST"): Case(
        "admin", _scheduling_path("/certifications/{certification}/audits/new"),
        {**AUDIT_PLAN, "audit_type": "special_scope_extension"}),
    ("scheduling.edit_audit", "POST"): Case(
        "admin", _scheduling_path("/audits/{audit}/edit"), _with_version(AUDIT_PLAN)),
    ("scheduling.cancel_audit", "POST"): Case(
        "admin", _scheduling_path("/audits/{audit}/cancel"),
        _with_version({"reason": "The client postponed its surveillance."})),
    ("scheduling.add_member", "POST"): Case(
        "admin", _scheduling_path("/audits/{audit}/team"),
        _with_version({"user_id": "", "person_name": "Second Witness",
                       "team_role": "observer"})),
    ("scheduling.remove_member", "POST"): Case(
        "admin", _scheduling_path("/audits/{audit}/team/{observer_member}/remove"),
        _with_version({})),
    ("scheduling.record_objection", "POST"): Case(
        "admin", _scheduling_path("/audits/{audit}/team/{observer_member}/objection"),
        _with_version({"objection": "Works for a competitor."})),
    ("scheduling.declare", "POST"): Case(
        "admin", _scheduling_path("/audits/{audit}/team/{observer_member}/declaration"),
        {"statement": "Signed form received by e-mail."}),
    ("scheduling.confirm_team", "POST"): Case(
        "admin", _scheduling_path("/audits/{audit}/confirm"), _with_version({})),
    ("scheduling.add_override", "POST"): Case(
        "admin", _scheduling_path("/audits/{audit}/overrides"), _familiarity_warning),
}


def _clients(app, world) -> dict:
    """A 42001 client with a central function, for the client screens; made once per test."""
    if not hasattr(world, "clients"):
        with app.app_context(), database.write_intent():
            db = database.session()
            client = factories.make_client(db)
            factories.make_site(db, client.id, "Head office", "central_function")
            factories.set_scheme_personnel(db, client.id, "iso42001", 20, 5, "developer")
            db.commit()
            world.clients = {"client": client.id}
    return world.clients


def _clients_path(template: str):
    return lambda app, world: template.format(**_clients(app, world))


def _client_form(fields: dict):
    """The fields plus the client's current version (the edit screens check it)."""
    from auditkit.models import Client

    def data(app, world):
        client_id = _clients(app, world)["client"]
        with engine_of(app).connect() as conn:
            version = conn.execute(Client.__table__.select().where(
                Client.__table__.c.id == client_id)).one().version
        return {**fields, "version": str(version)}

    return data


class _Upload(io.BytesIO):
    """A file the test client can send several times: closing it only rewinds it."""

    def close(self):
        self.seek(0)


CLIENT_CASES = {
    ("clients.create", "POST"): Case(
        "admin", "/clients/new",
        {"name": "Csrf Client Ltd", "address": "", "language": "English", "sector": ""}),
    ("clients.edit", "POST"): Case(
        "admin", _clients_path("/clients/{client}/edit"),
        _client_form({"name": "Renamed Client Ltd", "address": "", "language": "English",
                      "sector": ""})),
    ("clients.sites", "POST"): Case(
        "admin", _clients_path("/clients/{client}/sites"),
        _client_form({"sites-0-site_id": "", "sites-0-name": "Depot", "sites-0-kind": "permanent",
                      "sites-0-address": "", "sites-0-personnel": "4"})),
    ("clients.personnel", "POST"): Case(
        "admin", _clients_path("/clients/{client}/personnel"),
        _client_form({"iso42001_effective_personnel": "20", "iso42001_ai_personnel": "6",
                      "iso42001_ai_role": "developer", "iso9001_effective_personnel": "20"})),
    ("clients.contacts", "POST"): Case(
        "admin", _clients_path("/clients/{client}/contacts"),
        _client_form({"contacts-0-contact_id": "", "contacts-0-name": "Robin Vale"})),
    ("clients.ai_systems", "POST"): Case(
        "admin", _clients_path("/clients/{client}/ai-systems"),
        _client_form({"systems-0-ai_system_id": "", "systems-0-name": "Ranker",
                      "systems-0-ai_role": "user", "systems-0-risk_level": "low"})),
    ("clients.import_data", "POST"): Case(
        "admin", "/clients/import",
        {"kind": "clients", "action": "import",
         "upload": (_Upload(b"name,scheme,effective_personnel\nImported Ltd,iso9001,5\n"),
                    "clients.csv")}),
}


def _soa_import(app, world) -> dict:
    """A full ISO/IEC 42001 SoA as a CSV upload for the client of the client screens."""
    from auditkit.models.clients import Scheme
    from auditkit.soa.services import annex_a

    lines = ["control id,applicable,justification,status"] + [
        f"{c.id},yes,,implemented" for c in annex_a(Scheme.ISO42001).controls]
    return {"client_version_label": "v1.0",
            "file": (_Upload("\n".join(lines).encode()), "soa.csv")}


def _soa_form(app, world) -> dict:
    """Every ISO/IEC 42001 control answered, for a first revision of the SoA."""
    from auditkit.models.clients import Scheme
    from auditkit.soa.services import annex_a

    data = {"client_version_label": "v1.0", "base_revision": "0"}
    for control in annex_a(Scheme.ISO42001).controls:
        data |= {f"applicable-{control.id}": "yes", f"status-{control.id}": "implemented"}
    return data


SOA_CASES = {
    ("soa.edit", "POST"): Case(
        "admin", _clients_path("/clients/{client}/soa/iso42001/edit"), _soa_form),
    ("soa.import_file", "POST"): Case(
        "admin", _clients_path("/clients/{client}/soa/iso42001/import"), _soa_import),
}


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
    **PROGRAMME_CASES,
    **CLIENT_CASES,
    **SOA_CASES,
    **SCHEDULING_CASES,
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
    path = case.path(app, world) if callable(case.path) else case.path.format(
        target=world.target.id)
    return client, path, data


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
        values = {"user_id": user_id, "filename": STATIC_SAMPLE_PATH,
                  "checklist_key": "iso42001-2023", "certification_id": 1, "audit_id": 1,
                  "qualification_id": 1, "engagement_id": 1, "client_id": 1,
                  "scheme": "iso42001", "revision": 1}
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
