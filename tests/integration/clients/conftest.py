"""Fixtures and helpers of the client screen tests."""

import re

import pytest
from sqlalchemy import event

from auditkit import db as database
from tests import factories
from tests.conftest import csrf_from

VERSION_RE = re.compile(r'name="version" type="hidden" value="(\d*)"')


def page_parts(client, path: str) -> tuple[str, str]:
    """(CSRF token, version) of the form on a page."""
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)
    html = response.get_data(as_text=True)
    match = VERSION_RE.search(html)
    return csrf_from(html), match.group(1) if match else ""


def rows(prefix: str, items: list[dict]) -> dict:
    """Form fields of a list of rows: sites-0-name, sites-0-kind, ..."""
    data = {}
    for index, item in enumerate(items):
        for name, value in item.items():
            data[f"{prefix}-{index}-{name}"] = value
    return data


def save(client, path: str, data: dict, version: str | None = None):
    token, current = page_parts(client, path)
    payload = {"csrf_token": token, "version": current if version is None else version}
    payload.update(data)
    return client.post(path, data=payload)


@pytest.fixture
def arrange(app):
    """Run `build(db)` in a committed transaction of its own and return its result."""

    def run(build):
        with app.app_context(), database.write_intent():
            result = build(database.session())
            database.session().commit()
            return result

    return run


@pytest.fixture
def organisation(arrange):
    """A client with a central function, a virtual site and 42001 personnel."""

    def build(db):
        client = factories.make_client(db, "Orchid Data Ltd")
        central = factories.make_site(db, client.id, "Head office", "central_function", 30)
        virtual = factories.make_site(db, client.id, "Cloud platform", "virtual", 5)
        factories.set_scheme_personnel(db, client.id, "iso42001", 35, 9, "developer")
        return {"id": client.id, "central": central.id, "virtual": virtual.id}

    return arrange(build)


class StatementCounter:
    def __init__(self):
        self.count = 0

    def __call__(self, *_args, **_kwargs):
        self.count += 1


@pytest.fixture
def count_statements(app):
    """Count the SQL statements the app's engine runs inside a `with` block."""
    engine = app.extensions["auditkit.engine"]

    class Counting:
        def __enter__(self):
            self.counter = StatementCounter()
            event.listen(engine, "before_cursor_execute", self.counter)
            return self.counter

        def __exit__(self, *exc):
            event.remove(engine, "before_cursor_execute", self.counter)

    return Counting
