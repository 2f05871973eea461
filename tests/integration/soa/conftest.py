"""Fixtures and helpers of the Statement of Applicability screen tests."""

import html as html_text
import re
from contextlib import contextmanager

import pytest
from sqlalchemy import event
from sqlmodel import select

from auditkit import db as database
from auditkit.models import SoAEntry, StatementOfApplicability
from auditkit.models.clients import Scheme
from auditkit.soa.services import annex_a
from tests import factories
from tests.conftest import csrf_from

AIMS_CONTROLS = [control.id for control in annex_a(Scheme.ISO42001).controls]
BASE_RE = re.compile(r'name="base_revision" type="hidden" value="(\d*)"')


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
    """A client with revision 1 of its ISO/IEC 42001 SoA (A.7.3 excluded)."""

    def build(db):
        client = factories.make_client(db, "Orchid Data Ltd")
        factories.make_soa_revision(db, client.id, "iso42001", "v1.0", {
            "A.7.3": (False, "No data bought from third parties", None),
            "A.8.4": (True, "Incidents told to customers", "planned")})
        return client.id

    return arrange(build)


def soa_url(client_id: int, tail: str = "", scheme: str = "iso42001") -> str:
    return f"/clients/{client_id}/soa/{scheme}{tail}"


def revisions(dbs, client_id: int, scheme: str = "iso42001") -> list[StatementOfApplicability]:
    dbs.expire_all()
    return list(dbs.exec(select(StatementOfApplicability)
                         .where(StatementOfApplicability.client_id == client_id,
                                StatementOfApplicability.scheme == scheme)
                         .order_by(StatementOfApplicability.revision)))


def entries_of(dbs, soa_id: int) -> dict[str, tuple]:
    return {e.control_id: (e.applicable, e.justification, e.implementation_status)
            for e in dbs.exec(select(SoAEntry).where(SoAEntry.soa_id == soa_id))}


def edit_form(client, client_id: int, scheme: str = "iso42001") -> dict:
    """The edit form's fields as the page fills them (the current revision's answers)."""
    response = client.get(soa_url(client_id, "/edit", scheme))
    assert response.status_code == 200, response.get_data(as_text=True)
    html = response.get_data(as_text=True)
    data = {"csrf_token": csrf_from(html), "base_revision": BASE_RE.search(html).group(1),
            "client_version_label": "", "client_version_date": "", "note": ""}
    for control in annex_a(Scheme(scheme)).controls:
        data.update(_row_fields(html, control.id))
    return data


def _row_fields(html: str, control_id: str) -> dict:
    field_id = control_id.replace(".", "-")
    row = html.split(f'id="edit-{field_id}"', 1)[1].split("</tr>", 1)[0]
    selected = re.findall(r'<select id="(\w+)-[^"]*" name="[^"]*">\s*(.*?)</select>', row, re.S)
    values = {}
    for kind, options in selected:
        chosen = re.search(r'<option value="([^"]*)" selected>', options)
        values[f"{kind}-{control_id}"] = chosen.group(1) if chosen else ""
    values[f"justification-{control_id}"] = html_text.unescape(re.search(
        r'name="justification-[^"]*" value="([^"]*)"', row).group(1))
    return values


@contextmanager
def counted_statements(app):
    """Count the SQL statements the app's engine runs inside the block."""
    statements: list[str] = []
    engine = app.extensions["auditkit.engine"]

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)
