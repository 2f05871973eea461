"""Auditor records (TEAM-02): qualifications per scheme and role, languages, and declared
consultancy for or employment at clients (IMP-03). The team checks read these records."""

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session, select

from auditkit.accounts.policy import visible_auditor_records, visible_clients
from auditkit.history import record_change
from auditkit.models import (
    AuditorProfile,
    Client,
    EngagementDeclaration,
    EngagementKind,
    Qualification,
    QualificationRole,
    Role,
    Scheme,
    User,
    UserRole,
)
from auditkit.programmes.services import today
from auditkit.scheduling.labels import (
    ENGAGEMENT_KIND_LABELS,
    QUALIFICATION_ROLE_LABELS,
    scheme_label,
)

AREA_SEPARATOR = ";"
MAX_AREA_LENGTH = 80
MAX_LANGUAGES_LENGTH = 200


class RecordError(ValueError):
    """Bad input for an auditor record; the message is shown next to the field."""

    def __init__(self, message: str, field_name: str | None = None):
        super().__init__(message)
        self.field_name = field_name


@dataclass(frozen=True)
class QualificationLine:
    id: int
    scheme: str
    role: str
    technical_areas: tuple[str, ...]
    valid_from: date
    valid_until: date | None

    @property
    def scheme_label(self) -> str:
        return scheme_label(self.scheme)

    @property
    def role_label(self) -> str:
        return QUALIFICATION_ROLE_LABELS.get(self.role, self.role)

    def state_on(self, today: date) -> str:
        if self.valid_from > today:
            return "not yet valid"
        if self.valid_until is not None and self.valid_until < today:
            return "ended"
        return "valid"


@dataclass(frozen=True)
class EngagementLine:
    id: int
    client_id: int
    client_name: str
    kind: str
    description: str
    ended_on: date | None
    declared_at: datetime

    @property
    def kind_label(self) -> str:
        return ENGAGEMENT_KIND_LABELS.get(self.kind, self.kind)


@dataclass(frozen=True)
class AuditorRecord:
    id: int
    full_name: str
    email: str
    is_active: bool
    languages: tuple[str, ...]
    qualifications: tuple[QualificationLine, ...]
    engagements: tuple[EngagementLine, ...]


# --- reading -----------------------------------------------------------------------------------

def auditor_records(db: Session, viewer) -> list[AuditorRecord]:
    """Users holding the auditor role whose record the viewer may see, by name."""
    auditors = select(UserRole.user_id).where(UserRole.role == Role.AUDITOR)
    users = db.exec(visible_auditor_records(viewer).where(User.id.in_(auditors))
                    .order_by(User.full_name, User.id)).all()
    return _records(db, users)


def auditor_record(db: Session, viewer, user_id: int) -> AuditorRecord | None:
    user = _visible_user(db, viewer, user_id)
    return _records(db, [user])[0] if user is not None else None


def _visible_user(db: Session, viewer, user_id: int) -> User | None:
    return db.exec(visible_auditor_records(viewer).where(User.id == user_id)).first()


def _records(db: Session, users: list[User]) -> list[AuditorRecord]:
    """One query per table, whatever the number of people."""
    ids = [user.id for user in users]
    if not ids:
        return []
    languages = {profile.user_id: profile.languages for profile in
                 db.exec(select(AuditorProfile).where(AuditorProfile.user_id.in_(ids)))}
    qualifications: dict[int, list[QualificationLine]] = {user_id: [] for user_id in ids}
    for row in db.exec(select(Qualification).where(Qualification.user_id.in_(ids))
                       .order_by(Qualification.scheme, Qualification.valid_from)):
        qualifications[row.user_id].append(qualification_line(row))
    engagements: dict[int, list[EngagementLine]] = {user_id: [] for user_id in ids}
    for row, client_name in db.exec(
            select(EngagementDeclaration, Client.name)
            .join(Client, Client.id == EngagementDeclaration.client_id)
            .where(EngagementDeclaration.user_id.in_(ids))
            .order_by(Client.name, EngagementDeclaration.id)):
        engagements[row.user_id].append(EngagementLine(
            row.id, row.client_id, client_name, row.kind, row.description, row.ended_on,
            row.declared_at))
    return [AuditorRecord(user.id, user.full_name, user.email, user.is_active,
                          split_languages(languages.get(user.id, "")),
                          tuple(qualifications[user.id]), tuple(engagements[user.id]))
            for user in users]


def qualification_line(row: Qualification) -> QualificationLine:
    return QualificationLine(row.id, row.scheme, row.role, split_areas(row.technical_areas),
                             row.valid_from, row.valid_until)


def split_areas(text: str) -> tuple[str, ...]:
    """Technical areas are stored ";"-separated; a form may also give one per line."""
    found: list[str] = []
    for part in (text or "").replace("\n", AREA_SEPARATOR).split(AREA_SEPARATOR):
        area = " ".join(part.split())
        if area and area.casefold() not in (known.casefold() for known in found):
            found.append(area)
    return tuple(found)


def split_languages(text: str) -> tuple[str, ...]:
    found: list[str] = []
    for part in (text or "").split(","):
        language = " ".join(part.split())
        if language and language.casefold() not in (known.casefold() for known in found):
            found.append(language)
    return tuple(found)


# --- writing -----------------------------------------------------------------------------------

def _require_user(db: Session, viewer, user_id: int) -> User:
    user = _visible_user(db, viewer, user_id)
    if user is None:
        raise LookupError(user_id)
    return user


def set_languages(db: Session, viewer, user_id: int, text: str, *, actor_id: int) -> None:
    _require_user(db, viewer, user_id)
    languages = split_languages(text)
    if not languages:
        raise RecordError("Enter at least one language, e.g. English.", "languages")
    stored = ", ".join(languages)
    if len(stored) > MAX_LANGUAGES_LENGTH:
        raise RecordError(f"Up to {MAX_LANGUAGES_LENGTH} characters in all.", "languages")
    profile = db.get(AuditorProfile, user_id)
    before = profile.languages if profile is not None else ""
    if before == stored:
        return
    profile = profile or AuditorProfile(user_id=user_id)
    profile.languages = stored
    db.add(profile)
    record_change(db, actor_id=actor_id, subject="auditor", subject_id=user_id,
                  field_name="languages", before=before or None, after=stored)


@dataclass(frozen=True)
class QualificationInput:
    scheme: str
    role: str
    technical_areas: str
    valid_from: date
    valid_until: date | None


def _checked(data: QualificationInput) -> QualificationInput:
    if data.scheme not in set(Scheme):
        raise RecordError("Choose a scheme from the list.", "scheme")
    if data.role not in set(QualificationRole):
        raise RecordError("Choose a role from the list.", "role")
    if data.valid_until is not None and data.valid_until < data.valid_from:
        raise RecordError("A qualification cannot end before it starts.", "valid_until")
    areas = split_areas(data.technical_areas)
    if any(len(area) > MAX_AREA_LENGTH for area in areas):
        raise RecordError(f"Each technical area has up to {MAX_AREA_LENGTH} characters.",
                          "technical_areas")
    return QualificationInput(data.scheme, data.role, AREA_SEPARATOR.join(areas),
                              data.valid_from, data.valid_until)


def add_qualification(db: Session, viewer, user_id: int, data: QualificationInput, *,
                      actor_id: int) -> Qualification:
    _require_user(db, viewer, user_id)
    data = _checked(data)
    row = Qualification(user_id=user_id, scheme=data.scheme, role=data.role,
                        technical_areas=data.technical_areas, valid_from=data.valid_from,
                        valid_until=data.valid_until)
    db.add(row)
    db.flush()
    record_change(db, actor_id=actor_id, subject="auditor", subject_id=user_id,
                  field_name=f"qualification {row.id} added", before=None,
                  after=_describe(row))
    return row


def qualification_of(db: Session, viewer, user_id: int,
                     qualification_id: int) -> QualificationLine | None:
    row = _qualification_row(db, viewer, user_id, qualification_id)
    return qualification_line(row) if row is not None else None


def _qualification_row(db: Session, viewer, user_id: int,
                       qualification_id: int) -> Qualification | None:
    if _visible_user(db, viewer, user_id) is None:
        return None
    return db.exec(select(Qualification).where(Qualification.id == qualification_id,
                                               Qualification.user_id == user_id)).first()


def update_qualification(db: Session, viewer, user_id: int, qualification_id: int,
                         data: QualificationInput, *, actor_id: int) -> None:
    row = _qualification_row(db, viewer, user_id, qualification_id)
    if row is None:
        raise LookupError(qualification_id)
    data = _checked(data)
    before = _describe(row)
    for name in ("scheme", "role", "technical_areas", "valid_from", "valid_until"):
        setattr(row, name, getattr(data, name))
    if _describe(row) != before:
        db.add(row)
        record_change(db, actor_id=actor_id, subject="auditor", subject_id=user_id,
                      field_name=f"qualification {row.id}", before=before, after=_describe(row))


def end_qualification(db: Session, viewer, user_id: int, qualification_id: int,
                      ended_on: date, *, actor_id: int) -> None:
    """The qualification stays on record, valid up to and including `ended_on`."""
    row = _qualification_row(db, viewer, user_id, qualification_id)
    if row is None:
        raise LookupError(qualification_id)
    if ended_on < row.valid_from:
        raise RecordError(f"It started on {row.valid_from:%Y-%m-%d}; it cannot end before.",
                          "ended_on")
    if row.valid_until is not None and row.valid_until <= ended_on:
        raise RecordError(f"It already ends on {row.valid_until:%Y-%m-%d}.", "ended_on")
    before = _describe(row)
    row.valid_until = ended_on
    db.add(row)
    record_change(db, actor_id=actor_id, subject="auditor", subject_id=user_id,
                  field_name=f"qualification {row.id} ended", before=before,
                  after=_describe(row))


def _describe(row: Qualification) -> str:
    until = f"{row.valid_until:%Y-%m-%d}" if row.valid_until else "open"
    areas = f" [{row.technical_areas}]" if row.technical_areas else ""
    return (f"{scheme_label(row.scheme)} {QUALIFICATION_ROLE_LABELS.get(row.role, row.role)}"
            f"{areas}, {row.valid_from:%Y-%m-%d} to {until}")


@dataclass(frozen=True)
class EngagementInput:
    client_id: int | None
    kind: str
    description: str
    ended_on: date | None


def _checked_engagement(db: Session, viewer, data: EngagementInput) -> EngagementInput:
    if data.kind not in set(EngagementKind):
        raise RecordError("Choose consultancy or employment.", "kind")
    client = None
    if data.client_id is not None:
        client = db.exec(visible_clients(viewer).where(Client.id == data.client_id)).first()
    if client is None:
        raise RecordError("Choose a client from the list.", "client_id")
    if data.ended_on is not None and data.ended_on > today(db):
        raise RecordError("Enter the day it ended, not a future day; leave the field empty "
                          "while it goes on.", "ended_on")
    return EngagementInput(client.id, data.kind, data.description.strip(), data.ended_on)


def add_engagement(db: Session, viewer, user_id: int, data: EngagementInput, *,
                   actor_id: int) -> EngagementDeclaration:
    _require_user(db, viewer, user_id)
    data = _checked_engagement(db, viewer, data)
    row = EngagementDeclaration(user_id=user_id, client_id=data.client_id, kind=data.kind,
                                description=data.description, ended_on=data.ended_on)
    db.add(row)
    db.flush()
    record_change(db, actor_id=actor_id, subject="auditor", subject_id=user_id,
                  field_name=f"engagement {row.id} declared", before=None,
                  after=_describe_engagement(row))
    return row


def engagement_of(db: Session, viewer, user_id: int, engagement_id: int) -> EngagementLine | None:
    found = _engagement_row(db, viewer, user_id, engagement_id)
    if found is None:
        return None
    row, client_name = found
    return EngagementLine(row.id, row.client_id, client_name, row.kind, row.description,
                          row.ended_on, row.declared_at)


def _engagement_row(db: Session, viewer, user_id: int, engagement_id: int):
    if _visible_user(db, viewer, user_id) is None:
        return None
    clients = visible_clients(viewer).with_only_columns(Client.id)
    return db.exec(select(EngagementDeclaration, Client.name)
                   .join(Client, Client.id == EngagementDeclaration.client_id)
                   .where(EngagementDeclaration.id == engagement_id,
                          EngagementDeclaration.user_id == user_id,
                          EngagementDeclaration.client_id.in_(clients))).first()


def update_engagement(db: Session, viewer, user_id: int, engagement_id: int,
                      data: EngagementInput, *, actor_id: int) -> None:
    found = _engagement_row(db, viewer, user_id, engagement_id)
    if found is None:
        raise LookupError(engagement_id)
    row = found[0]
    data = _checked_engagement(db, viewer, data)
    before = _describe_engagement(row)
    row.client_id, row.kind = data.client_id, data.kind
    row.description, row.ended_on = data.description, data.ended_on
    if _describe_engagement(row) != before:
        db.add(row)
        record_change(db, actor_id=actor_id, subject="auditor", subject_id=user_id,
                      field_name=f"engagement {row.id}", before=before,
                      after=_describe_engagement(row))


def _describe_engagement(row: EngagementDeclaration) -> str:
    ended = f"ended {row.ended_on:%Y-%m-%d}" if row.ended_on else "ongoing"
    return f"{row.kind} for client {row.client_id}, {ended}"
