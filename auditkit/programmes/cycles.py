"""Cycles: the initial decision that starts one, taking on a certified client, and storing the
dates so a later policy change never re-dates a cycle already running.

Every date comes from auditkit.rules.cycle; the dates of a cycle are computed once, when it
starts, and stored with the policy they came from (`Cycle.policy_json`).
"""

import json
from dataclasses import asdict, dataclass, fields
from datetime import date

from sqlmodel import Session, select

from auditkit.history import record_change
from auditkit.models import (
    Audit,
    AuditStatus,
    AuditType,
    Certification,
    CertificationState,
    Cycle,
    CycleOrigin,
)
from auditkit.programmes.certifications import BEFORE_DECISION
from auditkit.programmes.services import ProgrammeError, cycle_policy, find_certification, today
from auditkit.programmes.timeline import day_text
from auditkit.rules.cycle import (
    CyclePlan,
    CyclePolicy,
    plan_continued_cycle,
    plan_cycle,
)

ORIGIN_LABELS = {
    CycleOrigin.INITIAL: "Initial certification",
    CycleOrigin.RECERTIFICATION: "Recertification",
    CycleOrigin.RESTORATION: "Restored certification",
    CycleOrigin.TAKEN_OVER: "Certified by this body before auditkit",
    CycleOrigin.TRANSFER: "Transferred in (IAF MD 2)",
}
TAKE_OVER_ORIGINS = (CycleOrigin.TAKEN_OVER, CycleOrigin.TRANSFER)
PAST_AUDIT_TYPES = (AuditType.STAGE1, AuditType.STAGE2, AuditType.SURVEILLANCE,
                    AuditType.RECERTIFICATION, AuditType.SPECIAL_SCOPE_EXTENSION,
                    AuditType.SPECIAL_SHORT_NOTICE, AuditType.TRANSFER_REVIEW,
                    AuditType.TRANSFER_VISIT, AuditType.NC_FOLLOW_UP)


# --- storing and reading a cycle's plan ---------------------------------------------------------

def store_plan(cycle: Cycle, plan: CyclePlan) -> None:
    """Copy the plan's dates onto the cycle and keep the whole plan with its policy, so the
    cycle reads back exactly as it was computed."""
    cycle.decision_date = plan.decision_date
    cycle.previous_expiry = plan.previous_expiry
    cycle.certificate_expiry = plan.certificate_expiry
    cycle.surveillance_1_window_start = plan.surveillance_1_window[0]
    cycle.surveillance_1_latest = plan.surveillance_1_latest
    cycle.surveillance_2_window_start, cycle.surveillance_2_window_end = plan.surveillance_2_window
    cycle.recertification_earliest = plan.recertification_earliest
    cycle.recertification_target = plan.recertification_target
    cycle.restoration_deadline = plan.restoration_deadline
    cycle.policy_json = json.dumps({"policy": asdict(plan.policy), "plan": _plan_dates(plan)},
                                   sort_keys=True)


def _plan_dates(plan: CyclePlan) -> dict:
    stored = {}
    for plan_field in fields(CyclePlan):
        value = getattr(plan, plan_field.name)
        if isinstance(value, date):
            stored[plan_field.name] = value.isoformat()
        elif isinstance(value, tuple):
            stored[plan_field.name] = [day.isoformat() for day in value]
        elif isinstance(value, bool) or value is None:
            stored[plan_field.name] = value
    return stored


def plan_of(cycle: Cycle) -> CyclePlan:
    """The cycle's plan as stored when it started (never recomputed from today's policy)."""
    snapshot = json.loads(cycle.policy_json or "{}")
    policy = CyclePolicy.from_values(snapshot.get("policy", {}))
    stored = snapshot.get("plan")
    if not stored:
        return _plan_from_columns(cycle, policy)
    values = {}
    for plan_field in fields(CyclePlan):
        if plan_field.name == "policy" or plan_field.name not in stored:
            continue
        raw = stored[plan_field.name]
        if isinstance(raw, list):
            values[plan_field.name] = tuple(date.fromisoformat(day) for day in raw)
        elif isinstance(raw, str):
            values[plan_field.name] = date.fromisoformat(raw)
        else:
            values[plan_field.name] = raw
    return CyclePlan(**values, policy=policy)


def _plan_from_columns(cycle: Cycle, policy: CyclePolicy) -> CyclePlan:
    """A cycle stored without its plan (written by another feature): the stored columns win,
    the rules fill in the dates that have no column."""
    from dataclasses import replace

    plan = plan_continued_cycle(cycle.decision_date, cycle.certificate_expiry, policy)
    return replace(
        plan, previous_expiry=cycle.previous_expiry,
        surveillance_1_window=(cycle.surveillance_1_window_start, cycle.surveillance_1_latest),
        surveillance_1_latest=cycle.surveillance_1_latest,
        surveillance_2_window=(cycle.surveillance_2_window_start,
                               cycle.surveillance_2_window_end),
        recertification_earliest=cycle.recertification_earliest,
        recertification_target=cycle.recertification_target,
        restoration_deadline=cycle.restoration_deadline)


# --- the initial certification decision ---------------------------------------------------------

def record_decision(db: Session, user, certification_id: int, decision_date: date, note: str, *,
                    actor_id: int) -> Cycle:
    """Cycle 1 from the initial certification decision (CYC-VAL-01/03), dated by the body's
    policy in force today; the certification becomes active.

    A simple record for now: the independent decision workflow (CYC-DEC-01..04) comes later.
    """
    certification = find_certification(db, user, certification_id)
    return start_initial_cycle(db, certification, decision_date, note, actor_id=actor_id)


def start_initial_cycle(db: Session, certification: Certification, decision_date: date,
                        note: str, *, actor_id: int | None) -> Cycle:
    """Cycle 1 of a certification already looked up (or of the demo body)."""
    _require_no_cycle(db, certification)
    audits = _audits(db, certification.id)
    _check_decision_date(db, decision_date, audits, note)
    cycle = Cycle(certification_id=certification.id, number=1, origin=CycleOrigin.INITIAL,
                  note=note.strip(), is_current=True)
    store_plan(cycle, plan_cycle(decision_date, cycle_policy(db)))
    db.add(cycle)
    db.flush()
    _link_audits(db, audits, cycle)
    _activate(db, certification, actor_id)
    record_change(db, actor_id=actor_id, subject="certification", subject_id=certification.id,
                  field_name="decision_date", before=None, after=decision_date.isoformat())
    return cycle


def _require_no_cycle(db: Session, certification: Certification) -> None:
    has_cycle = db.exec(select(Cycle.id).where(Cycle.certification_id == certification.id)
                        ).first() is not None
    if has_cycle or certification.state not in BEFORE_DECISION:
        raise ProgrammeError("This certification already has a cycle: its dates are recorded "
                             "and are not changed here.")


def _check_decision_date(db: Session, decision_date: date, audits: list[Audit],
                         note: str) -> None:
    if decision_date > today(db):
        raise ProgrammeError("The decision date cannot be in the future: record the decision "
                             "once it is taken.", "decision_date")
    stage2s = [audit for audit in audits if audit.audit_type == AuditType.STAGE2
               and audit.status != AuditStatus.CANCELLED]
    last_day = max((audit.end_date for audit in stage2s), default=None)
    if last_day is not None and decision_date < last_day:
        raise ProgrammeError(f"The decision cannot come before the end of Stage 2 on "
                             f"{day_text(last_day)}.", "decision_date")
    completed = any(audit.status == AuditStatus.COMPLETED for audit in stage2s)
    if not completed and not note.strip():
        raise ProgrammeError("No completed Stage 2 audit is recorded in auditkit: say in the "
                             "note where the initial audit is recorded.", "note")


def _activate(db: Session, certification: Certification, actor_id: int | None) -> None:
    record_change(db, actor_id=actor_id, subject="certification", subject_id=certification.id,
                  field_name="state", before=certification.state,
                  after=CertificationState.ACTIVE.value)
    certification.state = CertificationState.ACTIVE
    db.add(certification)
    db.flush()


def _audits(db: Session, certification_id: int) -> list[Audit]:
    return list(db.exec(select(Audit).where(Audit.certification_id == certification_id)
                        .order_by(Audit.start_date, Audit.id)))


def _link_audits(db: Session, audits: list[Audit], cycle: Cycle) -> None:
    """The initial audit (Stage 1 and 2) belongs to the cycle it led to."""
    for audit in audits:
        if audit.cycle_id is None:
            audit.cycle_id = cycle.id
            db.add(audit)
    db.flush()


# --- taking on a certified client ---------------------------------------------------------------

@dataclass(frozen=True)
class PastAudit:
    audit_type: str
    start_date: date
    end_date: date


@dataclass(frozen=True)
class TakeOverInput:
    origin: str
    cycle_number: int
    decision_date: date
    certificate_expiry: date
    note: str
    transfer_checked: bool
    past_audits: tuple[PastAudit, ...]


def expected_expiry(db: Session, decision_date: date) -> date:
    """CYC-VAL-03: the expiry the body's policy gives for this decision date."""
    return plan_cycle(decision_date, cycle_policy(db)).certificate_expiry


def take_over(db: Session, user, certification_id: int, data: TakeOverInput, *,
              actor_id: int) -> Cycle:
    """CYC-TRF-04: the cycle continues with the certificate's own expiry; the past audits are
    recorded as completed, and the programme goes on from there."""
    certification = find_certification(db, user, certification_id)
    _require_no_cycle(db, certification)
    _check_take_over(db, data)
    cycle = Cycle(certification_id=certification.id, number=data.cycle_number,
                  origin=data.origin, note=data.note.strip(), is_current=True)
    store_plan(cycle, plan_continued_cycle(data.decision_date, data.certificate_expiry,
                                           cycle_policy(db)))
    db.add(cycle)
    db.flush()
    for past in data.past_audits:
        db.add(Audit(certification_id=certification.id, cycle_id=cycle.id,
                     audit_type=past.audit_type, status=AuditStatus.COMPLETED,
                     start_date=past.start_date, end_date=past.end_date,
                     notes="Recorded when the certification was taken on."))
    db.flush()
    _link_audits(db, _audits(db, certification.id), cycle)
    _activate(db, certification, actor_id)
    record_change(db, actor_id=actor_id, subject="certification", subject_id=certification.id,
                  field_name="taken_on",
                  before=None, after=(f"{ORIGIN_LABELS[CycleOrigin(data.origin)]}: decision "
                                      f"{data.decision_date.isoformat()}, expiry "
                                      f"{data.certificate_expiry.isoformat()}, "
                                      f"{len(data.past_audits)} past audits"))
    return cycle


def _check_take_over(db: Session, data: TakeOverInput) -> None:
    now = today(db)
    if data.origin not in {origin.value for origin in TAKE_OVER_ORIGINS}:
        raise ProgrammeError("Choose how the client was certified.", "origin")
    if data.origin == CycleOrigin.TRANSFER and not data.transfer_checked:
        raise ProgrammeError("Confirm the pre-transfer review: the certificate is accredited "
                             "under an IAF MLA signatory and is valid, not suspended "
                             "(CYC-TRF-01, CYC-TRF-02).", "transfer_checked")
    if data.decision_date > now:
        raise ProgrammeError("The decision date of a certificate already issued cannot be in "
                             "the future.", "decision_date")
    if data.certificate_expiry <= data.decision_date:
        raise ProgrammeError("The certificate must expire after its decision date.",
                             "certificate_expiry")
    if data.certificate_expiry < now:
        raise ProgrammeError(f"The certificate expired on {day_text(data.certificate_expiry)}: "
                             "an expired certificate cannot be taken on (CYC-TRF-02, CYC-REC-04)"
                             "; open a new initial certification instead.", "certificate_expiry")
    expected = expected_expiry(db, data.decision_date)
    if data.certificate_expiry != expected and not data.note.strip():
        raise ProgrammeError(
            f"Your body's policy gives an expiry of {day_text(expected)} for this decision "
            f"date. Keep the certificate's own expiry (CYC-TRF-04) and say why it differs, "
            f"e.g. recertified before expiry (CYC-VAL-04).", "note")
    for index, past in enumerate(data.past_audits):
        if past.end_date < past.start_date:
            raise ProgrammeError("The last day comes before the first day.",
                                 f"audits-{index}-end_date")
        if past.end_date >= now:
            raise ProgrammeError("Only audits already held can be recorded here: the last day "
                                 "must be before today. Plan coming audits in the programme.",
                                 f"audits-{index}-end_date")
