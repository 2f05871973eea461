"""Scheduling an audit for a certification, changing its plan, cancelling it; who may reach
the audit pages; "My audits"."""

from datetime import timedelta
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from sqlmodel import select

from auditkit.models import Audit, AuditSite, Certification, ChangeRecord
from tests.conftest import csrf_from, login
from tests.integration.scheduling.conftest import END, START, audit_row, form_post, team_of

PLAN = {"audit_type": "surveillance", "start_date": f"{START:%Y-%m-%d}",
        "end_date": f"{END:%Y-%m-%d}", "mode": "on_site", "ict_tool": "", "planned_days": "2.5",
        "language": "English", "client_objection_allowed": "y",
        "stage1_still_valid_note": ""}


def _text(response) -> str:
    return response.get_data(as_text=True)


def _schedule(client, certification_id: int, **fields):
    url = f"/certifications/{certification_id}/audits/new"
    return form_post(client, url, url, {**PLAN, **fields})


def _audits(dbs) -> list[Audit]:
    dbs.expire_all()
    return list(dbs.exec(select(Audit).order_by(Audit.id)))


def test_manager_schedules_an_audit(client, login_as, dbs, world):
    login_as("programme_manager")
    form = _text(client.get(f"/certifications/{world.certification_id}/audits/new"))
    assert "Head office" in form and "Elsewhere" not in form  # only the client's own sites
    response = _schedule(client, world.certification_id, site_ids=[str(world.site_id)])
    assert response.status_code == 302
    [audit] = _audits(dbs)
    assert response.headers["Location"].endswith(f"/audits/{audit.id}")
    assert (audit.audit_type, audit.status, audit.start_date, audit.end_date) == (
        "surveillance", "planned", START, END)
    assert (audit.mode, audit.planned_days, audit.language) == ("on_site", Decimal("2.5"),
                                                                "English")
    assert audit.client_objection_allowed and audit.cycle_id == world.cycle_id
    assert [s.site_id for s in dbs.exec(select(AuditSite))] == [world.site_id]
    assert dbs.exec(select(ChangeRecord).where(ChangeRecord.field_name == "scheduled")).one()
    page = _text(client.get(f"/audits/{audit.id}"))
    assert "Surveillance" in page and "Head office" in page and "Nobody is on the team" in page


def test_remote_audit_needs_its_ict_tool(client, login_as, dbs, world):
    login_as("programme_manager")
    response = _schedule(client, world.certification_id, mode="remote")
    assert response.status_code == 422
    assert "Name the ICT tool" in _text(response)
    assert _audits(dbs) == []
    assert _schedule(client, world.certification_id, mode="hybrid",
                     ict_tool="Video meeting tool").status_code == 302
    assert _audits(dbs)[0].ict_tool == "Video meeting tool"


def test_bad_plans_are_refused_and_change_nothing(client, login_as, dbs, world):
    login_as("programme_manager")
    cases = [({"end_date": f"{START - timedelta(days=1):%Y-%m-%d}"}, "cannot end before"),
             ({"site_ids": [str(world.other_site_id)]}, "Choose sites of this client"),
             ({"start_date": ""}, "Enter a date"),
             ({"planned_days": "-1"}, "above 0"),
             ({"language": ""}, "This field is required")]
    for fields, message in cases:
        response = _schedule(client, world.certification_id, **fields)
        assert response.status_code == 422, fields
        assert message in _text(response), fields
    assert _audits(dbs) == []


def test_short_notice_audit_never_allows_client_objection(client, login_as, dbs, world):
    login_as("programme_manager")
    _schedule(client, world.certification_id, audit_type="special_short_notice")
    assert _audits(dbs)[0].client_objection_allowed is False


def test_stage2_too_long_after_stage1_needs_a_justification(client, login_as, dbs, world,
                                                            make_audit):
    login_as("programme_manager")
    stage1_end = START - relativedelta(months=7)
    make_audit("stage1", stage1_end - timedelta(days=1), stage1_end, status="completed")
    refused = _schedule(client, world.certification_id, audit_type="stage2")
    assert refused.status_code == 422
    assert "CYC-S1S2-03" in _text(refused) and "more than 6 months" in _text(refused)
    assert len(_audits(dbs)) == 1

    note = "Stage 1 findings re-checked by document review; nothing has changed."
    scheduled = _schedule(client, world.certification_id, audit_type="stage2",
                          stage1_still_valid_note=note)
    assert scheduled.status_code == 302
    assert [a.audit_type for a in _audits(dbs)] == ["stage1", "stage2"]
    assert dbs.get(Certification, world.certification_id).stage1_still_valid_note == note
    page = _text(client.get(scheduled.headers["Location"]))
    assert note in page and "CYC-S1S2-03" in page  # recorded as still valid, shown as a note


def test_stage2_within_the_bodys_limit_needs_nothing(client, login_as, dbs, world, make_audit,
                                                     set_policy):
    login_as("programme_manager")
    stage1_end = START - relativedelta(months=7)
    make_audit("stage1", stage1_end, stage1_end, status="completed")
    set_policy("max_stage1_to_stage2", "9")
    assert _schedule(client, world.certification_id, audit_type="stage2").status_code == 302


def _edit(client, dbs, audit_id: int, **fields):
    data = {**PLAN, "version": str(audit_row(dbs, audit_id).version), **fields}
    data.pop("audit_type")
    return form_post(client, f"/audits/{audit_id}/edit", f"/audits/{audit_id}/edit", data)


def test_new_dates_are_checked_against_the_team(client, login_as, dbs, person, make_audit):
    login_as("programme_manager")
    lead = person("Lea Lead", qualifications=(
        ("iso27001", "lead_auditor", START - timedelta(days=900), END + timedelta(days=5)),))
    audit_id = make_audit(team=((lead, "lead_auditor", True),))
    later = END + timedelta(days=10)
    refused = _edit(client, dbs, audit_id, start_date=f"{later:%Y-%m-%d}",
                    end_date=f"{later:%Y-%m-%d}")
    assert refused.status_code == 422
    assert "TEAM-01" in _text(refused) and "Lea Lead" in _text(refused)
    assert audit_row(dbs, audit_id).start_date == START

    from tests.integration.scheduling.conftest import confirm

    assert confirm(client, dbs, audit_id).status_code == 302
    moved = _edit(client, dbs, audit_id, start_date=f"{START + timedelta(days=1):%Y-%m-%d}")
    assert moved.status_code == 302
    row = audit_row(dbs, audit_id)
    assert row.start_date == START + timedelta(days=1)
    assert (row.status, row.team_confirmed_at) == ("planned", None)  # confirm again
    history = dbs.exec(select(ChangeRecord).where(ChangeRecord.field_name == "start_date")).one()
    assert (history.before, history.after) == (f"{START}", f"{START + timedelta(days=1)}")


def test_a_stale_plan_is_not_saved(client, login_as, dbs, make_audit):
    login_as("programme_manager")
    audit_id = make_audit()
    stale = _edit(client, dbs, audit_id, version="0", language="German")
    assert stale.status_code == 409
    assert audit_row(dbs, audit_id).language == "English"


def test_cancel_an_audit(client, login_as, dbs, make_audit):
    login_as("programme_manager")
    audit_id = make_audit()
    url = f"/audits/{audit_id}"
    assert form_post(client, url, f"{url}/cancel", {
        "reason": "", "version": str(audit_row(dbs, audit_id).version)}).status_code == 422
    assert form_post(client, url, f"{url}/cancel", {
        "reason": "The client moved the audit to next year.",
        "version": str(audit_row(dbs, audit_id).version)}).status_code == 302
    row = audit_row(dbs, audit_id)
    assert row.status == "cancelled"
    assert row.cancel_reason == "The client moved the audit to next year."
    assert row.notes == ""  # the reason has its own place, notes stay the planner's
    page = _text(client.get(url))
    assert "Cancelled" in page and "Add someone to the team" not in page
    assert "Reason for cancelling" in page and "The client moved the audit to next year." in page


def test_an_audit_not_cancelled_shows_no_cancellation_reason(client, login_as, make_audit):
    login_as("programme_manager")
    page = _text(client.get(f"/audits/{make_audit()}"))
    assert "Reason for cancelling" not in page


def test_auditee_cannot_reach_these_screens(app, client, make_user, make_client, world,
                                            make_audit, person, dbs):
    auditee = make_user("auditee", client_id=world.client_id)
    auditor = person("Abe Auditor")
    audit_id = make_audit(team=((auditor, "auditor", True),))
    member = team_of(dbs, audit_id)[0]
    assert login(client, auditee.email).status_code == 302
    for url in (f"/audits/{audit_id}", f"/audits/{audit_id}/edit", "/my/audits", "/auditors",
                f"/auditors/{auditor.id}", f"/certifications/{world.certification_id}/audits/new"):
        assert client.get(url).status_code == 403, url
    token = csrf_from(_text(client.get("/account/password")))
    response = client.post(f"/audits/{audit_id}/team/{member.id}/declaration",
                           data={"csrf_token": token, "statement": "Signed on paper form."})
    assert response.status_code == 403


def test_an_auditor_sees_only_audits_they_are_on(client, person, make_audit, dbs):
    mine, other = person("Abe Auditor"), person("Olaf Other")
    my_audit = make_audit(team=((mine, "auditor", False),))
    other_audit = make_audit(start=END + timedelta(days=30), end=END + timedelta(days=31),
                             team=((other, "lead_auditor", False),))
    assert login(client, mine.email).status_code == 302
    assert client.get(f"/audits/{other_audit}").status_code == 404
    page = client.get(f"/audits/{my_audit}")
    assert page.status_code == 200
    assert "Sign my declaration" in _text(page)
    assert "Add someone to the team" not in _text(page)  # managers only
    assert client.get(f"/audits/{my_audit}/edit").status_code == 403


def test_my_audits_lists_only_own_audits(client, person, make_audit, login_as, dbs):
    mine, other = person("Abe Auditor"), person("Olaf Other")
    first = make_audit(team=((mine, "auditor", True),))
    second = make_audit(start=END + timedelta(days=30), end=END + timedelta(days=31),
                        team=((mine, "lead_auditor", False), (other, "auditor", False)))
    not_mine = make_audit(start=END + timedelta(days=60), end=END + timedelta(days=61),
                          team=((other, "lead_auditor", False),))
    assert login(client, mine.email).status_code == 302
    page = _text(client.get("/my/audits"))
    assert f"/audits/{first}\"" in page and f"/audits/{second}\"" in page
    assert f"/audits/{not_mine}\"" not in page
    assert page.index(f"/audits/{first}\"") < page.index(f"/audits/{second}\"")
    assert "Lead auditor" in page and "Missing" in page
    assert 'href="/my/audits"' in page  # in the navigation


def test_a_manager_on_no_team_has_an_empty_my_audits(client, login_as, make_audit, person):
    login_as("programme_manager")
    make_audit(team=((person("Abe Auditor"), "auditor", True),))
    assert "You are not on any audit team." in _text(client.get("/my/audits"))


def test_the_audit_type_can_be_chosen_by_the_link(client, login_as, world):
    login_as("programme_manager")
    page = _text(client.get(f"/certifications/{world.certification_id}/audits/new"
                            "?audit_type=recertification"))
    assert '<option selected value="recertification">' in page


def test_pages_have_no_duplicate_ids(client, login_as, person, make_audit, dbs):
    import re
    from collections import Counter

    login_as("programme_manager")
    lead = person("Lea Lead")
    audit_id = make_audit(team=((lead, "lead_auditor", False), ("Wanda Witness", "observer",
                                                                 False)))
    from auditkit.models import Qualification

    qualification = dbs.exec(select(Qualification).where(Qualification.user_id == lead.id)).one()
    urls = [f"/audits/{audit_id}", f"/audits/{audit_id}/edit", f"/auditors/{lead.id}",
            f"/auditors/{lead.id}/qualifications/{qualification.id}", "/auditors", "/my/audits",
            f"/certifications/{audit_row(dbs, audit_id).certification_id}/audits/new"]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        ids = Counter(re.findall(r'\sid="([^"]+)"', _text(response)))
        assert [i for i, n in ids.items() if n > 1] == [], url
