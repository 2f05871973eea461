"""The programme dashboard: each section with a case that appears and one that must not,
the filters, the links to the pages where a line is dealt with, who may open it, and the
constant number of queries."""

import re
from datetime import date

import pytest

# Today is Thursday 14 May 2026 (conftest.TODAY).
SURVEILLANCE, RECERTIFICATION, SPECIAL = "surveillance", "recertification", "nc_follow_up"
DONE, PLANNED, CANCELLED = "completed", "planned", "cancelled"


def section(html: str, section_id: str) -> str:
    match = re.search(rf'<section[^>]*id="{section_id}".*?</section>', html, re.S)
    assert match, f"no section {section_id}"
    return match.group(0)


def rows(section_html: str) -> list[str]:
    body = section_html.split("<tbody>", 1)[1]
    return re.findall(r"<tr.*?</tr>", body, re.S)


def row_of(section_html: str, client_name: str) -> str | None:
    found = [row for row in rows(section_html) if client_name in row]
    assert len(found) <= 1, f"{client_name} appears {len(found)} times"
    return found[0] if found else None


def page(client, query: str = "", **headers) -> str:
    response = client.get(f"/dashboard{query}", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_data(as_text=True)


@pytest.fixture
def auditors(make_user):
    return {"ada": make_user("auditor", full_name="Ada Lead"),
            "ben": make_user("auditor", full_name="Ben Second")}


@pytest.fixture
def body(programme, today, auditors):
    """One programme per case, named after what it shows (or must not show)."""
    ada, ben = auditors["ada"], auditors["ben"]
    ids = {}
    build = programme.certification
    # CYC-SUR-02: limit 1 April 2026 passed / limit 1 July 2026 in 48 days, nothing planned.
    ids["Overdue"] = build("Overdue Ltd", date(2025, 4, 1), schemes=("iso42001",))
    ids["Close Call"] = build("Close Call Ltd", date(2025, 7, 1), audits=[
        (SPECIAL, date(2026, 6, 2), PLANNED, [(ben, "auditor"), (ada, "lead_auditor")])])
    ids["On Track"] = build("On Track Ltd", date(2025, 7, 1), audits=[
        (SURVEILLANCE, date(2026, 6, 10), PLANNED)])
    ids["Done"] = build("Done Ltd", date(2025, 4, 1), audits=[
        (SURVEILLANCE, date(2026, 3, 10), DONE), (SPECIAL, date(2026, 5, 19), CANCELLED)])
    # CYC-SUR-01: no surveillance completed in 2025 / one completed in 2025.
    ids["Gap Year"] = build("Gap Year Ltd", date(2023, 11, 20), audits=[
        (SURVEILLANCE, date(2024, 11, 5), DONE)])
    ids["Steady"] = build("Steady Ltd", date(2023, 11, 20), audits=[
        (SURVEILLANCE, date(2024, 11, 5), DONE), (SURVEILLANCE, date(2025, 10, 1), DONE)])
    # CYC-REC-04: expiry 9 June 2026 without a decision; recertification audit in May.
    ids["Expiring Soon"] = build("Expiring Soon Ltd", date(2023, 6, 10), audits=[
        (SURVEILLANCE, date(2024, 5, 20), DONE), (SURVEILLANCE, date(2025, 5, 20), DONE),
        (RECERTIFICATION, date(2026, 5, 20), PLANNED)])
    # CYC-REC-01: earliest start 28 February 2026 passed, none planned / one planned.
    ids["Renewal Due"] = build("Renewal Due Ltd", date(2023, 9, 1), audits=[
        (SURVEILLANCE, date(2024, 8, 15), DONE), (SURVEILLANCE, date(2025, 8, 15), DONE)])
    ids["Renewal Planned"] = build("Renewal Planned Ltd", date(2023, 9, 1), audits=[
        (SURVEILLANCE, date(2024, 8, 15), DONE), (SURVEILLANCE, date(2025, 8, 15), DONE),
        (RECERTIFICATION, date(2026, 6, 15), PLANNED)])
    ids["Renewal Later"] = build("Renewal Later Ltd", date(2024, 1, 10), audits=[
        (SURVEILLANCE, date(2024, 12, 15), DONE), (SURVEILLANCE, date(2025, 11, 20), DONE)])
    # Windows: surveillance 1 opens 20 May 2026, surveillance 2 opens 25 May 2026; one in 67 days.
    ids["Window One"] = build("Window One Ltd", date(2025, 8, 20))
    ids["Window Two"] = build("Window Two Ltd", date(2024, 8, 25), audits=[
        (SURVEILLANCE, date(2025, 7, 10), DONE)])
    ids["Window Later"] = build("Window Later Ltd", date(2025, 10, 20), audits=[
        (SPECIAL, date(2026, 7, 22), PLANNED)])
    # Expiring 31 July 2026 (78 days); a withdrawn certificate expiring 30 June 2026.
    ids["Expiring Later"] = build("Expiring Later Ltd", date(2023, 8, 1), audits=[
        (SURVEILLANCE, date(2024, 7, 10), DONE), (SURVEILLANCE, date(2025, 7, 10), DONE)])
    ids["Withdrawn"] = build("Withdrawn Ltd", date(2023, 7, 1), state="withdrawn")
    return ids


# --- sections ---------------------------------------------------------------------------------

def test_hard_limits_show_surveillance_1_passed_and_close_but_not_programmes_on_track(
        client, login_as, body):
    login_as("programme_manager")
    hard = section(page(client), "hard-limits")
    overdue, soon = row_of(hard, "Overdue Ltd"), row_of(hard, "Close Call Ltd")
    assert "CYC-SUR-02" in overdue and "Rule broken" in overdue and "1 Apr 2026" in overdue
    assert "No surveillance audit was completed by 1 April 2026" in overdue
    assert "CYC-SUR-02" in soon and "At risk" in soon and "in 48 days" in soon
    for name in ("On Track Ltd", "Done Ltd", "Window One Ltd", "Steady Ltd", "Withdrawn Ltd"):
        assert row_of(hard, name) is None, name
    assert hard.index("Overdue Ltd") < hard.index("Close Call Ltd"), "rule broken comes first"


def test_hard_limits_show_a_calendar_year_without_surveillance(client, login_as, body):
    login_as("programme_manager")
    hard = section(page(client), "hard-limits")
    gap = row_of(hard, "Gap Year Ltd")
    assert "CYC-SUR-01" in gap and "No surveillance audit was completed in 2025" in gap
    assert "31 Dec 2025" in gap
    assert row_of(hard, "Steady Ltd") is None


def test_a_long_cycle_taken_on_is_checked_for_its_older_years_too(client, login_as,
                                                                   programme, today):
    """A cycle taken on with an unusual expiry still owes a surveillance in 2023, a year the
    narrowing does not look at one by one."""
    programme.certification("Long Cycle Ltd", date(2021, 3, 1),
                            taken_over_expiry=date(2027, 6, 30), audits=[
                                (SURVEILLANCE, date(2022, 2, 1), DONE),
                                (SURVEILLANCE, date(2024, 2, 1), DONE),
                                (SURVEILLANCE, date(2025, 2, 1), DONE)])
    login_as("programme_manager")
    row = row_of(section(page(client), "hard-limits"), "Long Cycle Ltd")
    assert "CYC-SUR-01" in row and "No surveillance audit was completed in 2023" in row


def test_hard_limits_show_the_recertification_decision_due_by_expiry(client, login_as, body):
    login_as("programme_manager")
    hard = section(page(client), "hard-limits")
    due = row_of(hard, "Expiring Soon Ltd")
    assert "CYC-REC-04" in due and "must be taken by 9 June 2026" in due
    assert row_of(hard, "Expiring Later Ltd") is None, "expiry in 78 days: not yet a reminder"


def test_recertifications_not_yet_scheduled(client, login_as, body):
    login_as("programme_manager")
    recertifications = section(page(client), "recertifications")
    due = row_of(recertifications, "Renewal Due Ltd")
    assert "CYC-REC-01" in due and "28 Feb 2026" in due
    assert "No recertification audit is scheduled" in due
    assert row_of(recertifications, "Expiring Later Ltd") is not None
    for name in ("Renewal Planned Ltd", "Renewal Later Ltd", "Expiring Soon Ltd"):
        assert row_of(recertifications, name) is None, name


def test_surveillance_windows_opening_in_the_next_60_days(client, login_as, body):
    login_as("programme_manager")
    windows = section(page(client), "windows")
    first, second = row_of(windows, "Window One Ltd"), row_of(windows, "Window Two Ltd")
    assert "Surveillance 1" in first and "20 May 2026" in first and "20 Aug 2026" in first
    assert "Not yet" in first
    assert "Surveillance 2" in second and "25 May 2026" in second
    assert row_of(windows, "Window Later Ltd") is None, "opens in 67 days"
    assert row_of(windows, "On Track Ltd") is None


def test_a_window_already_planned_is_marked_and_listed_after_the_others(
        client, login_as, programme, today):
    planned = programme.certification("Planned Early Ltd", date(2025, 8, 18), audits=[
        (SURVEILLANCE, date(2026, 6, 1), PLANNED)])
    programme.certification("Unplanned Late Ltd", date(2025, 8, 28))
    login_as("programme_manager")
    windows = section(page(client), "windows")
    assert "Yes" in row_of(windows, "Planned Early Ltd")
    assert windows.index("Unplanned Late Ltd") < windows.index("Planned Early Ltd")
    assert f"/certifications/{planned}" in row_of(windows, "Planned Early Ltd")


def test_certificates_expiring_in_the_next_90_days(client, login_as, body):
    login_as("programme_manager")
    expiring = section(page(client), "expiring")
    soon, later = row_of(expiring, "Expiring Soon Ltd"), row_of(expiring, "Expiring Later Ltd")
    assert "9 Jun 2026" in soon and "Starts 20 May 2026" in soon
    assert "31 Jul 2026" in later and "Not planned" in later
    assert expiring.index("Expiring Soon Ltd") < expiring.index("Expiring Later Ltd")
    assert row_of(expiring, "Renewal Due Ltd") is None, "expires in 109 days"
    assert row_of(expiring, "Withdrawn Ltd") is None


def test_audits_this_month_and_next_with_their_team(client, login_as, body):
    login_as("programme_manager")
    audits = section(page(client), "audits")
    june = row_of(audits, "Close Call Ltd")
    assert "2 Jun 2026" in june and "Nonconformity follow-up" in june
    assert "Ada Lead (lead), Ben Second" in june
    assert "Recertification" in row_of(audits, "Expiring Soon Ltd")
    assert row_of(audits, "On Track Ltd") is not None
    assert row_of(audits, "Done Ltd") is None, "cancelled"
    assert row_of(audits, "Window Later Ltd") is None, "starts in July"
    assert audits.index("Expiring Soon Ltd") < audits.index("Close Call Ltd"), "by first day"


def test_long_lists_show_the_first_lines_and_count_the_others(client, login_as, programme,
                                                              today, monkeypatch):
    from auditkit.dashboard import services

    monkeypatch.setattr(services, "LIST_LIMIT", 2)
    for number in range(3):
        programme.certification(f"Window {number} Ltd", date(2025, 8, 20 + number))
        programme.certification(f"Overdue {number} Ltd", date(2025, 4, 1 + number))
    login_as("programme_manager")
    html = page(client)
    for section_id, first in (("windows", "Window 0 Ltd"), ("hard-limits", "Overdue 0 Ltd")):
        found = section(html, section_id)
        assert "<small>(3)</small>" in found, section_id
        assert len(rows(found)) == 2 and first in found, section_id
        assert "1 more not shown: narrow the list with the filters." in found, section_id


# --- filters ----------------------------------------------------------------------------------

def test_filter_by_scheme(client, login_as, body):
    login_as("programme_manager")
    html = page(client, "?scheme=iso42001")
    assert row_of(section(html, "hard-limits"), "Overdue Ltd") is not None
    for section_id in ("hard-limits", "audits", "recertifications", "windows", "expiring"):
        assert "Ltd" not in section(html, section_id).replace("Overdue Ltd", ""), section_id
    assert 'value="iso42001" selected' in html or 'selected value="iso42001"' in html


def test_filter_by_auditor(client, login_as, body, auditors):
    login_as("programme_manager")
    html = page(client, f"?auditor={auditors['ada'].id}")
    audits, hard = section(html, "audits"), section(html, "hard-limits")
    assert row_of(audits, "Close Call Ltd") is not None
    assert row_of(audits, "Expiring Soon Ltd") is None
    assert row_of(hard, "Close Call Ltd") is not None, "a client Ada audits"
    assert row_of(hard, "Overdue Ltd") is None
    assert row_of(section(page(client, f"?auditor={auditors['ben'].id}"), "audits"),
                  "Close Call Ltd") is not None


def test_filter_by_month(client, login_as, body):
    login_as("programme_manager")
    html = page(client, "?month=2026-07")
    assert "Audits starting in July 2026" in html
    assert row_of(section(html, "audits"), "Window Later Ltd") is not None
    assert row_of(section(html, "audits"), "Close Call Ltd") is None
    assert row_of(section(html, "windows"), "Window Later Ltd") is not None
    assert row_of(section(html, "windows"), "Window One Ltd") is None
    assert row_of(section(html, "expiring"), "Expiring Later Ltd") is not None
    assert row_of(section(html, "expiring"), "Expiring Soon Ltd") is None
    hard = section(html, "hard-limits")
    assert row_of(hard, "Close Call Ltd") is not None, "its limit is 1 July 2026"
    assert row_of(hard, "Overdue Ltd") is None


@pytest.mark.parametrize(("query", "message"), [
    ("?month=2026-13", "Give the month as year and month"),
    ("?month=next", "Give the month as year and month"),
    ("?scheme=iso14001", "Choose a standard from the list"),
    ("?auditor=999999", "Choose an auditor from the list"),
    ("?auditor=abc", "Choose an auditor from the list"),
])
def test_a_bad_filter_is_refused_with_a_message_and_left_out(client, login_as, body, query,
                                                             message):
    login_as("programme_manager")
    response = client.get(f"/dashboard{query}")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message in html
    assert row_of(section(html, "hard-limits"), "Overdue Ltd") is not None, "unfiltered"


def test_htmx_gets_the_lists_only(client, login_as, body):
    login_as("programme_manager")
    response = client.get("/dashboard?scheme=iso42001", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "HX-Request" in response.headers["Vary"]
    assert "<html" not in html and 'id="dashboard-filters"' not in html
    assert row_of(section(html, "hard-limits"), "Overdue Ltd") is not None
    assert row_of(section(html, "hard-limits"), "Close Call Ltd") is None
    assert "Clear the filters" in html


# --- links ------------------------------------------------------------------------------------

def _href(row: str, text: str) -> str:
    match = re.search(rf'<a href="([^"]+)">{re.escape(text)}</a>', row)
    assert match, f"no link {text!r} in {row}"
    return match.group(1).replace("&amp;", "&")


def test_warning_links_lead_to_where_the_warning_is_fixed(client, login_as, body):
    login_as("programme_manager")
    html = page(client)
    overdue = row_of(section(html, "hard-limits"), "Overdue Ltd")
    plan = _href(overdue, "Plan a surveillance audit")
    assert plan.startswith(f"/certifications/{body['Overdue']}/audits/new")
    assert "audit_type=surveillance" in plan
    renewal = row_of(section(html, "recertifications"), "Renewal Due Ltd")
    assert _href(renewal, "Plan the recertification audit").startswith(
        f"/certifications/{body['Renewal Due']}/audits/new")
    decision = row_of(section(html, "hard-limits"), "Expiring Soon Ltd")
    assert _href(decision, "Open the certification") == f"/certifications/{body['Expiring Soon']}"
    for url in (plan, f"/certifications/{body['Expiring Soon']}"):
        assert client.get(url).status_code == 200, url


def test_a_reviewer_is_sent_to_the_certification_not_to_planning(client, login_as, body):
    login_as("reviewer")
    overdue = row_of(section(page(client), "hard-limits"), "Overdue Ltd")
    assert _href(overdue, "Open the certification") == f"/certifications/{body['Overdue']}"
    assert "/audits/new" not in overdue


def test_audit_and_client_links(client, login_as, body):
    login_as("programme_manager")
    june = row_of(section(page(client), "audits"), "Close Call Ltd")
    audit_url = _href(june, "Nonconformity follow-up")
    assert re.fullmatch(r"/audits/\d+", audit_url)
    assert client.get(audit_url).status_code == 200
    client_url = _href(june, "Close Call Ltd")
    assert client.get(client_url).status_code == 200
    assert "Close Call Ltd" in client.get(client_url).get_data(as_text=True)


# --- who may open it --------------------------------------------------------------------------

def test_an_auditee_gets_403(client, login_as, make_client):
    login_as("auditee", client_id=make_client().id)
    assert client.get("/dashboard").status_code == 403


def test_an_auditor_sees_only_their_own_audits(client, app, body, auditors):
    from tests.conftest import login

    assert login(client, auditors["ada"].email).status_code == 302
    html = page(client)
    assert "Your audits" in html
    assert row_of(section(html, "audits"), "Close Call Ltd") is not None
    assert row_of(section(html, "audits"), "Expiring Soon Ltd") is None
    for section_id in ("hard-limits", "recertifications", "windows", "expiring"):
        assert f'id="{section_id}"' not in html
    assert 'name="auditor"' not in html
    assert 'href="/my/audits"' in html


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get("/dashboard")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


# --- performance ------------------------------------------------------------------------------

def _busy_body(programme, count: int, first: int = 0) -> None:
    """`count` certifications, a third in each of three states, so that every section has
    lines: surveillance 1 overdue with an audit planned this month (hard limit, audits), a
    surveillance 1 window opening (windows), and expiry in 44 days with no recertification
    planned (expiring, recertifications)."""
    for number in range(first, first + count):
        kind = number % 3
        name = f"Busy {number:03d} Ltd"
        if kind == 0:
            programme.certification(name, date(2025, 4, 1), audits=[
                (SURVEILLANCE, date(2026, 5, 26), PLANNED)])
        elif kind == 1:
            programme.certification(name, date(2025, 8, 20))
        else:
            programme.certification(name, date(2023, 6, 28), schemes=("iso9001",), audits=[
                (SURVEILLANCE, date(2024, 6, 1), DONE), (SURVEILLANCE, date(2025, 6, 1), DONE)])


def _statements(client, count_queries, query: str = "") -> tuple[int, str]:
    page(client, query)  # the first request of a session may do one-off work
    with count_queries() as counter:
        html = page(client, query)
    return counter.count, html


def test_the_number_of_queries_does_not_grow_with_the_body(client, login_as, programme, today,
                                                           count_queries):
    login_as("programme_manager")
    _busy_body(programme, 3)
    small, html = _statements(client, count_queries)
    for section_id in ("hard-limits", "audits", "windows", "recertifications", "expiring"):
        assert len(rows(section(html, section_id))) == 1, section_id
    _busy_body(programme, 27, first=3)
    large, html = _statements(client, count_queries)
    for section_id in ("hard-limits", "audits", "windows", "recertifications", "expiring"):
        assert len(rows(section(html, section_id))) == 10, section_id
    assert small == large, (small, large)
    filtered_small, _html = _statements(client, count_queries, "?scheme=iso27001&month=2026-05")
    assert filtered_small == large
