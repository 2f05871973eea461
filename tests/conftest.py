"""Shared fixtures. Integration tests run on SQLite always and on PostgreSQL too when
AUDITKIT_TEST_POSTGRES_URL is set; each test starts from empty tables (a fresh database
made once per run, emptied after every test)."""

import os
import re
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlmodel import Session, SQLModel

from auditkit import create_app, db
from auditkit.config import Config
from auditkit.migrate import upgrade_database
from tests import factories

POSTGRES_URL = os.environ.get("AUDITKIT_TEST_POSTGRES_URL")
BACKENDS = ["sqlite", "postgres"]


def _postgres_database(base_url: str):
    name = f"auditkit_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base_url.replace("postgresql://", "postgresql+psycopg://", 1),
                          isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = base_url.rsplit("/", 1)[0] + f"/{name}"

    def drop():
        with admin.connect() as conn:
            conn.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              f"WHERE datname = '{name}' AND pid <> pg_backend_pid()"))
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()

    return url, drop


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request, tmp_path_factory):
    if request.param == "postgres":
        if not POSTGRES_URL:
            pytest.skip("AUDITKIT_TEST_POSTGRES_URL is not set")
        url, drop = _postgres_database(POSTGRES_URL)
        request.addfinalizer(drop)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'auditkit.sqlite3'}"
    engine = db.make_engine(url)
    upgrade_database(engine)
    engine.dispose()
    return url


def _empty_tables(engine) -> None:
    tables = [t.name for t in reversed(SQLModel.metadata.sorted_tables)]
    with db.write_intent(), engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(text(f"DELETE FROM {table}"))


@pytest.fixture
def app(database_url, tmp_path):
    config = Config(instance_dir=tmp_path / "instance", database_url=database_url,
                    secret_key="test-secret-key", testing=True)
    application = create_app(config)
    yield application
    engine = application.extensions["auditkit.engine"]
    _empty_tables(engine)
    engine.dispose()


class FreshSession(Session):
    """Commits before every read, so that a check sees what requests committed since
    (a SQLite transaction keeps the snapshot it started with)."""

    def exec(self, *args, **kwargs):
        self.commit()
        return super().exec(*args, **kwargs)

    def get(self, *args, **kwargs):
        self.commit()
        return super().get(*args, **kwargs)


@pytest.fixture
def dbs(app):
    """A session for arranging and checking data, outside any request and app context
    (an open app context would be shared by the test client's requests)."""
    with FreshSession(app.extensions["auditkit.engine"], expire_on_commit=False) as session:
        yield session
        session.rollback()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def make_user(app):
    def make(*roles, **kwargs):
        with app.app_context(), db.write_intent():
            user = factories.make_user(db.session(), *roles, **kwargs)
            db.session().commit()
            return user

    return make


@pytest.fixture
def make_client(app):
    def make(name=None):
        with app.app_context(), db.write_intent():
            client = factories.make_client(db.session(), name)
            db.session().commit()
            return client

    return make


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1) or match.group(2)


def csrf_token(client, path: str = "/login") -> str:
    return csrf_from(client.get(path).get_data(as_text=True))


def login(client, email: str, password: str = factories.PASSWORD, next_path: str = ""):
    token = csrf_token(client, "/login")
    return client.post("/login", data={"email": email, "password": password,
                                       "csrf_token": token, "next": next_path})


@pytest.fixture
def login_as(client, make_user):
    """Create a user with these roles and log the test client in as them."""

    def do(*roles, **kwargs):
        user = make_user(*roles, **kwargs)
        response = login(client, user.email)
        assert response.status_code == 302, response.get_data(as_text=True)
        return user

    return do


def pytest_collection_modifyitems(config, items):
    for item in items:
        if Path(str(item.fspath)).parts[-2] == "e2e":
            item.add_marker(pytest.mark.e2e)
