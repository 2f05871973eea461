"""Browser tests: Playwright drives Debian's Chromium against a live auditkit server.

The server runs in a background thread of the test process, on 127.0.0.1 and a free port, with
its own SQLite file holding the demo body (auditkit/demo.py). It sees only committed data, like
a user would. Every page a test opens is watched: a console error, an uncaught script error or a
Content-Security-Policy violation fails the test.
"""

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from auditkit import create_app
from auditkit import db as database
from auditkit.config import Config
from auditkit.demo import DEMO_PASSWORD, DEMO_USERS, load_demo
from auditkit.migrate import upgrade_database

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_MISSING = "Chromium not found: install it with `apt-get install -y chromium`"
E2E_DIR = Path(__file__).resolve().parent

# Fresh profile every launch (Playwright's default); no calls to hosts this machine cannot reach.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

# Chromium reports CSP violations on the console as errors; this makes sure each one is seen
# even where it would not be, by logging the DOM event too. Init scripts are not subject to the
# page's CSP.
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", function (event) {
  console.error("CSP violation: " + event.violatedDirective + " blocked "
                + (event.blockedURI || "inline") + " in " + event.sourceFile + ":"
                + event.lineNumber);
});
"""

ADMIN_NAV = ("Users", "Body settings", "Policies", "History")
# admin, manager, auditor, reviewer, auditee -> e-mail and full name
DEMO = {email.split("@")[0]: {"email": email, "name": name, "roles": roles}
        for email, name, roles, _client in DEMO_USERS}


def pytest_collection_modifyitems(config, items):
    if CHROMIUM.exists():
        return
    skip = pytest.mark.skip(reason=CHROMIUM_MISSING)
    for item in items:
        if E2E_DIR in Path(str(item.fspath)).resolve().parents:
            item.add_marker(skip)


# --- the live server -------------------------------------------------------------------------

@dataclass
class LiveServer:
    url: str
    app: object
    instance_dir: Path
    _server: object = field(repr=False)
    _thread: threading.Thread = field(repr=False)

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=10)
        self._server.server_close()
        self.app.extensions["auditkit.engine"].dispose()


def start_live_server(instance_dir: Path) -> LiveServer:
    config = Config(instance_dir=instance_dir, secret_key="e2e-secret-key-not-for-production",
                    testing=False)
    app = create_app(config)
    with app.app_context():
        upgrade_database(database.engine())
        load_demo()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="auditkit-live-server",
                              daemon=True)
    thread.start()
    return LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=app,
                      instance_dir=instance_dir, _server=server, _thread=thread)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory) -> Iterator[LiveServer]:
    server = start_live_server(tmp_path_factory.mktemp("e2e-live") / "instance")
    yield server
    server.stop()


@pytest.fixture
def own_live_server(tmp_path) -> Iterator[LiveServer]:
    """A server of its own, for a test that leaves the server in a state others must not see
    (the per-address login limit). The rate limiter's memory storage belongs to one Limiter
    object shared by every app in the process, so it is emptied afterwards as well."""
    server = start_live_server(tmp_path / "instance")
    yield server
    server.stop()
    from auditkit.extensions import limiter

    limiter.reset()


@pytest.fixture(scope="session")
def base_url(live_server) -> str:
    return live_server.url


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS}


# --- console errors and CSP violations --------------------------------------------------------

@dataclass
class BrowserProblems:
    """Console errors, uncaught script errors and CSP violations of every watched page."""

    problems: list[str] = field(default_factory=list)
    expected: list[str] = field(default_factory=list)
    contexts: list = field(default_factory=list)

    def watch(self, context) -> None:
        context.add_init_script(script=CSP_LISTENER)
        context.on("page", self._watch_page)
        self.contexts.append(context)

    def _watch_page(self, page) -> None:
        page.on("console", lambda message: self._console(page, message))
        page.on("pageerror", lambda error: self.problems.append(
            f"uncaught error on {page.url}: {error}"))

    def _console(self, page, message) -> None:
        if message.type == "error":
            source = message.location.get("url") or ""
            self.problems.append(f"console error on {page.url}: {message.text}"
                                 + (f" [{source}]" if source and source != page.url else ""))

    def expect(self, text: str) -> None:
        """Allow console errors containing `text` (e.g. the browser's own note that a page
        answered 401 or 429, which a test asks for on purpose)."""
        self.expected.append(text)

    def unexpected(self) -> list[str]:
        for context in self.contexts:
            for page in context.pages:
                try:  # a round trip delivers console events still on their way
                    page.evaluate("0")
                except Exception:  # noqa: BLE001 - a closed or navigating page has no events
                    pass
        return [p for p in self.problems if not any(text in p for text in self.expected)]


@pytest.fixture
def browser_problems(request) -> BrowserProblems:
    problems = BrowserProblems()
    request.node.browser_problems = problems
    return problems


@pytest.fixture
def new_context(new_context, browser_problems):
    """pytest-playwright's context factory, with every context watched for problems."""

    def make(**kwargs):
        context = new_context(**kwargs)
        browser_problems.watch(context)
        return context

    return make


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    result = yield
    problems = getattr(item, "browser_problems", None)
    if problems is not None:
        found = problems.unexpected()
        assert not found, "the browser reported problems:\n" + "\n".join(found)
    return result


# --- helpers used by the tests ------------------------------------------------------------------

def log_in(page, email: str, password: str = DEMO_PASSWORD, base: str = "") -> None:
    page.goto(f"{base}/login")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def log_out(page) -> None:
    page.get_by_role("button", name="Log out").click()
