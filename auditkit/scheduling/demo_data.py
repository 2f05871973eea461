"""Demo auditor records and audit teams.

The demo lead auditor is qualified to lead ISO/IEC 42001 and 27001 audits; a second auditor is
qualified as auditor and once gave consultancy to another client, so the team checks keep them
off that client's audits (IMP-03). The demo client's audits that the programme feature created
get a team with signed declarations; audits of schemes nobody is qualified for are left without
one, for the programme manager to staff.
"""

import secrets
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta

from dateutil.relativedelta import relativedelta
from sqlmodel import Session, select

from auditkit import db as database
from auditkit.accounts import services as accounts
from auditkit.models import (
    Audit,
    AuditorProfile,
    AuditStatus,
    AuditTeamMember,
    Certification,
    CertificationScheme,
    Client,
    ClientTechnicalArea,
    EngagementDeclaration,
    EngagementKind,
    Qualification,
    QualificationRole,
    Role,
    Scheme,
    TeamRole,
    User,
)

DEMO_LEAD_EMAIL = "auditor@demo.auditkit.test"
SECOND_AUDITOR_EMAIL = "auditor2@demo.auditkit.test"
SECOND_AUDITOR_NAME = "Demo Second Auditor"
OTHER_CLIENT_NAME = "Harbour Freight Systems Ltd (demo client)"
LEAD_SCHEMES = (Scheme.ISO42001, Scheme.ISO27001)
DEFAULT_AREAS = {
    Scheme.ISO42001: ("machine learning", "AI system life cycle"),
    Scheme.ISO27001: ("cloud services", "software development"),
}


def seed_demo(db: Session, client: Client, users: Mapping | Iterable = (),
              password: str | None = None) -> list[int]:
    """Auditor records and teams for the demo body, unless the lead already has a record.

    `client`: the demo client. `users`: the demo users (a mapping of any keys to User rows, or
    an iterable of them); the demo auditor must be among them. The second auditor
    (auditor2@..., one of the demo users) is created if missing, with `password` (the demo
    password) or else a random one. Run it after the programmes' demo data: returns the ids of
    the audits that were given a team (none when the demo client has no audits yet).
    """
    people = list(users.values() if isinstance(users, Mapping) else users)
    lead = next((user for user in people if user.email == DEMO_LEAD_EMAIL), None)
    if lead is None or db.exec(select(Qualification.id).where(
            Qualification.user_id == lead.id)).first():
        return []
    now = database.utcnow().date()
    areas = _client_areas(db, client)
    _lead_record(db, lead, areas, now)
    second = _second_auditor(db, password, areas, now)
    _conflicting_engagement(db, second, client, now)
    db.flush()
    return _teams(db, client, lead, second, now)


def _client_areas(db: Session, client: Client) -> dict[str, tuple[str, ...]]:
    """The demo client's technical areas per scheme, so the demo team covers them (TEAM-03)."""
    found: dict[str, list[str]] = {}
    for row in db.exec(select(ClientTechnicalArea).where(
            ClientTechnicalArea.client_id == client.id)):
        found.setdefault(row.scheme, []).append(row.area)
    return {scheme: tuple(dict.fromkeys([*found.get(scheme, ()), *DEFAULT_AREAS[scheme]]))
            for scheme in LEAD_SCHEMES}


def _lead_record(db: Session, lead: User, areas: dict, now: date) -> None:
    db.add(AuditorProfile(user_id=lead.id, languages="English, German"))
    for scheme in LEAD_SCHEMES:
        db.add(Qualification(user_id=lead.id, scheme=scheme, role=QualificationRole.LEAD_AUDITOR,
                             technical_areas=";".join(areas[scheme]),
                             valid_from=now - relativedelta(years=4)))


def _second_auditor(db: Session, password: str | None, areas: dict, now: date) -> User:
    user = db.exec(select(User).where(User.email == SECOND_AUDITOR_EMAIL)).first()
    if user is None:
        user = accounts.create_user(db, email=SECOND_AUDITOR_EMAIL, full_name=SECOND_AUDITOR_NAME,
                                    password=password or secrets.token_urlsafe(24),
                                    roles=(Role.AUDITOR,))
    db.add(AuditorProfile(user_id=user.id, languages="English, French"))
    for scheme in LEAD_SCHEMES:
        db.add(Qualification(user_id=user.id, scheme=scheme, role=QualificationRole.AUDITOR,
                             technical_areas=";".join(areas[scheme][:1]),
                             valid_from=now - relativedelta(years=2),
                             valid_until=now + relativedelta(years=3)))
    return user


def _conflicting_engagement(db: Session, second: User, client: Client, now: date) -> None:
    """Consultancy for another client that ended a year ago: within 17021-1's 2 years."""
    other = db.exec(select(Client).where(Client.id != client.id).order_by(Client.name)).first()
    if other is None:
        other = Client(name=OTHER_CLIENT_NAME, sector="Logistics")
        db.add(other)
        db.flush()
    db.add(EngagementDeclaration(
        user_id=second.id, client_id=other.id, kind=EngagementKind.CONSULTANCY,
        description="Helped set up the information security management system.",
        ended_on=now - relativedelta(years=1)))


def _teams(db: Session, client: Client, lead: User, second: User, now: date) -> list[int]:
    """A lead and an auditor, both with declarations, on each audit of the demo client whose
    schemes they are qualified for; held audits get a confirmed team."""
    qualified = {str(scheme) for scheme in LEAD_SCHEMES}
    schemes: dict[int, set[str]] = {}
    for certification_id, scheme in db.exec(
            select(CertificationScheme.certification_id, CertificationScheme.scheme)
            .join(Certification, Certification.id == CertificationScheme.certification_id)
            .where(Certification.client_id == client.id)):
        schemes.setdefault(certification_id, set()).add(scheme)
    staffed = []
    for audit in db.exec(select(Audit).join(Certification,
                                            Certification.id == Audit.certification_id)
                         .where(Certification.client_id == client.id,
                                Audit.status != AuditStatus.CANCELLED)
                         .order_by(Audit.start_date)).all():
        audit_schemes = schemes.get(audit.certification_id, set())
        if not audit_schemes or not audit_schemes <= qualified:
            continue
        if db.exec(select(AuditTeamMember.id).where(AuditTeamMember.audit_id == audit.id)).first():
            continue
        _staff(db, audit, lead, second, client, now)
        staffed.append(audit.id)
    db.flush()
    return staffed


def _staff(db: Session, audit: Audit, lead: User, second: User, client: Client,
           now: date) -> None:
    signed = database.utcnow() if audit.start_date > now else _moment_before(audit.start_date)
    for user, role in ((lead, TeamRole.LEAD_AUDITOR), (second, TeamRole.AUDITOR)):
        db.add(AuditTeamMember(
            audit_id=audit.id, user_id=user.id, team_role=role,
            impartiality_declared_at=signed,
            impartiality_statement=f"{user.full_name} declared in auditkit having no conflict "
                                   f"of interest with {client.name} for this audit."))
    if audit.status != AuditStatus.PLANNED:
        audit.team_confirmed_at = signed
        db.add(audit)


def _moment_before(day: date) -> datetime:
    """Noon UTC two weeks before a past audit: when its team signed."""
    return datetime.combine(day - timedelta(days=14), datetime.min.time(), UTC).replace(hour=12)
