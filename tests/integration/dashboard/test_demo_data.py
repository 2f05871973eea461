"""The dashboard's demo programmes show in every section that needs a programme, and loading
them twice adds nothing."""

import re

from sqlmodel import select

from auditkit import db as database
from auditkit.dashboard.demo_data import seed_demo
from auditkit.models import Certification
from tests.integration.dashboard.test_dashboard import page, row_of, section


def test_demo_programmes_fill_the_dashboard(app, client, login_as, dbs):
    manager = login_as("programme_manager")
    with app.app_context(), database.write_intent():
        created = seed_demo(database.session(), [manager])
        database.session().commit()
    with app.app_context(), database.write_intent():
        assert seed_demo(database.session(), [manager]) == []
        database.session().commit()
    assert len(created) == 4
    assert len(dbs.exec(select(Certification)).all()) == 4
    html = page(client)
    hard = section(html, "hard-limits")
    close = row_of_rule(hard, "Harbourside Logistics Ltd", "CYC-SUR-02")
    assert "At risk" in close
    assert "Rule broken" in row_of_rule(hard, "Copperfield Manufacturing Ltd", "CYC-SUR-02")
    assert "CYC-REC-01" in row_of(section(html, "recertifications"), "Meridian Health Data Ltd")
    assert row_of(section(html, "expiring"), "Meridian Health Data Ltd") is not None
    assert row_of(section(html, "windows"), "Northwind Robotics Ltd") is not None
    assert "Meridian Health Data Ltd" not in hard, "its surveillance was held in time"


def row_of_rule(section_html: str, client_name: str, rule_id: str) -> str:
    rows = [row for row in re.findall(r"<tr.*?</tr>", section_html, re.S)
            if client_name in row and rule_id in row]
    assert len(rows) == 1, rows
    return rows[0]
