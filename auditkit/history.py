"""History rows: who changed what, when, from what to what. Written in the same transaction
as the change itself."""

from sqlmodel import Session

from auditkit.models import ChangeRecord


def record_change(db: Session, *, actor_id: int | None, subject: str, subject_id: object,
                  field_name: str, before: object, after: object) -> None:
    db.add(ChangeRecord(actor_id=actor_id, subject=subject, subject_id=str(subject_id),
                        field_name=field_name, before=_text(before), after=_text(after)))


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(sorted(str(v) for v in value))
    return str(value)
