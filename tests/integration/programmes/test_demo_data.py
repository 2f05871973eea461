"""The demo programmes: a mid-cycle integrated certification and an ISO 9001 applicant."""

from datetime import date

from dateutil.relativedelta import relativedelta
from sqlmodel import select

from auditkit.models import Certification, CertificationScheme, Cycle
from auditkit.programmes.cycles import plan_of
from auditkit.programmes.demo_data import seed_demo
from auditkit.rules.cycle import PlannedAudit, check_programme
from tests.integration.programmes.conftest import TODAY, audits_of, factories


def test_seed_demo_gives_a_mid_cycle_integrated_certification_and_an_applicant(
        client, login_as, dbs, today):
    demo_client = factories.make_client(dbs, "Lumen Analytics Ltd (demo client)")
    manager = factories.make_user(dbs, "programme_manager", email="manager@demo.auditkit.test")
    dbs.commit()

    seed_demo(dbs, demo_client, {"manager": manager})
    dbs.commit()
    seed_demo(dbs, demo_client, {"manager": manager})  # a second run adds nothing
    dbs.commit()

    integrated, applicant = dbs.exec(select(Certification).order_by(Certification.id)).all()
    schemes = {s.scheme for s in dbs.exec(select(CertificationScheme).where(
        CertificationScheme.certification_id == integrated.id))}
    assert (integrated.integration, integrated.state, schemes) == (
        "integrated", "active", {"iso42001", "iso27001"})
    cycle = dbs.exec(select(Cycle).where(Cycle.certification_id == integrated.id)).one()
    about_14_months_ago = TODAY - relativedelta(months=14)
    assert 0 <= (cycle.decision_date - about_14_months_ago).days <= 2  # moved off a weekend
    plan = plan_of(cycle)
    audits = audits_of(dbs, integrated.id)
    assert [(a.audit_type, a.status) for a in audits] == [
        ("stage1", "completed"), ("stage2", "completed"), ("surveillance", "completed"),
        ("surveillance", "planned")]
    stage2, surveillance_1, surveillance_2 = audits[1], audits[2], audits[3]
    assert stage2.end_date <= cycle.decision_date
    assert plan.surveillance_1_window[0] <= surveillance_1.end_date <= plan.surveillance_1_latest
    assert surveillance_1.end_date < TODAY < surveillance_2.start_date
    start, end = plan.surveillance_2_window
    assert start <= surveillance_2.start_date and surveillance_2.end_date <= end
    assert all(a.cycle_id == cycle.id for a in audits)
    warnings = check_programme(plan, [PlannedAudit(a.audit_type, a.start_date, a.end_date,
                                                   a.status) for a in audits], today=TODAY)
    assert [w for w in warnings if w.severity == "block"] == []

    assert applicant.state == "applicant"
    [stage1] = audits_of(dbs, applicant.id)
    assert (stage1.audit_type, stage1.status) == ("stage1", "planned")
    assert stage1.start_date > TODAY
    assert dbs.exec(select(Cycle).where(Cycle.certification_id == applicant.id)).all() == []

    login_as("reviewer")
    page = client.get(f"/certifications/{integrated.id}").get_data(as_text=True)
    assert "ISO/IEC 42001:2023 + ISO/IEC 27001:2022" in page
    assert date.isoformat(surveillance_2.start_date) in page
