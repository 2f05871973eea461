"""The `auditkit` command as a user runs it."""

import os
import signal
import socket
import subprocess
import sys
import time

import pytest
from sqlmodel import select

from auditkit.demo import DEMO_PASSWORD, DEMO_USERS
from auditkit.models import User, UserRole


def test_init_twice_keeps_the_database(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["init"])
    second = runner.invoke(args=["init"])
    assert first.exit_code == 0 and second.exit_code == 0, second.output
    assert "Database ready at revision" in second.output


def test_demo_loads_one_user_per_role_once(app, dbs):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert "Demo body loaded." in first.output and DEMO_PASSWORD in first.output
    assert "already present" in runner.invoke(args=["demo"]).output
    roles = {row.role for row in dbs.exec(select(UserRole))}
    assert roles == {"admin", "programme_manager", "auditor", "reviewer", "auditee"}
    assert len(dbs.exec(select(User)).all()) == len(DEMO_USERS)


def test_create_user_from_stdin(app, dbs, make_client):
    organisation = make_client("Quay Logistics")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-user", "contact@quay.test", "--role", "auditee",
                                 "--client", str(organisation.id), "--password-stdin"],
                           input="tide-lantern-copper-93\n")
    assert result.exit_code == 0, result.output
    user = dbs.exec(select(User).where(User.email == "contact@quay.test")).one()
    assert user.client_id == organisation.id


@pytest.mark.parametrize(("args", "message"), [
    (["--role", "inspector"], "Unknown role"),
    (["--role", "auditee"], "belongs to one client organisation"),
    (["--role", "auditor", "--client", "99999"], "Only auditees belong"),
])
def test_create_user_refuses_bad_input(app, dbs, args, message):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-user", "someone@example.test", *args,
                                 "--password-stdin"], input="tide-lantern-copper-93\n")
    assert result.exit_code != 0
    assert message in result.output
    assert dbs.exec(select(User)).all() == []


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_port(port: int) -> None:
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"nothing listens on port {port}")


def _demo_login_status(port: int) -> int:
    """Log in as the demo administrator over HTTP; the status of the login POST."""
    import http.cookiejar
    import re
    import urllib.parse
    import urllib.request

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect())
    base = f"http://127.0.0.1:{port}"
    form = opener.open(f"{base}/login", timeout=10).read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form).group(1)
    data = urllib.parse.urlencode({"csrf_token": token, "email": DEMO_USERS[0][0],
                                   "password": DEMO_PASSWORD}).encode()
    try:
        return opener.open(f"{base}/login", data=data, timeout=10).status
    except urllib.error.HTTPError as answer:
        return answer.code


def _serve_until_ready(cwd, port: int, while_running=None) -> str:
    command = [sys.executable, "-m", "auditkit", "serve", "--demo", "--port", str(port)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("AUDITKIT_")}
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    lines = []
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            lines.append(line)
            if "is running at" in line:
                _wait_for_port(port)
                if while_running:
                    lines.append(f"while running: {while_running(port)}\n")
                break
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
    return "".join(lines)


@pytest.mark.slow
def test_serve_demo_prints_address_and_logins_and_reuses_its_database(tmp_path):
    output = _serve_until_ready(tmp_path, _free_port())
    port = _free_port()
    assert "auditkit is running at http://127.0.0.1:" in output
    assert "Demo body loaded." in output
    for email, *_ in DEMO_USERS:
        assert email in output
    assert (tmp_path / "instance" / "auditkit.sqlite3").exists()
    again = _serve_until_ready(tmp_path, port, while_running=_demo_login_status)
    assert f"http://127.0.0.1:{port}/" in again
    assert "Demo body already present" in again and "Demo logins" in again
    # The second run must not hold the database: the demo administrator logs in at once.
    assert "while running: 302" in again, again
