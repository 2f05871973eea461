"""T08: security headers on every response class there is: page, htmx fragment, redirect,
400 (CSRF), 401 (htmx after expiry), 403, 404, 405, 422, 429, 500, 503, a static file and the
logo download; over http and https."""

import os
import stat

import pytest

from auditkit import create_app
from auditkit import db as database
from auditkit.accounts.policy import Permission, requires
from auditkit.admin import services as admin_services
from auditkit.config import Config
from tests.conftest import csrf_from
from tests.factories import PASSWORD
from tests.security.support import session_cookie

pytestmark = pytest.mark.headers

# Written out from the test plan on purpose, not imported from the app.
EXPECTED_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                "font-src 'self'; connect-src 'self'; form-action 'self'; "
                "frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
SECRET = "test-secret-key"  # the `app` fixture's, so a cookie can be replayed on another app


def header_problems(response, *, https: bool, authenticated: bool) -> list[str]:
    headers = response.headers
    problems = []

    def expect(condition: bool, message: str) -> None:
        if not condition:
            problems.append(message)

    expect(headers.getlist("Content-Security-Policy") == [EXPECTED_CSP],
           f"CSP {headers.getlist('Content-Security-Policy')}")
    expect(headers.get("X-Content-Type-Options") == "nosniff", "nosniff")
    expect(headers.get("Referrer-Policy") == "same-origin", "Referrer-Policy")
    expect(headers.get("Cross-Origin-Opener-Policy") == "same-origin", "COOP")
    permissions = {p.strip() for p in headers.get("Permissions-Policy", "").split(",")}
    expect({"camera=()", "microphone=()", "geolocation=()"} <= permissions,
           f"Permissions-Policy {permissions}")
    hsts = headers.get("Strict-Transport-Security")
    if https:
        directives = {d.strip().split("=")[0].lower(): d.strip() for d in (hsts or "").split(";")}
        max_age = int(directives.get("max-age", "max-age=0").split("=")[1])
        expect(max_age >= 31536000 and "includesubdomains" in directives, f"HSTS {hsts}")
    else:
        expect(hsts is None, "HSTS over plain http")
    if authenticated:
        cache = {d.strip().lower() for d in headers.get("Cache-Control", "").split(",")}
        expect("no-store" in cache, f"Cache-Control {headers.get('Cache-Control')}")
        vary = {v.strip().lower() for v in headers.get("Vary", "").split(",")}
        expect({"cookie", "hx-request"} <= vary, f"Vary {headers.get('Vary')}")
    return problems


def no_traceback(response) -> bool:
    body = response.get_data().decode("utf-8", "replace")
    return "Traceback" not in body and "File \"" not in body and "sqlalchemy" not in body.lower()


class Visitor:
    """A test client on one scheme; signs in the way a browser would."""

    def __init__(self, app, https: bool, address: str = "127.0.0.1"):
        self.client = app.test_client()
        self.client.environ_base["REMOTE_ADDR"] = address
        self.kwargs = {"base_url": "https://localhost"} if https else {}
        self.referer = {"Referer": "https://localhost/"} if https else {}

    def get(self, path, headers=None):
        return self.client.get(path, headers=headers or {}, **self.kwargs)

    def post(self, path, data, headers=None):
        return self.client.post(path, data=data, headers={**self.referer, **(headers or {})},
                                **self.kwargs)

    def token(self, path="/login"):
        return csrf_from(self.get(path).get_data(as_text=True))

    def login(self, email, password=PASSWORD):
        return self.post("/login", {"email": email, "password": password,
                                    "csrf_token": self.token()})


def _boom():
    raise RuntimeError("test-only failure with a secret detail")


@pytest.mark.parametrize("https", [False, True], ids=["http", "https"])
def test_every_response_class_carries_the_headers(app, make_user, subtests, https):
    # A test-only route that fails, registered before the app serves its first request.
    app.add_url_rule("/test-only/boom", "test_boom", requires(Permission.SIGNED_IN)(_boom))
    with app.app_context(), database.write_intent():
        admin_services.ensure_body(database.session(), "Header Certification")
        admin_services.replace_logo(database.session(), PNG, "logo.png", actor_id=None)
        database.session().commit()
    admin, auditor = make_user("admin"), make_user("auditor")
    signed_in = Visitor(app, https)
    assert signed_in.login(admin.email).status_code == 302
    other = Visitor(app, https)
    assert other.login(auditor.email).status_code == 302
    anonymous = Visitor(app, https)
    token = signed_in.token("/account/password")
    hx = {"HX-Request": "true"}

    cases = {
        # name: (response, authenticated, expected status)
        "page": (signed_in.get("/"), True, 200),
        "fragment": (signed_in.get("/", hx), True, 200),
        "users fragment": (signed_in.get("/admin/users?q=a", hx), True, 200),
        "404": (signed_in.get("/no-such-page"), True, 404),
        "404 fragment": (signed_in.get("/no-such-page", hx), True, 404),
        "403": (other.get("/admin/users"), True, 403),
        "405": (signed_in.get("/logout"), True, 405),
        "400 csrf": (signed_in.post("/admin/settings", {"name": "x"}), True, 400),
        "400 csrf htmx": (signed_in.post("/admin/settings", {"name": "x"}, hx), True, 400),
        "422 form": (signed_in.post("/account/password", {
            "current_password": PASSWORD, "new_password": "a-new-password-1",
            "confirm_password": "another-password-2", "csrf_token": token}), True, 422),
        "500": (signed_in.get("/test-only/boom"), True, 500),
        "500 fragment": (signed_in.get("/test-only/boom", hx), True, 500),
        "logo download": (signed_in.get("/admin/settings/logo"), True, 200),
        "static signed in": (signed_in.get("/static/css/auditkit.css"), False, 200),
        "login page": (anonymous.get("/login"), False, 200),
        "redirect to login": (anonymous.get("/"), False, 302),
        "401 htmx anonymous": (anonymous.get("/", hx), False, 401),
        "404 anonymous": (anonymous.get("/no-such-page"), False, 404),
        "422 login form": (anonymous.post("/login", {"email": "", "password": "",
                                                     "csrf_token": anonymous.token()}),
                           False, 422),
        "static": (anonymous.get("/static/js/auditkit.js"), False, 200),
        "healthz": (anonymous.get("/healthz"), False, 200),
    }
    limited = Visitor(app, https, address="198.51.100.99")
    for _ in range(5):
        assert limited.login(auditor.email, "wrong-password-here").status_code == 401
    cases["429"] = (limited.login(auditor.email, "wrong-password-here"), False, 429)

    for name, (response, authenticated, status) in cases.items():
        with subtests.test(name):
            assert response.status_code == status
            assert header_problems(response, https=https, authenticated=authenticated) == []
            assert no_traceback(response)
    assert "secret detail" not in cases["500"][0].get_data(as_text=True)
    assert cases["logo download"][0].headers["Content-Type"] == "image/png"
    assert "<html" not in cases["fragment"][0].get_data(as_text=True)
    assert "<html" not in cases["500 fragment"][0].get_data(as_text=True)


def test_anonymous_pages_vary_on_htmx(app):
    """A URL answering with a page or a fragment says so to caches, signed in or not."""
    response = app.test_client().get("/login")
    assert "hx-request" in {v.strip().lower() for v in response.headers["Vary"].split(",")}


def test_the_check_itself_catches_missing_headers(app):
    """header_problems is not vacuous: a bare response fails it on every count."""
    from werkzeug.wrappers import Response

    problems = header_problems(Response("x"), https=True, authenticated=True)
    assert len(problems) == 8


# --- 503: the database cannot be reached --------------------------------------------------------

@pytest.fixture(params=["sqlite-missing-dir", "postgres-refused"])
def down_app(request, tmp_path):
    if request.param == "sqlite-missing-dir":
        read_only = tmp_path / "read-only"
        read_only.mkdir()
        url = f"sqlite:///{read_only / 'missing' / 'auditkit.sqlite3'}"
        os.chmod(read_only, stat.S_IRUSR | stat.S_IXUSR)
    else:
        url = "postgresql://postgres@127.0.0.1:1/auditkit"  # nothing listens on port 1
    app = create_app(Config(instance_dir=tmp_path / "instance", database_url=url,
                            secret_key=SECRET, testing=True))
    yield app
    app.extensions["auditkit.engine"].dispose()
    if (tmp_path / "read-only").exists():
        os.chmod(tmp_path / "read-only", stat.S_IRWXU)  # let pytest clean up


@pytest.mark.parametrize("https", [False, True], ids=["http", "https"])
def test_database_unreachable_gives_503_with_headers_and_no_traceback(
        app, make_user, down_app, subtests, https):
    # A cookie of a real signed-in session, replayed against the app whose database is down.
    user = make_user("auditor")
    up = Visitor(app, https)
    assert up.login(user.email).status_code == 302
    cookie_name = "__Host-auditkit" if https else "auditkit"
    cookie = session_cookie(up.client, secure=https)

    anonymous = Visitor(down_app, https)
    token = anonymous.token()
    returning = Visitor(down_app, https)
    returning.client.set_cookie(cookie_name, cookie.value, secure=https)
    cases = {
        "healthz": (anonymous.get("/healthz"), False),
        "login attempt": (anonymous.post("/login", {"email": user.email, "password": PASSWORD,
                                                    "csrf_token": token}), False),
        "page with a session cookie": (returning.get("/"), False),
        "fragment with a session cookie": (returning.get("/", {"HX-Request": "true"}), False),
    }
    for name, (response, authenticated) in cases.items():
        with subtests.test(name):
            assert response.status_code == 503
            assert header_problems(response, https=https, authenticated=authenticated) == []
            assert no_traceback(response)
    assert cases["healthz"][0].get_json() == {"status": "unavailable",
                                              "database": "unreachable"}
    assert "Temporarily unavailable" in cases["page with a session cookie"][0].get_data(
        as_text=True)
