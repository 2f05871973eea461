"""Demo clients: the demo client's sites, personnel, technical areas, contacts and AI systems,
and three more clients so that the client list is not trivial.

The demo client is a small AI analytics company certifying ISO/IEC 42001 and ISO/IEC 27001.
Its 9 AI-involved persons fall in the one 42006 band shipped with auditkit (1-10 persons,
domain.md §2.4), so its ISO/IEC 42001 audit time can be computed without further table rows.
Names and addresses are invented.
"""

from dataclasses import dataclass

from sqlmodel import Session, select

from auditkit.models import (
    AISystem,
    AISystemSite,
    Client,
    ClientContact,
    ClientTechnicalArea,
    SchemePersonnel,
    Site,
)


@dataclass(frozen=True)
class DemoSite:
    name: str
    kind: str
    address: str
    personnel: int


@dataclass(frozen=True)
class DemoClient:
    name: str
    address: str
    language: str
    sector: str
    sites: tuple[DemoSite, ...]
    personnel: tuple[tuple[str, int, int | None, str | None], ...]  # scheme, effective, AI, role
    areas: tuple[tuple[str, str], ...]  # scheme, area
    contacts: tuple[tuple[str, str, str, str], ...]  # name, position, e-mail, phone


LUMEN = DemoClient(
    name="", address="14 Canal Wharf\nLondon N1 9AA\nUnited Kingdom", language="English",
    sector="AI-based analytics software and services",
    sites=(
        DemoSite("London head office", "central_function", "14 Canal Wharf, London N1 9AA", 70),
        DemoSite("Manchester data science hub", "permanent",
                 "3 Mill Street, Manchester M4 6AA", 45),
        DemoSite("Cloud model platform", "virtual", "", 25),
    ),
    personnel=(("iso42001", 140, 9, "developer"), ("iso27001", 140, None, None),
               ("iso9001", 140, None, None)),
    # The same area names the scheduling feature's demo auditors are qualified for (TEAM-03).
    areas=(("iso42001", "machine learning"), ("iso42001", "AI system life cycle"),
           ("iso27001", "cloud services"), ("iso27001", "software development"),
           ("iso9001", "33")),
    contacts=(
        ("Morgan Ashdown", "Head of AI governance", "ai.governance@lumen.example",
         "+44 20 7946 0101"),
        ("Devi Castellan", "Information security manager", "security@lumen.example",
         "+44 20 7946 0102"),
    ),
)

# name, purpose, AI role, risk level, site names
LUMEN_AI_SYSTEMS = (
    ("Demand forecaster", "Forecasts weekly product demand for retail customers from sales "
     "history and calendar data.", "developer", "low",
     ("London head office", "Cloud model platform")),
    ("Customer churn predictor", "Scores subscription customers by their likelihood of "
     "cancelling, for retention campaigns run by the customer.", "developer", "medium",
     ("Manchester data science hub", "Cloud model platform")),
    ("Credit limit advisor", "Suggests credit limits for trade customers of a logistics "
     "client; a person takes every decision.", "provider", "high",
     ("London head office", "Manchester data science hub", "Cloud model platform")),
)

OTHER_CLIENTS = (
    DemoClient(
        name="Harrow Precision Castings Ltd (demo)",
        address="Unit 7, Forge Lane\nBirmingham B9 4AA\nUnited Kingdom", language="English",
        sector="Aluminium die casting for the automotive industry",
        sites=(DemoSite("Birmingham works", "central_function", "Unit 7, Forge Lane", 85),
               DemoSite("Customer line support", "temporary", "At customers' plants", 6)),
        personnel=(("iso9001", 91, None, None),),
        areas=(("iso9001", "17"),),
        contacts=(("Quality manager", "Quality manager", "quality@harrow.example", ""),),
    ),
    DemoClient(
        name="Brightwater Health Records plc (demo)",
        address="2 Riverside Place\nLeeds LS1 4AA\nUnited Kingdom", language="English",
        sector="Electronic health record hosting",
        sites=(DemoSite("Leeds head office", "central_function", "2 Riverside Place, Leeds", 160),
               DemoSite("Glasgow operations centre", "permanent", "9 Clyde Street, Glasgow",
                        60)),
        personnel=(("iso27001", 220, None, None),),
        areas=(("iso27001", "cloud services"), ("iso27001", "health data")),
        contacts=(("Service owner", "Head of service", "service@brightwater.example", ""),),
    ),
    DemoClient(
        name="Kestrel Logistik GmbH (demo)",
        address="Hafenstraße 12\n20457 Hamburg\nGermany", language="German",
        sector="Warehousing and freight forwarding",
        sites=(DemoSite("Hamburg Zentrale", "central_function", "Hafenstraße 12, Hamburg", 120),
               DemoSite("Lager Bremen", "permanent", "Am Speicher 3, Bremen", 75)),
        personnel=(("iso9001", 195, None, None), ("iso27001", 60, None, None)),
        areas=(("iso9001", "31"), ("iso27001", "logistics IT")),
        contacts=(("Qualitätsbeauftragte", "Quality lead", "qm@kestrel.example", ""),),
    ),
)


def seed_demo(db: Session, client: Client) -> None:
    """Fill in the demo client (`client`, the "Lumen Analytics Ltd (demo client)" row) and add
    three more clients; does nothing for a demo client that has sites already. Flushes, never
    commits. Run it before the programmes and scheduling demo data: they put the demo client's
    sites in its certification's scope and qualify auditors for its technical areas."""
    if db.exec(select(Site.id).where(Site.client_id == client.id)).first() is not None:
        return
    client.address, client.language, client.sector = LUMEN.address, LUMEN.language, LUMEN.sector
    db.add(client)
    sites = _add_parts(db, client.id, LUMEN)
    _add_ai_systems(db, client.id, sites)
    taken = set(db.exec(select(Client.name)))
    for demo in OTHER_CLIENTS:
        if demo.name in taken:
            continue
        other = Client(name=demo.name, address=demo.address, language=demo.language,
                       sector=demo.sector)
        db.add(other)
        db.flush()
        _add_parts(db, other.id, demo)
    db.flush()


def _add_parts(db: Session, client_id: int, demo: DemoClient) -> dict[str, int]:
    sites = [Site(client_id=client_id, name=s.name, kind=s.kind, address=s.address,
                  personnel=s.personnel) for s in demo.sites]
    db.add_all(sites)
    for scheme, effective, ai_personnel, ai_role in demo.personnel:
        db.add(SchemePersonnel(client_id=client_id, scheme=scheme, effective_personnel=effective,
                               ai_personnel=ai_personnel, ai_role=ai_role))
    for scheme, area in demo.areas:
        db.add(ClientTechnicalArea(client_id=client_id, scheme=scheme, area=area))
    for name, position, email, phone in demo.contacts:
        db.add(ClientContact(client_id=client_id, name=name, position=position, email=email,
                             phone=phone))
    db.flush()
    return {site.name: site.id for site in sites}


def _add_ai_systems(db: Session, client_id: int, sites: dict[str, int]) -> None:
    for name, purpose, ai_role, risk_level, site_names in LUMEN_AI_SYSTEMS:
        system = AISystem(client_id=client_id, name=name, purpose=purpose, ai_role=ai_role,
                          risk_level=risk_level)
        db.add(system)
        db.flush()
        db.add_all(AISystemSite(ai_system_id=system.id, site_id=sites[site])
                   for site in site_names)
