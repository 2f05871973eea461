"""The demo client's Statements of Applicability: two revisions for ISO/IEC 42001 (the client's
v1.0 and v1.1) and one for ISO/IEC 27001 (v2.3), with justified exclusions and mixed
implementation statuses, so that the SoA pages, their history and the changes between
revisions have something to show."""

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta

from sqlmodel import Session

from auditkit.models import Client, ImplementationStatus, User
from auditkit.models.clients import Scheme
from auditkit.soa.entries import Entry
from auditkit.soa.services import (
    RevisionHeader,
    add_revision,
    annex_a,
    now,
    soa_revision_count,
)

IMPLEMENTED = ImplementationStatus.IMPLEMENTED
PARTIAL = ImplementationStatus.PARTIALLY_IMPLEMENTED
PLANNED = ImplementationStatus.PLANNED
NOT_IMPLEMENTED = ImplementationStatus.NOT_IMPLEMENTED

AIMS_REASON = "Selected in the AI risk treatment plan."
ISMS_REASON = "Selected in the information security risk treatment plan."

# ISO/IEC 42001, the client's v1.0: control -> (applicable, justification, status). Controls
# not listed are applicable, implemented, with the default reason.
AIMS_V1_0 = {
    "A.5.4": (True, "Impact on individuals assessed for the scoring models.", PLANNED),
    "A.5.5": (True, AIMS_REASON, PARTIAL),
    "A.6.2.5": (False, "Customers deploy the delivered models in their own environments; "
                       "Lumen runs no AI system in production.", None),
    "A.6.2.8": (True, "Event logs needed to trace model decisions.", PARTIAL),
    "A.7.3": (False, "Lumen acquires no data from third parties: models are trained only on "
                     "data each customer supplies under contract (see A.7.5 and A.10.4).",
              None),
    "A.7.4": (True, "Data quality drives model accuracy commitments.", PARTIAL),
    "A.8.3": (True, AIMS_REASON, PLANNED),
    "A.8.4": (True, "Customers must hear of incidents affecting their models.",
              NOT_IMPLEMENTED),
    "A.9.3": (False, "Lumen uses AI systems only to develop and test its own models; their "
                     "objectives are those set under A.6.1.2.", None),
}
# v1.1: a hosted scoring service went live, so deployment now applies; progress elsewhere.
AIMS_V1_1 = AIMS_V1_0 | {
    "A.5.4": (True, "Impact on individuals assessed for the scoring models.", IMPLEMENTED),
    "A.6.2.5": (True, "Hosted scoring service launched; deployment procedure in use.",
                PARTIAL),
    "A.8.4": (True, "Customers must hear of incidents affecting their models.", PARTIAL),
}
ISMS_V2_3 = {
    "A.5.7": (True, ISMS_REASON, PARTIAL),
    "A.5.30": (True, ISMS_REASON, PLANNED),
    "A.7.6": (False, "No secure areas on Lumen's premises: no servers or sensitive "
                     "processing on site; production runs at the cloud provider (A.5.23).",
              None),
    "A.7.12": (False, "The office cabling belongs to the landlord's shared building and "
                      "carries no production traffic; production is in the cloud.", None),
    "A.8.11": (True, ISMS_REASON, PARTIAL),
    "A.8.12": (True, ISMS_REASON, NOT_IMPLEMENTED),
    "A.8.30": (False, "All development is done by Lumen's own staff; none is outsourced.",
               None),
}


def seed_demo(db: Session, client: Client, users: Mapping[str, User] | Iterable[User]) -> None:
    """Add the demo SoAs to `client` (the demo client, already flushed); `users` are the demo
    users, by e-mail or as a list, of whom the programme manager is recorded as author.
    Does nothing for a scheme that already has a revision. Does not commit."""
    author = _manager(users)
    today = now()
    revisions = (
        (Scheme.ISO42001, AIMS_V1_0, RevisionHeader(
            "v1.0", _days_before(today, 160), "Received with the application for certification."),
         today - timedelta(days=150)),
        (Scheme.ISO42001, AIMS_V1_1, RevisionHeader(
            "v1.1", _days_before(today, 100), "Updated by the client before the Stage 1 audit."),
         today - timedelta(days=95)),
        (Scheme.ISO27001, ISMS_V2_3, RevisionHeader(
            "v2.3", _days_before(today, 130),
            "Current ISMS SoA, reviewed at the last surveillance."),
         today - timedelta(days=120)),
    )
    seeded = {scheme: soa_revision_count(db, client.id, scheme) for scheme in Scheme}
    for scheme, answers, header, created_at in revisions:
        if seeded[scheme]:
            continue
        add_revision(db, client.id, scheme, _entries(scheme, answers, _default(scheme)),
                     header, base_revision=None, actor_id=author.id if author else None,
                     created_at=created_at)


def _days_before(moment: datetime, days: int) -> date:
    return (moment - timedelta(days=days)).date()


def _default(scheme: Scheme) -> str:
    return AIMS_REASON if scheme is Scheme.ISO42001 else ISMS_REASON


def _entries(scheme: Scheme, answers: dict, reason: str) -> list[Entry]:
    entries = []
    for control in annex_a(scheme).controls:
        applicable, justification, status = answers.get(control.id, (True, reason, IMPLEMENTED))
        entries.append(Entry(control.id, applicable, justification, status))
    return entries


def _manager(users) -> User | None:
    people = list(users.values()) if isinstance(users, Mapping) else list(users)
    return next((u for u in people if u.email.startswith("manager@")),
                people[0] if people else None)
