"""The demo clients (auditkit.clients.demo_data)."""

from sqlmodel import select

from auditkit import db as database
from auditkit.clients.demo_data import seed_demo
from auditkit.models import AISystem, Client, ClientContact, SchemePersonnel, Site
from auditkit.rules.audit_time import table_row
from tests import factories

DEMO_CLIENT = "Lumen Analytics Ltd (demo client)"


def _seed(app, runs: int = 1) -> int:
    with app.app_context(), database.write_intent():
        db = database.session()
        client = db.exec(select(Client).where(Client.name == DEMO_CLIENT)).first() \
            or factories.make_client(db, DEMO_CLIENT)
        for _ in range(runs):
            seed_demo(db, client)
        db.commit()
        return client.id


def test_demo_client_is_a_complete_42001_and_27001_client(app, client, login_as, dbs):
    client_id = _seed(app, runs=2)
    sites = dbs.exec(select(Site).where(Site.client_id == client_id)).all()
    assert sorted(s.kind for s in sites) == ["central_function", "permanent", "virtual"]
    personnel = {p.scheme: p for p in dbs.exec(
        select(SchemePersonnel).where(SchemePersonnel.client_id == client_id))}
    aims = personnel["iso42001"]
    assert {"iso42001", "iso27001"} <= set(personnel)
    assert aims.ai_personnel <= aims.effective_personnel
    # The shipped 42006 band covers it, so the 42001 audit time can be computed (§2.4).
    assert table_row("iso42001", aims.ai_personnel, ai_role=aims.ai_role).days > 0
    systems = dbs.exec(select(AISystem).where(AISystem.client_id == client_id)).all()
    assert len({s.risk_level for s in systems}) == 3
    assert len(dbs.exec(select(ClientContact).where(
        ClientContact.client_id == client_id)).all()) == 2
    assert len(dbs.exec(select(Client)).all()) == 4  # seeding twice adds nothing

    login_as("reviewer")
    page = client.get(f"/clients/{client_id}").get_data(as_text=True)
    assert "Credit limit advisor" in page and "London head office" in page
    assert 'id="client-warnings"' not in page
    listing = client.get("/clients").get_data(as_text=True)
    assert "Harrow Precision Castings Ltd (demo)" in listing
