"""Generate a large certification body for benchmarks: clients, certifications in every stage
of their cycles, audits with teams, and auditors with qualifications.

    python bench/generate.py sqlite:///bench-body.sqlite3 [--seed 42] [--today 2026-05-14]
    python bench/generate.py postgresql://user@127.0.0.1:5432/bench

The database is created or upgraded first (as `auditkit init` does) and must hold no clients.
The same seed and the same day give the same body. Dates are spread around that day, so that
the dashboard has work in every section: cycles in every month of their three years, audits
planned ahead, and a few per cent of programmes that slipped (surveillance 1 missed, a calendar
year without surveillance, recertification not planned, an audit held but not closed).
Every cycle is dated by auditkit.rules.cycle and stored as the programmes feature stores it.

It prints the log-in of a programme manager, the figures and the time each step took.
"""

import argparse
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache
from types import SimpleNamespace

from dateutil.relativedelta import relativedelta
from sqlalchemy import event, func, select, text

from auditkit import db as database
from auditkit.accounts.passwords import hash_password
from auditkit.migrate import upgrade_database
from auditkit.models import (
    Audit,
    AuditorProfile,
    AuditTeamMember,
    BodySettings,
    Certification,
    CertificationScheme,
    CertificationSite,
    Client,
    Cycle,
    Qualification,
    Scheme,
    SchemePersonnel,
    Site,
    User,
    UserRole,
)
from auditkit.programmes.cycles import store_plan
from auditkit.rules.cycle import CyclePolicy, plan_cycle

MANAGER_EMAIL = "manager@bench.auditkit.test"
PASSWORD = "bench-lantern-harbour-2048"  # noqa: S105 - printed for the benchmark on purpose
CHUNK = 5_000

WORDS = ("Amber", "Birch", "Cobalt", "Delta", "Ember", "Fjord", "Granite", "Harbour", "Indigo",
         "Juniper", "Kestrel", "Lumen", "Meridian", "Northwind", "Orchid", "Pioneer", "Quartz",
         "Riverside", "Summit", "Tidewater", "Upland", "Vertex", "Willow", "Yarrow", "Zephyr")
TRADES = ("Analytics", "Logistics", "Health Data", "Manufacturing", "Software", "Foods",
          "Engineering", "Payments", "Robotics", "Energy", "Insurance", "Telecom")
SECTORS = ("Information technology", "Financial services", "Health care", "Manufacturing",
           "Transport and logistics", "Public sector", "Retail", "Energy")
FIRST_NAMES = ("Alex", "Blair", "Casey", "Devon", "Eden", "Flynn", "Gale", "Harper", "Indra",
               "Jordan", "Kai", "Lane", "Morgan", "Noor", "Oakley", "Parker", "Quinn", "Reese",
               "Sasha", "Taylor", "Uma", "Vale", "Wren", "Yael")
LAST_NAMES = ("Abbott", "Brennan", "Castillo", "Dumont", "Eriksen", "Farouk", "Gallagher",
              "Hoshino", "Ivanova", "Jansen", "Kowalski", "Lindqvist", "Moreau", "Nakamura",
              "Okafor", "Petrov", "Quintero", "Rossi", "Silva", "Tanaka", "Udeh", "Varga")
SCHEME_SETS = ((Scheme.ISO27001,) * 4 + (Scheme.ISO9001,) * 3 + (Scheme.ISO42001,) * 2
               + ((Scheme.ISO42001, Scheme.ISO27001),) * 2)


@dataclass
class Body:
    """Rows to insert, by model, with ids given here so that rows can point at each other."""

    today: date
    rows: dict = field(default_factory=lambda: {model: [] for model in INSERT_ORDER})
    next_id: Counter = field(default_factory=Counter)
    states: Counter = field(default_factory=Counter)

    def add(self, model, **values) -> int:
        if "id" in model.__table__.c and "id" not in values:
            self.next_id[model] += 1
            values["id"] = self.next_id[model]
        self.rows[model].append(values)
        return values.get("id")


INSERT_ORDER = (BodySettings, User, UserRole, AuditorProfile, Qualification, Client, Site,
                SchemePersonnel, Certification, CertificationScheme, CertificationSite, Cycle,
                Audit, AuditTeamMember)


# --- people ------------------------------------------------------------------------------------

def add_people(body: Body, chance: random.Random, auditors: int) -> dict:
    """The programme manager and the auditors, with qualifications per scheme; returns the
    auditor ids qualified per scheme (lead auditors first in each list)."""
    password_hash = hash_password(PASSWORD)  # one hash for all: argon2 costs ~45 ms each
    stamp = datetime.combine(body.today - timedelta(days=400), datetime.min.time(), UTC)
    body.add(BodySettings, id=1, name="Bench Certification Body", address="1 Bench Street",
             accreditation_body="Bench Accreditation", accreditation_number="CB-BENCH",
             time_zone="UTC", session_idle_minutes=480, session_absolute_hours=12, version=1)
    manager = _user(body, MANAGER_EMAIL, "Bench Programme Manager", password_hash, stamp)
    body.add(UserRole, user_id=manager, role="programme_manager")
    qualified = {scheme: {"lead": [], "auditor": []} for scheme in Scheme}
    for number in range(auditors):
        name = f"{chance.choice(FIRST_NAMES)} {chance.choice(LAST_NAMES)}"
        user_id = _user(body, f"auditor{number:04d}@bench.auditkit.test", name, password_hash,
                        stamp)
        body.add(UserRole, user_id=user_id, role="auditor")
        body.add(AuditorProfile, user_id=user_id,
                 languages=chance.choice(("English", "English, French", "English, German")))
        for scheme in chance.sample(list(Scheme), chance.choice((1, 1, 2, 3))):
            role = "lead_auditor" if chance.random() < 0.4 else "auditor"
            body.add(Qualification, user_id=user_id, scheme=scheme.value, role=role,
                     technical_areas=chance.choice(("IAF 33", "IAF 35", "AI: machine learning",
                                                    "ISMS: cloud services")),
                     valid_from=body.today - timedelta(days=chance.randint(200, 3000)),
                     valid_until=None)
            qualified[scheme]["lead" if role == "lead_auditor" else "auditor"].append(user_id)
    return qualified


def _user(body: Body, email: str, name: str, password_hash: str, stamp: datetime) -> int:
    return body.add(User, email=email, full_name=name, password_hash=password_hash,
                    is_active=True, client_id=None, failed_login_count=0, locked_until=None,
                    created_at=stamp, password_changed_at=stamp, version=1)


# --- clients -----------------------------------------------------------------------------------

def add_clients(body: Body, chance: random.Random, clients: int) -> list[tuple[int, int]]:
    """Clients with a central function; returns (client id, site id) pairs."""
    stamp = datetime.combine(body.today - timedelta(days=2000), datetime.min.time(), UTC)
    found = []
    for number in range(clients):
        name = (f"{chance.choice(WORDS)} {chance.choice(WORDS)} {chance.choice(TRADES)} "
                f"{number + 1:05d} Ltd")
        client_id = body.add(Client, name=name, address=f"{number + 1} Market Road",
                             language="English", sector=chance.choice(SECTORS),
                             created_at=stamp, version=1)
        site_id = body.add(Site, client_id=client_id, name="Head office",
                           kind="central_function", address=f"{number + 1} Market Road",
                           personnel=chance.randint(8, 900))
        found.append((client_id, site_id))
    return found


# --- certifications and their history ----------------------------------------------------------

@dataclass
class Programme:
    certification_id: int
    client_id: int
    schemes: tuple
    stamp: datetime


def add_certifications(body: Body, chance: random.Random, clients: list, count: int,
                       qualified: dict) -> None:
    """Every client holds one certification, some several; each gets a history of cycles and
    audits ending around today."""
    owners = [client for client in clients]
    owners += [chance.choice(clients) for _ in range(count - len(clients))]
    chance.shuffle(owners)
    stamp = datetime.combine(body.today - timedelta(days=1500), datetime.min.time(), UTC)
    held: dict[int, set] = {}
    for number, (client_id, site_id) in enumerate(owners, start=1):
        schemes = _schemes_for(chance, held.setdefault(client_id, set()))
        certification_id = body.add(
            Certification, client_id=client_id, reference=f"BB-{number:06d}",
            scope="Design, delivery and support of the client's services",
            integration="single" if len(schemes) == 1 else "integrated", state="applicant",
            stage1_still_valid_note="", created_at=stamp, version=1)
        for scheme in schemes:
            body.add(CertificationScheme, certification_id=certification_id,
                     scheme=scheme.value, edition=scheme.edition)
            if (client_id, scheme) not in held[client_id]:
                held[client_id].add((client_id, scheme))
                body.add(SchemePersonnel, client_id=client_id, scheme=scheme.value,
                         effective_personnel=chance.randint(8, 900),
                         ai_personnel=chance.randint(2, 60) if scheme == Scheme.ISO42001
                         else None,
                         ai_role="developer" if scheme == Scheme.ISO42001 else None)
        body.add(CertificationSite, certification_id=certification_id, site_id=site_id)
        programme = Programme(certification_id, client_id, schemes, stamp)
        History(body, chance, programme, qualified).write()


def _schemes_for(chance: random.Random, held: set) -> tuple:
    taken = {scheme for _client, scheme in held}
    for _attempt in range(10):
        schemes = chance.choice(SCHEME_SETS)
        schemes = schemes if isinstance(schemes, tuple) else (schemes,)
        if not taken & set(schemes):
            return schemes
    return (chance.choice(list(Scheme)),)


@cache
def planned_cycle(decision: date, previous_expiry: date | None):
    """The rules' plan of a cycle and its columns as the programmes feature stores them; many
    certifications share a decision day, so each day is planned once."""
    plan = plan_cycle(decision, History.POLICY, previous_expiry=previous_expiry)
    stored = SimpleNamespace()
    store_plan(stored, plan)
    return plan, vars(stored)


class History:
    """One certification's past and planned audits, cycle after cycle, as a body would have
    run them, with the occasional slip."""

    POLICY = CyclePolicy()

    def __init__(self, body: Body, chance: random.Random, programme: Programme,
                 qualified: dict):
        self.body, self.chance, self.programme, self.qualified = body, chance, programme, qualified
        self.today = body.today

    def write(self) -> None:
        if self.chance.random() < 0.08:
            return self._applicant()
        state = self._final_state()
        previous_cycles = self.chance.choices((0, 1, 2), weights=(45, 35, 20))[0]
        # The current cycle started somewhere in the last three years; an expired one ended
        # in the last six months without a recertification decision.
        days_ago = self.chance.randint(1, 1095)
        if state == "expired":
            days_ago = 1095 + self.chance.randint(1, 170)
        decision = self.today - timedelta(days=days_ago)
        first = decision - relativedelta(years=3 * previous_cycles)
        self._initial_audit(first)
        self._cycles(first, previous_cycles, expired=state == "expired")
        self._set_state(state)

    def _final_state(self) -> str:
        roll = self.chance.random()
        for state, share in (("suspended", 0.015), ("withdrawn", 0.035), ("expired", 0.045),
                             ("transferred_out", 0.05)):
            if roll < share:
                return state
        return "active"

    # -- the initial audit ------------------------------------------------------------------

    def _applicant(self) -> None:
        stage1 = self.today + timedelta(days=self.chance.randint(-60, 90))
        status = "completed" if stage1 < self.today else "planned"
        self.audit("stage1", stage1, 2, status)
        self._set_state("stage1_done" if status == "completed" else "applicant")
        if status == "completed" and self.chance.random() < 0.5:
            self.audit("stage2", stage1 + timedelta(days=self.chance.randint(30, 80)), 3,
                        None)

    def _initial_audit(self, decision: date) -> None:
        stage2 = decision - timedelta(days=self.chance.randint(14, 45))
        self.audit("stage1", stage2 - timedelta(days=self.chance.randint(30, 90)), 1,
                   "completed")
        self.audit("stage2", stage2, 3, "completed")

    # -- cycles -----------------------------------------------------------------------------

    def _cycles(self, decision: date, previous_cycles: int, *, expired: bool) -> None:
        previous_expiry = None
        for number in range(1, previous_cycles + 2):
            plan, stored = planned_cycle(decision, previous_expiry)
            current = number == previous_cycles + 1
            cycle_id = self._cycle(stored, number, current)
            next_decision = self._cycle_audits(plan, cycle_id, current, expired=expired)
            if current:
                return
            previous_expiry, decision = plan.certificate_expiry, next_decision

    def _cycle(self, stored: dict, number: int, current: bool) -> int:
        origin = "initial" if number == 1 else "recertification"
        return self.body.add(Cycle, certification_id=self.programme.certification_id,
                             number=number, origin=origin, is_current=current, note="",
                             **stored)

    def _cycle_audits(self, plan, cycle_id: int, current: bool, *, expired: bool) -> date:
        """Surveillance 1 and 2 and the recertification audit of one cycle; for the current
        cycle only what is held by today or planned for the coming months. Returns the day of
        the recertification decision that starts the next cycle."""
        chance = self.chance
        dates = self._programme_dates(plan)
        slips = {"missing": ("recertification",)} if current and expired else self._slips(current)
        for key, start in dates.items():
            audit_type = "recertification" if key == "recertification" else "surveillance"
            if key in slips.get("missing", ()):
                continue
            if current and start > self.today + timedelta(days=chance.randint(60, 270)):
                continue  # not planned yet
            if key in slips.get("late", ()):
                start = start + timedelta(days=chance.randint(60, 150))
            if chance.random() < 0.03:  # moved once: the first date stays, cancelled
                self.audit(audit_type, start - timedelta(days=chance.randint(14, 45)), 2,
                           "cancelled", cycle_id)
            self.audit(audit_type, start, 2 if audit_type == "surveillance" else 3,
                       "in_progress" if key in slips.get("stale", ()) else None, cycle_id)
        if chance.random() < 0.08:
            follow_up = plan.decision_date + timedelta(days=chance.randint(30, 700))
            if not current or follow_up < self.today + timedelta(days=120):
                self.audit("nc_follow_up", follow_up, 1, None, cycle_id)
        return dates["recertification"] + timedelta(days=chance.randint(20, 50))

    def _programme_dates(self, plan) -> dict[str, date]:
        """The days a careful programme manager picks: surveillance 1 in its window and in the
        year after the decision, surveillance 2 in its window and the year after that (so
        every calendar year has one, CYC-SUR-01), recertification 2.5 to 5.5 months before
        expiry (CYC-REC-01)."""
        decision_year = plan.decision_date.year
        first = self._day_between(max(plan.surveillance_1_window[0], date(decision_year + 1, 1, 1)),
                                  plan.surveillance_1_latest - timedelta(days=7))
        window_start, window_end = plan.surveillance_2_window
        second = self._day_between(max(window_start, date(first.year + 1, 1, 1)),
                                   min(window_end, date(first.year + 1, 12, 31))
                                   - timedelta(days=5))
        recertification = plan.certificate_expiry - timedelta(days=self.chance.randint(75, 170))
        return {"surveillance_1": first, "surveillance_2": second,
                "recertification": recertification}

    def _day_between(self, first: date, last: date) -> date:
        if last <= first:
            return first
        return first + timedelta(days=self.chance.randint(0, (last - first).days))

    def _slips(self, current: bool) -> dict:
        """A few per cent of current programmes slipped in one way or another."""
        if not current:
            return {}
        roll = self.chance.random()
        for slip, share in ((("missing", "surveillance_1"), 0.01),
                            (("late", "surveillance_1"), 0.02),
                            (("missing", "surveillance_2"), 0.03),
                            (("missing", "recertification"), 0.055),
                            (("stale", "surveillance_1"), 0.06)):
            if roll < share:
                return {slip[0]: (slip[1],)}
        return {}

    # -- rows -------------------------------------------------------------------------------

    def _set_state(self, state: str) -> None:
        rows = self.body.rows[Certification]
        rows[-1]["state"] = state
        self.body.states[state] += 1

    def audit(self, audit_type: str, start: date, days: int, status: str | None,
               cycle_id: int | None = None) -> int:
        end = start + timedelta(days=days - 1)
        if status is None:
            status = self._status(start, end)
        audit_id = self.body.add(
            Audit, certification_id=self.programme.certification_id, cycle_id=cycle_id,
            audit_type=audit_type, status=status, start_date=start, end_date=end,
            mode=self.chance.choice(("on_site", "on_site", "remote", "hybrid")), ict_tool="",
            planned_days=None, language="English", client_objection_allowed=True,
            team_confirmed_at=None, time_justification="", notes="",
            created_at=self.programme.stamp, version=1)
        self._team(audit_id, start)
        return audit_id

    def _status(self, start: date, end: date) -> str:
        if end < self.today:
            return "completed"
        if start <= self.today:
            return "in_progress"
        return "confirmed" if (start - self.today).days < 30 else "planned"

    def _team(self, audit_id: int, start: date) -> None:
        scheme = self.programme.schemes[0]
        leads = self.qualified[scheme]["lead"] or self.qualified[scheme]["auditor"]
        members = [(self.chance.choice(leads), "lead_auditor")]
        others = self.qualified[scheme]["auditor"] + self.qualified[scheme]["lead"]
        for _ in range(self.chance.choice((0, 1, 1, 2))):
            candidate = self.chance.choice(others)
            if candidate not in {member for member, _role in members}:
                members.append((candidate, "auditor"))
        declared = (datetime.combine(start - timedelta(days=20), datetime.min.time(), UTC)
                    if start < self.today else None)
        for user_id, role in members:
            self.body.add(AuditTeamMember, audit_id=audit_id, user_id=user_id, person_name="",
                          team_role=role, impartiality_declared_at=declared,
                          impartiality_statement="", client_objection="")


def top_up_audits(body: Body, chance: random.Random, target: int, qualified: dict) -> None:
    """Nonconformity follow-ups on certified programmes until the body holds `target` audits."""
    certified = [row for row in body.rows[Certification] if row["state"] == "active"]
    schemes = {}
    for row in body.rows[CertificationScheme]:
        schemes.setdefault(row["certification_id"], Scheme(row["scheme"]))
    while len(body.rows[Audit]) < target:
        row = chance.choice(certified)
        programme = Programme(row["id"], row["client_id"], (schemes[row["id"]],),
                              row["created_at"])
        history = History(body, chance, programme, qualified)
        history.audit("nc_follow_up", body.today - timedelta(days=chance.randint(30, 900)),
                       1, None)


# --- writing -----------------------------------------------------------------------------------

def insert(engine, body: Body) -> dict[str, float]:
    timings = {}
    with database.write_intent(), engine.begin() as conn:
        for model in INSERT_ORDER:
            started = time.perf_counter()
            rows = body.rows[model]
            if engine.dialect.name == "postgresql":
                _copy(conn, model.__table__.name, rows)
            else:
                for first in range(0, len(rows), CHUNK):
                    conn.execute(model.__table__.insert(), rows[first:first + CHUNK])
            timings[model.__tablename__] = time.perf_counter() - started
        if engine.dialect.name == "postgresql":
            for model in INSERT_ORDER:
                if "id" in model.__table__.c and body.rows[model]:
                    conn.execute(text(
                        f"SELECT setval(pg_get_serial_sequence('{model.__tablename__}', 'id'), "
                        f"(SELECT max(id) FROM {model.__tablename__}))"))
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
    else:
        with database.write_intent(), engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    return timings


def _copy(conn, table: str, rows: list[dict]) -> None:
    """PostgreSQL loads with COPY, many times faster than INSERT for a body this size."""
    if not rows:
        return
    columns = list(rows[0])
    cursor = conn.connection.dbapi_connection.cursor()
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([row[column] for column in columns])
    cursor.close()


def generate(url: str, *, seed: int, today: date, clients: int, certifications: int,
             audits: int, auditors: int) -> None:
    started = time.perf_counter()
    engine = database.make_engine(url)
    upgrade_database(engine)
    with engine.connect() as conn:
        for model in (BodySettings, User, Client):
            if conn.execute(select(func.count()).select_from(model.__table__)).scalar():
                sys.exit(f"The database already holds {model.__tablename__} rows: give an "
                         f"empty one (the generator sets the ids itself).")
    migrated = time.perf_counter()
    chance = random.Random(seed)
    body = Body(today=today)
    qualified = add_people(body, chance, auditors)
    owners = add_clients(body, chance, clients)
    add_certifications(body, chance, owners, certifications, qualified)
    top_up_audits(body, chance, audits, qualified)
    built = time.perf_counter()
    engine.dispose()
    engine = database.make_engine(url)
    if engine.dialect.name == "sqlite":
        # A generated body is simply generated again if the load is interrupted.
        event.listen(engine, "connect", lambda connection, _record: connection.execute(
            "PRAGMA synchronous=OFF"))
    timings = insert(engine, body)
    done = time.perf_counter()
    engine.dispose()
    _report(body, url, seed, today, timings,
            {"migrate": migrated - started, "build rows": built - migrated,
             "insert": done - built, "total": done - started})


def _report(body: Body, url: str, seed: int, today: date, timings: dict, steps: dict) -> None:
    print(f"Body generated into {url} (seed {seed}, today {today.isoformat()})")
    print(f"Log in as {MANAGER_EMAIL} / {PASSWORD}")
    for model in INSERT_ORDER:
        print(f"  {model.__tablename__:<22} {len(body.rows[model]):>8} rows "
              f"{timings[model.__tablename__]:7.2f} s")
    statuses = Counter(row["status"] for row in body.rows[Audit])
    print("  certification states: " + ", ".join(f"{state} {count}" for state, count
                                                 in sorted(body.states.items())))
    print("  audit statuses: " + ", ".join(f"{status} {count}" for status, count
                                           in sorted(statuses.items())))
    print("  time: " + ", ".join(f"{step} {seconds:.1f} s" for step, seconds in steps.items()))


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", help="database URL: sqlite:///file or postgresql://...")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--today", type=date.fromisoformat, default=date.today(),
                        help="the day the body is generated around (default: today)")
    parser.add_argument("--clients", type=int, default=5_000)
    parser.add_argument("--certifications", type=int, default=8_000)
    parser.add_argument("--audits", type=int, default=40_000,
                        help="at least this many audits (follow-ups fill the gap)")
    parser.add_argument("--auditors", type=int, default=300)
    args = parser.parse_args(argv)
    if args.certifications < args.clients:
        parser.error("every client holds a certification: give at least as many "
                     "certifications as clients")
    generate(args.url, seed=args.seed, today=args.today, clients=args.clients,
             certifications=args.certifications, audits=args.audits, auditors=args.auditors)


if __name__ == "__main__":
    main()
