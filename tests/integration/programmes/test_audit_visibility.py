"""An auditor sees on a certification's pages only the audits they are on (ARCHITECTURE §3.3);
the programme's warnings still weigh every audit."""

from datetime import date

from tests import factories


def test_certification_page_lists_only_the_auditors_own_audits(client, login_as, arrange,
                                                                today, make_user):
    auditor = login_as("auditor")
    colleague = make_user("auditor")
    customer = arrange(factories.make_client, "Visibility Ltd")
    certification = arrange(factories.make_certification, customer)
    arrange(factories.make_programme_audit, certification, "stage1", date(2026, 7, 1),
            date(2026, 7, 2), team=[(auditor, "lead_auditor")])
    arrange(factories.make_programme_audit, certification, "stage2", date(2026, 9, 14),
            date(2026, 9, 17), team=[(colleague, "lead_auditor")])

    page = client.get(f"/certifications/{certification.id}").get_data(as_text=True)
    assert "1 July 2026" in page
    assert "14 September 2026" not in page
    screen = client.get(f"/certifications/{certification.id}/audit-time").get_data(as_text=True)
    assert "1 July 2026" in screen
    assert "14 September 2026" not in screen


def test_programme_manager_sees_every_audit(client, login_as, arrange, today, make_user):
    login_as("programme_manager")
    colleague = make_user("auditor")
    customer = arrange(factories.make_client, "Visibility Two Ltd")
    certification = arrange(factories.make_certification, customer)
    arrange(factories.make_programme_audit, certification, "stage2", date(2026, 9, 14),
            date(2026, 9, 17), team=[(colleague, "lead_auditor")])
    page = client.get(f"/certifications/{certification.id}").get_data(as_text=True)
    assert "14 September 2026" in page
