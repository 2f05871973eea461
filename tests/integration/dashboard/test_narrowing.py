"""The SQL narrowing of the dashboard never drops a warning: on a varied random body, and on
days across the year (the calendar-year rule CYC-SUR-01 warns from 1 October), the hard
limits and unscheduled recertifications equal what the rules say when every certification
is checked one by one."""

import random
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from auditkit import db as database
from auditkit.accounts.services import CurrentUser
from auditkit.dashboard import services
from auditkit.models import Audit, Certification, Cycle, Role
from auditkit.programmes.cycles import plan_of
from auditkit.rules.cycle import PlannedAudit, check_programme
from tests import factories

DAYS = [date(2026, 1, 2), date(2026, 3, 31), date(2026, 5, 14), date(2026, 9, 30),
        date(2026, 10, 1), date(2026, 11, 15), date(2026, 12, 31), date(2027, 2, 28)]
STATUSES = ["completed"] * 5 + ["planned"] * 3 + ["confirmed", "in_progress", "cancelled"]


def _random_audits(chance: random.Random, decision: date) -> list[tuple[str, date, str]]:
    """Around the usual targets, sometimes missing, late, early, cancelled or left open."""
    audits = []
    for audit_type, months in (("surveillance", 11), ("surveillance", 23),
                               ("recertification", 33), ("surveillance", 17)):
        if chance.random() < 0.25:
            continue
        start = decision + timedelta(days=int(months * 30.4) + chance.randint(-120, 120))
        audits.append((audit_type, start, chance.choice(STATUSES)))
    return audits


def _build_random_body(db, seed: int, count: int) -> None:
    chance = random.Random(seed)
    for number in range(count):
        client = factories.make_client(db, f"Random {seed}-{number} Ltd")
        decision = date(2021, 6, 1) + timedelta(days=chance.randint(0, 1670))
        state = chance.choice(["active"] * 8 + ["suspended", "withdrawn"])
        certification, cycle = factories.make_certification_in_cycle(
            db, client, decision_date=decision, state=state)
        for audit_type, start, status in _random_audits(chance, decision):
            factories.make_programme_audit(db, certification, audit_type, start,
                                           start + timedelta(days=chance.randint(0, 3)),
                                           status=status, cycle=cycle)


def _one_by_one(db, today: date) -> set[tuple]:
    """Every monitored certification checked by the rules, without any narrowing."""
    expected = set()
    pairs = db.exec(select(Certification, Cycle).join(
        Cycle, (Cycle.certification_id == Certification.id) & Cycle.is_current)).all()
    for certification, cycle in pairs:
        if certification.state not in ("active", "suspended"):
            continue
        audits = [PlannedAudit(a.audit_type, a.start_date, a.end_date, a.status, a.id)
                  for a in db.exec(select(Audit).where(
                      Audit.certification_id == certification.id))]
        for warning in check_programme(plan_of(cycle), audits, today=today):
            hard = (warning.rule_id in ("CYC-SUR-02", "CYC-REC-04")
                    or (warning.rule_id == "CYC-SUR-01" and warning.audit_id is None))
            unscheduled = warning.rule_id == "CYC-REC-01" and warning.audit_id is None
            if hard or unscheduled:
                expected.add(("hard" if hard else "recertification", certification.id,
                              warning.rule_id, warning.severity, warning.date, warning.message))
    return expected


@pytest.mark.parametrize("seed", [7, 2026])
def test_narrowing_keeps_every_warning_the_rules_give(app, monkeypatch, seed):
    manager = CurrentUser(id=1, email="manager@example.test", full_name="Manager",
                          roles=frozenset({Role.PROGRAMME_MANAGER}), client_id=None,
                          session_id="test")
    with app.app_context(), database.write_intent():
        _build_random_body(database.session(), seed, 80)
        database.session().commit()
    seen = 0
    for today in DAYS:
        moment = datetime(today.year, today.month, today.day, 12, tzinfo=UTC)
        monkeypatch.setattr(database, "utcnow", lambda moment=moment: moment)
        with app.app_context():
            db = database.session()
            hard, recertifications = services._programme_warnings(
                db, manager, services.Filters(), today)
            found = {(place, line.certification.id, line.rule_id, line.severity, line.date,
                      line.message)
                     for place, lines in (("hard", hard), ("recertification", recertifications))
                     for line in lines}
            expected = _one_by_one(db, today)
        assert found == expected, (today, sorted(expected - found), sorted(found - expected))
        seen += len(expected)
    assert seen > 50, "the random body should give plenty of warnings"
