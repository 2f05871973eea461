"""Demo programmes that give the dashboard something to show: a surveillance 1 limit close
(CYC-SUR-02 warning), one passed (CYC-SUR-02, a ground for a suspension proposal), a
recertification not yet planned with the certificate expiring (CYC-REC-01) and a surveillance
window about to open. Dates are set from today, so the demo stays current.
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
)
from auditkit.programmes.certifications import CertificationInput, create_certification
from auditkit.programmes.cycles import plan_of, start_initial_cycle
from auditkit.programmes.services import today as body_today

DECISION_NOTE = "Decision by the certification committee (demo)."


def seed_demo(db: Session, users: Mapping | Iterable = ()) -> list[int]:
    """Add the dashboard's demo clients unless they are there; returns the new certifications.

    `users`: the demo users (a mapping of any keys to User rows, or an iterable of them); the
    programme manager among them is recorded as the one who made the changes.
    """
    actor_id = _manager_id(users)
    today = body_today(db)
    created = []
    for name, sector, scheme, decided, held in _PROGRAMMES:
        if db.exec(select(Client.id).where(Client.name == name)).first() is not None:
            continue
        client = Client(name=name, sector=sector, address="Demo Park, Exampleton")
        db.add(client)
        db.flush()
        created.append(_certified(db, client, scheme, decided(today), held, actor_id))
    db.flush()
    return created


def _manager_id(users) -> int | None:
    people = users.values() if isinstance(users, Mapping) else users
    return next((user.id for user in people
                 if getattr(user, "email", "").startswith("manager@")), None)


def _certified(db: Session, client: Client, scheme: Scheme, decision: date, held: tuple,
               actor_id: int | None) -> int:
    """A certification decided on `decision` after its initial audit, with the surveillance
    audits named in `held` completed on days a careful manager would pick."""
    certification = create_certification(db, client.id, CertificationInput(
        editions={scheme.value: scheme.edition}, integration=Integration.SINGLE,
        scope=f"Services of {client.name.removesuffix(' (demo client)')}", site_ids=()),
        actor_id=actor_id)
    stage2 = _weekday(decision - timedelta(weeks=5))
    _audit(db, certification, AuditType.STAGE1, _weekday(stage2 - timedelta(weeks=8)), None)
    _audit(db, certification, AuditType.STAGE2, stage2, None)
    db.flush()
    cycle = start_initial_cycle(db, certification, decision, DECISION_NOTE, actor_id=actor_id)
    plan = plan_of(cycle)
    # Each in its window, and in the calendar year after the previous one (CYC-SUR-01).
    surveillance_1 = _within(date(decision.year + 1, 1, 10), plan.surveillance_1_window[0],
                             plan.surveillance_1_latest - timedelta(days=7))
    surveillance_2 = _within(date(surveillance_1.year + 1, 1, 10),
                             plan.surveillance_2_window[0],
                             plan.surveillance_2_window[1] - timedelta(days=7))
    for number, day in ((1, surveillance_1), (2, surveillance_2)):
        if number in held:
            _audit(db, certification, AuditType.SURVEILLANCE, day, cycle.id)
    return certification.id


def _within(wished: date, first: date, last: date) -> date:
    return _weekday(min(max(wished, first), last))


def _audit(db: Session, certification: Certification, audit_type: AuditType, start: date,
           cycle_id: int | None) -> None:
    end = _weekday(start + timedelta(days=1))
    db.add(Audit(certification_id=certification.id, cycle_id=cycle_id, audit_type=audit_type,
                 status=AuditStatus.COMPLETED, start_date=start, end_date=end))


def _weekday(day: date) -> date:
    """Audits fall on working days: a Saturday or Sunday moves to Monday."""
    return day + timedelta(days=(7 - day.weekday()) % 7 if day.weekday() >= 5 else 0)


# name, sector, standard, decision date from today, surveillance audits held
_PROGRAMMES = (
    # Surveillance 1 must end within 40 days and nothing is planned (CYC-SUR-02 warning).
    ("Harbourside Logistics Ltd (demo client)", "Transport and logistics", Scheme.ISO27001,
     lambda today: _weekday(today - relativedelta(months=12) + timedelta(days=40)), ()),
    # Surveillance 1 limit passed a month ago without an audit (CYC-SUR-02, suspension ground).
    ("Copperfield Manufacturing Ltd (demo client)", "Manufacturing", Scheme.ISO9001,
     lambda today: _weekday(today - relativedelta(months=13)), ()),
    # Certificate expires in about 80 days; recertification audit not planned (CYC-REC-01).
    ("Meridian Health Data Ltd (demo client)", "Health care", Scheme.ISO27001,
     lambda today: _weekday(today - relativedelta(months=36) + timedelta(days=80)), (1, 2)),
    # Surveillance 1 window opens in about three weeks, nothing planned yet.
    ("Northwind Robotics Ltd (demo client)", "Information technology", Scheme.ISO42001,
     lambda today: _weekday(today - relativedelta(months=9) + timedelta(days=21)), ()),
)
