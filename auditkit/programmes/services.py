"""What every programme service shares: scoped look-ups, the body's policy, today's date and
the errors shown next to a field.

Look-ups of user-supplied ids go through the scoped queries of accounts/policy.py, so that an
object the user may not see is simply not found (404).
"""

from datetime import date

from sqlmodel import Session

from auditkit.accounts.policy import visible_audits, visible_certifications, visible_clients
from auditkit.admin.services import now_in_body_zone, policy_values
from auditkit.models import Audit, Certification, Client
from auditkit.rules.cycle import CyclePolicy


class ProgrammeError(ValueError):
    """Bad input: the message is shown to the user next to `field_name` (or above the form)."""

    def __init__(self, message: str, field_name: str | None = None):
        super().__init__(message)
        self.field_name = field_name


class NotFound(LookupError):
    """The object does not exist, or the user may not see it: both answer 404."""


def today(db: Session) -> date:
    """Today in the body's time zone (audit days and deadlines are dates there)."""
    return now_in_body_zone(db).date()


def cycle_policy(db: Session) -> CyclePolicy:
    """The body's cycle policy in force now (`cb_policy.*`, defaults where it made no choice)."""
    return CyclePolicy.from_values(policy_values(db))


def stage1_share(db: Session) -> int:
    """TIME-10: the body's default Stage 1 share of the initial audit time, in percent."""
    return int(policy_values(db)["stage1_share"])


def find_certification(db: Session, user, certification_id: int) -> Certification:
    found = db.exec(visible_certifications(user)
                    .where(Certification.id == certification_id)).first()
    if found is None:
        raise NotFound(certification_id)
    return found


def find_client(db: Session, user, client_id: int) -> Client:
    found = db.exec(visible_clients(user).where(Client.id == client_id)).first()
    if found is None:
        raise NotFound(client_id)
    return found


def find_audit(db: Session, user, audit_id: int) -> Audit:
    found = db.exec(visible_audits(user).where(Audit.id == audit_id)).first()
    if found is None:
        raise NotFound(audit_id)
    return found


def client_choices(db: Session, user) -> list[tuple[int, str]]:
    return [(client.id, client.name)
            for client in db.exec(visible_clients(user).order_by(Client.name))]
