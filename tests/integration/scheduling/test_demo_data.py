"""The demo auditor records and teams (`auditkit demo` seeds them after the programmes): the
teams pass the checks, and the second auditor's consultancy keeps them off the other client's
audits."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlmodel import select

from auditkit import db as database
from auditkit.demo import DEMO_CLIENT, load_demo
from auditkit.models import Audit, AuditTeamMember, Client, Qualification, Role, User
from auditkit.scheduling import checks, teams
from auditkit.scheduling.demo_data import (
    DEMO_LEAD_EMAIL,
    OTHER_CLIENT_NAME,
    SECOND_AUDITOR_EMAIL,
    seed_demo,
)
from tests import factories

MANAGER = SimpleNamespace(id=0, is_authenticated=True, client_id=None,
                          roles=frozenset({Role.PROGRAMME_MANAGER}))


@pytest.fixture
def demo(app, arrange):
    with app.app_context():
        assert load_demo()
    with arrange() as db:
        client = db.exec(select(Client).where(Client.name == DEMO_CLIENT)).one()
        users = {user.email: user for user in db.exec(select(User))}
        staffed = sorted(set(db.exec(select(AuditTeamMember.audit_id))))
    return client, users, staffed


def test_demo_teams_pass_the_checks(arrange, demo):
    client, users, staffed = demo
    with arrange() as db:
        audits = db.exec(select(Audit).where(Audit.id.in_(staffed))).all()
        # Stage 1, Stage 2 and two surveillances of the 42001 + 27001 certification; the
        # ISO 9001 application waits for a qualified lead.
        assert sorted(a.audit_type for a in audits) == ["stage1", "stage2", "surveillance",
                                                        "surveillance"]
        for audit_id in staffed:
            context = checks.load_context(db, MANAGER, audit_id)
            rows = checks.member_rows(db, audit_id)
            assert {row.email for row in rows} == {DEMO_LEAD_EMAIL, SECOND_AUDITOR_EMAIL}
            assert all(row.declared_at is not None for row in rows)
            assessment = teams.assess(db, context, rows, confirming=True)
            assert assessment.stopping == (), [i.message for i in assessment.stopping]
        lead = users[DEMO_LEAD_EMAIL]
        schemes = {q.scheme for q in db.exec(select(Qualification).where(
            Qualification.user_id == lead.id, Qualification.role == "lead_auditor"))}
        assert schemes == {"iso42001", "iso27001"}


def test_second_auditor_is_blocked_for_the_client_they_advised(arrange, demo):
    with arrange() as db:
        other = db.exec(select(Client).where(Client.id != demo[0].id)
                        .order_by(Client.name)).first()
        assert other is not None
        second = db.exec(select(User).where(User.email == SECOND_AUDITOR_EMAIL)).one()
        certification = factories.make_certification(db, other, schemes=("iso27001",))
        audit = factories.make_programme_audit(db, certification, "stage1",
                                               database.utcnow().date() + timedelta(days=30))
        with pytest.raises(teams.TeamBlocked) as blocked:
            teams.add_member(db, MANAGER, audit.id, teams.MemberInput(second.id, "", "auditor"),
                             expected_version=None, actor_id=second.id)
        assert [issue.rule_id for issue in blocked.value.issues] == ["IMP-03"]
        db.rollback()


def test_seeding_twice_adds_nothing(arrange, demo):
    client, users, _staffed = demo
    with arrange() as db:
        members = len(db.exec(select(AuditTeamMember)).all())
        assert seed_demo(db, client, users) == []
        assert len(db.exec(select(AuditTeamMember)).all()) == members


def test_without_audits_records_are_made_and_no_team(arrange, make_user):
    lead = make_user("auditor", email=DEMO_LEAD_EMAIL, full_name="Demo Lead Auditor")
    with arrange() as db:
        client = factories.make_client(db, DEMO_CLIENT)
        assert seed_demo(db, client, [lead]) == []
    with arrange() as db:
        assert db.exec(select(AuditTeamMember)).all() == []
        assert {q.user_id for q in db.exec(select(Qualification))} == {
            lead.id, db.exec(select(User.id).where(User.email == SECOND_AUDITOR_EMAIL)).one()}
        assert db.exec(select(Client).where(Client.name == OTHER_CLIENT_NAME)).one()
