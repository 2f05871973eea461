"""Plain factory functions for test data, reached through fixtures in conftest.py."""

import itertools

from auditkit.accounts import services as accounts
from auditkit.models import Client

PASSWORD = "river-stone-orchard-58"
_counter = itertools.count(1)


def make_client(db, name: str | None = None) -> Client:
    client = Client(name=name or f"Client {next(_counter)} Ltd")
    db.add(client)
    db.flush()
    return client


def make_user(db, *roles: str, email: str | None = None, password: str = PASSWORD,
              client_id: int | None = None, full_name: str | None = None):
    roles = roles or ("auditor",)
    number = next(_counter)
    email = email or f"user{number}@example.test"
    return accounts.create_user(db, email=email, full_name=full_name or f"Test User {number}",
                                password=password, roles=roles, client_id=client_id)


# --- certifications in a cycle, and their audits (dashboard tests) --------------------------

def make_certification_in_cycle(db, client, *, decision_date, schemes=("iso27001",),
                                state: str = "active", reference: str | None = None,
                                taken_over_expiry=None):
    """A certification with its current cycle, dated by the rules from `decision_date` with the
    default policy, stored as the programmes feature stores it; with `taken_over_expiry`, a
    cycle taken on with the certificate's own expiry. Returns (certification, cycle)."""
    from auditkit.models import Certification, CertificationScheme, Cycle, Scheme
    from auditkit.programmes.cycles import store_plan
    from auditkit.rules.cycle import plan_continued_cycle, plan_cycle

    certification = Certification(
        client_id=client.id, reference=reference or f"TC-{next(_counter):05d}",
        scope="Design and operation of the certified services",
        integration="single" if len(schemes) == 1 else "integrated", state=state)
    db.add(certification)
    db.flush()
    for scheme in schemes:
        db.add(CertificationScheme(certification_id=certification.id, scheme=scheme,
                                   edition=Scheme(scheme).edition))
    cycle = Cycle(certification_id=certification.id, number=1,
                  origin="initial" if taken_over_expiry is None else "taken_over",
                  is_current=True)
    store_plan(cycle, plan_cycle(decision_date) if taken_over_expiry is None
               else plan_continued_cycle(decision_date, taken_over_expiry))
    db.add(cycle)
    db.flush()
    return certification, cycle


def make_programme_audit(db, certification, audit_type: str, start_date, end_date=None, *,
                         status: str = "planned", cycle=None, team=()):
    """An audit of a certification; `team` holds (user, team_role) pairs."""
    from auditkit.models import Audit, AuditTeamMember

    audit = Audit(certification_id=certification.id, cycle_id=cycle.id if cycle else None,
                  audit_type=audit_type, status=status, start_date=start_date,
                  end_date=end_date or start_date)
    db.add(audit)
    db.flush()
    for user, team_role in team:
        db.add(AuditTeamMember(audit_id=audit.id, user_id=user.id, team_role=team_role))
    db.flush()
    return audit


# --- clients (auditkit/clients) -----------------------------------------------------------------

def make_site(db, client_id: int, name: str | None = None, kind: str = "permanent",
              personnel: int = 10, address: str = ""):
    from auditkit.models import Site

    site = Site(client_id=client_id, name=name or f"Site {next(_counter)}", kind=kind,
                personnel=personnel, address=address)
    db.add(site)
    db.flush()
    return site


def set_scheme_personnel(db, client_id: int, scheme: str, effective: int,
                         ai_personnel: int | None = None, ai_role: str | None = None):
    from auditkit.models import SchemePersonnel

    row = SchemePersonnel(client_id=client_id, scheme=scheme, effective_personnel=effective,
                          ai_personnel=ai_personnel, ai_role=ai_role)
    db.add(row)
    db.flush()
    return row


# --- certifications before a decision (auditkit/programmes) -------------------------------------

def make_certification(db, client, *, schemes=("iso9001",), integration: str | None = None,
                       state: str = "applicant", scope: str = "Design and delivery of services",
                       site_ids=()):
    """A certification without a cycle yet (an applicant), with its standards and sites."""
    from auditkit.models import Certification, CertificationScheme, CertificationSite, Scheme

    certification = Certification(
        client_id=client.id, reference=f"TA-{next(_counter):05d}", scope=scope,
        integration=integration or ("single" if len(schemes) == 1 else "integrated"),
        state=state)
    db.add(certification)
    db.flush()
    for scheme in schemes:
        db.add(CertificationScheme(certification_id=certification.id, scheme=scheme,
                                   edition=Scheme(scheme).edition))
    for site_id in site_ids:
        db.add(CertificationSite(certification_id=certification.id, site_id=site_id))
    db.flush()
    return certification


# --- auditor records and audit teams (auditkit/scheduling) --------------------------------------

def make_qualification(db, user_id: int, scheme: str = "iso27001", role: str = "lead_auditor",
                       *, valid_from=None, valid_until=None, areas: str = ""):
    """A qualification; valid from 2000 onwards unless told otherwise."""
    from datetime import date

    from auditkit.models import Qualification

    row = Qualification(user_id=user_id, scheme=scheme, role=role, technical_areas=areas,
                        valid_from=valid_from or date(2000, 1, 1), valid_until=valid_until)
    db.add(row)
    db.flush()
    return row


def set_auditor_languages(db, user_id: int, languages: str = "English"):
    from auditkit.models import AuditorProfile

    profile = db.get(AuditorProfile, user_id) or AuditorProfile(user_id=user_id)
    profile.languages = languages
    db.add(profile)
    db.flush()
    return profile


def make_engagement(db, user_id: int, client_id: int, kind: str = "consultancy", ended_on=None):
    from auditkit.models import EngagementDeclaration

    row = EngagementDeclaration(user_id=user_id, client_id=client_id, kind=kind,
                                ended_on=ended_on)
    db.add(row)
    db.flush()
    return row


def make_team_member(db, audit_id: int, user_id: int | None = None, team_role: str = "auditor",
                     *, person_name: str = "", declared: bool = False, objection: str = ""):
    from auditkit import db as database
    from auditkit.models import AuditTeamMember

    row = AuditTeamMember(audit_id=audit_id, user_id=user_id, person_name=person_name,
                          team_role=team_role, client_objection=objection,
                          impartiality_declared_at=database.utcnow() if declared else None,
                          impartiality_statement="Declared (test)." if declared else "")
    db.add(row)
    db.flush()
    return row


def make_scheduling_world(db, lead_user_id: int, *, start=None) -> dict:
    """An ISO/IEC 27001 certification in cycle 1 with a planned surveillance its team can be
    confirmed for: `lead_user_id` qualified to lead it, speaking English, declared; a named
    observer without a login, not declared yet (nothing is checked for such an observer). The
    lead also led the Stage 2 before the cycle (TEAM-07 counts 2 cycles), holds a qualification
    and an engagement with another client. Returns the ids."""
    from datetime import date, timedelta

    start = start or date(2031, 3, 3)
    client = make_client(db)
    other_client = make_client(db)
    site = make_site(db, client.id)
    certification, cycle = make_certification_in_cycle(db, client,
                                                       decision_date=start - timedelta(days=200))
    qualification = make_qualification(db, lead_user_id, "iso27001", "lead_auditor")
    set_auditor_languages(db, lead_user_id, "English")
    engagement = make_engagement(db, lead_user_id, other_client.id, "employment",
                                 date(2010, 1, 31))
    stage2 = make_programme_audit(db, certification, "stage2", start - timedelta(days=230),
                                  start - timedelta(days=229), status="completed")
    make_team_member(db, stage2.id, lead_user_id, "lead_auditor", declared=True)
    audit = make_programme_audit(db, certification, "surveillance", start,
                                 start + timedelta(days=1), cycle=cycle)
    lead = make_team_member(db, audit.id, lead_user_id, "lead_auditor", declared=True)
    observer = make_team_member(db, audit.id, None, "observer",
                                person_name="Accreditation Witness")
    return {"client": client.id, "other_client": other_client.id, "site": site.id,
            "certification": certification.id, "audit": audit.id, "lead_member": lead.id,
            "observer_member": observer.id, "qualification": qualification.id,
            "engagement": engagement.id}


def make_soa_revision(db, client_id: int, scheme: str = "iso42001", label: str = "v1.0",
                      changes: dict | None = None, *, actor_id: int | None = None) -> int:
    """The next Statement of Applicability revision of a client: every Annex A control
    applicable and implemented, except `changes` (control id -> (applicable, justification,
    status or None)). Returns the revision number."""
    from auditkit.models.clients import Scheme
    from auditkit.models.soa import ImplementationStatus
    from auditkit.soa.entries import Entry
    from auditkit.soa.services import RevisionHeader, add_revision, annex_a

    changes = changes or {}
    entries = []
    for control in annex_a(Scheme(scheme)).controls:
        applicable, justification, status = changes.get(
            control.id, (True, "Selected in the risk treatment plan", "implemented"))
        entries.append(Entry(control.id, applicable, justification,
                             ImplementationStatus(status) if status else None))
    return add_revision(db, client_id, Scheme(scheme), entries, RevisionHeader(label),
                        base_revision=None, actor_id=actor_id)
