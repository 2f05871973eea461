"""The demo client's Statements of Applicability (auditkit.soa.demo_data)."""

from sqlmodel import select

from auditkit.models import SoAEntry, StatementOfApplicability, User
from auditkit.soa.demo_data import seed_demo
from tests import factories
from tests.integration.soa.conftest import revisions


def test_the_demo_client_gets_two_42001_revisions_and_one_27001(arrange, dbs):
    def build(db):
        client = factories.make_client(db, "Lumen Analytics Ltd (demo client)")
        manager = factories.make_user(db, "programme_manager",
                                      email="manager@demo.auditkit.test")
        other = factories.make_user(db, "auditor", email="auditor@demo.auditkit.test")
        seed_demo(db, client, {manager.email: manager, other.email: other})
        seed_demo(db, client, [other, manager])  # a second run adds nothing
        return client.id, manager.id

    client_id, manager_id = arrange(build)
    aims = revisions(dbs, client_id, "iso42001")
    isms = revisions(dbs, client_id, "iso27001")
    assert [(r.revision, r.client_version_label) for r in aims] == [(1, "v1.0"), (2, "v1.1")]
    assert [(r.revision, r.client_version_label) for r in isms] == [(1, "v2.3")]
    assert {r.created_by_id for r in aims + isms} == {manager_id}
    assert aims[0].created_at < aims[1].created_at
    assert aims[0].client_version_date < aims[1].client_version_date
    for soa, controls in ((aims[0], 38), (aims[1], 38), (isms[0], 93)):
        entries = dbs.exec(select(SoAEntry).where(SoAEntry.soa_id == soa.id)).all()
        assert len(entries) == controls
        excluded = [e for e in entries if not e.applicable]
        assert 2 <= len(excluded) <= 3
        assert all(e.justification.strip() and e.implementation_status is None
                   for e in excluded)
        statuses = {e.implementation_status for e in entries if e.applicable}
        assert len(statuses) >= 3  # a mix, not everything implemented
    assert len(dbs.exec(select(StatementOfApplicability)).all()) == 3
    assert len(dbs.exec(select(User)).all()) == 2
