"""Statements of Applicability in the database: reading revisions, saving the next one.

A revision is never changed once saved. Editing or importing writes revision n + 1 with every
entry, so the earlier revisions stay exactly as they were: the history a certification body
needs when a certificate or a report cites the SoA version it relied on (domain.md §4.1, §4.2).

Pages load with a fixed number of queries, however many revisions there are: the client, its
schemes, the revision headers, the entry counts of every revision (grouped), and the entries of
the revision shown and of the one before it.
"""

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from auditkit import db as database
from auditkit.accounts import services as accounts
from auditkit.clients.services import visible_client
from auditkit.history import record_change
from auditkit.models import (
    Certification,
    CertificationScheme,
    ImplementationStatus,
    SchemePersonnel,
    SoAEntry,
    StatementOfApplicability,
    User,
)
from auditkit.models.clients import Scheme
from auditkit.soa import entries as soa_entries
from auditkit.soa.entries import Control, ControlChange, Counts, Entry, Problem, Row
from auditkit.soa.importer import ImportResult, export_csv, read_soa_file
from auditkit.standards.catalogue import shipped_checklists

HISTORY_SUBJECT = "client"  # SoA revisions appear in the client's history
MAX_LABEL = 60
MAX_NOTE = 2000
StaleEdit = accounts.StaleEdit


class SoAInputError(ValueError):
    """The new revision is refused; nothing was saved."""

    def __init__(self, problems: Sequence[Problem]):
        super().__init__("; ".join(problem.message for problem in problems))
        self.problems = tuple(problems)


class ImportRefused(ValueError):
    """The file was refused; nothing was imported. `result` holds every problem found."""

    def __init__(self, result: ImportResult):
        super().__init__(f"{len(result.problems)} problems")
        self.result = result


# --- the controls of a scheme: adapter to the checklist catalogue ------------------------------

@dataclass(frozen=True)
class AnnexA:
    """The Annex A controls of one checklist (one edition of a standard)."""

    checklist_key: str
    standard: str
    controls: tuple[Control, ...]


def scheme_of(value: str) -> Scheme | None:
    try:
        return Scheme(value)
    except ValueError:
        return None


def annex_a(scheme: Scheme) -> AnnexA | None:
    """The controls under the SoA for the scheme's current edition; None when the standard has
    no Annex A (ISO 9001) or its checklist is not loaded."""
    for checklist in shipped_checklists():
        if checklist.framework == scheme.value and checklist.edition == scheme.edition:
            return _annex_of(checklist)
    return None


def annex_a_of_checklist(checklist_key: str) -> AnnexA | None:
    """The controls of the checklist a stored revision was made against."""
    checklist = next((c for c in shipped_checklists() if c.key == checklist_key), None)
    return _annex_of(checklist) if checklist is not None else None


def _annex_of(checklist) -> AnnexA | None:
    controls = tuple(Control(item.id, item.title) for item in checklist.soa_items)
    return AnnexA(checklist.key, checklist.edition, controls) if controls else None


# --- reading -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class RevisionSummary:
    id: int
    scheme: str
    revision: int
    checklist_key: str
    client_version_label: str
    client_version_date: date | None
    note: str
    created_by: str
    created_at: datetime
    applicable: int
    excluded: int


@dataclass(frozen=True)
class SchemeOverview:
    scheme: Scheme
    has_annex_a: bool
    in_scope: bool
    current: RevisionSummary | None
    revisions: int


@dataclass(frozen=True)
class Overview:
    client_id: int
    client_name: str
    schemes: tuple[SchemeOverview, ...]


@dataclass(frozen=True)
class HeaderChange:
    field: str
    before: str
    after: str


@dataclass(frozen=True)
class SoAPage:
    """One scheme's SoA of a client: the revision shown, its rows and counts, every revision,
    and what changed since the revision before the one shown."""

    client_id: int
    client_name: str
    scheme: Scheme
    standard: str
    has_annex_a: bool
    in_scope: bool
    revisions: tuple[RevisionSummary, ...]
    shown: RevisionSummary | None = None
    rows: tuple[Row, ...] = ()
    counts: Counts | None = None
    previous: RevisionSummary | None = None
    changes: tuple[ControlChange, ...] = ()
    header_changes: tuple[HeaderChange, ...] = ()

    @property
    def current(self) -> RevisionSummary | None:
        return self.revisions[0] if self.revisions else None

    @property
    def is_current(self) -> bool:
        return self.shown is not None and self.shown == self.current

    @property
    def entries(self) -> tuple[Entry, ...]:
        return tuple(row.entry for row in self.rows if row.entry is not None)


def now() -> datetime:
    return database.utcnow()


def _schemes_in_scope(db: Session, client_id: int) -> set[str]:
    """Schemes the client holds: with personnel figures, or under a certification."""
    held = set(db.exec(select(SchemePersonnel.scheme)
                       .where(SchemePersonnel.client_id == client_id)))
    held |= set(db.exec(select(CertificationScheme.scheme)
                        .join(Certification,
                              Certification.id == CertificationScheme.certification_id)
                        .where(Certification.client_id == client_id)))
    return held


def _revision_summaries(db: Session, client_id: int,
                        scheme: Scheme | None = None) -> list[RevisionSummary]:
    """Every revision (of one scheme, or all), newest first, with its author and counts: two
    queries whatever their number."""
    query = (select(StatementOfApplicability, User.full_name)
             .join(User, User.id == StatementOfApplicability.created_by_id, isouter=True)
             .where(StatementOfApplicability.client_id == client_id))
    ids = select(StatementOfApplicability.id).where(
        StatementOfApplicability.client_id == client_id)
    if scheme is not None:
        query = query.where(StatementOfApplicability.scheme == scheme.value)
        ids = ids.where(StatementOfApplicability.scheme == scheme.value)
    found = db.exec(query.order_by(StatementOfApplicability.scheme,
                                   StatementOfApplicability.revision.desc())).all()
    if not found:
        return []
    tally: dict[tuple[int, bool], int] = {}
    for soa_id, applicable, number in db.exec(
            select(SoAEntry.soa_id, SoAEntry.applicable, func.count())
            .where(SoAEntry.soa_id.in_(ids))
            .group_by(SoAEntry.soa_id, SoAEntry.applicable)):
        tally[(soa_id, bool(applicable))] = number
    return [RevisionSummary(
        id=soa.id, scheme=soa.scheme, revision=soa.revision, checklist_key=soa.checklist_key,
        client_version_label=soa.client_version_label,
        client_version_date=soa.client_version_date, note=soa.note,
        created_by=author or "system", created_at=soa.created_at,
        applicable=tally.get((soa.id, True), 0), excluded=tally.get((soa.id, False), 0))
        for soa, author in found]


def soa_revision_count(db: Session, client_id: int, scheme: Scheme) -> int:
    return db.exec(select(func.count()).select_from(StatementOfApplicability)
                   .where(StatementOfApplicability.client_id == client_id,
                          StatementOfApplicability.scheme == scheme.value)).one()


def overview(db: Session, user, client_id: int) -> Overview | None:
    """Every scheme with the client's current SoA revision; None when the user may not see
    the client."""
    client = visible_client(db, user, client_id)
    if client is None:
        return None
    held = _schemes_in_scope(db, client_id)
    by_scheme: dict[str, list[RevisionSummary]] = {}
    for summary in _revision_summaries(db, client_id):
        by_scheme.setdefault(summary.scheme, []).append(summary)
    schemes = []
    for scheme in Scheme:
        revisions = by_scheme.get(scheme.value, [])
        schemes.append(SchemeOverview(scheme, annex_a(scheme) is not None,
                                      scheme.value in held,
                                      revisions[0] if revisions else None, len(revisions)))
    return Overview(client.id, client.name, tuple(schemes))


def soa_page(db: Session, user, client_id: int, scheme: Scheme,
             revision: int | None = None) -> SoAPage | None:
    """The revision asked for (the current one by default); None when the user may not see the
    client or there is no such revision (the route answers 404)."""
    client = visible_client(db, user, client_id)
    if client is None:
        return None
    current_annex = annex_a(scheme)
    page = SoAPage(client.id, client.name, scheme, scheme.edition, current_annex is not None,
                   scheme.value in _schemes_in_scope(db, client_id),
                   tuple(_revision_summaries(db, client_id, scheme)))
    if revision is None and not page.revisions:
        rows = tuple(soa_entries.rows(current_annex.controls, ())) if current_annex else ()
        return replace(page, rows=rows)
    shown = next((r for r in page.revisions if revision in (None, r.revision)), None)
    if shown is None:
        return None
    previous = next((r for r in page.revisions if r.revision < shown.revision), None)
    stored = _entries_of(db, [r.id for r in (shown, previous) if r is not None])
    annex = annex_a_of_checklist(shown.checklist_key) or current_annex
    controls = annex.controls if annex else ()
    shown_entries = stored.get(shown.id, [])
    page = replace(page, shown=shown, standard=annex.standard if annex else scheme.edition,
                    rows=tuple(soa_entries.rows(controls, shown_entries)),
                    counts=soa_entries.counts(controls, shown_entries), previous=previous)
    if previous is not None:
        page = replace(page, changes=tuple(soa_entries.changes(
            controls, stored.get(previous.id, []), shown_entries)),
            header_changes=_header_changes(previous, shown))
    return page


def _entries_of(db: Session, soa_ids: list[int]) -> dict[int, list[Entry]]:
    found: dict[int, list[Entry]] = {soa_id: [] for soa_id in soa_ids}
    if not soa_ids:
        return found
    for row in db.exec(select(SoAEntry).where(SoAEntry.soa_id.in_(soa_ids))):
        found[row.soa_id].append(_entry(row))
    return found


def _entry(row: SoAEntry) -> Entry:
    status = ImplementationStatus(row.implementation_status) if row.implementation_status \
        else None
    return Entry(row.control_id, row.applicable, row.justification, status)


def _header_changes(before: RevisionSummary, after: RevisionSummary) -> tuple[HeaderChange, ...]:
    fields = (("Client's version label", before.client_version_label,
               after.client_version_label),
              ("Date of the client's version", _day(before.client_version_date),
               _day(after.client_version_date)),
              ("Checklist", before.checklist_key, after.checklist_key))
    return tuple(HeaderChange(name, old, new) for name, old, new in fields if old != new)


def _day(value: date | None) -> str:
    return value.isoformat() if value else ""


# --- saving a new revision ---------------------------------------------------------------------

@dataclass(frozen=True)
class RevisionHeader:
    """What the client calls this version of its SoA document, and a note of the body's."""

    client_version_label: str
    client_version_date: date | None = None
    note: str = ""


def save_revision(db: Session, user, client_id: int, scheme: Scheme, entries: Sequence[Entry],
                  header: RevisionHeader, *, base_revision: int | None,
                  actor_id: int | None) -> int:
    """Write revision n + 1 with these entries; returns its number.

    Refused (SoAInputError, nothing written) when a control is missing or unknown, an
    exclusion has no justification, or nothing differs from the current revision. StaleEdit
    when `base_revision` (the revision the form was opened on) is no longer the current one.
    LookupError when the client is not visible or the scheme has no Annex A.
    """
    if visible_client(db, user, client_id) is None:
        raise LookupError(client_id)
    return add_revision(db, client_id, scheme, entries, header, base_revision=base_revision,
                        actor_id=actor_id)


def add_revision(db: Session, client_id: int, scheme: Scheme, entries: Sequence[Entry],
                 header: RevisionHeader, *, base_revision: int | None, actor_id: int | None,
                 created_at: datetime | None = None) -> int:
    """`save_revision` for a caller that has already decided the client may be changed (the
    demo body); `created_at` backdates a demo revision."""
    annex = annex_a(scheme)
    if annex is None:
        raise LookupError(scheme)
    header = _checked_header(header)
    _raise_if(_entry_problems(annex, entries))
    current = db.exec(select(StatementOfApplicability)
                      .where(StatementOfApplicability.client_id == client_id,
                             StatementOfApplicability.scheme == scheme.value)
                      .order_by(StatementOfApplicability.revision.desc()).limit(1)).first()
    if base_revision is not None and (current.revision if current else 0) != base_revision:
        raise StaleEdit()
    if current is not None and _unchanged(db, current, annex, entries, header):
        raise SoAInputError([Problem(
            f"Nothing differs from revision {current.revision}: change a control or the "
            "client's version label or date to record a new revision.")])
    soa = StatementOfApplicability(
        client_id=client_id, scheme=scheme.value, checklist_key=annex.checklist_key,
        revision=(current.revision if current else 0) + 1,
        client_version_label=header.client_version_label,
        client_version_date=header.client_version_date, note=header.note,
        created_by_id=actor_id, created_at=created_at or now())
    _insert(db, soa, entries)
    record_change(db, actor_id=actor_id, subject=HISTORY_SUBJECT, subject_id=client_id,
                  field_name=f"Statement of Applicability: {scheme.label}",
                  before=_revision_text(current), after=_revision_text(soa))
    return soa.revision


def _insert(db: Session, soa: StatementOfApplicability, entries: Sequence[Entry]) -> None:
    """Two saves at once both ask for revision n + 1: the unique constraint lets one win."""
    try:
        db.add(soa)
        db.flush()
        db.add_all(SoAEntry(soa_id=soa.id, control_id=entry.control_id,
                            applicable=entry.applicable, justification=entry.justification,
                            implementation_status=entry.status.value if entry.status else None)
                   for entry in entries)
        db.flush()
    except IntegrityError:
        db.rollback()
        raise StaleEdit() from None


def _revision_text(soa: StatementOfApplicability | None) -> str | None:
    if soa is None:
        return None
    label = f" ({soa.client_version_label})" if soa.client_version_label else ""
    return f"revision {soa.revision}{label}"


def _checked_header(header: RevisionHeader) -> RevisionHeader:
    label = " ".join(header.client_version_label.split())
    problems = []
    if not label:
        problems.append(Problem("Enter the client's version label of its SoA document, "
                                "e.g. v3.2."))
    elif len(label) > MAX_LABEL:
        problems.append(Problem(f"The client's version label is longer than {MAX_LABEL} "
                                "characters."))
    if len(header.note) > MAX_NOTE:
        problems.append(Problem(f"The note is longer than {MAX_NOTE:,} characters."))
    _raise_if(problems)
    return RevisionHeader(label, header.client_version_date, header.note.strip())


def _entry_problems(annex: AnnexA, entries: Sequence[Entry]) -> list[Problem]:
    known = {control.id for control in annex.controls}
    problems, seen = [], set()
    for entry in entries:
        if entry.control_id not in known:
            problems.append(Problem(f"{entry.control_id} is not an Annex A control of "
                                    f"{annex.standard}.", control_id=entry.control_id))
        elif entry.control_id in seen:
            problems.append(Problem(f"{entry.control_id} is given twice.",
                                    control_id=entry.control_id))
        elif not entry.applicable and not entry.justification.strip():
            problems.append(Problem("An excluded control needs a justification for its "
                                    "exclusion.", control_id=entry.control_id))
        seen.add(entry.control_id)
    missing = soa_entries.missing_controls(annex.controls, entries)
    if missing:
        problems.append(Problem(f"No answer for {', '.join(missing)}: every Annex A control of "
                                f"{annex.standard} is either applicable or excluded."))
    return problems


def _unchanged(db: Session, current: StatementOfApplicability, annex: AnnexA,
               entries: Sequence[Entry], header: RevisionHeader) -> bool:
    if (current.checklist_key, current.client_version_label, current.client_version_date) != (
            annex.checklist_key, header.client_version_label, header.client_version_date):
        return False
    stored = _entries_of(db, [current.id])[current.id]
    return soa_entries.same_content(stored, entries)


def _raise_if(problems: list[Problem]) -> None:
    if problems:
        raise SoAInputError(problems)


# --- files -------------------------------------------------------------------------------------

def check_file(scheme: Scheme, data: bytes, filename: str) -> ImportResult:
    annex = annex_a(scheme)
    if annex is None:
        raise LookupError(scheme)
    return read_soa_file(data, filename, annex.controls, annex.standard)


def import_file(db: Session, user, client_id: int, scheme: Scheme, data: bytes, filename: str,
                header: RevisionHeader, *, actor_id: int | None) -> tuple[int, ImportResult]:
    """All or nothing: a file with any refused row raises ImportRefused and writes nothing;
    a clean file becomes the next revision."""
    if visible_client(db, user, client_id) is None:
        raise LookupError(client_id)
    result = check_file(scheme, data, filename)
    if not result.ok:
        raise ImportRefused(result)
    number = save_revision(db, user, client_id, scheme, result.entries, header,
                           base_revision=None, actor_id=actor_id)
    return number, result


def export(db: Session, user, client_id: int, scheme: Scheme) -> tuple[str, str] | None:
    """The current revision as a CSV file to edit and import again: (file name, text)."""
    page = soa_page(db, user, client_id, scheme)
    annex = annex_a(scheme)
    if page is None or annex is None:
        return None
    revision = f"-r{page.shown.revision}" if page.shown else ""
    return f"soa-{scheme.value}{revision}.csv", export_csv(annex.controls, page.entries)
