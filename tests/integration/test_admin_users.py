import pytest
from sqlmodel import select

from auditkit.models import ChangeRecord, User, UserRole
from tests.conftest import csrf_from, csrf_token, login
from tests.factories import PASSWORD

NEW_PASSWORD = "maple-harbour-quiet-71"


def _create(client, **fields):
    token = csrf_token(client, "/admin/users/new")
    data = {"email": "new.auditor@example.test", "full_name": "New Auditor",
            "roles": ["auditor"], "client_id": "", "password": NEW_PASSWORD, "csrf_token": token}
    data.update(fields)
    return client.post("/admin/users/new", data=data)


def _users(dbs):
    dbs.expire_all()
    return {u.email: u for u in dbs.exec(select(User))}


def test_admin_creates_user_who_can_log_in(client, login_as, app, dbs):
    login_as("admin")
    response = _create(client, roles=["auditor", "reviewer"])
    assert response.status_code == 302
    assert "new.auditor@example.test" in client.get("/admin/users").get_data(as_text=True)
    user = _users(dbs)["new.auditor@example.test"]
    roles = {r.role for r in dbs.exec(select(UserRole).where(UserRole.user_id == user.id))}
    assert roles == {"auditor", "reviewer"}
    history = dbs.exec(select(ChangeRecord).where(ChangeRecord.subject == "user")).all()
    assert any(h.field_name == "created" and h.subject_id == str(user.id) for h in history)
    fresh = app.test_client()
    assert login(fresh, "new.auditor@example.test", NEW_PASSWORD).status_code == 302


@pytest.mark.parametrize(("fields", "message"), [
    ({"roles": ["inspector"]}, "Unknown role"),
    ({"roles": []}, "at least one role"),
    ({"roles": ["auditee"]}, "belongs to one client organisation"),
    ({"roles": ["auditee", "auditor"]}, "cannot also hold staff roles"),
    ({"password": "short"}, "at least 12 characters"),
    ({"password": ""}, "This field is required"),
    ({"password": "password1234"}, "commonly used"),
    ({"password": "new.auditor-secret-words"}, "Do not use your name"),
    ({"email": "not-an-email"}, "valid e-mail"),
])
def test_bad_user_input_is_refused_and_changes_nothing(client, login_as, dbs, fields, message):
    login_as("admin")
    before = len(_users(dbs))
    response = _create(client, **fields)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert len(_users(dbs)) == before


def test_duplicate_email_is_refused(client, login_as, make_user, dbs):
    login_as("admin")
    make_user("auditor", email="taken@example.test")
    response = _create(client, email="Taken@Example.test")
    assert response.status_code == 422
    assert "already exists" in response.get_data(as_text=True)


def test_auditee_belongs_to_a_client(client, login_as, make_client, dbs):
    login_as("admin")
    organisation = make_client("Acme Robotics")
    response = _create(client, email="contact@acme.test", roles=["auditee"],
                       client_id=str(organisation.id))
    assert response.status_code == 302
    assert _users(dbs)["contact@acme.test"].client_id == organisation.id


def _edit(client, user_id, **fields):
    page = client.get(f"/admin/users/{user_id}").get_data(as_text=True)
    version = page.split('name="version" type="hidden" value="')[1].split('"')[0]
    data = {"full_name": "Edited Name", "roles": ["auditor"], "client_id": "",
            "is_active": "y", "version": version, "csrf_token": csrf_from(page)}
    data.update(fields)
    return client.post(f"/admin/users/{user_id}", data=data)


def test_admin_edits_roles_with_history(client, login_as, make_user, dbs):
    admin = login_as("admin")
    user = make_user("auditor")
    response = _edit(client, user.id, roles=["auditor", "programme_manager"])
    assert response.status_code == 302
    roles = {r.role for r in dbs.exec(select(UserRole).where(UserRole.user_id == user.id))}
    assert roles == {"auditor", "programme_manager"}
    change = dbs.exec(select(ChangeRecord).where(ChangeRecord.field_name == "roles")).one()
    assert (change.before, change.after, change.actor_id) == (
        "auditor", "auditor, programme_manager", admin.id)


def test_deactivated_user_is_logged_out_and_cannot_log_in(app, client, login_as, make_user):
    login_as("admin")
    user = make_user("auditor")
    their_browser = app.test_client()
    assert login(their_browser, user.email).status_code == 302
    assert their_browser.get("/").status_code == 200
    data = {"is_active": ""}
    assert _edit(client, user.id, **data).status_code == 302
    assert their_browser.get("/").status_code == 302
    again = login(app.test_client(), user.email)
    assert again.status_code == 403
    assert "deactivated" in again.get_data(as_text=True)


def test_stale_edit_answers_409_and_keeps_the_first_save(app, client, login_as, make_user, dbs):
    login_as("admin")
    user = make_user("auditor")
    page = client.get(f"/admin/users/{user.id}").get_data(as_text=True)
    version = page.split('name="version" type="hidden" value="')[1].split('"')[0]
    assert _edit(client, user.id, full_name="First Save").status_code == 302
    data = {"full_name": "Second Save", "roles": ["auditor"], "client_id": "",
            "is_active": "y", "version": version, "csrf_token": csrf_from(page)}
    response = client.post(f"/admin/users/{user.id}", data=data)
    assert response.status_code == 409
    assert "Someone else changed this user" in response.get_data(as_text=True)
    assert _users(dbs)[user.email].full_name == "First Save"


def test_admin_cannot_remove_own_admin_role(client, login_as):
    admin = login_as("admin")
    response = _edit(client, admin.id, roles=["auditor"])
    assert response.status_code == 422
    assert "own administrator role" in response.get_data(as_text=True)


def test_admin_resets_password(app, client, login_as, make_user):
    login_as("admin")
    user = make_user("auditor")
    their_browser = app.test_client()
    login(their_browser, user.email)
    token = csrf_token(client, f"/admin/users/{user.id}")
    response = client.post(f"/admin/users/{user.id}/password",
                           data={"new_password": NEW_PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    assert their_browser.get("/").status_code == 302
    assert login(app.test_client(), user.email, PASSWORD).status_code == 401
    assert login(app.test_client(), user.email, NEW_PASSWORD).status_code == 302


def test_unknown_user_is_404(client, login_as):
    login_as("admin")
    assert client.get("/admin/users/999999").status_code == 404


@pytest.mark.parametrize("role", ["programme_manager", "auditor", "reviewer"])
def test_staff_without_admin_role_cannot_manage_users(client, login_as, role):
    login_as(role)
    assert client.get("/admin/users").status_code == 403
    assert client.get("/admin/settings").status_code == 403


def test_user_changes_own_password(app, client, login_as):
    user = login_as("auditor")
    other_browser = app.test_client()
    login(other_browser, user.email)
    token = csrf_token(client, "/account/password")
    wrong = client.post("/account/password", data={
        "current_password": "not-my-password", "new_password": NEW_PASSWORD,
        "confirm_password": NEW_PASSWORD, "csrf_token": token})
    assert wrong.status_code == 422
    assert "current password is not correct" in wrong.get_data(as_text=True)
    mismatch = client.post("/account/password", data={
        "current_password": PASSWORD, "new_password": NEW_PASSWORD,
        "confirm_password": NEW_PASSWORD + "x", "csrf_token": token})
    assert mismatch.status_code == 422
    response = client.post("/account/password", data={
        "current_password": PASSWORD, "new_password": NEW_PASSWORD,
        "confirm_password": NEW_PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert other_browser.get("/").status_code == 302
    assert login(app.test_client(), user.email, NEW_PASSWORD).status_code == 302


def test_user_search_page_and_htmx_fragment(client, login_as, make_user):
    login_as("admin")
    make_user("reviewer", email="rowan.reviewer@example.test", full_name="Rowan Reviewer")
    make_user("auditor", email="ash.auditor@example.test", full_name="Ash Auditor")
    page = client.get("/admin/users?q=rowan")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in text
    assert "Rowan Reviewer" in text and "Ash Auditor" not in text
    fragment = client.get("/admin/users?q=auditor", headers={"HX-Request": "true"})
    rows = fragment.get_data(as_text=True)
    assert "<html" not in rows and "<tr" in rows
    assert "Ash Auditor" in rows and "Rowan Reviewer" not in rows
    assert "HX-Request" in fragment.headers["Vary"]
    none = client.get("/admin/users?q=%3Cscript%3E", headers={"HX-Request": "true"})
    assert "No user matches “&lt;script&gt;”" in none.get_data(as_text=True)


def test_user_search_takes_percent_and_underscore_literally(client, login_as, make_user):
    login_as("admin")
    make_user("auditor", email="ash_auditor@example.test", full_name="Ash 100% Auditor")
    make_user("auditor", email="ashxauditor@example.test", full_name="Ashley Auditor")
    underscore = client.get("/admin/users?q=ash_").get_data(as_text=True)
    assert "Ash 100% Auditor" in underscore and "Ashley Auditor" not in underscore
    percent = client.get("/admin/users?q=100%25").get_data(as_text=True)
    assert "Ash 100% Auditor" in percent and "Ashley Auditor" not in percent
