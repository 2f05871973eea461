"""The checklist browser: staff see the checklists and search one; auditees and visitors
do not get in."""

import re

import pytest

from auditkit.standards.catalogue import body_dir
from auditkit.standards.routes import EXTENSION, install_catalogue
from tests.unit.test_checklists_loader import GOOD, checklist_text, item

STAFF = ["admin", "programme_manager", "auditor", "reviewer"]


def item_ids(html: str) -> list[str]:
    return re.findall(r'<strong class="item-id">([^<]+)</strong>', html)


def test_anonymous_visitors_are_sent_to_log_in(client):
    for path in ("/checklists", "/checklists/iso42001-2023"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login")


def test_an_auditee_gets_403(client, make_client, login_as):
    login_as("auditee", client_id=make_client().id)
    assert client.get("/checklists").status_code == 403
    assert client.get("/checklists/iso42001-2023").status_code == 403
    assert client.get("/checklists/no-such-list").status_code == 403
    home = client.get("/").get_data(as_text=True)
    assert "/checklists" not in home  # no navigation link either


@pytest.mark.parametrize("role", STAFF)
def test_staff_see_the_shipped_checklists(client, login_as, role):
    login_as(role)
    response = client.get("/checklists")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    for edition in ("ISO/IEC 42001:2023", "ISO/IEC 27001:2022", "ISO 9001:2015"):
        assert edition in html
    assert 'href="/checklists/iso27001-2022"' in html
    assert '<a href="/checklists" aria-current="page">Checklists</a>' in html


def test_a_checklist_is_an_indented_tree_with_guidance(client, login_as):
    login_as("auditor")
    html = client.get("/checklists/iso42001-2023").get_data(as_text=True)
    ids = item_ids(html)
    assert len(ids) == 92 and ids[:3] == ["4", "4.1", "4.2"]
    # A.7.4 sits in a list nested inside its group's list item
    group = html[html.index('id="item-A.7"'):html.index('id="item-A.8"')]
    assert '<ul><li id="item-A.7.2"' in re.sub(r">\s+<", "><", group)
    assert "Guidance for A.7.4" in group and "AI focus" in group
    assert "Whom to interview" in group


def test_an_unknown_checklist_is_404(client, login_as):
    login_as("auditor")
    assert client.get("/checklists/iso14001-2015").status_code == 404


def test_search_by_id_as_a_page(client, login_as):
    login_as("reviewer")
    response = client.get("/checklists/iso42001-2023?q=A.7.4")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" in html
    assert item_ids(html) == ["A.7", "A.7.4"]  # the match and its heading
    assert "1 item matches “A.7.4”" in html
    assert 'value="A.7.4"' in html
    assert re.search(r'<details class="guidance" open>\s*<summary>Guidance for A.7.4', html)


def test_search_as_an_htmx_fragment(client, login_as):
    login_as("programme_manager")
    response = client.get("/checklists/iso27001-2022?q=A.7.4", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in html and "<form" not in html
    assert item_ids(html) == ["A.7", "A.7.4"]
    assert "Physical security monitoring" in html
    assert "HX-Request" in response.headers["Vary"]


def test_search_by_words_in_titles_and_guidance(client, login_as):
    login_as("auditor")
    html = client.get("/checklists/iso42001-2023?q=data+provenance").get_data(as_text=True)
    ids = item_ids(html)
    assert "A.7.5" in ids and "A.2.2" not in ids
    nothing = client.get("/checklists/iso42001-2023?q=%3Cscript%3E",
                         headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "No item matches “&lt;script&gt;”" in nothing


def test_the_body_own_checklist_appears_after_a_restart(app, client, login_as):
    folder = body_dir(app.config["AUDITKIT"].instance_dir)
    folder.mkdir(parents=True)
    (folder / "own-2024.yaml").write_text(GOOD, encoding="utf-8")
    (folder / "broken.yaml").write_text(checklist_text(item("4.1", "4")), encoding="utf-8")
    login_as("auditor")
    assert "own-2024" not in client.get("/checklists").get_data(as_text=True)

    install_catalogue(app)  # what a restart does: loading happens at start-up only
    html = client.get("/checklists").get_data(as_text=True)
    assert "/checklists/own-2024" in html and "The body&#39;s own" in html
    assert "broken.yaml" in html and "parent &#39;4&#39; is not an item" in html
    own = client.get("/checklists/own-2024").get_data(as_text=True)
    assert item_ids(own) == ["4", "4.1", "4.2", "A.5", "A.5.1"]
    assert "Three records from the last year" in own


def test_pages_do_not_load_files_per_request(app, client, login_as, monkeypatch):
    login_as("auditor")
    catalogue = app.extensions[EXTENSION]

    def no_loading(*_args, **_kwargs):
        raise AssertionError("a request read checklist files")

    monkeypatch.setattr("auditkit.standards.loader.load_checklist", no_loading)
    monkeypatch.setattr("auditkit.standards.catalogue.load_checklist", no_loading)
    assert client.get("/checklists/iso9001-2015?q=10.2").status_code == 200
    assert client.get("/checklists").status_code == 200
    assert app.extensions[EXTENSION] is catalogue
