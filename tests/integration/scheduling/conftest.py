"""Fixtures of the scheduling tests: a certification to schedule audits for, people with
auditor records, and helpers to post forms with their CSRF token."""

from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from sqlalchemy import event
from sqlmodel import select

from auditkit import db as database
from auditkit.models import Audit, AuditTeamMember, PolicyValue
from tests import factories
from tests.conftest import csrf_from

START = date.today() + timedelta(days=90)
END = START + timedelta(days=2)


@pytest.fixture
def arrange(app):
    """A session for arranging data, committed when the block ends."""

    @contextmanager
    def session():
        with app.app_context(), database.write_intent():
            db = database.session()
            yield db
            db.commit()

    return session


@dataclass
class World:
    client_id: int
    other_client_id: int
    certification_id: int
    cycle_id: int
    site_id: int
    other_site_id: int


@pytest.fixture
def world(arrange) -> World:
    """An ISO/IEC 27001 client in its first cycle, with a site, and another client."""
    with arrange() as db:
        client = factories.make_client(db, "Lumen Test Analytics Ltd")
        other = factories.make_client(db, "Other Test Client Ltd")
        certification, cycle = factories.make_certification_in_cycle(
            db, client, decision_date=START - timedelta(days=300))
        site = factories.make_site(db, client.id, "Head office")
        other_site = factories.make_site(db, other.id, "Elsewhere")
        return World(client.id, other.id, certification.id, cycle.id, site.id, other_site.id)


@pytest.fixture
def person(make_user, arrange):
    """A staff member with an auditor record: qualifications as (scheme, role, valid_from,
    valid_until, areas) tuples, languages, engagements as (client_id, kind, ended_on)."""

    def make(name: str, *, roles=("auditor",), qualifications=(("iso27001", "lead_auditor"),),
             languages: str = "English", engagements=()):
        user = make_user(*roles, full_name=name)
        with arrange() as db:
            for scheme, role, *rest in qualifications:
                valid_from = rest[0] if len(rest) > 0 else None
                valid_until = rest[1] if len(rest) > 1 else None
                areas = rest[2] if len(rest) > 2 else ""
                factories.make_qualification(db, user.id, scheme, role, valid_from=valid_from,
                                             valid_until=valid_until, areas=areas)
            factories.set_auditor_languages(db, user.id, languages)
            for client_id, kind, ended_on in engagements:
                factories.make_engagement(db, user.id, client_id, kind, ended_on)
        return user

    return make


@pytest.fixture
def make_audit(arrange, world):
    def make(audit_type: str = "surveillance", start: date = START, end: date = END, *,
             certification_id: int | None = None, status: str = "planned", team=(),
             objection_allowed: bool = True):
        """`team` holds (user or name, role, declared) triples; a name is a person without a
        login."""
        with arrange() as db:
            audit = Audit(certification_id=certification_id or world.certification_id,
                          cycle_id=None if audit_type in ("stage1", "stage2") else world.cycle_id,
                          audit_type=audit_type, status=status, start_date=start, end_date=end,
                          client_objection_allowed=objection_allowed)
            db.add(audit)
            db.flush()
            for who, role, declared in team:
                if isinstance(who, str):
                    factories.make_team_member(db, audit.id, None, role, person_name=who,
                                               declared=declared)
                else:
                    factories.make_team_member(db, audit.id, who.id, role, declared=declared)
            return audit.id

    return make


@pytest.fixture
def set_policy(arrange):
    def set_value(name: str, value: str):
        with arrange() as db:
            db.add(PolicyValue(name=name, value=value))

    return set_value


def form_post(client, page_url: str, action: str, data: dict, **kwargs):
    """Open the page (as a user would) and post one of its forms with the page's token."""
    page = client.get(page_url)
    assert page.status_code == 200, page.get_data(as_text=True)[:500]
    return client.post(action, data={**data, "csrf_token": csrf_from(page.get_data(as_text=True))},
                       **kwargs)


def audit_row(dbs, audit_id: int) -> Audit:
    dbs.expire_all()
    return dbs.exec(select(Audit).where(Audit.id == audit_id)).one()


def team_of(dbs, audit_id: int) -> list[AuditTeamMember]:
    dbs.expire_all()
    return list(dbs.exec(select(AuditTeamMember).where(AuditTeamMember.audit_id == audit_id)
                         .order_by(AuditTeamMember.id)))


def add_member(client, dbs, audit_id: int, *, user=None, name: str = "", role: str = "auditor"):
    return form_post(client, f"/audits/{audit_id}", f"/audits/{audit_id}/team", {
        "user_id": str(user.id) if user is not None else "", "person_name": name,
        "team_role": role, "version": str(audit_row(dbs, audit_id).version)})


def confirm(client, dbs, audit_id: int):
    return form_post(client, f"/audits/{audit_id}", f"/audits/{audit_id}/confirm",
                     {"version": str(audit_row(dbs, audit_id).version)})


@pytest.fixture
def count_statements(app):
    """Counts the SQL statements sent to the database inside the block."""
    engine = app.extensions["auditkit.engine"]

    @contextmanager
    def counting():
        statements: list[str] = []

        def before(_conn, _cursor, statement, _params, _context, _many):
            statements.append(statement)

        event.listen(engine, "before_cursor_execute", before)
        try:
            yield statements
        finally:
            event.remove(engine, "before_cursor_execute", before)

    return counting
