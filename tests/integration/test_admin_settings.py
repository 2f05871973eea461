import io
import struct
import zlib
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from auditkit.models import BodySettings, ChangeRecord, PolicyValue, StoredFile
from auditkit.rules.policies import POLICIES
from tests.conftest import csrf_from


def tiny_png() -> bytes:
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\x1f\x5f\xa8")
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels)
            + chunk(b"IEND", b""))


def _settings_form(client, **changes):
    page = client.get("/admin/settings").get_data(as_text=True)
    version = page.split('name="version" type="hidden" value="')[1].split('"')[0]
    data = {"name": "Harbour Certification", "address": "2 Quay Road\nPortsmouth",
            "accreditation_body": "Example Accreditation Service",
            "accreditation_number": "0042", "time_zone": "Europe/Berlin",
            "session_idle_minutes": "30", "session_absolute_hours": "12",
            "version": version, "csrf_token": csrf_from(page)}
    data.update(changes)
    return data


def test_admin_saves_settings_with_history(client, login_as, dbs):
    admin = login_as("admin")
    response = client.post("/admin/settings", data=_settings_form(client))
    assert response.status_code == 302
    body = dbs.get(BodySettings, 1)
    assert (body.name, body.time_zone, body.accreditation_number) == (
        "Harbour Certification", "Europe/Berlin", "0042")
    changes = {c.field_name: c for c in dbs.exec(
        select(ChangeRecord).where(ChangeRecord.subject == "settings"))}
    assert changes["name"].after == "Harbour Certification"
    assert changes["time_zone"].before == "UTC"
    assert changes["name"].actor_id == admin.id
    page = client.get("/admin/history?subject=settings").get_data(as_text=True)
    assert "Harbour Certification" in page and "time_zone" in page
    assert "Harbour Certification" in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize(("field", "value", "message"), [
    ("name", "   ", "This field is required"),
    ("time_zone", "Mars/Olympus", "Choose a time zone"),
    ("session_idle_minutes", "2", "Number must be between 5 and 240"),
    ("session_absolute_hours", "48", "Number must be between 1 and 24"),
    ("session_idle_minutes", "abc", "Not a valid integer"),
])
def test_bad_settings_are_refused_and_change_nothing(client, login_as, dbs, field, value,
                                                     message):
    login_as("admin")
    client.post("/admin/settings", data=_settings_form(client))
    before = dbs.get(BodySettings, 1).model_dump()
    history_before = len(dbs.exec(select(ChangeRecord)).all())
    changes = {"name": "Other Name", field: value}
    response = client.post("/admin/settings", data=_settings_form(client, **changes))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert dbs.get(BodySettings, 1).model_dump() == before
    assert len(dbs.exec(select(ChangeRecord)).all()) == history_before


def test_stale_settings_form_answers_409(client, login_as, dbs):
    login_as("admin")
    old_form = _settings_form(client)
    assert client.post("/admin/settings", data=_settings_form(client)).status_code == 302
    response = client.post("/admin/settings", data={**old_form, "name": "Overwritten"})
    assert response.status_code == 409
    assert dbs.get(BodySettings, 1).name == "Harbour Certification"


def test_logo_upload_is_stored_outside_static_and_served(client, login_as, dbs, app):
    login_as("admin")
    data = _settings_form(client)
    data["logo"] = (io.BytesIO(tiny_png()), "our logo.png")
    response = client.post("/admin/settings", data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    body = dbs.get(BodySettings, 1)
    stored = dbs.get(StoredFile, body.logo_file_id)
    assert stored.original_name == "our logo.png" and stored.content_type == "image/png"
    storage_dir = app.config["AUDITKIT"].storage_dir
    assert any(storage_dir.rglob(stored.id))
    logo = client.get("/admin/settings/logo")
    assert logo.status_code == 200 and logo.data == tiny_png()
    assert logo.headers["Content-Type"] == "image/png"


@pytest.mark.parametrize("payload", [b"MZ\x90\x00 not an image", b"<html><script>x</script>",
                                     b'<svg xmlns="http://www.w3.org/2000/svg"/>'])
def test_logo_that_is_not_png_or_jpeg_is_refused(client, login_as, dbs, payload):
    login_as("admin")
    data = _settings_form(client)
    data["logo"] = (io.BytesIO(payload), "logo.png")
    response = client.post("/admin/settings", data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "PNG or JPEG" in response.get_data(as_text=True)
    assert dbs.exec(select(StoredFile)).all() == []
    assert dbs.get(BodySettings, 1) is None or dbs.get(BodySettings, 1).logo_file_id is None


def _policy_form(client, **values):
    page = client.get("/admin/policies").get_data(as_text=True)
    data = {p.name: (str(p.default).lower() if isinstance(p.default, bool) else str(p.default))
            for p in POLICIES}
    data.update(values)
    data["csrf_token"] = csrf_from(page)
    return data


def test_policies_page_shows_every_policy_with_rule_and_name(client, login_as):
    login_as("admin")
    page = client.get("/admin/policies").get_data(as_text=True)
    for policy in POLICIES:
        assert f"cb_policy.{policy.name}" in page
        if policy.rule_id:
            assert policy.rule_id in page
    assert "not requirements of the standards" in page


def test_policy_change_is_kept_with_history(client, login_as, dbs):
    admin = login_as("admin")
    response = client.post("/admin/policies", data=_policy_form(
        client, max_stage1_to_stage2="4", expiry_convention="same_day"))
    assert response.status_code == 302
    stored = {p.name: p.value for p in dbs.exec(select(PolicyValue))}
    assert stored == {"max_stage1_to_stage2": "4", "expiry_convention": "same_day"}
    change = dbs.exec(select(ChangeRecord).where(
        ChangeRecord.field_name == "cb_policy.max_stage1_to_stage2")).one()
    assert (change.before, change.after, change.actor_id) == ("6 months", "4 months", admin.id)
    follow = client.get("/admin/policies").get_data(as_text=True)
    assert 'value="4"' in follow and "changed" in follow


@pytest.mark.parametrize(("values", "message"), [
    ({"max_stage1_to_stage2": "0"}, "from 1 to 24"),
    ({"major_days": "ninety"}, "whole number"),
    ({"expiry_convention": "whenever"}, "Choose one of"),
    ({"no_such_policy": "3"}, "Unknown policy"),
])
def test_bad_policy_values_change_nothing(client, login_as, dbs, values, message):
    login_as("admin")
    response = client.post("/admin/policies",
                           data=_policy_form(client, minors_to_major="5", **values))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page and "Nothing was saved" in page
    assert dbs.exec(select(PolicyValue)).all() == []
    assert dbs.exec(select(ChangeRecord).where(ChangeRecord.subject == "policy")).all() == []


def test_history_times_are_shown_in_the_body_time_zone(client, login_as, dbs):
    login_as("admin")
    client.post("/admin/settings", data=_settings_form(client, time_zone="Asia/Tokyo"))
    change = dbs.exec(select(ChangeRecord).where(ChangeRecord.field_name == "time_zone")).one()
    tokyo = change.changed_at.astimezone(ZoneInfo("Asia/Tokyo")).strftime("%Y-%m-%d %H:%M")
    page = client.get("/admin/history").get_data(as_text=True)
    assert "When (Asia/Tokyo)" in page
    assert tokyo in page


@pytest.mark.parametrize("outcome", ["rollback", "commit"])
def test_logo_file_is_discarded_when_its_transaction_rolls_back(app, make_user, outcome):
    from auditkit import db, storage
    from auditkit.admin import services

    admin = make_user("admin")
    storage_dir = app.config["AUDITKIT"].storage_dir
    with app.test_request_context(), db.write_intent():
        session = db.session()
        services.replace_logo(session, tiny_png(), "logo.png", actor_id=admin.id)
        file_id = session.get(BodySettings, 1).logo_file_id
        assert any(storage_dir.rglob(file_id))
        getattr(session, outcome)()
        if outcome == "commit":
            assert storage.get(file_id) == tiny_png()
        else:
            assert not any(storage_dir.rglob(file_id))
