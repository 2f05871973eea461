"""T01: every url_map rule is classified in tests/authz_matrix.yaml, every view carries an
authorisation decision, and the app answers each role as the matrix says."""

from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest

from auditkit import create_app
from auditkit import db as database
from auditkit.accounts.policy import GRANTS, Permission, authorisation_of
from auditkit.admin import services as admin_services
from auditkit.config import Config
from tests import factories
from tests.conftest import csrf_token
from tests.security.support import (
    ROLES,
    STATIC_SAMPLE_PATH,
    UNSAFE_METHODS,
    digest,
    load_matrix,
    rule_methods,
)

pytestmark = pytest.mark.authz

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture(scope="module")
def bare_app(tmp_path_factory):
    """An app for looking at its routes only (no database is ever opened)."""
    config = Config(instance_dir=tmp_path_factory.mktemp("inventory"), database_url="sqlite://",
                    secret_key="inventory", testing=True)
    return create_app(config)


def _matrix_keys(matrix) -> list[tuple[str, frozenset[str]]]:
    return [(entry["rule"], frozenset(entry["methods"])) for entry in matrix]


def _app_rules(app) -> dict[tuple[str, frozenset[str]], object]:
    return {(rule.rule, rule_methods(rule)): rule for rule in app.url_map.iter_rules()}


def test_matrix_entries_are_well_formed():
    problems = []
    keys = _matrix_keys(load_matrix())
    if len(keys) != len(set(keys)):
        problems.append("duplicate entries")
    for entry in load_matrix():
        roles = entry.get("roles")
        if roles != "public" and not (isinstance(roles, list) and roles
                                      and set(roles) <= set(ROLES)):
            problems.append(f"{entry['rule']}: roles must be 'public' or a list of {ROLES}")
        if not entry.get("endpoint"):
            problems.append(f"{entry['rule']}: no endpoint")
    assert not problems, problems


def unclassified(app, matrix) -> tuple[list, list]:
    """(rules missing from the matrix, matrix entries without a rule)."""
    in_app = set(_app_rules(app))
    in_matrix = set(_matrix_keys(matrix))
    missing = sorted((rule, sorted(methods)) for rule, methods in in_app - in_matrix)
    stale = sorted((rule, sorted(methods)) for rule, methods in in_matrix - in_app)
    return missing, stale


def undecided_views(app) -> list[str]:
    return sorted(rule.endpoint for rule in app.url_map.iter_rules()
                  if rule.endpoint != "static"
                  and authorisation_of(app.view_functions[rule.endpoint]) is None)


def test_every_rule_is_classified_and_no_entry_is_stale(bare_app):
    missing, stale = unclassified(bare_app, load_matrix())
    assert not missing, f"rules missing from tests/authz_matrix.yaml: {missing}"
    assert not stale, f"stale entries in tests/authz_matrix.yaml: {stale}"
    in_app = _app_rules(bare_app)
    wrong_endpoint = [(e["rule"], e["endpoint"]) for e in load_matrix()
                      if in_app[(e["rule"], frozenset(e["methods"]))].endpoint != e["endpoint"]]
    assert not wrong_endpoint, f"endpoint differs from the app's: {wrong_endpoint}"


def test_every_view_has_an_authorisation_decision(bare_app):
    assert not undecided_views(bare_app), "views without @requires or @public"


def test_the_inventory_checks_find_new_routes_and_stale_entries(tmp_path):
    """The checks above can fail: an undecorated new route, a changed method list and an
    entry for a removed rule are all reported."""
    app = create_app(Config(instance_dir=tmp_path, database_url="sqlite://",
                            secret_key="inventory", testing=True))
    app.add_url_rule("/undecided", "undecided", lambda: "x", methods=["GET", "POST"])
    matrix = load_matrix() + [{"rule": "/removed", "endpoint": "gone", "methods": ["GET"],
                               "roles": "public"}]
    matrix = [dict(e, methods=["GET"]) if e["rule"] == "/admin/settings" else e
              for e in matrix]
    missing, stale = unclassified(app, matrix)
    assert missing == [("/admin/settings", ["GET", "POST"]), ("/undecided", ["GET", "POST"])]
    assert stale == [("/admin/settings", ["GET"]), ("/removed", ["GET"])]
    assert undecided_views(app) == ["undecided"]


def test_matrix_agrees_with_the_declared_decisions(bare_app):
    """The file is the reviewed statement of who may do what; the decorators must say the
    same (a permission granted to more roles than reviewed fails here)."""
    disagreements = []
    for entry in load_matrix():
        if entry["endpoint"] == "static":
            continue
        decision = authorisation_of(bare_app.view_functions[entry["endpoint"]])
        if entry["roles"] == "public" or decision == "public":
            if entry["roles"] != decision:
                disagreements.append((entry["rule"], entry["roles"], decision))
            continue
        granted = sorted(role.value for role in GRANTS[Permission(decision)])
        if sorted(entry["roles"]) != granted:
            disagreements.append((entry["rule"], sorted(entry["roles"]), granted))
    assert not disagreements, disagreements


# --- behaviour: each role against every GET rule ----------------------------------------------

@pytest.fixture
def sample(app, make_user):
    """Objects the parametrised URLs point at: a user, a logo, a certification of a client and
    an audit of it with a stored audit-time justification."""
    target = make_user("auditor", full_name="Target Person")
    with app.app_context(), database.write_intent():
        db = database.session()
        admin_services.ensure_body(db, "Inventory Certification")
        admin_services.replace_logo(db, PNG, "logo.png", actor_id=None)
        certification = factories.make_certification(db, factories.make_client(db))
        audit = factories.make_programme_audit(db, certification, "stage1", date(2026, 3, 2))
        audit.time_justification = '{"planned_days": "1.5", "lines": ["Sample"]}'
        qualification = factories.make_qualification(db, target.id)
        engagement = factories.make_engagement(db, target.id, certification.client_id)
        member = factories.make_team_member(db, audit.id, None, "observer",
                                            person_name="Sample Observer")
        factories.make_soa_revision(db, certification.client_id)
        db.commit()
    return {"user_id": target.id, "filename": STATIC_SAMPLE_PATH,
            "checklist_key": "iso42001-2023", "certification_id": certification.id,
            "audit_id": audit.id, "qualification_id": qualification.id,
            "engagement_id": engagement.id, "member_id": member.id,
            "client_id": certification.client_id,
            "scheme": "iso42001", "revision": 1}


def _url(rule, sample: dict) -> str:
    values = {}
    for argument in rule.arguments:
        assert argument in sample, f"no sample value for <{argument}> in {rule.rule}"
        values[argument] = sample[argument]
    return rule.build(values)[1]


def _expected(entry: dict, role: str | None) -> int:
    if entry["roles"] == "public":
        return 200 if role is None else entry.get("signed_in", 200)
    if role is None:
        return 302
    if role not in entry["roles"]:
        return 403
    return entry.get("not_theirs", {}).get(role, 200)


@pytest.mark.parametrize("role", [*ROLES, None], ids=[*ROLES, "anonymous"])
def test_get_rules_answer_each_role_as_the_matrix_says(app, signed_in, sample, role):
    if role is None:
        client = app.test_client()
    else:
        client, _user = signed_in(role)
    rules = _app_rules(app)
    wrong = []
    checked = 0
    for entry in load_matrix():
        if "GET" not in entry["methods"]:
            continue
        rule = rules[(entry["rule"], frozenset(entry["methods"]))]
        url = _url(rule, sample)
        response = client.get(url)
        expected = _expected(entry, role)
        checked += 1
        if response.status_code != expected:
            wrong.append((url, response.status_code, expected))
            continue
        if expected == 302 and entry["roles"] != "public":
            location = urlsplit(response.headers["Location"])
            if location.path != "/login" or parse_qs(location.query).get("next") != [url]:
                wrong.append((url, response.headers["Location"], "/login?next=..."))
    assert checked >= 10
    assert not wrong, f"{role or 'anonymous'}: (url, got, expected) {wrong}"


def test_admin_gets_404_for_a_user_that_does_not_exist(signed_in):
    client, _admin = signed_in("admin")
    assert client.get("/admin/users/987654").status_code == 404
    assert client.get("/admin/users/987654/password").status_code == 405


@pytest.mark.parametrize("role", [*ROLES, None], ids=[*ROLES, "anonymous"])
def test_unsafe_rules_refuse_other_roles_without_changing_anything(app, signed_in, sample, role):
    """With a valid CSRF token, a role the matrix does not list gets 403 and an anonymous
    visitor is sent to log in; the database does not change."""
    if role is None:
        client = app.test_client()
        token = csrf_token(client, "/login")
    else:
        client, _user = signed_in(role)
        token = csrf_token(client, "/account/password")
    rules = _app_rules(app)
    wrong = []
    for entry in load_matrix():
        if entry["roles"] == "public" or (role in entry["roles"]):
            continue
        rule = rules[(entry["rule"], frozenset(entry["methods"]))]
        url = _url(rule, sample)
        for method in sorted(set(entry["methods"]) & UNSAFE_METHODS):
            before = digest(app)
            response = client.open(url, method=method,
                                   data={"csrf_token": token, "full_name": "Changed"})
            expected = 302 if role is None else 403
            if response.status_code != expected or digest(app) != before:
                wrong.append((method, url, response.status_code, expected))
            elif role is None and urlsplit(response.headers["Location"]).path != "/login":
                wrong.append((method, url, response.headers["Location"], "/login"))
    assert not wrong, f"{role or 'anonymous'}: {wrong}"
