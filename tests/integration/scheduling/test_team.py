"""Putting a team together: every person is checked by auditkit.rules.team before they are
saved (TEAM-01/03/04/06/07/08, IMP-03, IMP-05); blocks refuse the change with their rule id and
leave the database as it was."""

from datetime import timedelta

from sqlmodel import select

from auditkit.models import ChangeRecord, RuleOverride
from auditkit.scheduling import checks
from tests.conftest import csrf_from
from tests.integration.scheduling.conftest import (
    END,
    START,
    add_member,
    audit_row,
    confirm,
    form_post,
    team_of,
)


def _text(response) -> str:
    return response.get_data(as_text=True)


def test_qualified_lead_is_added_and_recorded(client, login_as, dbs, person, make_audit):
    login_as("programme_manager")
    lead = person("Lea Lead")
    audit_id = make_audit()
    response = add_member(client, dbs, audit_id, user=lead, role="lead_auditor")
    assert response.status_code == 302
    [member] = team_of(dbs, audit_id)
    assert (member.user_id, member.team_role) == (lead.id, "lead_auditor")
    history = dbs.exec(select(ChangeRecord).where(ChangeRecord.subject == "audit")).all()
    assert any(h.field_name == "team member added" and "Lea Lead" in h.after for h in history)
    page = _text(client.get(f"/audits/{audit_id}"))
    assert "Lea Lead" in page and "IMP-05" in page  # declaration still missing


def test_unqualified_auditor_is_blocked_with_the_rule_id(client, login_as, dbs, person,
                                                         make_audit):
    login_as("programme_manager")
    unqualified = person("Nico Nine", qualifications=(("iso9001", "auditor"),))
    audit_id = make_audit()
    version = audit_row(dbs, audit_id).version
    response = add_member(client, dbs, audit_id, user=unqualified)
    assert response.status_code == 422
    page = _text(response)
    assert "Nico Nine cannot join the team" in page
    assert "TEAM-01" in page and "no qualification to audit ISO/IEC 27001" in page
    assert team_of(dbs, audit_id) == []
    assert audit_row(dbs, audit_id).version == version


def test_qualification_expiring_mid_audit_is_blocked(client, login_as, dbs, person, make_audit):
    login_as("programme_manager")
    expiring = person("Eve Expiring", qualifications=(
        ("iso27001", "auditor", START - timedelta(days=400), START + timedelta(days=1)),))
    audit_id = make_audit(start=START, end=START + timedelta(days=2))
    response = add_member(client, dbs, audit_id, user=expiring)
    assert response.status_code == 422
    page = _text(response)
    assert "TEAM-01" in page
    assert f"expires on {START + timedelta(days=1):%Y-%m-%d}" in page
    assert team_of(dbs, audit_id) == []


def test_consultancy_a_year_ago_blocks_and_nothing_is_saved(client, login_as, dbs, person,
                                                            make_audit, world, app):
    from tests.security.support import digest

    login_as("programme_manager")
    consultant = person("Cora Consultant", qualifications=(("iso27001", "auditor"),),
                        engagements=((world.client_id, "consultancy",
                                      START - timedelta(days=365)),))
    audit_id = make_audit()
    page = client.get(f"/audits/{audit_id}")
    before = digest(app)
    response = client.post(f"/audits/{audit_id}/team", data={
        "user_id": str(consultant.id), "person_name": "", "team_role": "auditor",
        "version": str(audit_row(dbs, audit_id).version),
        "csrf_token": csrf_from(_text(page))})
    assert response.status_code == 422
    assert "IMP-03" in _text(response) and "gave consultancy to" in _text(response)
    assert digest(app) == before


def test_employment_follows_the_bodys_cooling_off_policy(client, login_as, dbs, person,
                                                         make_audit, world, set_policy):
    login_as("programme_manager")
    former = person("Emil Employee", qualifications=(("iso27001", "auditor"),),
                    engagements=((world.client_id, "employment", START - timedelta(days=500)),))
    audit_id = make_audit()
    refused = add_member(client, dbs, audit_id, user=former)
    assert refused.status_code == 422 and "IMP-03" in _text(refused)
    assert "policy requires 2 years" in _text(refused)
    set_policy("employment_cooling_off", "1")
    assert add_member(client, dbs, audit_id, user=former).status_code == 302


def test_overlapping_audit_blocks(client, login_as, dbs, person, make_audit):
    login_as("programme_manager")
    busy = person("Bea Busy")
    make_audit(start=END, end=END + timedelta(days=1), team=((busy, "lead_auditor", True),))
    audit_id = make_audit(start=START, end=END)
    response = add_member(client, dbs, audit_id, user=busy, role="lead_auditor")
    assert response.status_code == 422
    assert "TEAM-08" in _text(response) and "on the same days" in _text(response)
    assert team_of(dbs, audit_id) == []


def test_a_cancelled_or_earlier_audit_does_not_overlap(client, login_as, dbs, person, make_audit):
    login_as("programme_manager")
    busy = person("Bea Busy")
    make_audit(start=START, end=END, status="cancelled", team=((busy, "lead_auditor", True),))
    make_audit(start=START - timedelta(days=10), end=START - timedelta(days=9),
               team=((busy, "lead_auditor", True),))
    audit_id = make_audit(start=START, end=END)
    assert add_member(client, dbs, audit_id, user=busy, role="lead_auditor").status_code == 302


def test_the_same_person_cannot_be_added_twice(client, login_as, dbs, person, make_audit):
    login_as("programme_manager")
    lead = person("Lea Lead")
    audit_id = make_audit(team=((lead, "lead_auditor", True),))
    response = add_member(client, dbs, audit_id, user=lead, role="auditor")
    assert response.status_code == 422 and "TEAM-08" in _text(response)
    assert len(team_of(dbs, audit_id)) == 1


def test_a_simultaneous_second_add_is_refused_by_the_database(client, login_as, dbs, person,
                                                              make_audit, monkeypatch):
    """Two managers add the same person at the same moment: each request's rules saw the team
    without them; the unique constraint is the backstop, with the same TEAM-08 message."""
    login_as("programme_manager")
    lead = person("Lea Lead")
    audit_id = make_audit(team=((lead, "lead_auditor", True),))
    token = csrf_from(_text(client.get(f"/audits/{audit_id}")))
    real_member_rows = checks.member_rows
    calls = []

    def team_before_the_other_add(db, wanted_audit_id):
        calls.append(wanted_audit_id)
        return [] if len(calls) == 1 else real_member_rows(db, wanted_audit_id)

    monkeypatch.setattr(checks, "member_rows", team_before_the_other_add)
    response = client.post(f"/audits/{audit_id}/team", data={
        "csrf_token": token, "user_id": str(lead.id), "person_name": "",
        "team_role": "lead_auditor", "version": str(audit_row(dbs, audit_id).version)})
    assert response.status_code == 422
    assert "TEAM-08" in _text(response) and "Lea Lead is on the team twice" in _text(response)
    assert len(team_of(dbs, audit_id)) == 1


def test_named_persons_without_login_may_share_a_team(client, login_as, dbs, person,
                                                      make_audit):
    login_as("programme_manager")
    audit_id = make_audit(team=((person("Lea Lead"), "lead_auditor", True),))
    for name in ("Olga Observer", "Otto Observer"):
        assert add_member(client, dbs, audit_id, name=name, role="observer").status_code == 302
    assert [m.user_id for m in team_of(dbs, audit_id)][1:] == [None, None]


def test_a_second_lead_is_refused(client, login_as, dbs, person, make_audit):
    login_as("programme_manager")
    lead, other = person("Lea Lead"), person("Olaf Other")
    audit_id = make_audit(team=((lead, "lead_auditor", True),))
    response = add_member(client, dbs, audit_id, user=other, role="lead_auditor")
    assert response.status_code == 422
    assert "TEAM-03" in _text(response) and "2 lead auditors" in _text(response)


def test_client_objection_blocks_the_member(client, login_as, dbs, person, make_audit):
    login_as("programme_manager")
    lead, auditor = person("Lea Lead"), person("Abe Auditor")
    audit_id = make_audit(team=((lead, "lead_auditor", True), (auditor, "auditor", True)))
    member = next(m for m in team_of(dbs, audit_id) if m.user_id == auditor.id)
    response = form_post(client, f"/audits/{audit_id}",
                         f"/audits/{audit_id}/team/{member.id}/objection",
                         {"objection": "Worked for our competitor last year.",
                          "version": str(audit_row(dbs, audit_id).version)})
    assert response.status_code == 302
    page = _text(client.get(f"/audits/{audit_id}"))
    assert "TEAM-04" in page and "Worked for our competitor last year." in page
    refused = confirm(client, dbs, audit_id)
    assert refused.status_code == 422 and "TEAM-04" in _text(refused)
    assert audit_row(dbs, audit_id).team_confirmed_at is None


def test_on_a_short_notice_audit_an_objection_is_only_recorded(client, login_as, dbs, person,
                                                               make_audit):
    login_as("programme_manager")
    lead = person("Lea Lead")
    audit_id = make_audit("special_short_notice", objection_allowed=False,
                          team=((lead, "lead_auditor", True),))
    [member] = team_of(dbs, audit_id)
    form_post(client, f"/audits/{audit_id}", f"/audits/{audit_id}/team/{member.id}/objection",
              {"objection": "Too strict.", "version": str(audit_row(dbs, audit_id).version)})
    assert "CYC-SPE-02" in _text(client.get(f"/audits/{audit_id}"))
    assert confirm(client, dbs, audit_id).status_code == 302


def test_missing_declaration_prevents_confirming(client, login_as, dbs, person, make_audit):
    manager = login_as("programme_manager")
    lead = person("Lea Lead")
    audit_id = make_audit(team=((lead, "lead_auditor", False),))
    refused = confirm(client, dbs, audit_id)
    assert refused.status_code == 422
    assert "IMP-05" in _text(refused) and "The team cannot be confirmed yet" in _text(refused)
    assert audit_row(dbs, audit_id).status == "planned"

    [member] = team_of(dbs, audit_id)
    declaration = f"/audits/{audit_id}/team/{member.id}/declaration"
    too_short = form_post(client, f"/audits/{audit_id}", declaration, {"statement": "ok"})
    assert too_short.status_code == 422
    assert team_of(dbs, audit_id)[0].impartiality_declared_at is None
    recorded = form_post(client, f"/audits/{audit_id}", declaration,
                         {"statement": "Signed form received on paper."})
    assert recorded.status_code == 302
    [member] = team_of(dbs, audit_id)
    assert member.impartiality_declared_at is not None
    assert member.impartiality_statement == (f"Recorded by {manager.full_name} on behalf of "
                                             "Lea Lead: Signed form received on paper.")
    assert member.declaration_recorded_by_id == manager.id
    assert f"recorded by {manager.full_name}" in _text(client.get(f"/audits/{audit_id}"))
    assert confirm(client, dbs, audit_id).status_code == 302
    row = audit_row(dbs, audit_id)
    assert row.status == "confirmed" and row.team_confirmed_at is not None


def test_a_member_signs_their_own_declaration_but_not_anothers(app, client, login_as, dbs, person,
                                                               make_audit):
    from tests.conftest import login

    lead, auditor = person("Lea Lead"), person("Abe Auditor")
    audit_id = make_audit(team=((lead, "lead_auditor", False), (auditor, "auditor", False)))
    lead_member, auditor_member = sorted(team_of(dbs, audit_id),
                                         key=lambda m: m.user_id != lead.id)
    assert login(client, lead.email).status_code == 302
    own = f"/audits/{audit_id}/team/{lead_member.id}/declaration"
    unticked = form_post(client, f"/audits/{audit_id}", own, {"statement": ""})
    assert unticked.status_code == 422 and "Tick the declaration" in _text(unticked)
    signed = form_post(client, f"/audits/{audit_id}", own, {"affirmed": "y", "statement": ""})
    assert signed.status_code == 302
    signed_member = team_of(dbs, audit_id)[0]
    assert "Lea Lead declared in auditkit" in signed_member.impartiality_statement
    assert signed_member.declaration_recorded_by_id == lead.id
    assert ", recorded by" not in _text(client.get(f"/audits/{audit_id}"))  # signed in person
    other = form_post(client, f"/audits/{audit_id}",
                      f"/audits/{audit_id}/team/{auditor_member.id}/declaration",
                      {"affirmed": "y", "statement": "On their behalf"})
    assert other.status_code == 403
    assert next(m for m in team_of(dbs, audit_id)
                if m.id == auditor_member.id).impartiality_declared_at is None


def _familiar_lead(person, make_audit, set_policy):
    """A lead who led Stage 2 and now leads a surveillance: 2 cycles in a row, more than a
    body allowing 1 (TEAM-07)."""
    lead = person("Lea Lead")
    make_audit("stage2", START - timedelta(days=400), START - timedelta(days=399),
               status="completed", team=((lead, "lead_auditor", True),))
    set_policy("max_consecutive_cycles_same_lead", "1")
    return lead, make_audit(team=((lead, "lead_auditor", True),))


def test_override_of_a_policy_warning_needs_a_justification_and_is_recorded(
        client, login_as, dbs, person, make_audit, set_policy):
    manager = login_as("programme_manager")
    _lead, audit_id = _familiar_lead(person, make_audit, set_policy)
    page = _text(client.get(f"/audits/{audit_id}"))
    assert "TEAM-07" in page and "2 consecutive cycles" in page
    refused = confirm(client, dbs, audit_id)
    assert refused.status_code == 422 and "TEAM-07" in _text(refused)

    overrides = f"/audits/{audit_id}/overrides"
    for justification in ("", "too short"):
        response = form_post(client, f"/audits/{audit_id}", overrides,
                             {"rule_id": "TEAM-07", "justification": justification})
        assert response.status_code == 422
    assert dbs.exec(select(RuleOverride)).all() == []

    reason = "The only lead qualified for this scope; rotation planned next cycle."
    assert form_post(client, f"/audits/{audit_id}", overrides,
                     {"rule_id": "TEAM-07", "justification": reason}).status_code == 302
    [override] = dbs.exec(select(RuleOverride)).all()
    assert (override.rule_id, override.audit_id, override.decided_by_id) == (
        "TEAM-07", audit_id, manager.id)
    assert override.justification == reason
    page = _text(client.get(f"/audits/{audit_id}"))
    assert reason in page and manager.full_name in page
    assert confirm(client, dbs, audit_id).status_code == 302


def test_a_requirement_can_never_be_overridden(client, login_as, dbs, person, make_audit):
    login_as("programme_manager")
    auditor = person("Abe Auditor", qualifications=(("iso27001", "auditor"),))
    audit_id = make_audit(team=((auditor, "auditor", True),))
    assert "TEAM-03" in _text(client.get(f"/audits/{audit_id}"))  # no lead auditor
    for rule_id in ("TEAM-03", "IMP-03", "IMP-05"):
        response = form_post(client, f"/audits/{audit_id}", f"/audits/{audit_id}/overrides",
                             {"rule_id": rule_id,
                              "justification": "We would like to go ahead regardless of it."})
        assert response.status_code == 422, rule_id
        if rule_id == "TEAM-03":
            assert "can never be overridden" in _text(response)
    assert dbs.exec(select(RuleOverride)).all() == []
    assert confirm(client, dbs, audit_id).status_code == 422


def test_a_technical_expert_fills_a_technical_area_gap(client, login_as, dbs, person, make_audit,
                                                       arrange, world):
    from auditkit.models import ClientTechnicalArea

    login_as("programme_manager")
    with arrange() as db:
        db.add(ClientTechnicalArea(client_id=world.client_id, scheme="iso27001",
                                   area="cloud services"))
    lead = person("Lea Lead")
    expert = person("Tess Expert", qualifications=(
        ("iso27001", "technical_expert", None, None, "cloud services"),))
    audit_id = make_audit(team=((lead, "lead_auditor", True),))
    page = _text(client.get(f"/audits/{audit_id}"))
    assert "TEAM-03" in page and "technical area cloud services" in page
    assert add_member(client, dbs, audit_id, user=expert, role="technical_expert"
                      ).status_code == 302
    form_post(client, f"/audits/{audit_id}",
              f"/audits/{audit_id}/team/{team_of(dbs, audit_id)[1].id}/declaration",
              {"statement": "Signed form received by post."})
    assert "technical area cloud services" not in _text(client.get(f"/audits/{audit_id}"))
    assert confirm(client, dbs, audit_id).status_code == 302


def test_named_people_without_a_login(client, login_as, dbs, person, make_audit):
    login_as("programme_manager")
    audit_id = make_audit()
    witness = add_member(client, dbs, audit_id, name="Wanda Witness", role="observer")
    assert witness.status_code == 302
    named_lead = add_member(client, dbs, audit_id, name="Nameless Lead", role="lead_auditor")
    assert named_lead.status_code == 422 and "TEAM-01" in _text(named_lead)
    both = add_member(client, dbs, audit_id, user=person("Lea Lead"), name="Also a name")
    assert both.status_code == 422 and "not both" in _text(both)
    assert [m.person_name for m in team_of(dbs, audit_id)] == ["Wanda Witness"]


def test_changing_a_confirmed_team_withdraws_the_confirmation(client, login_as, dbs, person,
                                                              make_audit):
    login_as("programme_manager")
    lead = person("Lea Lead")
    audit_id = make_audit(team=((lead, "lead_auditor", True), ("Wanda Witness", "observer",
                                                               False)))
    assert confirm(client, dbs, audit_id).status_code == 302
    witness = next(m for m in team_of(dbs, audit_id) if m.person_name == "Wanda Witness")
    removed = form_post(client, f"/audits/{audit_id}",
                        f"/audits/{audit_id}/team/{witness.id}/remove",
                        {"version": str(audit_row(dbs, audit_id).version)})
    assert removed.status_code == 302
    row = audit_row(dbs, audit_id)
    assert (row.status, row.team_confirmed_at) == ("planned", None)
    assert len(team_of(dbs, audit_id)) == 1


def test_a_stale_page_cannot_change_the_team(client, login_as, dbs, person, make_audit):
    login_as("programme_manager")
    lead, auditor = person("Lea Lead"), person("Abe Auditor")
    audit_id = make_audit()
    page = client.get(f"/audits/{audit_id}")
    old_version = audit_row(dbs, audit_id).version
    assert add_member(client, dbs, audit_id, user=lead, role="lead_auditor").status_code == 302
    stale = client.post(f"/audits/{audit_id}/team", data={
        "user_id": str(auditor.id), "person_name": "", "team_role": "auditor",
        "version": str(old_version), "csrf_token": csrf_from(_text(page))})
    assert stale.status_code == 409
    assert "Someone changed this audit" in _text(stale)
    assert len(team_of(dbs, audit_id)) == 1
