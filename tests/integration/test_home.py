"""The home page leads each role to the screens it works in."""

import pytest


@pytest.mark.parametrize(("role", "links"), [
    ("programme_manager", ["/dashboard", "/clients", "/certifications"]),
    ("auditor", ["/my/audits"]),
])
def test_home_links_for_staff(client, login_as, role, links):
    login_as(role)
    page = client.get("/").get_data(as_text=True)
    for link in links:
        assert f'href="{link}"' in page


def test_auditee_home_links_to_their_own_organisation(client, login_as, make_client):
    own = make_client("Auditee Org Ltd")
    login_as("auditee", client_id=own.id)
    page = client.get("/").get_data(as_text=True)
    assert f'href="/clients/{own.id}"' in page
    assert 'href="/dashboard"' not in page
    organisation = client.get(f"/clients/{own.id}").get_data(as_text=True)
    assert f'href="/clients/{own.id}/soa"' in organisation


@pytest.mark.parametrize(("role", "shown", "hidden"), [
    ("admin", ["/admin/users", "/admin/settings", "/clients"], []),
    ("reviewer", ["/clients", "/my/audits"], ["/admin/users"]),
    ("auditee", [], ["/admin/users", "/clients\"", "/my/audits"]),
])
def test_home_cards_follow_the_access_policy(client, login_as, make_client, role, shown, hidden):
    kwargs = {"client_id": make_client().id} if role == "auditee" else {}
    login_as(role, **kwargs)
    page = client.get("/").get_data(as_text=True)
    for link in shown:
        assert f'href="{link}"' in page
    for link in hidden:
        assert f'href="{link}' not in page
