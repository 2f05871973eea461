"""T05 through the app: stored hashes, rehash on login, the length rule, long and Unicode
passwords, common and context words refused, and bad input refused alike by the admin screen
and `auditkit create-user --password-stdin`."""

import html

import pytest
from argon2 import PasswordHasher, Type

from auditkit import db as database
from auditkit.accounts import passwords
from auditkit.admin import services as admin_services
from tests.conftest import csrf_token, login
from tests.factories import PASSWORD
from tests.security.support import digest, set_password_hash, user_row
from tests.unit.test_passwords import parameters

pytestmark = pytest.mark.auth

BODY_NAME = "Northgate Certification"
LONG_64 = ("Seven-quiet-harbours-hold-amber-light-" * 2)[:64]
UNICODE = "Grüße-aus-Köln-über-den-Fluß-42"
EMOJI = "🌊 tide, 🌲 pine & 🔥 ember — 北海道 2031"
LEN_12 = "Qm7-vexa-Lot"
LEN_256 = ("Qm7-vexa-Lotr-" * 20)[:256]
LEN_257 = ("Qm7-vexa-Lotr-" * 20)[:257]


@pytest.fixture
def body(app):
    with app.app_context(), database.write_intent():
        admin_services.ensure_body(database.session(), BODY_NAME)
        database.session().commit()


@pytest.fixture
def admin_client(app, body, make_user):
    make_user("admin", email="head.admin@example.test", full_name="Head Admin")
    client = app.test_client()
    assert login(client, "head.admin@example.test").status_code == 302
    return client


class Channels:
    """Create a user through the admin screen or the command line; same questions, same
    answers."""

    def __init__(self, app, admin_client):
        self.app = app
        self.admin_client = admin_client

    def create(self, channel: str, *, email: str, password: str, roles=("auditor",),
               full_name: str = "") -> tuple[bool, str]:
        if channel == "ui":
            token = csrf_token(self.admin_client, "/admin/users/new")
            response = self.admin_client.post("/admin/users/new", data={
                "email": email, "full_name": full_name or email.split("@")[0],
                "roles": list(roles), "client_id": "", "password": password,
                "csrf_token": token})
            assert response.status_code in (302, 422), response.status_code
            return response.status_code == 302, html.unescape(response.get_data(as_text=True))
        args = ["create-user", email, "--password-stdin"]
        for role in roles:
            args += ["--role", role]
        if full_name:
            args += ["--name", full_name]
        result = self.app.test_cli_runner().invoke(args=args, input=password + "\n")
        assert "Traceback" not in result.output
        return result.exit_code == 0, result.output


@pytest.fixture
def channels(app, admin_client):
    return Channels(app, admin_client)


CHANNELS = ["ui", "cli"]


@pytest.mark.parametrize("channel", CHANNELS)
def test_stored_hash_is_argon2id_with_owasp_parameters(app, channels, channel):
    ok, output = channels.create(channel, email="hash.check@example.test", password=PASSWORD)
    assert ok, output
    stored = user_row(app, "hash.check@example.test").password_hash
    assert stored.startswith("$argon2id$")
    found = parameters(stored)
    assert found["m"] >= 19456 and found["t"] >= 2
    assert PASSWORD not in stored


def test_login_rehashes_a_hash_made_with_lower_parameters(app, make_user):
    user = make_user("auditor")
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1, type=Type.ID)
    set_password_hash(app, user.id, weak.hash(PASSWORD))
    assert parameters(user_row(app, user.email).password_hash) == {"m": 8192, "t": 1, "p": 1}
    assert login(app.test_client(), user.email).status_code == 302
    stored = user_row(app, user.email).password_hash
    assert parameters(stored) == parameters(passwords.hash_password("x" * 12))
    assert passwords.verify_password(stored, PASSWORD)
    assert login(app.test_client(), user.email).status_code == 302
    assert user_row(app, user.email).password_hash == stored  # no rehash when current


def test_login_rehashes_when_the_app_raises_its_parameters(app, make_user, monkeypatch):
    user = make_user("auditor")
    before = user_row(app, user.email).password_hash
    stronger = PasswordHasher(time_cost=3, memory_cost=19456 * 2, parallelism=1, type=Type.ID)
    monkeypatch.setattr(passwords, "hasher", stronger)
    assert login(app.test_client(), user.email).status_code == 302
    after = user_row(app, user.email).password_hash
    assert after != before
    assert parameters(after) == {"m": 19456 * 2, "t": 3, "p": 1}


def test_failed_login_does_not_rehash(app, make_user):
    user = make_user("auditor")
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1, type=Type.ID).hash(
        PASSWORD)
    set_password_hash(app, user.id, weak)
    assert login(app.test_client(), user.email, "not-the-password-at-all").status_code == 401
    assert user_row(app, user.email).password_hash == weak


LENGTHS = [(LEN_12[:11], False), (LEN_12, True), (LEN_256, True), (LEN_257, False)]


@pytest.mark.parametrize("channel", CHANNELS)
def test_length_rule_and_login(app, channels, channel, subtests):
    for password, accepted in LENGTHS:
        with subtests.test(length=len(password)):
            email = f"len{len(password)}@example.test"
            before = digest(app)
            ok, output = channels.create(channel, email=email, password=password)
            assert ok is accepted, output
            if accepted:
                assert login(app.test_client(), email, password).status_code == 302
            else:
                assert ("at least 12 characters" if len(password) < 12 else
                        "at most 256 characters") in output
                assert digest(app) == before


@pytest.mark.parametrize("channel", CHANNELS)
def test_long_and_unicode_passwords_work_for_login(app, channels, channel, subtests):
    for number, password in enumerate([LONG_64, UNICODE, EMOJI]):
        with subtests.test(password=password):
            email = f"unicode.user{number}@example.test"
            ok, output = channels.create(channel, email=email, password=password)
            assert ok, output
            assert login(app.test_client(), email, password).status_code == 302
            assert login(app.test_client(), email, password[:-1]).status_code == 401


def test_unicode_password_set_by_the_user_works(app, make_user):
    user = make_user("auditor")
    client = app.test_client()
    login(client, user.email)
    token = csrf_token(client, "/account/password")
    response = client.post("/account/password", data={
        "current_password": PASSWORD, "new_password": UNICODE, "confirm_password": UNICODE,
        "csrf_token": token})
    assert response.status_code == 302
    assert login(app.test_client(), user.email, UNICODE).status_code == 302


# --- refused passwords and bad input: nothing changes, a clear message -------------------------

CONTEXT = "Do not use your name, e-mail address or the body's name"
REFUSALS = [
    # (email, full name, roles, password, message)
    ("weak.one@example.test", "", ["auditor"], "password1234", "commonly used"),
    ("weak.two@example.test", "", ["auditor"], "QWERTYUIOP123", "commonly used"),
    ("weak.three@example.test", "", ["auditor"], "1qaz2wsx3edc", "commonly used"),
    ("maria.schmidt@example.test", "", ["auditor"], "schmidt-river-lamp-9", CONTEXT),
    ("m.s@example.test", "Maria Schmidt", ["auditor"], "Maria-walks-the-dog-4", CONTEXT),
    ("b.c@example.test", "Bo Chen", ["auditor"], "northgate-tea-kettle-7", CONTEXT),
    ("short.one@example.test", "", ["auditor"], "Short-pw-1", "at least 12 characters"),
    ("inspector@example.test", "", ["inspector"], "tide-lantern-copper-93", "Unknown role"),
    ("taken@example.test", "", ["auditor"], "tide-lantern-copper-93", "already exists"),
    ("TAKEN@Example.TEST", "", ["auditor"], "tide-lantern-copper-93", "already exists"),
]


@pytest.mark.parametrize("channel", CHANNELS)
def test_bad_input_is_refused_with_a_clear_message_and_changes_nothing(
        app, channels, make_user, channel, subtests):
    make_user("auditor", email="taken@example.test")
    for email, full_name, roles, password, message in REFUSALS:
        with subtests.test(email=email, password=password):
            before = digest(app)
            ok, output = channels.create(channel, email=email, password=password, roles=roles,
                                         full_name=full_name)
            assert not ok
            assert message in output
            assert digest(app) == before


@pytest.mark.parametrize("channel", CHANNELS)
def test_empty_password_is_refused(app, channels, channel):
    before = digest(app)
    ok, output = channels.create(channel, email="empty@example.test", password="")
    assert not ok
    assert ("This field is required" if channel == "ui" else "Enter a password") in output
    assert digest(app) == before


def test_cli_reports_errors_on_stderr_style_with_nonzero_exit(app, body):
    result = app.test_cli_runner().invoke(
        args=["create-user", "x@example.test", "--role", "auditor", "--password-stdin"],
        input="password1234\n")
    assert result.exit_code == 1
    assert result.output.startswith("Error: ")
    assert "commonly used" in result.output


def test_own_password_change_and_admin_reset_use_the_same_policy(
        app, admin_client, make_user, subtests):
    user = make_user("auditor", email="maria.schmidt@example.test", full_name="Maria Schmidt")
    before = user_row(app, user.email).password_hash
    own = app.test_client()
    login(own, user.email)
    admin_token = csrf_token(admin_client, f"/admin/users/{user.id}")
    own_token = csrf_token(own, "/account/password")
    for password, message in [("password1234", "commonly used"),
                              ("schmidt-river-lamp-9", CONTEXT),
                              ("northgate-tea-kettle-7", CONTEXT),
                              ("Short-pw-1", "at least 12 characters")]:
        with subtests.test(password=password):
            reset = admin_client.post(f"/admin/users/{user.id}/password",
                                      data={"new_password": password, "csrf_token": admin_token})
            change = own.post("/account/password", data={
                "current_password": PASSWORD, "new_password": password,
                "confirm_password": password, "csrf_token": own_token})
            for response in (reset, change):
                assert response.status_code == 422
                assert message in html.unescape(response.get_data(as_text=True))
            assert user_row(app, user.email).password_hash == before
    assert own.get("/").status_code == 200  # nothing ended the user's session
