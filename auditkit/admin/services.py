"""The body's settings and policies, with their history."""

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, available_timezones

from flask import g
from sqlmodel import Session, select

from auditkit import db as database
from auditkit import storage
from auditkit.history import record_change
from auditkit.models import BodySettings, ChangeRecord, Client, PolicyValue, StoredFile, User
from auditkit.rules.policies import POLICIES, POLICIES_BY_NAME, PolicyDefinition

SETTINGS_FIELDS = ("name", "address", "accreditation_body", "accreditation_number", "time_zone",
                   "session_idle_minutes", "session_absolute_hours")
LOGO_TYPES = {b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg"}
MAX_LOGO_BYTES = 1024 * 1024


class SettingsError(ValueError):
    def __init__(self, message: str, field_name: str | None = None):
        super().__init__(message)
        self.field_name = field_name


def body_settings(db: Session) -> BodySettings:
    body = db.get(BodySettings, 1)
    return body if body is not None else BodySettings(id=1, name="")


@dataclass(frozen=True)
class BodyHeader:
    """What every page shows of the body: its name, and the zone its times are shown in."""

    name: str
    time_zone: str


def body_header() -> BodyHeader:
    if "body_header" not in g:
        db = database.session()
        try:
            body = body_settings(db)
            g.body_header = BodyHeader(body.name or "auditkit", body.time_zone)
        except Exception:  # noqa: BLE001 - error pages must render with the database down
            db.rollback()  # a failed statement must not poison the request's later queries
            g.body_header = BodyHeader("auditkit", "UTC")
    return g.body_header


def in_body_zone(moment: datetime) -> datetime:
    return moment.astimezone(ZoneInfo(body_header().time_zone))


def ensure_body(db: Session, name: str = "") -> BodySettings:
    body = db.get(BodySettings, 1)
    if body is None:
        body = BodySettings(id=1, name=name)
        db.add(body)
        db.flush()
    return body


def update_settings(db: Session, changes: dict, *, expected_version: int, actor_id: int) -> int:
    """Apply changed settings; returns how many fields changed."""
    body = ensure_body(db)
    if body.version != expected_version:
        from auditkit.accounts.services import StaleEdit

        raise StaleEdit()
    _validate_settings(changes)
    changed = 0
    for name in SETTINGS_FIELDS:
        if name in changes and getattr(body, name) != changes[name]:
            record_change(db, actor_id=actor_id, subject="settings", subject_id="body",
                          field_name=name, before=getattr(body, name), after=changes[name])
            setattr(body, name, changes[name])
            changed += 1
    db.add(body)
    return changed


def _validate_settings(changes: dict) -> None:
    if "name" in changes and not changes["name"].strip():
        raise SettingsError("Enter the body's name.", "name")
    if "time_zone" in changes and changes["time_zone"] not in available_timezones():
        raise SettingsError("Choose a time zone from the list, e.g. Europe/Berlin.", "time_zone")
    idle = changes.get("session_idle_minutes", 30)
    absolute = changes.get("session_absolute_hours", 12)
    if not 5 <= idle <= 240:
        raise SettingsError("Idle timeout: from 5 to 240 minutes.", "session_idle_minutes")
    if not 1 <= absolute <= 24:
        raise SettingsError("Absolute timeout: from 1 to 24 hours.", "session_absolute_hours")
    if idle > absolute * 60:
        raise SettingsError("The idle timeout cannot be longer than the absolute timeout.",
                            "session_idle_minutes")


def replace_logo(db: Session, data: bytes, filename: str, *, actor_id: int) -> None:
    content_type = next((kind for magic, kind in LOGO_TYPES.items() if data.startswith(magic)),
                        None)
    if content_type is None:
        raise SettingsError("The logo must be a PNG or JPEG image.", "logo")
    if len(data) > MAX_LOGO_BYTES:
        raise SettingsError("The logo must be smaller than 1 MiB.", "logo")
    body = ensure_body(db)
    stored = storage.put(data)
    storage.discard_on_rollback(db, stored.file_id)
    db.add(StoredFile(id=stored.file_id, original_name=display_filename(filename),
                      content_type=content_type, size=stored.size, sha256=stored.sha256))
    db.flush()
    record_change(db, actor_id=actor_id, subject="settings", subject_id="body",
                  field_name="logo", before=body.logo_file_id, after=stored.file_id)
    body.logo_file_id = stored.file_id
    db.add(body)


def display_filename(name: str) -> str:
    cleaned = "".join(ch for ch in (name or "") if ch.isprintable() and ch not in "/\\")
    return cleaned.strip()[:200] or "logo"


def logo(db: Session) -> tuple[bytes, str] | None:
    body = db.get(BodySettings, 1)
    if body is None or body.logo_file_id is None:
        return None
    stored = db.get(StoredFile, body.logo_file_id)
    return storage.get(stored.id), stored.content_type


def time_zones() -> list[str]:
    return sorted(available_timezones())


def now_in_body_zone(db: Session) -> datetime:
    return database.utcnow().astimezone(ZoneInfo(body_settings(db).time_zone))


# --- policies --------------------------------------------------------------------------------

@dataclass
class PolicyRow:
    definition: PolicyDefinition
    value: int | bool | str
    is_default: bool

    @property
    def display(self) -> str:
        return self.definition.format(self.value)


def policy_values(db: Session) -> dict[str, int | bool | str]:
    """Every policy's value in force: the body's choice where it made one, else the default."""
    stored = {row.name: row.value for row in db.exec(select(PolicyValue))}
    values = {}
    for definition in POLICIES:
        raw = stored.get(definition.name)
        values[definition.name] = (definition.parse(raw) if raw is not None
                                   else definition.default)
    return values


def policy_rows(db: Session) -> list[PolicyRow]:
    values = policy_values(db)
    return [PolicyRow(d, values[d.name], values[d.name] == d.default) for d in POLICIES]


def update_policies(db: Session, submitted: dict[str, str], *, actor_id: int) -> list[str]:
    """Validate every submitted value first; change nothing unless all are valid.

    Dates already planned are never moved: later features store the dates they computed, and
    a policy applies to what is planned after the change.
    """
    errors: dict[str, str] = {}
    parsed: dict[str, int | bool | str] = {}
    for name, raw in submitted.items():
        definition = POLICIES_BY_NAME.get(name)
        if definition is None:
            errors[name] = "Unknown policy."
            continue
        try:
            parsed[name] = definition.parse(raw)
        except ValueError as error:
            errors[name] = str(error)
    if errors:
        raise PolicyErrors(errors)
    current = policy_values(db)
    changed = []
    for name, value in parsed.items():
        if value == current[name]:
            continue
        definition = POLICIES_BY_NAME[name]
        record_change(db, actor_id=actor_id, subject="policy", subject_id=name,
                      field_name=definition.qualified_name,
                      before=definition.format(current[name]), after=definition.format(value))
        row = db.get(PolicyValue, name) or PolicyValue(name=name, value="")
        row.value = str(value).lower() if isinstance(value, bool) else str(value)
        db.add(row)
        changed.append(name)
    return changed


class PolicyErrors(ValueError):
    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


# --- history and clients ---------------------------------------------------------------------

@dataclass
class HistoryLine:
    changed_at: datetime
    actor: str
    subject: str
    subject_id: str
    field_name: str
    before: str | None
    after: str | None


def history(db: Session, subject: str | None = None, limit: int = 200) -> list[HistoryLine]:
    query = (select(ChangeRecord, User.email).join(User, User.id == ChangeRecord.actor_id,
                                                   isouter=True)
             .order_by(ChangeRecord.changed_at.desc(), ChangeRecord.id.desc()).limit(limit))
    if subject:
        query = query.where(ChangeRecord.subject == subject)
    return [HistoryLine(r.changed_at, email or "system", r.subject, r.subject_id, r.field_name,
                        r.before, r.after) for r, email in db.exec(query)]


def client_choices(db: Session) -> list[tuple[int, str]]:
    return [(c.id, c.name) for c in db.exec(select(Client).order_by(Client.name))]
