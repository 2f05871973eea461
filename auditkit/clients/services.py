"""Client organisations: the list, the client page, edits (history and version check) and the
bulk import of clients, sites and auditors (all rows or none).

Every lookup starts from `visible_clients(user)`, so a client the user may not see is simply
not found. Every save of a client, or of anything that belongs to it, moves the client's
version on, so two people editing the same client never overwrite each other silently.
"""

import secrets
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, func
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, select

from auditkit import db as database
from auditkit.accounts import services as accounts
from auditkit.accounts.policy import visible_clients
from auditkit.clients import checks
from auditkit.clients.importer import (
    AuditorRecord,
    ClientRecord,
    ImportKind,
    ParsedFile,
    RowProblem,
    SiteRecord,
    parse_file,
)
from auditkit.history import record_change
from auditkit.models import (
    AIRole,
    AISystem,
    AISystemSite,
    AuditorProfile,
    AuditSite,
    Certification,
    CertificationScheme,
    CertificationSite,
    ChangeRecord,
    Client,
    ClientContact,
    ClientTechnicalArea,
    Qualification,
    RiskLevel,
    Role,
    Scheme,
    SchemePersonnel,
    Site,
    SiteKind,
    User,
)

PAGE_SIZE = 25
HISTORY_SUBJECT = "client"
StaleEdit = accounts.StaleEdit


# --- problems ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Problem:
    """A message for one form field (its name, e.g. `sites-2-kind`), or for the whole form."""

    field: str
    message: str


class ClientInputError(ValueError):
    """Input that cannot be saved; nothing was changed."""

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(problem.message for problem in problems))
        self.problems = problems


# --- what the screens show --------------------------------------------------------------------

@dataclass(frozen=True)
class ClientSummary:
    id: int
    name: str
    sector: str
    language: str
    schemes: tuple[str, ...]
    site_count: int
    central_function: str | None


@dataclass(frozen=True)
class ClientList:
    rows: list[ClientSummary]
    total: int
    page: int
    pages: int
    query: str


@dataclass(frozen=True)
class SiteView:
    id: int
    name: str
    kind: str
    address: str
    personnel: int

    @property
    def kind_label(self) -> str:
        return checks.SITE_KIND_LABELS[SiteKind(self.kind)]


@dataclass(frozen=True)
class PersonnelView:
    scheme: Scheme
    effective_personnel: int
    ai_personnel: int | None
    ai_role: str | None

    @property
    def ai_role_label(self) -> str:
        return checks.AI_ROLE_LABELS[AIRole(self.ai_role)] if self.ai_role else ""


@dataclass(frozen=True)
class ContactView:
    id: int
    name: str
    position: str
    email: str
    phone: str


@dataclass(frozen=True)
class AISystemView:
    id: int
    name: str
    purpose: str
    ai_role: str
    risk_level: str
    site_ids: tuple[int, ...]
    site_names: tuple[str, ...]

    @property
    def ai_role_label(self) -> str:
        return checks.AI_ROLE_LABELS[AIRole(self.ai_role)]

    @property
    def risk_label(self) -> str:
        return checks.RISK_LEVEL_LABELS[RiskLevel(self.risk_level)]


@dataclass(frozen=True)
class ClientProfile:
    id: int
    name: str
    address: str
    language: str
    sector: str
    version: int
    created_at: datetime
    sites: list[SiteView]
    personnel: dict[str, PersonnelView]
    areas: dict[str, list[str]]
    contacts: list[ContactView]
    ai_systems: list[AISystemView]

    @property
    def has_aims(self) -> bool:
        return Scheme.ISO42001.value in self.personnel

    @property
    def central_function(self) -> SiteView | None:
        return next((s for s in self.sites if s.kind == SiteKind.CENTRAL_FUNCTION), None)

    @property
    def warnings(self) -> list[str]:
        found = []
        if self.central_function is None:
            found.append(checks.NO_CENTRAL_FUNCTION)
        if not self.personnel:
            found.append("No scheme has effective personnel yet: audit time cannot be "
                         "determined without it (TIME-04). Add it under Personnel.")
        if self.has_aims and not self.ai_systems:
            found.append("No AI system is recorded for the ISO/IEC 42001 scope.")
        return found


@dataclass(frozen=True)
class HistoryLine:
    changed_at: datetime
    actor: str
    field_name: str
    before: str | None
    after: str | None


# --- reading ----------------------------------------------------------------------------------

def list_clients(db: Session, user, search: str = "", page: int = 1) -> ClientList:
    """One page of the clients this user may see, by name; the same four queries whatever the
    number of clients (count, page, personnel of the page, sites of the page)."""
    query = visible_clients(user)
    if search:
        query = query.where(func.lower(Client.name).like(database.contains_pattern(search),
                                                      escape=database.LIKE_ESCAPE))
    total = db.exec(select(func.count()).select_from(query.subquery())).one()
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 1), pages)
    clients = db.exec(query.order_by(func.lower(Client.name), Client.id)
                      .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
    ids = [client.id for client in clients]
    schemes: dict[int, list[str]] = {client_id: [] for client_id in ids}
    for row in db.exec(select(SchemePersonnel).where(SchemePersonnel.client_id.in_(ids))):
        schemes[row.client_id].append(row.scheme)
    sites: dict[int, list[Site]] = {client_id: [] for client_id in ids}
    for site in db.exec(select(Site).where(Site.client_id.in_(ids))):
        sites[site.client_id].append(site)
    rows = [_summary(client, schemes[client.id], sites[client.id]) for client in clients]
    return ClientList(rows, total, page, pages, search)


def _summary(client: Client, schemes: list[str], sites: list[Site]) -> ClientSummary:
    order = list(Scheme)
    labels = tuple(Scheme(s).label for s in sorted(schemes, key=lambda s: order.index(s)))
    central = next((s.name for s in sites if s.kind == SiteKind.CENTRAL_FUNCTION), None)
    return ClientSummary(client.id, client.name, client.sector, client.language, labels,
                         len(sites), central)


def visible_client(db: Session, user, client_id: int) -> Client | None:
    """The client, if this user may see it."""
    return db.exec(visible_clients(user).where(Client.id == client_id)).first()


def get_profile(db: Session, user, client_id: int) -> ClientProfile | None:
    """Everything about one client, or None when the user may not see it (the route answers
    404 then)."""
    client = visible_client(db, user, client_id)
    if client is None:
        return None
    sites = db.exec(select(Site).where(Site.client_id == client_id)
                    .order_by(Site.kind != SiteKind.CENTRAL_FUNCTION, func.lower(Site.name))).all()
    site_names = {site.id: site.name for site in sites}
    personnel = {row.scheme: PersonnelView(Scheme(row.scheme), row.effective_personnel,
                                           row.ai_personnel, row.ai_role)
                 for row in db.exec(select(SchemePersonnel)
                                    .where(SchemePersonnel.client_id == client_id))}
    areas: dict[str, list[str]] = {}
    for row in db.exec(select(ClientTechnicalArea)
                       .where(ClientTechnicalArea.client_id == client_id)
                       .order_by(ClientTechnicalArea.area)):
        areas.setdefault(row.scheme, []).append(row.area)
    contacts = [ContactView(c.id, c.name, c.position, c.email, c.phone)
                for c in db.exec(select(ClientContact).where(ClientContact.client_id == client_id)
                                 .order_by(func.lower(ClientContact.name)))]
    return ClientProfile(
        id=client.id, name=client.name, address=client.address, language=client.language,
        sector=client.sector, version=client.version, created_at=client.created_at,
        sites=[SiteView(s.id, s.name, s.kind, s.address, s.personnel) for s in sites],
        personnel={s.value: personnel[s.value] for s in Scheme if s.value in personnel},
        areas=areas, contacts=contacts,
        ai_systems=_ai_systems(db, client_id, site_names))


def _ai_systems(db: Session, client_id: int, site_names: dict[int, str]) -> list[AISystemView]:
    systems = db.exec(select(AISystem).where(AISystem.client_id == client_id)
                      .order_by(func.lower(AISystem.name))).all()
    links: dict[int, list[int]] = {system.id: [] for system in systems}
    for link in db.exec(select(AISystemSite).where(
            AISystemSite.ai_system_id.in_(list(links)))):
        links[link.ai_system_id].append(link.site_id)
    return [AISystemView(s.id, s.name, s.purpose, s.ai_role, s.risk_level,
                         tuple(sorted(links[s.id])),
                         tuple(sorted(site_names[i] for i in links[s.id] if i in site_names)))
            for s in systems]


def client_history(db: Session, client_id: int, limit: int = 100) -> list[HistoryLine]:
    query = (select(ChangeRecord, User.email)
             .join(User, User.id == ChangeRecord.actor_id, isouter=True)
             .where(ChangeRecord.subject == HISTORY_SUBJECT,
                    ChangeRecord.subject_id == str(client_id))
             .order_by(ChangeRecord.changed_at.desc(), ChangeRecord.id.desc()).limit(limit))
    return [HistoryLine(r.changed_at, email or "system", r.field_name, r.before, r.after)
            for r, email in db.exec(query)]


# --- editing: common parts ----------------------------------------------------------------------

def _editable(db: Session, user, client_id: int, expected_version: int) -> Client:
    client = visible_client(db, user, client_id)
    if client is None:
        raise LookupError(client_id)
    if client.version != expected_version:
        raise StaleEdit()
    return client


def _save_version(db: Session, client: Client) -> None:
    """Move the client's version on, also when only rows of other tables changed."""
    flag_modified(client, "name")
    db.add(client)
    try:
        db.flush()
    except StaleDataError:
        raise StaleEdit() from None
    except IntegrityError:
        raise ClientInputError([Problem("", (
            "The database refused the change, most likely two rows swapping their names in "
            "one save: save it in two steps. Nothing was changed."))]) from None


def _history(db: Session, actor_id: int | None, client_id: int, field_name: str,
             before: object, after: object) -> None:
    record_change(db, actor_id=actor_id, subject=HISTORY_SUBJECT, subject_id=client_id,
                  field_name=field_name[:80], before=before, after=after)


def _raise_if(problems: list[Problem]) -> None:
    if problems:
        raise ClientInputError(problems)


# --- details ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class ClientDetails:
    name: str
    address: str = ""
    language: str = "English"
    sector: str = ""


DETAIL_FIELDS = ("name", "address", "language", "sector")


def _tidy_details(details: ClientDetails) -> ClientDetails:
    return ClientDetails(checks.tidy_name(details.name), (details.address or "").strip(),
                         checks.tidy_name(details.language) or "English",
                         checks.tidy_name(details.sector))


def _details_problems(db: Session, details: ClientDetails, client_id: int | None) -> list[Problem]:
    if not details.name:
        return [Problem("name", "Enter the client's legal name.")]
    key = checks.same_name(details.name)
    # Compared in Python: SQLite's lower() folds ASCII letters only.
    for other_id, other_name in db.exec(select(Client.id, Client.name)):
        if other_id != client_id and checks.same_name(other_name) == key:
            return [Problem("name", f"A client named “{other_name}” already exists.")]
    return []


def create_client(db: Session, details: ClientDetails, *, actor_id: int | None) -> int:
    details = _tidy_details(details)
    _raise_if(_details_problems(db, details, None))
    client = Client(name=details.name, address=details.address, language=details.language,
                    sector=details.sector)
    db.add(client)
    db.flush()
    _history(db, actor_id, client.id, "created", None, client.name)
    return client.id


def update_details(db: Session, user, client_id: int, details: ClientDetails, *,
                   expected_version: int, actor_id: int) -> int:
    """Returns how many fields changed."""
    client = _editable(db, user, client_id, expected_version)
    details = _tidy_details(details)
    _raise_if(_details_problems(db, details, client.id))
    changed = 0
    for name in DETAIL_FIELDS:
        before, after = getattr(client, name), getattr(details, name)
        if before != after:
            _history(db, actor_id, client.id, name, before, after)
            setattr(client, name, after)
            changed += 1
    if changed:
        _save_version(db, client)
    return changed


# --- sites ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SiteInput:
    site_id: int | None
    name: str
    kind: str
    address: str = ""
    personnel: int | None = None
    remove: bool = False

    @property
    def is_blank(self) -> bool:
        return not (self.name or "").strip() and not (self.address or "").strip() \
            and self.personnel is None


def _site_text(kind: str, personnel: int, address: str) -> str:
    label = checks.SITE_KIND_LABELS[SiteKind(kind)] if checks.is_value(kind, SiteKind) else kind
    return f"{label}; {personnel} persons" + (f"; {address}" if address else "")


def save_sites(db: Session, user, client_id: int, rows: list[SiteInput], *,
               expected_version: int, actor_id: int) -> list[str]:
    """Add, change and remove the client's sites; returns warnings (no central function,
    TIME-MS-02). A second central function is refused; so is removing a site that is in the
    scope of a certification or an audit."""
    client = _editable(db, user, client_id, expected_version)
    existing = {site.id: site for site in db.exec(select(Site).where(Site.client_id == client_id))}
    problems: list[Problem] = []
    kept: list[tuple[int, SiteInput]] = []
    removed: list[tuple[int, Site]] = []
    mentioned = {row.site_id for row in rows if row.site_id is not None}
    untouched = [site for site_id, site in existing.items() if site_id not in mentioned]
    names: dict[str, int] = {checks.same_name(site.name): -1 for site in untouched}
    for index, row in enumerate(rows):
        prefix = f"sites-{index}-"
        if row.site_id is not None and row.site_id not in existing:
            problems.append(Problem(prefix + "name", "This site is not one of this client's "
                                                     "sites any more; reload the page."))
            continue
        if row.remove or (row.site_id is None and row.is_blank):
            if row.site_id is not None:
                removed.append((index, existing[row.site_id]))
            continue
        name = checks.tidy_name(row.name)
        if not name:
            problems.append(Problem(prefix + "name", "Enter the site's name."))
        elif checks.same_name(name) in names:
            problems.append(Problem(prefix + "name", f"Another site is already called "
                                                     f"“{name}”."))
        names.setdefault(checks.same_name(name), index)
        if not checks.is_value(row.kind, SiteKind):
            problems.append(Problem(prefix + "kind", "Choose the kind of site."))
        if row.personnel is not None and not 0 <= row.personnel <= checks.MAX_PERSONNEL:
            problems.append(Problem(prefix + "personnel", "Enter a number of persons from 0."))
        kept.append((index, SiteInput(row.site_id, name, row.kind, (row.address or "").strip(),
                                      row.personnel or 0)))
    all_sites = [(-1, site) for site in untouched] + kept
    second = checks.second_central_function([(site.kind, site.name) for _, site in all_sites])
    if second:
        index = all_sites[second[0]][0]
        problems.append(Problem(f"sites-{index}-kind" if index >= 0 else "", second[1]))
    problems += _sites_in_use(db, removed)
    _raise_if(problems)
    _apply_sites(db, actor_id, client, existing, kept, [site for _, site in removed])
    _save_version(db, client)
    kinds = [site.kind for _, site in all_sites]
    return [] if SiteKind.CENTRAL_FUNCTION in kinds else [checks.NO_CENTRAL_FUNCTION]


def _sites_in_use(db: Session, removed: list[tuple[int, Site]]) -> list[Problem]:
    ids = [site.id for _, site in removed]
    if not ids:
        return []
    in_use = set(db.exec(select(CertificationSite.site_id)
                         .where(CertificationSite.site_id.in_(ids))).all())
    in_use |= set(db.exec(select(AuditSite.site_id).where(AuditSite.site_id.in_(ids))).all())
    return [Problem(f"sites-{index}-remove", f"“{site.name}” is in the scope of a "
                                             "certification or an audit: take it out there "
                                             "first.")
            for index, site in removed if site.id in in_use]


def _apply_sites(db: Session, actor_id: int, client: Client, existing: dict[int, Site],
                 kept: list[tuple[int, SiteInput]], removed: list[Site]) -> None:
    for site in removed:
        _history(db, actor_id, client.id, f"site: {site.name}",
                 _site_text(site.kind, site.personnel, site.address), None)
        db.delete(site)
    db.flush()  # a removed site's name may be taken by a renamed or new one
    for _, row in kept:
        after = _site_text(row.kind, row.personnel, row.address)
        if row.site_id is None:
            _history(db, actor_id, client.id, f"site: {row.name}", None, after)
            db.add(Site(client_id=client.id, name=row.name, kind=row.kind, address=row.address,
                        personnel=row.personnel))
            continue
        site = existing[row.site_id]
        before = _site_text(site.kind, site.personnel, site.address)
        if site.name != row.name:
            _history(db, actor_id, client.id, f"site: {site.name}", site.name, row.name)
        if before != after:
            _history(db, actor_id, client.id, f"site: {row.name}", before, after)
        site.name, site.kind, site.address, site.personnel = (row.name, row.kind, row.address,
                                                              row.personnel)
        db.add(site)


# --- personnel and technical areas ------------------------------------------------------------

@dataclass(frozen=True)
class PersonnelInput:
    scheme: Scheme
    effective_personnel: int | None
    ai_personnel: int | None = None
    ai_role: str | None = None
    areas: tuple[str, ...] = ()

    @property
    def in_scope(self) -> bool:
        return (self.effective_personnel is not None or self.ai_personnel is not None
                or bool(self.ai_role))


def _personnel_text(row) -> str:
    text = f"{row.effective_personnel} persons"
    if row.ai_personnel is not None:
        text += f"; {row.ai_personnel} AI-involved; {row.ai_role}"
    return text


def save_personnel(db: Session, user, client_id: int, entries: list[PersonnelInput], *,
                   expected_version: int, actor_id: int) -> None:
    """Effective personnel per scheme (TIME-04), for ISO/IEC 42001 with the AI-involved
    headcount and AI role (domain.md §2.4), and the technical areas per scheme (TEAM-03).
    A scheme left empty is out of scope; one the client holds a certification for cannot be
    emptied."""
    client = _editable(db, user, client_id, expected_version)
    problems: list[Problem] = []
    for entry in entries:
        prefix = f"{entry.scheme.value}_"
        if not entry.in_scope:
            if entry.areas:
                problems.append(Problem(prefix + "areas", "Enter the effective personnel for "
                                                          "this scheme, or leave its technical "
                                                          "areas empty."))
            continue
        problem = checks.personnel_problem(entry.scheme, entry.effective_personnel,
                                           entry.ai_personnel, entry.ai_role)
        if problem:
            problems.append(Problem(prefix + problem[0], problem[1]))
        problems += [Problem(prefix + "areas", message) for message in
                     filter(None, map(checks.area_problem, entry.areas))]
    current = {row.scheme: row for row in db.exec(
        select(SchemePersonnel).where(SchemePersonnel.client_id == client_id))}
    emptied = [e.scheme for e in entries if not e.in_scope and e.scheme.value in current]
    problems += [Problem(f"{scheme.value}_effective_personnel",
                         f"The client holds a certification for {scheme.label}: its personnel "
                         "cannot be removed.")
                 for scheme in _certified_schemes(db, client_id, emptied)]
    _raise_if(problems)
    for entry in entries:
        _apply_personnel(db, actor_id, client_id, entry, current.get(entry.scheme.value))
    _apply_areas(db, actor_id, client_id, entries)
    _save_version(db, client)


def _certified_schemes(db: Session, client_id: int, schemes: list[Scheme]) -> list[Scheme]:
    if not schemes:
        return []
    held = set(db.exec(select(CertificationScheme.scheme)
                       .join(Certification,
                             Certification.id == CertificationScheme.certification_id)
                       .where(Certification.client_id == client_id,
                              CertificationScheme.scheme.in_([s.value for s in schemes]))))
    return [scheme for scheme in schemes if scheme.value in held]


def _apply_personnel(db: Session, actor_id: int, client_id: int, entry: PersonnelInput,
                     row: SchemePersonnel | None) -> None:
    name = f"personnel: {entry.scheme.value}"
    if not entry.in_scope:
        if row is not None:
            _history(db, actor_id, client_id, name, _personnel_text(row), None)
            db.delete(row)
        return
    role = checks.ai_role_from_text(entry.ai_role) if entry.ai_role else None
    after = SchemePersonnel(client_id=client_id, scheme=entry.scheme.value,
                            effective_personnel=entry.effective_personnel,
                            ai_personnel=entry.ai_personnel,
                            ai_role=role.value if role else None)
    before_text = _personnel_text(row) if row is not None else None
    if before_text == _personnel_text(after):
        return
    _history(db, actor_id, client_id, name, before_text, _personnel_text(after))
    if row is None:
        db.add(after)
        return
    row.effective_personnel, row.ai_personnel, row.ai_role = (
        after.effective_personnel, after.ai_personnel, after.ai_role)
    db.add(row)


def _apply_areas(db: Session, actor_id: int, client_id: int,
                 entries: list[PersonnelInput]) -> None:
    current: dict[str, dict[str, ClientTechnicalArea]] = {}
    for row in db.exec(select(ClientTechnicalArea)
                       .where(ClientTechnicalArea.client_id == client_id)):
        current.setdefault(row.scheme, {})[row.area] = row
    for entry in entries:
        have = current.get(entry.scheme.value, {})
        want = list(entry.areas) if entry.in_scope else []
        if sorted(have) == sorted(want):
            continue
        _history(db, actor_id, client_id, f"technical areas: {entry.scheme.value}",
                 sorted(have) or None, sorted(want) or None)
        for area, row in have.items():
            if area not in want:
                db.delete(row)
        for area in want:
            if area not in have:
                db.add(ClientTechnicalArea(client_id=client_id, scheme=entry.scheme.value,
                                           area=area))


# --- contacts ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class ContactInput:
    contact_id: int | None
    name: str
    position: str = ""
    email: str = ""
    phone: str = ""
    remove: bool = False

    @property
    def is_blank(self) -> bool:
        return not any((value or "").strip()
                       for value in (self.name, self.position, self.email, self.phone))


def _contact_text(contact) -> str:
    return "; ".join(part for part in (contact.position, contact.email, contact.phone) if part)


def save_contacts(db: Session, user, client_id: int, rows: list[ContactInput], *,
                  expected_version: int, actor_id: int) -> None:
    client = _editable(db, user, client_id, expected_version)
    existing = {c.id: c for c in db.exec(select(ClientContact)
                                         .where(ClientContact.client_id == client_id))}
    problems: list[Problem] = []
    kept: list[ContactInput] = []
    removed: list[ClientContact] = []
    for index, row in enumerate(rows):
        prefix = f"contacts-{index}-"
        if row.contact_id is not None and row.contact_id not in existing:
            problems.append(Problem(prefix + "name", "This contact is not one of this "
                                                     "client's contacts any more; reload."))
            continue
        if row.remove or (row.contact_id is None and row.is_blank):
            if row.contact_id is not None:
                removed.append(existing[row.contact_id])
            continue
        contact = ContactInput(row.contact_id, checks.tidy_name(row.name),
                               (row.position or "").strip(), (row.email or "").strip(),
                               (row.phone or "").strip())
        if not contact.name:
            problems.append(Problem(prefix + "name", "Enter the contact's name."))
        if contact.email and checks.email_problem(contact.email):
            problems.append(Problem(prefix + "email", checks.email_problem(contact.email)))
        kept.append(contact)
    _raise_if(problems)
    for contact in removed:
        _history(db, actor_id, client_id, f"contact: {contact.name}", _contact_text(contact),
                 None)
        db.delete(contact)
    for row in kept:
        _apply_contact(db, actor_id, client_id, row, existing.get(row.contact_id))
    _save_version(db, client)


def _apply_contact(db: Session, actor_id: int, client_id: int, row: ContactInput,
                   contact: ClientContact | None) -> None:
    if contact is None:
        _history(db, actor_id, client_id, f"contact: {row.name}", None,
                 _contact_text(row) or row.name)
        db.add(ClientContact(client_id=client_id, name=row.name, position=row.position,
                             email=row.email, phone=row.phone))
        return
    before = (contact.name, _contact_text(contact))
    if before == (row.name, _contact_text(row)):
        return
    _history(db, actor_id, client_id, f"contact: {contact.name}",
             f"{contact.name}; {_contact_text(contact)}", f"{row.name}; {_contact_text(row)}")
    contact.name, contact.position, contact.email, contact.phone = (
        row.name, row.position, row.email, row.phone)
    db.add(contact)


# --- AI systems -------------------------------------------------------------------------------

@dataclass(frozen=True)
class AISystemInput:
    ai_system_id: int | None
    name: str
    purpose: str = ""
    ai_role: str = ""
    risk_level: str = ""
    site_ids: tuple[int, ...] = ()
    remove: bool = False

    @property
    def is_blank(self) -> bool:
        return not (self.name or "").strip() and not (self.purpose or "").strip() \
            and not self.site_ids


def _system_text(system, site_names: list[str]) -> str:
    text = f"{system.ai_role}; {system.risk_level} risk"
    if system.purpose:
        text += f"; {system.purpose[:200]}"
    return text + (f"; sites: {', '.join(sorted(site_names))}" if site_names else "")


def save_ai_systems(db: Session, user, client_id: int, rows: list[AISystemInput], *,
                    expected_version: int, actor_id: int) -> None:
    """The inventory of AI systems in the client's ISO/IEC 42001 scope, each linked to sites of
    this client only."""
    client = _editable(db, user, client_id, expected_version)
    has_aims = db.exec(select(SchemePersonnel.scheme).where(
        SchemePersonnel.client_id == client_id,
        SchemePersonnel.scheme == Scheme.ISO42001.value)).first()
    site_names = {site.id: site.name for site in db.exec(
        select(Site).where(Site.client_id == client_id))}
    existing = {s.id: s for s in db.exec(select(AISystem).where(AISystem.client_id == client_id))}
    problems: list[Problem] = []
    kept: list[AISystemInput] = []
    removed: list[AISystem] = []
    mentioned = {row.ai_system_id for row in rows if row.ai_system_id is not None}
    names = {checks.same_name(system.name) for system_id, system in existing.items()
             if system_id not in mentioned}
    for index, row in enumerate(rows):
        prefix = f"systems-{index}-"
        if row.ai_system_id is not None and row.ai_system_id not in existing:
            problems.append(Problem(prefix + "name", "This AI system is not one of this "
                                                     "client's any more; reload the page."))
            continue
        if row.remove or (row.ai_system_id is None and row.is_blank):
            if row.ai_system_id is not None:
                removed.append(existing[row.ai_system_id])
            continue
        system = AISystemInput(row.ai_system_id, checks.tidy_name(row.name),
                               (row.purpose or "").strip(), row.ai_role, row.risk_level,
                               tuple(sorted(set(row.site_ids))))
        problems += _system_problems(prefix, system, names, site_names)
        names.add(checks.same_name(system.name))
        kept.append(system)
    if kept and not has_aims:
        problems.insert(0, Problem("", "AI systems belong to an ISO/IEC 42001 scope: record "
                                       "the client's ISO/IEC 42001 personnel first."))
    _raise_if(problems)
    _apply_ai_systems(db, actor_id, client_id, existing, kept, removed, site_names)
    _save_version(db, client)


def _system_problems(prefix: str, system: AISystemInput, names: set[str],
                     site_names: dict[int, str]) -> list[Problem]:
    problems = []
    if not system.name:
        problems.append(Problem(prefix + "name", "Enter the AI system's name."))
    elif checks.same_name(system.name) in names:
        problems.append(Problem(prefix + "name", f"Another AI system is already called "
                                                 f"“{system.name}”."))
    if not checks.is_value(system.ai_role, AIRole):
        problems.append(Problem(prefix + "ai_role", "Choose the organisation's AI role for "
                                                    "this system."))
    if not checks.is_value(system.risk_level, RiskLevel):
        problems.append(Problem(prefix + "risk_level", "Choose the risk level."))
    if any(site_id not in site_names for site_id in system.site_ids):
        problems.append(Problem(prefix + "site_ids", "Choose sites of this client only."))
    return problems


def _apply_ai_systems(db: Session, actor_id: int, client_id: int,
                      existing: dict[int, AISystem], kept: list[AISystemInput],
                      removed: list[AISystem], site_names: dict[int, str]) -> None:
    links: dict[int, set[int]] = {system_id: set() for system_id in existing}
    for link in db.exec(select(AISystemSite).where(
            AISystemSite.ai_system_id.in_(list(existing)))):
        links[link.ai_system_id].add(link.site_id)
    for system in removed:
        _history(db, actor_id, client_id, f"AI system: {system.name}",
                 _system_text(system, [site_names[i] for i in links[system.id]]), None)
        db.delete(system)
    db.flush()
    for row in kept:
        after = _system_text(row, [site_names[i] for i in row.site_ids])
        system = existing.get(row.ai_system_id)
        if system is None:
            system = AISystem(client_id=client_id, name=row.name, purpose=row.purpose,
                              ai_role=row.ai_role, risk_level=row.risk_level)
            db.add(system)
            db.flush()
            _history(db, actor_id, client_id, f"AI system: {row.name}", None, after)
            links[system.id] = set()
        else:
            before = _system_text(system, [site_names[i] for i in links[system.id]])
            if (system.name, before) != (row.name, after):
                _history(db, actor_id, client_id, f"AI system: {system.name}",
                         f"{system.name}; {before}", f"{row.name}; {after}")
            system.name, system.purpose = row.name, row.purpose
            system.ai_role, system.risk_level = row.ai_role, row.risk_level
            db.add(system)
        _link_sites(db, system.id, links[system.id], set(row.site_ids))


def _link_sites(db: Session, system_id: int, have: set[int], want: set[int]) -> None:
    if have - want:
        db.exec(delete(AISystemSite).where(AISystemSite.ai_system_id == system_id,
                                           AISystemSite.site_id.in_(sorted(have - want))))
    for site_id in want - have:
        db.add(AISystemSite(ai_system_id=system_id, site_id=site_id))


# --- bulk import --------------------------------------------------------------------------------

@dataclass
class ImportCheck:
    """The outcome of checking an uploaded file: every problem, or what importing would do."""

    parsed: ParsedFile
    filename: str
    client_ids: dict[str, int] = field(default_factory=dict)

    @property
    def kind(self) -> ImportKind:
        return self.parsed.kind

    @property
    def problems(self) -> list[RowProblem]:
        return self.parsed.problems

    @property
    def ok(self) -> bool:
        return self.parsed.ok

    @property
    def records(self) -> list:
        return self.parsed.records

    @property
    def summary(self) -> str:
        records = self.parsed.records
        if self.kind is ImportKind.CLIENTS:
            schemes = sum(len(r.schemes) for r in records)
            return f"{len(records)} clients with {schemes} scheme personnel records"
        if self.kind is ImportKind.SITES:
            clients = len({checks.same_name(r.client_name) for r in records})
            return f"{len(records)} sites of {clients} clients"
        qualified = sum(1 for r in records if r.qualification)
        return f"{len(records)} auditors, {qualified} with a qualification"


class ImportRefused(ValueError):
    """The database changed between the check and the write; nothing was imported."""


def check_import(db: Session, kind: ImportKind, data: bytes, filename: str) -> ImportCheck:
    """Check every row, on its own and against the database; nothing is written."""
    check = ImportCheck(parse_file(kind, data, filename), filename)
    _DATABASE_CHECKS[kind](db, check)
    check.parsed.problems.sort(key=lambda problem: problem.row or 0)
    return check


def _check_clients_against_database(db: Session, check: ImportCheck) -> None:
    taken = {checks.same_name(name): name for name in db.exec(select(Client.name))}
    for record in check.records:
        existing = taken.get(checks.same_name(record.name))
        if existing is not None:
            check.problems.append(RowProblem(record.row, f"Duplicate name: a client named "
                                                         f"“{existing}” already exists."))


def _check_sites_against_database(db: Session, check: ImportCheck) -> None:
    clients = {checks.same_name(name): client_id
               for client_id, name in db.exec(select(Client.id, Client.name))}
    wanted = {clients[key] for key in (checks.same_name(r.client_name) for r in check.records)
              if key in clients}
    sites: dict[int, list[Site]] = {}
    for site in db.exec(select(Site).where(Site.client_id.in_(sorted(wanted)))):
        sites.setdefault(site.client_id, []).append(site)
    for record in check.records:
        client_id = clients.get(checks.same_name(record.client_name))
        if client_id is None:
            check.problems.append(RowProblem(record.row, f"Unknown client “{record.client_name}”"
                                                         ": import or create the client first, "
                                                         "or correct the name."))
            continue
        check.client_ids[checks.same_name(record.client_name)] = client_id
        message = _existing_site_problem(record, sites.get(client_id, []))
        if message:
            check.problems.append(RowProblem(record.row, message))


def _existing_site_problem(record: SiteRecord, sites: list[Site]) -> str | None:
    for site in sites:
        if checks.same_name(site.name) == checks.same_name(record.site_name):
            return f"Duplicate site: “{record.client_name}” already has a site “{site.name}”."
        if record.kind == SiteKind.CENTRAL_FUNCTION and site.kind == SiteKind.CENTRAL_FUNCTION:
            return (f"A client has one central function (TIME-MS-02): “{record.client_name}” "
                    f"already has “{site.name}”.")
    return None


def _check_auditors_against_database(db: Session, check: ImportCheck) -> None:
    emails = [record.email for record in check.records]
    taken = set(db.exec(select(User.email).where(User.email.in_(emails)))) if emails else set()
    for record in check.records:
        if record.email in taken:
            check.problems.append(RowProblem(record.row, f"A user with the e-mail address "
                                                         f"{record.email} already exists."))


_DATABASE_CHECKS = {
    ImportKind.CLIENTS: _check_clients_against_database,
    ImportKind.SITES: _check_sites_against_database,
    ImportKind.AUDITORS: _check_auditors_against_database,
}


def apply_import(db: Session, check: ImportCheck, *, actor_id: int) -> str:
    """Write every record of a checked file; returns what was done, for the user. Raises
    ImportRefused (the caller rolls back) when the database refuses a row after all."""
    if not check.ok:
        raise ValueError("only a file without problems can be imported")
    try:
        message = _WRITERS[check.kind](db, check, actor_id)
        db.flush()
    except (IntegrityError, StaleDataError):
        raise ImportRefused("Someone changed the same data while the file was being imported. "
                            "Nothing was imported: upload the file again.") from None
    return message


def _import_clients(db: Session, check: ImportCheck, actor_id: int) -> str:
    records: list[ClientRecord] = check.records
    clients = [Client(name=r.name, address=r.address, language=r.language or "English",
                      sector=r.sector) for r in records]
    db.add_all(clients)
    db.flush()
    for client, record in zip(clients, records, strict=True):
        _history(db, actor_id, client.id, "created", None, f"{client.name} (import)")
        for figures in record.schemes:
            row = SchemePersonnel(client_id=client.id, scheme=figures.scheme.value,
                                  effective_personnel=figures.effective_personnel,
                                  ai_personnel=figures.ai_personnel, ai_role=figures.ai_role)
            db.add(row)
            _history(db, actor_id, client.id, f"personnel: {figures.scheme.value}", None,
                     _personnel_text(row))
    return f"Imported {check.summary}."


def _import_sites(db: Session, check: ImportCheck, actor_id: int) -> str:
    records: list[SiteRecord] = check.records
    client_ids = sorted(set(check.client_ids.values()))
    for record in records:
        client_id = check.client_ids[checks.same_name(record.client_name)]
        db.add(Site(client_id=client_id, name=record.site_name, kind=record.kind.value,
                    address=record.address, personnel=record.personnel))
        _history(db, actor_id, client_id, f"site: {record.site_name}", None,
                 _site_text(record.kind.value, record.personnel, record.address) + " (import)")
    for client in db.exec(select(Client).where(Client.id.in_(client_ids))):
        flag_modified(client, "name")  # the client changed: open edit forms become stale
        db.add(client)
    return f"Imported {check.summary}."


def _import_auditors(db: Session, check: ImportCheck, actor_id: int) -> str:
    records: list[AuditorRecord] = check.records
    for record in records:
        # Nobody ever sees this password: an administrator sets the first one (Users).
        user = accounts.create_user(db, email=record.email, full_name=record.full_name,
                                    password=secrets.token_urlsafe(32),
                                    roles=[Role.AUDITOR.value], actor_id=actor_id)
        # Stored as the auditor records screen stores them (scheduling feature): languages
        # ", "-separated, technical areas ";"-separated.
        db.add(AuditorProfile(user_id=user.id, languages=", ".join(record.languages)))
        qualification = record.qualification
        if qualification is not None:
            db.add(Qualification(user_id=user.id, scheme=qualification.scheme.value,
                                 role=qualification.role.value,
                                 technical_areas=checks.AREA_SEPARATOR.join(
                                     qualification.technical_areas),
                                 valid_from=qualification.valid_from,
                                 valid_until=qualification.valid_until))
    return (f"Imported {check.summary}. They cannot log in yet: each has a random password "
            "that nobody knows. An administrator sets a first password for each under Users "
            "(Reset password).")


_WRITERS = {
    ImportKind.CLIENTS: _import_clients,
    ImportKind.SITES: _import_sites,
    ImportKind.AUDITORS: _import_auditors,
}
