"""Auditor records (TEAM-02): managers keep them; staff may look; an auditor sees their own."""

from datetime import date, timedelta

from sqlmodel import select

from auditkit.models import (
    AuditorProfile,
    ChangeRecord,
    EngagementDeclaration,
    Qualification,
)
from tests.conftest import csrf_from, login
from tests.integration.scheduling.conftest import form_post


def _text(response) -> str:
    return response.get_data(as_text=True)


def _qualifications(dbs, user_id: int) -> list[Qualification]:
    dbs.expire_all()
    return list(dbs.exec(select(Qualification).where(Qualification.user_id == user_id)
                         .order_by(Qualification.id)))


QUALIFICATION = {"scheme": "iso42001", "role": "lead_auditor",
                 "technical_areas": "machine learning;\nnatural language processing",
                 "valid_from": "2024-01-01", "valid_until": ""}


def test_manager_keeps_an_auditors_record(client, login_as, make_user, dbs, world):
    login_as("programme_manager")
    auditor = make_user("auditor", full_name="Ada Auditor")
    base = f"/auditors/{auditor.id}"
    assert form_post(client, base, f"{base}/languages",
                     {"languages": "English,  german, English"}).status_code == 302
    assert dbs.get(AuditorProfile, auditor.id).languages == "English, german"

    new = f"{base}/qualifications/new"
    assert form_post(client, new, new, QUALIFICATION).status_code == 302
    [qualification] = _qualifications(dbs, auditor.id)
    assert qualification.technical_areas == "machine learning;natural language processing"
    assert qualification.valid_until is None

    edit = f"{base}/qualifications/{qualification.id}"
    assert form_post(client, edit, edit, {**QUALIFICATION, "role": "auditor"}).status_code == 302
    end = form_post(client, edit, f"{edit}/end", {"ended_on": "2025-06-30"})
    assert end.status_code == 302
    [qualification] = _qualifications(dbs, auditor.id)
    assert (qualification.role, qualification.valid_until) == ("auditor", date(2025, 6, 30))

    declare = f"{base}/engagements/new"
    assert form_post(client, declare, declare, {
        "client_id": str(world.client_id), "kind": "consultancy",
        "description": "Gap analysis", "ended_on": "2024-05-31"}).status_code == 302
    [engagement] = dbs.exec(select(EngagementDeclaration)).all()
    assert (engagement.client_id, engagement.kind, engagement.ended_on) == (
        world.client_id, "consultancy", date(2024, 5, 31))

    page = _text(client.get(base))
    assert "machine learning; natural language processing" in page
    assert "Lumen Test Analytics Ltd" in page and "2024-05-31" in page
    assert "<td>ended</td>" in page  # the qualification ended on 2025-06-30
    listing = _text(client.get("/auditors"))
    assert "Ada Auditor" in listing and "ISO/IEC 42001 · Auditor" in listing
    changes = {c.field_name for c in dbs.exec(select(ChangeRecord).where(
        ChangeRecord.subject == "auditor", ChangeRecord.subject_id == str(auditor.id)))}
    assert changes == {"languages", f"qualification {qualification.id} added",
                       f"qualification {qualification.id}",
                       f"qualification {qualification.id} ended",
                       f"engagement {engagement.id} declared"}


def test_bad_record_input_is_refused_and_changes_nothing(client, login_as, make_user, dbs, world):
    login_as("programme_manager")
    auditor = make_user("auditor")
    base = f"/auditors/{auditor.id}"
    new = f"{base}/qualifications/new"
    backwards = form_post(client, new, new, {**QUALIFICATION, "valid_until": "2023-12-31"})
    assert backwards.status_code == 422 and "cannot end before it starts" in _text(backwards)
    unknown = form_post(client, new, new, {**QUALIFICATION, "scheme": "iso14001"})
    assert unknown.status_code == 422
    assert _qualifications(dbs, auditor.id) == []

    declare = f"{base}/engagements/new"
    future = date.today() + timedelta(days=30)
    response = form_post(client, declare, declare, {
        "client_id": str(world.client_id), "kind": "employment", "description": "",
        "ended_on": f"{future:%Y-%m-%d}"})
    assert response.status_code == 422 and "not a future day" in _text(response)
    no_client = form_post(client, declare, declare, {
        "client_id": "999999", "kind": "employment", "description": "", "ended_on": ""})
    assert no_client.status_code == 422 and "Choose a client" in _text(no_client)
    assert dbs.exec(select(EngagementDeclaration)).all() == []
    empty = form_post(client, base, f"{base}/languages", {"languages": " , "})
    assert empty.status_code == 422
    assert dbs.get(AuditorProfile, auditor.id) is None


def test_ending_a_qualification_before_it_starts_is_refused(client, login_as, person, dbs):
    login_as("programme_manager")
    auditor = person("Ada Auditor", qualifications=(("iso27001", "auditor", date(2024, 1, 1)),))
    [qualification] = _qualifications(dbs, auditor.id)
    edit = f"/auditors/{auditor.id}/qualifications/{qualification.id}"
    response = form_post(client, edit, f"{edit}/end", {"ended_on": "2023-01-01"})
    assert response.status_code == 422 and "cannot end before" in _text(response)
    assert _qualifications(dbs, auditor.id)[0].valid_until is None


def test_an_auditor_sees_only_their_own_record(client, person, dbs):
    me, colleague = person("Ada Auditor"), person("Ben Colleague")
    assert login(client, me.email).status_code == 302
    assert client.get(f"/auditors/{me.id}").status_code == 200
    assert client.get(f"/auditors/{colleague.id}").status_code == 404
    listing = _text(client.get("/auditors"))
    assert "Ada Auditor" in listing and "Ben Colleague" not in listing
    page = _text(client.get(f"/auditors/{me.id}"))
    assert "Add qualification" not in page
    token = csrf_from(page)
    refused = client.post(f"/auditors/{me.id}/languages",
                          data={"languages": "Klingon", "csrf_token": token})
    assert refused.status_code == 403
    assert dbs.get(AuditorProfile, me.id).languages == "English"


def test_a_reviewer_may_look_but_not_edit(client, login_as, person):
    auditor = person("Ada Auditor")
    login_as("reviewer")
    assert "Ada Auditor" in _text(client.get("/auditors"))
    page = client.get(f"/auditors/{auditor.id}")
    assert page.status_code == 200 and "Add qualification" not in _text(page)
    assert client.get(f"/auditors/{auditor.id}/qualifications/new").status_code == 403


def test_records_of_people_who_are_not_staff_do_not_exist(client, login_as, make_user, world):
    login_as("programme_manager")
    auditee = make_user("auditee", client_id=world.client_id)
    assert client.get(f"/auditors/{auditee.id}").status_code == 404
    assert client.get(f"/auditors/{auditee.id}/qualifications/new").status_code == 404
    assert client.get("/auditors/987654").status_code == 404
