"""The audit page and "My audits" issue a fixed number of SQL statements, whatever the size of
the team or the number of audits."""

from datetime import timedelta

from tests.conftest import login
from tests.integration.scheduling.conftest import END, START


def _statements(client, count_statements, url: str) -> int:
    client.get(url)  # warm-up: the session touch and first-request work are not the page's
    with count_statements() as statements:
        response = client.get(url)
    assert response.status_code == 200
    return len(statements)


def test_audit_page_queries_do_not_grow_with_the_team(client, login_as, person, make_audit,
                                                      count_statements, arrange, world):
    from auditkit.models import ClientTechnicalArea

    login_as("programme_manager")
    with arrange() as db:
        db.add(ClientTechnicalArea(client_id=world.client_id, scheme="iso27001", area="cloud"))
    people = [person(f"Member {n}", engagements=((world.other_client_id, "consultancy", None),))
              for n in range(6)]
    other = make_audit(start=END, end=END, team=[(p, "auditor", True) for p in people])
    assert other
    small = make_audit(team=((people[0], "lead_auditor", True),))
    large = make_audit(team=[(people[0], "lead_auditor", True), ("Wanda Witness", "observer", False)]
                       + [(p, "auditor", n % 2 == 0) for n, p in enumerate(people[1:])])
    small_count = _statements(client, count_statements, f"/audits/{small}")
    large_count = _statements(client, count_statements, f"/audits/{large}")
    assert large_count == small_count
    assert 10 < small_count < 30


def test_my_audits_queries_do_not_grow_with_the_audits(client, person, make_audit,
                                                      count_statements):
    auditor = person("Abe Auditor")
    make_audit(team=((auditor, "auditor", True),))
    assert login(client, auditor.email).status_code == 302
    one = _statements(client, count_statements, "/my/audits")
    for n in range(1, 6):
        day = START + timedelta(days=10 * n)
        make_audit(start=day, end=day, team=((auditor, "auditor", n % 2 == 0),))
    many = _statements(client, count_statements, "/my/audits")
    assert many == one
    assert 3 < one < 15


def test_auditor_list_queries_do_not_grow_with_the_auditors(client, login_as, person,
                                                           count_statements, world):
    login_as("programme_manager")
    person("First Auditor", engagements=((world.client_id, "employment", None),))
    one = _statements(client, count_statements, "/auditors")
    for n in range(4):
        person(f"Auditor {n}", qualifications=(("iso27001", "auditor"), ("iso9001", "auditor")),
               engagements=((world.client_id, "consultancy", None),))
    assert _statements(client, count_statements, "/auditors") == one
