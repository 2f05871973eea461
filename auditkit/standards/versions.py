"""Checklist versions: an audit keeps the checklist version it started with.

A version is the content of a loaded checklist, not the bytes of its file: the items in file
order with id, title, kind, parent, assessable, untitled and guidance, plus the checklist's key,
framework, edition and source, written as JSON with sorted keys and no spaces. Its id is the
SHA-256 (hex) of that JSON. A comment or a layout change in the YAML therefore makes no new
version; any change an auditor could see does. The file's location is not part of it, so the
same shipped file has the same id on every installation.

Which checklist a scheme of a certification gets: the checklist of that framework whose edition
is the certification's edition (a shipped one before a body's own), otherwise the shipped
checklist of the framework. So the shipped checklist wins unless the body both added its own
edition (`<instance folder>/checklists/`) and named that edition on the certification.

Versions are recorded when an audit is pinned, never at start-up; a pin is written once and
never changed. Unlike the rest of `auditkit.standards`, this module uses the database.
"""

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flask import current_app
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from auditkit.models import Audit, AuditChecklist, CertificationScheme, ChecklistVersion
from auditkit.standards.model import Checklist, Guidance, Item, Kind, Source

CONTENT_FORMAT = 1  # bump only with a new serialisation; old ids stay as they were stored
CATALOGUE_EXTENSION = "auditkit.checklists"  # the app's loaded catalogue (standards.routes)


# --- the content of a version ----------------------------------------------------------------

def content_of(checklist: Checklist) -> dict:
    return {"format": CONTENT_FORMAT, "key": checklist.key, "framework": checklist.framework,
            "edition": checklist.edition, "source": str(checklist.source),
            "items": [_item_content(item) for item in checklist.items]}


def _item_content(item: Item) -> dict:
    guidance = item.guidance
    return {"id": item.id, "title": item.title, "kind": str(item.kind), "parent": item.parent,
            "assessable": item.assessable, "untitled": item.untitled,
            "guidance": None if guidance is None else {
                "question": guidance.question, "evidence": list(guidance.evidence),
                "sample": list(guidance.sample), "interview": list(guidance.interview),
                "ai_focus": list(guidance.ai_focus)}}


def content_json(checklist: Checklist) -> str:
    """The canonical text of a checklist: what is hashed and what is stored."""
    return json.dumps(content_of(checklist), sort_keys=True, ensure_ascii=False,
                      separators=(",", ":"))


def content_hash(checklist: Checklist) -> str:
    return _hash(content_json(checklist))


def _hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def checklist_from_json(text: str) -> Checklist:
    """The immutable checklist rebuilt from stored content (its path is only `<key>.yaml`)."""
    data = json.loads(text)
    entries = data["items"]
    parents = {entry["id"]: entry["parent"] for entry in entries}
    children: dict[str, list[str]] = {}
    for entry in entries:
        if entry["parent"] is not None:
            children.setdefault(entry["parent"], []).append(entry["id"])
    items = tuple(
        Item(id=entry["id"], title=entry["title"], kind=Kind(entry["kind"]),
             parent=entry["parent"], assessable=entry["assessable"], untitled=entry["untitled"],
             guidance=_guidance(entry["guidance"]), depth=_depth(entry["id"], parents),
             children=tuple(children.get(entry["id"], ())))
        for entry in entries)
    return Checklist(key=data["key"], framework=data["framework"], edition=data["edition"],
                     source=Source(data["source"]), path=Path(f"{data['key']}.yaml"), items=items)


def _guidance(entry: dict | None) -> Guidance | None:
    if entry is None:
        return None
    return Guidance(question=entry["question"], evidence=tuple(entry["evidence"]),
                    sample=tuple(entry["sample"]), interview=tuple(entry["interview"]),
                    ai_focus=tuple(entry["ai_focus"]))


def _depth(item_id: str, parents: dict) -> int:
    depth = 0
    while parents[item_id] is not None:
        item_id = parents[item_id]
        depth += 1
    return depth


# --- which checklist a scheme gets -------------------------------------------------------------

def _same_edition(first: str, second: str) -> bool:
    return " ".join(first.split()).casefold() == " ".join(second.split()).casefold()


def checklist_for(scheme: str, edition: str, checklists: Iterable[Checklist]) -> Checklist | None:
    """The checklist of a certification's scheme: same framework and edition (shipped first),
    else the shipped checklist of the framework, else none."""
    of_scheme = [c for c in checklists if c.framework == scheme]
    of_scheme.sort(key=lambda c: (c.source is not Source.SHIPPED, c.key))
    matching = [c for c in of_scheme if _same_edition(c.edition, edition)]
    shipped = [c for c in of_scheme if c.source is Source.SHIPPED]
    return (matching or shipped or [None])[0]


def loaded_checklists() -> tuple[Checklist, ...]:
    """The checklists the app loaded at start-up (shipped and the body's own)."""
    return current_app.extensions[CATALOGUE_EXTENSION].checklists


# --- recording and pinning ----------------------------------------------------------------------

def record_versions(db: Session, checklists: Iterable[Checklist]) -> dict[str, str]:
    """A ChecklistVersion for each checklist, added when its content is new (an existing row is
    left as it is). Returns checklist key -> version id."""
    recorded = {}
    for checklist in checklists:
        text = content_json(checklist)
        version_id = _hash(text)
        if db.get(ChecklistVersion, version_id) is None:
            _add_version(db, ChecklistVersion(
                id=version_id, checklist_key=checklist.key, framework=checklist.framework,
                edition=checklist.edition, source=str(checklist.source), content_json=text))
        recorded[checklist.key] = version_id
    return recorded


def _add_version(db: Session, version: ChecklistVersion) -> None:
    """Inserted in a savepoint: another process may record the same content at the same time."""
    try:
        with db.begin_nested():
            db.add(version)
    except IntegrityError:
        if db.get(ChecklistVersion, version.id) is None:
            raise


def pin_checklists(db: Session, audit: Audit,
                   checklists: Iterable[Checklist] | None = None) -> list[AuditChecklist]:
    """Pin, for each scheme of the audit's certification, the current version of its checklist.
    A checklist the audit already has stays pinned to its version. Returns the new pins."""
    available = tuple(loaded_checklists() if checklists is None else checklists)
    schemes = db.exec(select(CertificationScheme)
                      .where(CertificationScheme.certification_id == audit.certification_id)
                      .order_by(CertificationScheme.scheme)).all()
    chosen = {found.key: found for found in (checklist_for(row.scheme, row.edition, available)
                                             for row in schemes) if found is not None}
    pinned = set(db.exec(select(AuditChecklist.checklist_key)
                         .where(AuditChecklist.audit_id == audit.id)))
    new = [chosen[key] for key in sorted(chosen) if key not in pinned]
    versions = record_versions(db, new)
    pins = [AuditChecklist(audit_id=audit.id, checklist_key=checklist.key,
                           checklist_version_id=versions[checklist.key]) for checklist in new]
    db.add_all(pins)
    db.flush()
    return pins


def pin_unpinned_audits(db: Session, checklists: Iterable[Checklist] | None = None) -> int:
    """Pin every audit that has no checklist yet (demo data, audits made before versions were
    recorded). Returns how many audits were pinned."""
    available = tuple(loaded_checklists() if checklists is None else checklists)
    has_pin = select(AuditChecklist.audit_id)
    audits = db.exec(select(Audit).where(Audit.id.not_in(has_pin)).order_by(Audit.id)).all()
    return sum(1 for audit in audits if pin_checklists(db, audit, available))


def pinned_checklist(db: Session, audit_id: int, checklist_key: str) -> Checklist | None:
    """The checklist exactly as it was when the audit was pinned, whatever the file is now."""
    text = db.exec(select(ChecklistVersion.content_json)
                   .join(AuditChecklist,
                         AuditChecklist.checklist_version_id == ChecklistVersion.id)
                   .where(AuditChecklist.audit_id == audit_id,
                          AuditChecklist.checklist_key == checklist_key)).first()
    return None if text is None else checklist_from_json(text)


@dataclass(frozen=True)
class PinnedLine:
    """What the audit page says about one pinned checklist."""

    checklist_key: str
    edition: str
    version_id: str
    pinned_at: datetime

    @property
    def short_version(self) -> str:
        return self.version_id[:12]


def pinned_lines(db: Session, audit_id: int) -> tuple[PinnedLine, ...]:
    """The audit's pinned checklists in one query, without their content."""
    rows = db.exec(select(AuditChecklist.checklist_key, ChecklistVersion.edition,
                          ChecklistVersion.id, AuditChecklist.pinned_at)
                   .join(ChecklistVersion,
                         ChecklistVersion.id == AuditChecklist.checklist_version_id)
                   .where(AuditChecklist.audit_id == audit_id)
                   .order_by(AuditChecklist.checklist_key)).all()
    return tuple(PinnedLine(*row) for row in rows)
