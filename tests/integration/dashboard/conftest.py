"""Fixtures of the dashboard tests: a frozen clock, a builder for programmes, and a counter of
the SQL statements a request runs."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event

from auditkit import db as database
from tests import factories

# A Thursday in May: this month and next are May and June 2026.
TODAY = date(2026, 5, 14)


@pytest.fixture
def today(monkeypatch) -> date:
    """Freeze auditkit's clock (services read the time through auditkit.db.utcnow)."""
    moment = datetime(TODAY.year, TODAY.month, TODAY.day, 10, 0, tzinfo=UTC)
    monkeypatch.setattr(database, "utcnow", lambda: moment)
    return TODAY


class ProgrammeBuilder:
    """Certifications in a cycle and their audits, each call committed on its own."""

    def __init__(self, app):
        self.app = app

    def _run(self, build):
        with self.app.app_context(), database.write_intent():
            result = build(database.session())
            database.session().commit()
            return result

    def certification(self, client_name: str, decision_date: date, *,
                      schemes=("iso27001",), state: str = "active", audits=(),
                      taken_over_expiry: date | None = None):
        """A client with one certification decided on `decision_date`; `audits` holds
        (audit_type, start_date, status[, team]) tuples. Returns the certification's id."""

        def build(db):
            client = factories.make_client(db, client_name)
            certification, cycle = factories.make_certification_in_cycle(
                db, client, decision_date=decision_date, schemes=schemes, state=state,
                taken_over_expiry=taken_over_expiry)
            for audit_type, start, status, *team in audits:
                factories.make_programme_audit(
                    db, certification, audit_type, start, start + timedelta(days=1),
                    status=status, cycle=cycle, team=team[0] if team else ())
            return certification.id

        return self._run(build)

    def audit(self, certification_id: int, audit_type: str, start: date, *,
              status: str = "planned", team=()) -> int:
        def build(db):
            from auditkit.models import Certification

            certification = db.get(Certification, certification_id)
            return factories.make_programme_audit(db, certification, audit_type, start,
                                                  start + timedelta(days=1), status=status,
                                                  team=team).id

        return self._run(build)


@pytest.fixture
def programme(app) -> ProgrammeBuilder:
    return ProgrammeBuilder(app)


@pytest.fixture
def count_queries(app):
    """Count the statements the app's engine sends to the database inside a `with` block."""
    engine = app.extensions["auditkit.engine"]

    class Counter:
        def __init__(self):
            self.count = 0

        def __call__(self, *_args, **_kwargs):
            self.count += 1

        def __enter__(self):
            self.count = 0
            event.listen(engine, "before_cursor_execute", self)
            return self

        def __exit__(self, *_exc):
            event.remove(engine, "before_cursor_execute", self)

    return Counter
