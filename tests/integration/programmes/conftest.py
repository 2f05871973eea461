"""Fixtures of the programme tests: a frozen "today", a signed-in programme manager, and
certifications arranged directly in the database."""

from datetime import UTC, date, datetime

import pytest
from sqlmodel import select

from auditkit import db as database
from auditkit.models import Audit, ChangeRecord, Cycle, PolicyValue
from tests import factories

TODAY = date(2026, 6, 15)


@pytest.fixture
def today(monkeypatch) -> date:
    """auditkit reads the time through auditkit.db.utcnow: freeze it at TODAY, 10:00 UTC."""
    moment = datetime(TODAY.year, TODAY.month, TODAY.day, 10, 0, tzinfo=UTC)
    monkeypatch.setattr(database, "utcnow", lambda: moment)
    return TODAY


@pytest.fixture
def manager(login_as, today):
    return login_as("programme_manager")


@pytest.fixture
def arrange(dbs):
    """Build rows with tests/factories.py and commit them: arrange(factories.make_client)."""

    def do(factory, *args, **kwargs):
        made = factory(dbs, *args, **kwargs)
        dbs.commit()
        return made

    return do


@pytest.fixture
def set_policy(dbs):
    def do(name: str, value) -> None:
        row = dbs.get(PolicyValue, name) or PolicyValue(name=name, value="")
        row.value = str(value)
        dbs.add(row)
        dbs.commit()

    return do


def cycles_of(dbs, certification_id: int) -> list[Cycle]:
    dbs.expire_all()
    return list(dbs.exec(select(Cycle).where(Cycle.certification_id == certification_id)))


def audits_of(dbs, certification_id: int) -> list[Audit]:
    dbs.expire_all()
    return list(dbs.exec(select(Audit).where(Audit.certification_id == certification_id)
                         .order_by(Audit.start_date)))


def history(dbs, subject: str) -> list[ChangeRecord]:
    return list(dbs.exec(select(ChangeRecord).where(ChangeRecord.subject == subject)
                         .order_by(ChangeRecord.id)))


__all__ = ["TODAY", "audits_of", "cycles_of", "factories", "history"]
