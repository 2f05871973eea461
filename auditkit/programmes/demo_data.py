"""Demo programmes: the demo client holds an integrated ISO/IEC 42001 + 27001 certification in
the middle of its first cycle, and has applied for ISO 9001 as well.

Only certifications, cycles and audits are created here; audit teams are added by the
scheduling feature's own demo data.
"""

from collections.abc import Iterable, Mapping
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta
from sqlmodel import Session, select

from auditkit.models import (
    Audit,
    AuditStatus,
    AuditType,
    Certification,
    Client,
    Integration,
    Scheme,
    Site,
)
from auditkit.programmes.certifications import CertificationInput, create_certification
from auditkit.programmes.cycles import plan_of, start_initial_cycle
from auditkit.programmes.services import today

AIMS_ISMS_SCOPE = ("Design, development and operation of machine-learning analytics services "
                   "for retail and logistics customers, including the information security of "
                   "the cloud platform that runs them.")
QMS_SCOPE = "Delivery of managed data-analytics reporting services to business customers."


def seed_demo(db: Session, client: Client, users: Mapping | Iterable = ()) -> None:
    """Add the demo client's certifications, unless it has some already.

    `users`: the demo users (a mapping of any keys to User rows, or an iterable of them); the
    programme manager among them is recorded as the one who made the changes.
    """
    if db.exec(select(Certification.id).where(Certification.client_id == client.id)).first():
        return
    actor_id = _manager_id(users)
    now = today(db)
    _integrated_mid_cycle(db, client, now, actor_id)
    _applicant(db, client, now, actor_id)
    db.flush()


def _manager_id(users) -> int | None:
    people = users.values() if isinstance(users, Mapping) else users
    return next((user.id for user in people
                 if getattr(user, "email", "").startswith("manager@")), None)


def _integrated_mid_cycle(db: Session, client: Client, now: date, actor_id: int | None) -> None:
    """Decision about 14 months ago; Stage 1, Stage 2 and surveillance 1 held, surveillance 2
    planned in its window."""
    site_ids = tuple(db.exec(select(Site.id).where(Site.client_id == client.id)))
    certification = create_certification(db, client.id, CertificationInput(
        editions={Scheme.ISO42001.value: Scheme.ISO42001.edition,
                  Scheme.ISO27001.value: Scheme.ISO27001.edition},
        integration=Integration.INTEGRATED, scope=AIMS_ISMS_SCOPE, site_ids=site_ids),
        actor_id=actor_id)
    decision = _weekday(now - relativedelta(months=14))
    _audit(db, certification, AuditType.STAGE1, decision - timedelta(weeks=10), 2,
           AuditStatus.COMPLETED)
    _audit(db, certification, AuditType.STAGE2, decision - timedelta(weeks=4), 3,
           AuditStatus.COMPLETED)
    db.flush()
    cycle = start_initial_cycle(db, certification, decision,
                                "Decision by the certification committee (demo).",
                                actor_id=actor_id)
    plan = plan_of(cycle)
    _audit(db, certification, AuditType.SURVEILLANCE,
           plan.surveillance_1_window[0] + timedelta(days=30), 2, AuditStatus.COMPLETED,
           cycle_id=cycle.id)
    _audit(db, certification, AuditType.SURVEILLANCE,
           plan.surveillance_2_target - timedelta(days=14), 2, AuditStatus.PLANNED,
           cycle_id=cycle.id)


def _applicant(db: Session, client: Client, now: date, actor_id: int | None) -> None:
    """An ISO 9001 application with Stage 1 planned in three weeks."""
    certification = create_certification(db, client.id, CertificationInput(
        editions={Scheme.ISO9001.value: Scheme.ISO9001.edition},
        integration=Integration.SINGLE, scope=QMS_SCOPE, site_ids=()), actor_id=actor_id)
    _audit(db, certification, AuditType.STAGE1, now + timedelta(weeks=3), 1,
           AuditStatus.PLANNED)


def _audit(db: Session, certification: Certification, audit_type: AuditType, first_day: date,
           days: int, status: AuditStatus, *, cycle_id: int | None = None) -> Audit:
    start = _weekday(first_day)
    end = start
    for _day in range(days - 1):
        end = _weekday(end + timedelta(days=1))
    audit = Audit(certification_id=certification.id, cycle_id=cycle_id, audit_type=audit_type,
                  status=status, start_date=start, end_date=end)
    db.add(audit)
    db.flush()
    return audit


def _weekday(day: date) -> date:
    """Audits and decisions fall on working days: a Saturday or Sunday moves to Monday."""
    return day + timedelta(days=(7 - day.weekday()) % 7 if day.weekday() >= 5 else 0)
