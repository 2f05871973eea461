"""An audit keeps the checklist version it started with: scheduling pins the version of each
scheme's checklist, a later edit of the file never changes a pinned audit, and the audit page
says which version it uses."""

from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from sqlmodel import SQLModel, func, select

from auditkit import create_app
from auditkit import db as database
from auditkit.config import Config
from auditkit.demo import load_demo
from auditkit.models import Audit, AuditChecklist, ChecklistVersion
from auditkit.standards.catalogue import body_dir, shipped_checklists
from auditkit.standards.versions import (
    content_hash,
    content_json,
    pin_checklists,
    pinned_checklist,
    record_versions,
)
from tests import factories
from tests.conftest import POSTGRES_URL, _postgres_database, csrf_from

START = date.today() + timedelta(days=90)
BODY_EDITION = "ISO/IEC 42001:2023 Northgate"  # certification_scheme.edition is 40 chars
BODY_KEY = "northgate-iso42001"
BODY_FILE = """\
framework: iso42001
edition: "{edition}"
items:
  - id: "4"
    title: "Context of the organization"
    kind: clause
    parent: null
    assessable: false
  - id: "4.1"
    title: "{title}"
    kind: clause
    parent: "4"
    assessable: true
"""


def _shipped(key: str):
    return next(c for c in shipped_checklists() if c.key == key)


@pytest.fixture
def arrange(app):
    @contextmanager
    def session(on=None):
        with (on or app).app_context(), database.write_intent():
            db = database.session()
            yield db
            db.commit()

    return session


@pytest.fixture
def restart(app):
    """The app started again on the same database and instance folder (the body's checklist
    files are read at start-up)."""
    started = []

    def start():
        started.append(create_app(app.config["AUDITKIT"]))
        return started[-1]

    yield start
    for other in started:
        other.extensions["auditkit.engine"].dispose()


def _write_body_file(app, title: str) -> None:
    folder = body_dir(app.config["AUDITKIT"].instance_dir)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{BODY_KEY}.yaml").write_text(BODY_FILE.format(edition=BODY_EDITION, title=title),
                                             encoding="utf-8")


def _certification(db, schemes, edition=None):
    client = factories.make_client(db)
    certification, _cycle = factories.make_certification_in_cycle(
        db, client, decision_date=START - timedelta(days=300), schemes=schemes)
    if edition is not None:
        from auditkit.models import CertificationScheme

        for row in db.exec(select(CertificationScheme).where(
                CertificationScheme.certification_id == certification.id)):
            row.edition = edition
            db.add(row)
        db.flush()
    return certification


def _pins(dbs, audit_id: int) -> dict[str, str]:
    dbs.expire_all()
    return {pin.checklist_key: pin.checklist_version_id for pin in dbs.exec(
        select(AuditChecklist).where(AuditChecklist.audit_id == audit_id))}


def _schedule(client, certification_id: int):
    url = f"/certifications/{certification_id}/audits/new"
    page = client.get(url)
    assert page.status_code == 200
    return client.post(url, data={
        "audit_type": "surveillance", "start_date": f"{START:%Y-%m-%d}",
        "end_date": f"{START + timedelta(days=1):%Y-%m-%d}", "mode": "on_site", "ict_tool": "",
        "planned_days": "2", "language": "English", "client_objection_allowed": "y",
        "stage1_still_valid_note": "", "csrf_token": csrf_from(page.get_data(as_text=True))})


def test_scheduling_pins_the_checklist_of_each_scheme(client, login_as, arrange, dbs, app):
    login_as("programme_manager")
    with arrange() as db:
        certification_id = _certification(db, ("iso42001", "iso27001")).id
    response = _schedule(client, certification_id)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    audit_id = dbs.exec(select(Audit.id)).one()
    iso42001, iso27001 = _shipped("iso42001-2023"), _shipped("iso27001-2022")
    assert _pins(dbs, audit_id) == {"iso42001-2023": content_hash(iso42001),
                                    "iso27001-2022": content_hash(iso27001)}
    stored = dbs.get(ChecklistVersion, content_hash(iso42001))
    assert stored.content_json == content_json(iso42001)
    assert (stored.checklist_key, stored.framework, stored.edition, stored.source) == (
        "iso42001-2023", "iso42001", "ISO/IEC 42001:2023", "shipped")
    with app.app_context():
        rebuilt = pinned_checklist(database.session(), audit_id, "iso42001-2023")
    assert rebuilt.items == iso42001.items  # ids, titles, kinds, parents, guidance, tree
    assert (rebuilt.key, rebuilt.edition, rebuilt.source) == (iso42001.key, iso42001.edition,
                                                             iso42001.source)


def test_audit_page_names_the_pinned_version(client, login_as, arrange, dbs):
    login_as("programme_manager")
    with arrange() as db:
        certification_id = _certification(db, ("iso42001",)).id
    _schedule(client, certification_id)
    audit_id = dbs.exec(select(Audit.id)).one()
    pin = dbs.exec(select(AuditChecklist)).one()
    page = client.get(f"/audits/{audit_id}").get_data(as_text=True)
    version = content_hash(_shipped("iso42001-2023"))
    assert (f'Checklist: <a href="/checklists/iso42001-2023">ISO/IEC 42001:2023</a>, version '
            f'<code title="{version}">{version[:12]}</code>, '
            f"pinned {pin.pinned_at:%Y-%m-%d}") in page
    assert client.get("/checklists/iso42001-2023").status_code == 200


def test_an_edited_body_file_never_changes_a_pinned_audit(app, arrange, restart, dbs):
    _write_body_file(app, "Understanding the organization and its context")
    first = restart()
    assert first.extensions["auditkit.checklists"].get(BODY_KEY) is not None
    with arrange(first) as db:
        own = _certification(db, ("iso42001",), edition=BODY_EDITION)
        standard = _certification(db, ("iso42001",))
        before = factories.make_programme_audit(db, own, "surveillance", START)
        other = factories.make_programme_audit(db, standard, "surveillance", START)
        pin_checklists(db, before)
        pin_checklists(db, other)
        own_id, before_id, other_id = own.id, before.id, other.id
    old_version = _pins(dbs, before_id)[BODY_KEY]
    # the shipped checklist wins unless the certification names the body's edition
    assert _pins(dbs, other_id) == {"iso42001-2023": content_hash(_shipped("iso42001-2023"))}

    _write_body_file(app, "Organisation and its context (body wording)")
    second = restart()
    with arrange(second) as db:
        assert pin_checklists(db, db.get(Audit, before_id)) == []
        after = factories.make_programme_audit(db, db.get(type(own), own_id), "surveillance",
                                               START + timedelta(days=30))
        pin_checklists(db, after)
        after_id = after.id
    new_version = _pins(dbs, after_id)[BODY_KEY]
    assert _pins(dbs, before_id) == {BODY_KEY: old_version}
    assert new_version != old_version
    assert dbs.exec(select(func.count()).select_from(ChecklistVersion)
                    .where(ChecklistVersion.checklist_key == BODY_KEY)).one() == 2

    (body_dir(app.config["AUDITKIT"].instance_dir) / f"{BODY_KEY}.yaml").unlink()
    third = restart()
    assert third.extensions["auditkit.checklists"].get(BODY_KEY) is None
    with third.app_context():
        kept = pinned_checklist(database.session(), before_id, BODY_KEY)
        changed = pinned_checklist(database.session(), after_id, BODY_KEY)
    assert kept.item("4.1").title == "Understanding the organization and its context"
    assert changed.item("4.1").title == "Organisation and its context (body wording)"
    assert kept.item("4").children == ("4.1",) and kept.item("4.1").depth == 1
    assert kept.edition == BODY_EDITION and str(kept.source) == "body"


def test_pinning_twice_adds_nothing(app, arrange, dbs):
    with arrange() as db:
        certification = _certification(db, ("iso42001", "iso9001"))
        audit = factories.make_programme_audit(db, certification, "surveillance", START)
        assert len(pin_checklists(db, audit)) == 2
        audit_id = audit.id
    first_seen = {v.id: v.first_seen_at for v in dbs.exec(select(ChecklistVersion))}
    with arrange() as db:
        assert pin_checklists(db, db.get(Audit, audit_id)) == []
        record_versions(db, shipped_checklists())
    dbs.expire_all()
    assert dbs.exec(select(func.count()).select_from(AuditChecklist)).one() == 2
    versions = {v.id: v.first_seen_at for v in dbs.exec(select(ChecklistVersion))}
    assert len(versions) == len(shipped_checklists())  # the third shipped one added once
    assert all(versions[key] == seen for key, seen in first_seen.items())


def test_every_demo_audit_is_pinned(app, dbs):
    with app.app_context():
        assert load_demo()
    audits = set(dbs.exec(select(Audit.id)))
    pinned = set(dbs.exec(select(AuditChecklist.audit_id)))
    assert audits and pinned == audits


def test_pinned_versions_survive_backup_and_restore(app, arrange, tmp_path, database_url):
    """Backup dumps every table: the versions and pins come back byte for byte, into SQLite or
    PostgreSQL (the round trip crosses engines when PostgreSQL is available)."""
    with arrange() as db:
        audit = factories.make_programme_audit(db, _certification(db, ("iso42001",)),
                                               "surveillance", START)
        pin_checklists(db, audit)
        audit_id = audit.id
    archive = tmp_path / "auditkit.zip"
    result = app.test_cli_runner().invoke(args=["backup", str(archive)])
    assert result.exit_code == 0, result.output
    drop = None
    if database_url.startswith("sqlite") and POSTGRES_URL:
        url, drop = _postgres_database(POSTGRES_URL)
    else:
        url = f"sqlite:///{tmp_path / 'fresh' / 'auditkit.sqlite3'}"
    fresh = create_app(Config(instance_dir=tmp_path / "fresh", database_url=url,
                              secret_key="fresh-secret-key", testing=True))
    try:
        result = fresh.test_cli_runner().invoke(args=["restore", str(archive)])
        assert result.exit_code == 0, result.output
        for table in ("checklist_version", "audit_checklist"):
            assert _rows(fresh, table) == _rows(app, table) != []
        with fresh.app_context():
            restored = pinned_checklist(database.session(), audit_id, "iso42001-2023")
        assert content_hash(restored) == content_hash(_shipped("iso42001-2023"))
    finally:
        fresh.extensions["auditkit.engine"].dispose()
        if drop:
            drop()


def _rows(app, table_name: str) -> list[dict]:
    table = SQLModel.metadata.tables[table_name]
    with app.extensions["auditkit.engine"].connect() as conn:
        return sorted((dict(row) for row in conn.execute(select(table)).mappings()),
                      key=lambda row: [str(row[key]) for key in sorted(row)])
