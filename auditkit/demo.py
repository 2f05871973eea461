"""`auditkit demo`: a demo certification body a newcomer can log in to at once.

Each feature adds its part here, so that the first README command shows it working.
"""

from sqlmodel import select

from auditkit import db as database
from auditkit.accounts import services as accounts
from auditkit.admin.services import ensure_body
from auditkit.models import Client, User

DEMO_PASSWORD = "harbour-lantern-417"  # noqa: S105 - printed for the demo on purpose
DEMO_CLIENT = "Lumen Analytics Ltd (demo client)"
# email, full name, roles, belongs to the demo client
DEMO_USERS = (
    ("admin@demo.auditkit.test", "Demo Administrator", ("admin",), False),
    ("manager@demo.auditkit.test", "Demo Programme Manager", ("programme_manager",), False),
    ("auditor@demo.auditkit.test", "Demo Lead Auditor", ("auditor",), False),
    ("auditor2@demo.auditkit.test", "Demo Second Auditor", ("auditor",), False),
    ("reviewer@demo.auditkit.test", "Demo Technical Reviewer", ("reviewer",), False),
    ("auditee@demo.auditkit.test", "Demo Client Contact", ("auditee",), True),
)


def load_demo() -> bool:
    """Load the demo body unless it is there already; returns whether anything was created."""
    with database.write_intent():
        db = database.session()
        if db.exec(select(User.id).where(User.email == DEMO_USERS[0][0])).first():
            db.rollback()  # end the write transaction: `serve` goes on in this app context
            return False
        body = ensure_body(db)
        body.name = body.name or "Northgate Certification (demo)"
        body.address = body.address or "1 Example Street\nExampleton"
        body.accreditation_body = body.accreditation_body or "Demo Accreditation Service"
        body.accreditation_number = body.accreditation_number or "CB-0000"
        body.time_zone = "Europe/London" if body.time_zone == "UTC" else body.time_zone
        db.add(body)
        client = db.exec(select(Client).where(Client.name == DEMO_CLIENT)).first()
        if client is None:
            client = Client(name=DEMO_CLIENT)
            db.add(client)
            db.flush()
        users = {email: accounts.create_user(db, email=email, full_name=name,
                                             password=DEMO_PASSWORD, roles=roles,
                                             client_id=client.id if of_client else None)
                 for email, name, roles, of_client in DEMO_USERS}
        seed_features(db, client, users)
        db.commit()
        return True


def seed_features(db, client: Client, users: dict[str, User]) -> None:
    """Each feature's demo data, in the order a body works: the client, its Statement of
    Applicability, its certifications and audits, other clients whose programmes need
    attention on the dashboard, then the audit teams."""
    from auditkit.clients import demo_data as clients_demo
    from auditkit.dashboard import demo_data as dashboard_demo
    from auditkit.programmes import demo_data as programmes_demo
    from auditkit.scheduling import demo_data as scheduling_demo
    from auditkit.soa import demo_data as soa_demo
    from auditkit.standards.versions import pin_unpinned_audits

    clients_demo.seed_demo(db, client)
    soa_demo.seed_demo(db, client, users)
    programmes_demo.seed_demo(db, client, users)
    dashboard_demo.seed_demo(db, users)
    scheduling_demo.seed_demo(db, client, users, password=DEMO_PASSWORD)
    pin_unpinned_audits(db)  # every demo audit keeps the checklist version it started with
