"""Opening and editing certifications: standards and editions, scope, sites, the reference.

A certification is one client's certification for one standard, or for several audited
together (combined) or as one management system (integrated, IAF MD 11).
"""

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from auditkit.accounts.policy import visible_certifications
from auditkit.admin.services import body_settings
from auditkit.history import record_change
from auditkit.models import (
    Certification,
    CertificationScheme,
    CertificationSite,
    CertificationState,
    Client,
    Cycle,
    Integration,
    Scheme,
    Site,
    SiteKind,
)
from auditkit.programmes.services import (
    ProgrammeError,
    find_certification,
    find_client,
    today,
)

STATE_LABELS = {
    CertificationState.APPLICANT: "Applicant",
    CertificationState.STAGE1_DONE: "Stage 1 done",
    CertificationState.STAGE2_DONE: "Stage 2 done",
    CertificationState.ACTIVE: "Certified",
    CertificationState.SUSPENDED: "Suspended",
    CertificationState.EXPIRED: "Expired",
    CertificationState.WITHDRAWN: "Withdrawn",
    CertificationState.LAPSED: "Lapsed",
    CertificationState.TRANSFERRED_OUT: "Transferred to another body",
}
INTEGRATION_LABELS = {
    Integration.SINGLE: "Single standard",
    Integration.COMBINED: "Combined (several standards audited together)",
    Integration.INTEGRATED: "Integrated (one management system, IAF MD 11)",
    Integration.JOINT: "Joint (with another certification body)",
}
SITE_KIND_LABELS = {
    SiteKind.CENTRAL_FUNCTION: "central function",
    SiteKind.PERMANENT: "permanent site",
    SiteKind.TEMPORARY: "temporary site",
    SiteKind.VIRTUAL: "virtual site",
}
BEFORE_DECISION = frozenset({CertificationState.APPLICANT, CertificationState.STAGE1_DONE,
                             CertificationState.STAGE2_DONE})
REFERENCE_ATTEMPTS = 5


@dataclass(frozen=True)
class SchemeLine:
    scheme: str
    label: str
    edition: str


@dataclass(frozen=True)
class SiteLine:
    id: int
    name: str
    kind: str
    kind_label: str


@dataclass(frozen=True)
class CertificationRow:
    """A certification as lists show it (the clients page, the certifications page)."""

    id: int
    reference: str
    client_id: int
    client_name: str
    schemes: tuple[SchemeLine, ...]
    integration: str
    state: str
    decision_date: date | None
    certificate_expiry: date | None

    @property
    def standards(self) -> str:
        return " + ".join(line.edition for line in self.schemes)

    @property
    def state_label(self) -> str:
        return STATE_LABELS[CertificationState(self.state)]

    @property
    def integration_label(self) -> str:
        return INTEGRATION_LABELS[Integration(self.integration)]


@dataclass(frozen=True)
class CertificationInput:
    """What the form gives to open or edit a certification; `editions` maps each chosen
    scheme to its edition text."""

    editions: dict[str, str]
    integration: str
    scope: str
    site_ids: tuple[int, ...]


# --- reading -----------------------------------------------------------------------------------

def visible_certification_ids(user):
    """The ids of the certifications this user may see, as a subquery."""
    return visible_certifications(user).with_only_columns(Certification.id)


def scheme_lines(db: Session, certification_ids) -> dict[int, tuple[SchemeLine, ...]]:
    """Standards of several certifications in one query, in the order of `Scheme`."""
    order = {scheme.value: index for index, scheme in enumerate(Scheme)}
    found: dict[int, list[SchemeLine]] = defaultdict(list)
    ids = list(certification_ids)
    if not ids:
        return {}
    for row in db.exec(select(CertificationScheme)
                       .where(CertificationScheme.certification_id.in_(ids))):
        found[row.certification_id].append(
            SchemeLine(row.scheme, Scheme(row.scheme).label, row.edition))
    return {key: tuple(sorted(lines, key=lambda line: order[line.scheme]))
            for key, lines in found.items()}


def certification_rows(db: Session, user, client_id: int | None = None) -> list[CertificationRow]:
    """The certifications this user may see (of one client, if given): three queries."""
    query = (select(Certification, Client.name)
             .join(Client, Client.id == Certification.client_id)
             .where(Certification.id.in_(visible_certification_ids(user)))
             .order_by(Client.name, Certification.reference))
    if client_id is not None:
        query = query.where(Certification.client_id == client_id)
    pairs = db.exec(query).all()
    ids = [certification.id for certification, _name in pairs]
    schemes = scheme_lines(db, ids)
    cycles = {}
    if ids:
        cycles = {cycle.certification_id: cycle for cycle in db.exec(
            select(Cycle).where(Cycle.certification_id.in_(ids), Cycle.is_current))}
    rows = []
    for certification, client_name in pairs:
        cycle = cycles.get(certification.id)
        rows.append(CertificationRow(
            id=certification.id, reference=certification.reference,
            client_id=certification.client_id, client_name=client_name,
            schemes=schemes.get(certification.id, ()), integration=certification.integration,
            state=certification.state,
            decision_date=cycle.decision_date if cycle else None,
            certificate_expiry=cycle.certificate_expiry if cycle else None))
    return rows


def client_certifications(db: Session, user, client_id: int) -> list[CertificationRow]:
    """For the client page (templates/programmes/_client_certifications.html)."""
    return certification_rows(db, user, client_id)


def client_sites(db: Session, client_id: int) -> list[SiteLine]:
    return [SiteLine(site.id, site.name, site.kind, SITE_KIND_LABELS[SiteKind(site.kind)])
            for site in db.exec(select(Site).where(Site.client_id == client_id)
                                .order_by(Site.name))]


def certification_site_ids(db: Session, certification_id: int) -> list[int]:
    return list(db.exec(select(CertificationSite.site_id)
                        .where(CertificationSite.certification_id == certification_id)))


def client_for_new_certification(db: Session, user, client_id: int) -> Client:
    return find_client(db, user, client_id)


# --- writing -----------------------------------------------------------------------------------

def open_certification(db: Session, user, client_id: int, data: CertificationInput, *,
                       actor_id: int) -> Certification:
    """A new certification in state `applicant`, with a new unique reference."""
    client = find_client(db, user, client_id)
    return create_certification(db, client.id, data, actor_id=actor_id)


def create_certification(db: Session, client_id: int, data: CertificationInput, *,
                         actor_id: int | None) -> Certification:
    """Open a certification for a client already looked up (or for the demo body)."""
    _validate(db, client_id, data)
    certification = Certification(client_id=client_id, reference="", scope=data.scope.strip(),
                                  integration=data.integration,
                                  state=CertificationState.APPLICANT)
    _insert_with_reference(db, certification)
    _replace_schemes(db, certification.id, data.editions)
    _replace_sites(db, certification.id, data.site_ids)
    record_change(db, actor_id=actor_id, subject="certification", subject_id=certification.id,
                  field_name="created", before=None,
                  after=f"{certification.reference}: {_standards_text(data.editions)}")
    return certification


def update_certification(db: Session, user, certification_id: int, data: CertificationInput, *,
                         expected_version: int, actor_id: int) -> Certification:
    from auditkit.accounts.services import StaleEdit

    certification = find_certification(db, user, certification_id)
    if certification.version != expected_version:
        raise StaleEdit()
    _validate(db, certification.client_id, data)
    before_editions = {line.scheme: line.edition
                       for line in scheme_lines(db, [certification.id]).get(certification.id, ())}
    before_sites = certification_site_ids(db, certification.id)
    changes = {"scope": (certification.scope, data.scope.strip()),
               "integration": (certification.integration, data.integration)}
    for name, (before, after) in changes.items():
        if before != after:
            record_change(db, actor_id=actor_id, subject="certification",
                          subject_id=certification.id, field_name=name, before=before,
                          after=after)
            setattr(certification, name, after)
    if before_editions != data.editions:
        record_change(db, actor_id=actor_id, subject="certification",
                      subject_id=certification.id, field_name="standards",
                      before=_standards_text(before_editions),
                      after=_standards_text(data.editions))
        _replace_schemes(db, certification.id, data.editions)
    if sorted(before_sites) != sorted(data.site_ids):
        record_change(db, actor_id=actor_id, subject="certification",
                      subject_id=certification.id, field_name="sites",
                      before=sorted(before_sites), after=sorted(data.site_ids))
        _replace_sites(db, certification.id, data.site_ids)
    db.add(certification)
    db.flush()
    return certification


def _standards_text(editions: dict[str, str]) -> str:
    return " + ".join(editions[scheme.value] for scheme in Scheme if scheme.value in editions)


def _validate(db: Session, client_id: int, data: CertificationInput) -> None:
    if not data.editions:
        raise ProgrammeError("Choose at least one standard.", "schemes")
    unknown = set(data.editions) - {scheme.value for scheme in Scheme}
    if unknown:
        raise ProgrammeError("Choose standards from the list.", "schemes")
    if data.integration not in {value.value for value in Integration}:
        raise ProgrammeError("Choose how the standards are audited.", "integration")
    if data.integration == Integration.SINGLE and len(data.editions) > 1:
        raise ProgrammeError("A single-standard certification covers one standard: choose "
                             "combined or integrated for several.", "integration")
    if data.integration in (Integration.COMBINED, Integration.INTEGRATED) \
            and len(data.editions) < 2:
        raise ProgrammeError("Combined and integrated certifications cover two or more "
                             "standards.", "integration")
    for scheme, edition in data.editions.items():
        if not edition.strip():
            raise ProgrammeError(f"Give the edition of {Scheme(scheme).label}, "
                                 f"e.g. {Scheme(scheme).edition}.", f"edition_{scheme}")
    if not data.scope.strip():
        raise ProgrammeError("Describe the scope of certification.", "scope")
    if data.site_ids:
        own = set(db.exec(select(Site.id).where(Site.client_id == client_id,
                                                Site.id.in_(data.site_ids))))
        if own != set(data.site_ids):
            raise ProgrammeError("Choose sites of this client only.", "site_ids")


def _replace_schemes(db: Session, certification_id: int, editions: dict[str, str]) -> None:
    for row in db.exec(select(CertificationScheme)
                       .where(CertificationScheme.certification_id == certification_id)):
        db.delete(row)
    db.flush()
    for scheme, edition in editions.items():
        db.add(CertificationScheme(certification_id=certification_id, scheme=scheme,
                                   edition=edition.strip()))
    db.flush()


def _replace_sites(db: Session, certification_id: int, site_ids) -> None:
    for row in db.exec(select(CertificationSite)
                       .where(CertificationSite.certification_id == certification_id)):
        db.delete(row)
    db.flush()
    for site_id in sorted(set(site_ids)):
        db.add(CertificationSite(certification_id=certification_id, site_id=site_id))
    db.flush()


# --- the reference -----------------------------------------------------------------------------

def reference_prefix(body_name: str) -> str:
    """Initials of the body's capitalised words ("Northgate Certification" -> "NC")."""
    initials = "".join(word[0] for word in re.findall(r"[A-Za-z][\w'-]*", body_name)
                       if word[0].isupper())
    return initials[:4] or "CB"


def next_reference(db: Session, on: date) -> str:
    """The next free reference of the year: NC-2026-0001, NC-2026-0002, ..."""
    stem = f"{reference_prefix(body_settings(db).name)}-{on.year}-"
    numbers = [int(reference[len(stem):]) for reference in db.exec(
        select(Certification.reference).where(Certification.reference.startswith(stem)))
        if reference[len(stem):].isdigit()]
    return f"{stem}{max(numbers, default=0) + 1:04d}"


def _insert_with_reference(db: Session, certification: Certification) -> None:
    """Two managers opening a certification at once may pick the same number; the unique
    constraint refuses the second, which then takes the next one."""
    on = today(db)
    for _attempt in range(REFERENCE_ATTEMPTS):
        certification.reference = next_reference(db, on)
        try:
            with db.begin_nested():
                db.add(certification)
                db.flush()
            return
        except IntegrityError:
            continue  # the savepoint's rollback took the new row out of the session
    raise ProgrammeError("Could not give the certification a reference; try again.")

