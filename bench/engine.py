"""How fast is the engine, next to the bare driver doing the same writes?

    python bench/engine.py            # SQLite files in a temporary folder
    python bench/engine.py --quick    # the same, scaled down, as a smoke test
    python bench/engine.py --db postgresql+psycopg://postgres@127.0.0.1:5432/postgres

With --db the same figures run on PostgreSQL: the bench creates its scratch
databases (familyflow_bench_<pid>_*) on the server given, migrates them, and
drops them at the end; the database named in the URL is only used to connect.
On SQLite every database is a fresh file with the engine's own pragmas (WAL,
synchronous=NORMAL, BEGIN IMMEDIATE). The floor is raw sqlite3 or raw psycopg
(autocommit, its own BEGIN and COMMIT), never SQLAlchemy.

1. Cases created per second through FamilyFlow.create_case (parenting, the
   four usual contacts, PAR-01 email queued with its copy to BS), against a
   floor that writes the same rows (case, 4 contacts, 2 audit rows, 2 outbox
   rows) in one transaction per case.
2. Events applied per second through FamilyFlow.fire, over every case from (1):
   request_confirmation, confirm_attendance (2 deadlines + email),
   choose_sessions (meets 2 deadlines), allocate_worker (contact replaced,
   3 deadlines + email), hold_planning_meeting (meets PAR-05). The floor does
   the same reads and writes per event with no engine: select case and
   contacts, update the case under its version, close/insert deadline rows,
   insert audit rows and outbox rows, commit. Its rows are the engine's, byte
   for byte (message text is the engine's rendering of the warm-up case with
   the reference swapped), and the run checks that. Engine and floor take
   turns in blocks of 50 cases, so both see the same machine.
3. Deadline firing over 100,000 open parenting cases (awaiting_session_choice,
   four contacts, a history of audit and sent outbox rows), built with bulk
   inserts (COPY on PostgreSQL, then VACUUM ANALYZE as autovacuum would; on
   SQLite, ANALYZE as the service's statistics job does).
   They hold 300,000 open deadlines on SQLite and 1,000,000 on PostgreSQL
   (PAR-04-chase, PAR-04-close, PAR-05, and on PostgreSQL seven more unmet
   deadlines a case over the coming months). Exactly 10,000 PAR-04-chase
   deadlines are due: they all fell due at 23:59:59 last night and the clock
   reads 00:00:30, so each queues one email to the SW and its copy to the TM.
   Measured: FamilyFlow.fire_due() for the 10,000 (then the rows are
   counted), and the median fire_due() when nothing is due. The floor replays
   the statements fire_due() sent (recorded, with their parameters and
   transactions, on a copy of the population) on a bare connection to a
   second copy, and its rows are counted the same way.
4. GET /api/cases, a page of 100, through the app (FastAPI's TestClient, a
   bearer token, the read audited as in service) over the population of (3)
   after firing: as an admin, as a team manager (team north, or named on the
   case), and overdue only, at random pages; and EH-11.3's caseload count
   (store.open_caseload) in a write transaction. Then the peak RSS.

Engine logs go through the production structlog pipeline (JSON) into a file
in the temporary folder, as they would go to stderr in service.
"""

from __future__ import annotations

import os
import sys

if __name__ == "__main__" and not __package__:
    # `python bench/engine.py`: this file's folder would shadow the `engine` package.
    _bench = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _bench]
    sys.path.insert(0, os.path.dirname(_bench))

import argparse
import gc
import json
import logging
import random
import re
import resource
import shutil
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as time_of_day
from pathlib import Path
from typing import Any, TextIO

import psycopg
import sqlalchemy as sa
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import event
from sqlalchemy.engine import make_url

from engine import store
from engine.calendar import WorkingCalendar, end_of_day
from engine.cases import Actor
from engine.clock import LONDON, SimulatedClock, aware
from engine.db import create_engine, refresh_statistics, upgrade
from engine.service import FamilyFlow
from familyflow import accounts
from familyflow.api import create_app
from familyflow.bootstrap import bootstrap, configure_logging
from familyflow.settings import Settings
from notifications.channels.file import FileTransport
from workflows.parenting import PROCESS

# -- sizes and people ------------------------------------------------------------


@dataclass(frozen=True)
class Sizes:
    cases: int  # created in (1), then moved through five events each in (2)
    open_cases: int  # the population in (3)
    due: int  # of which this many PAR-04-chase deadlines are due now
    idle_ticks: int  # fire_due() calls with nothing due
    per_case: int = 3  # open deadlines per case in (3)
    listings: int = 60  # GET /api/cases requests of each kind in (4)


# SQLite: 100,000 cases holding 300,000 open deadlines; PostgreSQL, the production
# database, is asked for more: the same 100,000 cases holding 1,000,000.
FULL = {
    False: Sizes(cases=2_000, open_cases=100_000, due=10_000, idle_ticks=200),
    True: Sizes(cases=2_000, open_cases=100_000, due=10_000, idle_ticks=200, per_case=10),
}
QUICK = {
    False: Sizes(cases=200, open_cases=10_000, due=1_000, idle_ticks=50, listings=20),
    True: Sizes(cases=200, open_cases=10_000, due=1_000, idle_ticks=50, per_case=10, listings=20),
}

SW = {"name": "Sam Jones", "email": "sam.jones@example.org"}
TM = {"name": "Ade Bello", "email": "ade.bello@example.org"}
BS = {"name": "Business Support", "email": "bs@example.org"}
PARENT = {"name": "Jo Parent", "mobile": "07700900123"}
WORKER = {"name": "Kim Lee", "email": "kim.lee@example.org"}
CONTACTS = {"social_worker": SW, "team_manager": TM, "business_support": BS, "parent": PARENT}

# The role each one's account holds (resolved by the application, given to the engine).
ROLES = {SW["email"]: "social_worker", TM["email"]: "team_manager", WORKER["email"]: "worker"}

# The events of (2): trigger, data, who does it.
EVENTS: list[tuple[str, dict[str, Any], str]] = [
    ("request_confirmation", {}, TM["email"]),
    ("confirm_attendance", {}, SW["email"]),
    ("choose_sessions", {"sessions": [1, 2, 3, 4]}, SW["email"]),
    ("allocate_worker", {"worker": WORKER}, TM["email"]),
    ("hold_planning_meeting", {}, WORKER["email"]),
]

EVENTS_AT = datetime(2026, 12, 14, 9, 0, tzinfo=LONDON)  # a Monday
FIRE_NOW = datetime(2026, 12, 21, 0, 0, 30, tzinfo=LONDON)  # just after midnight


@dataclass(frozen=True)
class Targets:
    events: float  # engine events/s as a share of the floor
    fire_s: float  # firing the due deadlines
    idle_ms: float = 1.0  # median fire_due() with nothing due
    listing_ms: float = 50.0  # p95 of GET /api/cases, a page of 100
    rss_mb: float = 300.0


TARGETS = {False: Targets(events=0.30, fire_s=3.0), True: Targets(events=0.50, fire_s=2.0)}


# -- results ---------------------------------------------------------------------


@dataclass
class Figure:
    name: str
    value: str
    against: str = ""
    ratio: str = ""
    target: str = ""
    met: bool | None = None

    def line(self) -> str:
        parts = [f"{self.name}: {self.value}"]
        if self.against:
            parts.append(self.against)
        if self.ratio:
            parts.append(f"ratio: {self.ratio}")
        if self.target:
            parts.append(f"target {self.target}")
        if self.met is not None:
            parts.append("MET" if self.met else "MISSED")
        return "  ".join(parts)


@dataclass
class Report:
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, figure: Figure) -> None:
        self.figures.append(figure)
        print(figure.line(), flush=True)

    def summary(self) -> str:
        head = ("figure", "value", "compared with", "ratio", "target", "")
        rows = [head] + [
            (
                f.name,
                f.value,
                f.against,
                f.ratio,
                f.target,
                "" if f.met is None else ("met" if f.met else "MISSED"),
            )
            for f in self.figures
        ]
        widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
        lines = [
            "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows
        ]
        lines.insert(1, "  ".join("-" * w for w in widths))
        return "\n".join(lines + self.notes)


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds else float("inf")


def per_s(value: float) -> str:
    return f"{value:,.0f}/s"


def log(text: str) -> None:
    print(f"  .. {text}", flush=True)


# -- wiring ----------------------------------------------------------------------


def sql_dt(moment: datetime) -> str:
    """How SQLAlchemy stores an aware datetime in SQLite (UTC, no zone)."""
    return aware(moment).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def pg_dt(moment: datetime) -> datetime:
    """What psycopg is given for a timestamptz: the aware instant in UTC."""
    return aware(moment).astimezone(UTC)


class Raw:
    """A bare driver connection, sqlite3 or psycopg, in autocommit: the floor
    issues BEGIN and COMMIT itself. Statements are written with ? marks."""

    def __init__(self, conn: Any, *, postgres: bool) -> None:
        self.conn, self.postgres = conn, postgres
        self.cur = conn.cursor()
        self._marks: dict[str, str] = {}

    def sql(self, text: str) -> str:
        if not self.postgres:
            return text
        found = self._marks.get(text)
        if found is None:
            found = self._marks[text] = text.replace("?", "%s")
        return found

    def execute(self, text: str, params: Any = ()) -> Any:
        self.cur.execute(self.sql(text), params)
        return self.cur

    def executemany(self, text: str, rows: Any) -> Any:
        self.cur.executemany(self.sql(text), rows)
        return self.cur

    @property
    def rowcount(self) -> int:
        return int(self.cur.rowcount)

    def begin(self, *, writing: bool = True) -> None:
        self.cur.execute("BEGIN IMMEDIATE" if writing and not self.postgres else "BEGIN")

    def commit(self) -> None:
        self.cur.execute("COMMIT")

    def rollback(self) -> None:
        self.cur.execute("ROLLBACK")

    def close(self) -> None:
        self.conn.close()


class Backend:
    """Where the bench's databases live: SQLite files in the temporary folder, or
    scratch databases it creates on the PostgreSQL server given (and drops)."""

    def __init__(self, folder: Path, server: str | None) -> None:
        self.folder, self.server = folder, server
        self.postgres = server is not None
        self.prefix = f"familyflow_bench_{os.getpid()}_"
        self.made: list[str] = []

    @property
    def label(self) -> str:
        return "PostgreSQL" if self.postgres else "SQLite"

    def stamp(self, moment: datetime) -> Any:
        """A datetime as the floor binds it (and as the driver reads it back)."""
        return pg_dt(moment) if self.postgres else sql_dt(moment)

    def url(self, name: str) -> str:
        if self.server is None:
            return f"sqlite:///{self.folder / name}.db"
        return (
            make_url(self.server)
            .set(database=self.prefix + name)
            .render_as_string(hide_password=False)
        )

    def _admin(self, *statements: str) -> None:
        assert self.server is not None
        admin = sa.create_engine(self.server, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            for statement in statements:
                conn.exec_driver_sql(statement)
        admin.dispose()

    def fresh(self, name: str, *, copy_of: str | None = None) -> str:
        """A new empty database (migrated) or a copy of another; its URL."""
        if self.server is None:
            path = self.folder / f"{name}.db"
            if copy_of is None:
                migrated(self.url(name))
            else:
                shutil.copyfile(self.folder / f"{copy_of}.db", path)
            return self.url(name)
        database = self.prefix + name
        template = f' TEMPLATE "{self.prefix + copy_of}"' if copy_of else ""
        self._admin(
            f'DROP DATABASE IF EXISTS "{database}"', f'CREATE DATABASE "{database}"{template}'
        )
        self.made.append(database)
        if copy_of is None:
            migrated(self.url(name))
        return self.url(name)

    def raw(self, name: str) -> Raw:
        if self.server is None:
            conn = sqlite3.connect(self.folder / f"{name}.db", isolation_level=None, timeout=30)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA busy_timeout=30000")
            return Raw(conn, postgres=False)
        libpq = make_url(self.url(name)).set(drivername="postgresql")
        pg = psycopg.connect(libpq.render_as_string(hide_password=False), autocommit=True)
        return Raw(pg, postgres=True)

    def drop(self, name: str) -> None:
        if self.server is None:
            (self.folder / f"{name}.db").unlink()
            return
        database = self.prefix + name
        self._admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        self.made.remove(database)

    def drop_all(self) -> None:
        if self.server is not None and self.made:
            self._admin(*(f'DROP DATABASE IF EXISTS "{d}" WITH (FORCE)' for d in self.made))
            self.made = []


def open_flow(
    backend: Backend, name: str, clock: SimulatedClock, log_file: TextIO, **extra: Any
) -> FamilyFlow:
    settings = Settings(
        database_url=backend.url(name),
        outbox_dir=backend.folder / "outbox",
        email_transport="file",
        sms_transport="file",
        log_json=True,
        **extra,
    )
    configure_logging(settings)
    for handler in logging.getLogger().handlers:  # the production pipeline, into a file
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(log_file)
    transport = FileTransport(directory=backend.folder / "outbox")
    return bootstrap(settings, clock=clock, transports={"email": transport, "sms": transport})


def migrated(url: str) -> None:
    db = create_engine(url)
    upgrade(db)
    db.dispose()


# -- the raw driver floor ---------------------------------------------------------

INSERT_CASE = (
    "INSERT INTO cases (process, state, data, version, team, received_at, created_at, closed_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"
)
INSERT_CONTACT = (
    "INSERT INTO contacts (case_id, role, name, email, mobile, flagged) VALUES (?, ?, ?, ?, ?, ?)"
)
INSERT_AUDIT = (
    "INSERT INTO audit_events (case_id, kind, actor, actor_role, occurred_at, recorded_at, rule,"
    ' reason, "trigger", from_state, to_state, detail)'
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
INSERT_OUTBOX = (
    "INSERT INTO outbox (case_id, dedupe_key, medium, template, rule, to_role, to_name,"
    " to_address, cc, subject, body, status, attempts, created_at, not_before, next_attempt_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (dedupe_key) DO NOTHING"
)
INSERT_DEADLINE = (
    "INSERT INTO deadlines (case_id, process, timescale, rule, kind, status, due_at, started_at,"
    " created_at, closed_at, fired_at, late) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
CLOSE_DEADLINES = (
    "UPDATE deadlines SET status = CASE WHEN (status = 'open') THEN ? ELSE status END,"
    " closed_at = ? WHERE case_id = ? AND closed_at IS NULL AND timescale IN ({})"
    " RETURNING id, timescale, rule, kind, due_at, fired_at"
)
SELECT_CASE = (
    "SELECT id, process, state, data, version, team, received_at, created_at, closed_at"
    " FROM cases WHERE id IN (?)"
)
SELECT_CONTACTS = (
    "SELECT id, case_id, role, name, email, mobile, flagged FROM contacts"
    " WHERE case_id IN (?) ORDER BY id"
)
UPDATE_CASE = (
    "UPDATE cases SET state = ?, data = ?, version = ?, closed_at = ? WHERE id = ? AND version = ?"
)


def iso(stored: str | datetime) -> str:
    """A stored instant (SQLite text or a PostgreSQL timestamptz) as the engine
    writes it into audit details."""
    if isinstance(stored, datetime):
        return stored.astimezone(UTC).isoformat()
    return datetime.fromisoformat(stored).replace(tzinfo=UTC).isoformat()


def audit_row(case_id: int, kind: str, at: str, **fields: Any) -> tuple[Any, ...]:
    return (
        case_id,
        kind,
        fields.get("actor", "system"),
        fields.get("role"),
        at,
        at,
        fields.get("rule"),
        fields.get("reason"),
        fields.get("trigger"),
        fields.get("from_state"),
        fields.get("to_state"),
        json.dumps(fields.get("detail", {})),
    )


@dataclass(frozen=True)
class FloorStep:
    """What one trigger writes, spelled out for the floor."""

    source: str
    dest: str
    role: str  # the actor's role, as the engine resolves it
    rule: str
    reason: str
    clean: dict[str, Any]  # the trigger's data as validated (audited in full)
    meets: tuple[str, ...] = ()
    starts: tuple[tuple[str, str, str, tuple[tuple[str, str], ...]], ...] = ()
    message: tuple[str, str] | None = None  # template, recipient role
    worker: bool = False  # the data replaces the worker contact


class Floor:
    """The same rows as the engine, written with the bare driver and no engine.

    Everything that does not depend on the case is worked out once: due
    instants, reasons from the process definition, and message text, which is
    the engine's own rendering for the warm-up case with the reference swapped.
    """

    def __init__(
        self, raw: Raw, at: datetime, day_starts: time_of_day, stamp: Any = sql_dt
    ) -> None:
        self.cur = raw
        self.now = stamp(at)
        self.texts: dict[str, tuple[str, str, str]] = {}  # template -> subject, body, ref
        people = {"social_worker": SW, "team_manager": TM, "business_support": BS, "worker": WORKER}
        self.people = people
        calendar = WorkingCalendar(nation="england")
        transitions = {t.trigger: t for t in reversed(PROCESS.transitions)}
        timescales = {t.key: t for t in PROCESS.timescales}

        def starts(*keys: str) -> tuple[tuple[str, str, str, tuple[tuple[str, str], ...]], ...]:
            found = []
            for key in keys:
                timescale = timescales[key]
                due = calendar.due_at(at, timescale.within)
                dues = [("due", stamp(due))]
                if timescale.remind_before is not None:
                    remind = calendar.reminder_at(
                        due, timescale.remind_before, day_starts=day_starts
                    )
                    if at < remind < due:
                        dues.insert(0, ("reminder", stamp(remind)))
                found.append((key, timescale.rule, timescale.description, tuple(dues)))
            return tuple(found)

        def step(trigger: str, role: str, clean: dict[str, Any], **extra: Any) -> FloorStep:
            spec = transitions[trigger]
            return FloorStep(
                spec.source[0],
                spec.dest or spec.source[0],
                role,
                spec.rule,
                spec.description,
                clean,
                **extra,
            )

        worker = {"name": WORKER["name"], "email": WORKER["email"], "mobile": None}
        self.steps = {
            "request_confirmation": step(
                "request_confirmation",
                "team_manager",
                {"programme": None, "venue": None},
                message=("parenting/confirmation_request", "social_worker"),
            ),
            "confirm_attendance": step(
                "confirm_attendance",
                "social_worker",
                {},
                starts=starts("PAR-04-chase", "PAR-04-close"),
                message=("parenting/course_content", "social_worker"),
            ),
            "choose_sessions": step(
                "choose_sessions",
                "social_worker",
                {"sessions": [1, 2, 3, 4]},
                meets=("PAR-04-chase", "PAR-04-close"),
            ),
            "allocate_worker": step(
                "allocate_worker",
                "team_manager",
                {"worker": worker},
                starts=starts("PAR-05", "PAR-06"),
                message=("parenting/worker_allocated", "worker"),
                worker=True,
            ),
            "hold_planning_meeting": step("hold_planning_meeting", "worker", {}, meets=("PAR-05",)),
        }

    def learn_texts(self, engine_db: Raw, case_id: int) -> None:
        ref = f"PAR-{case_id:06d}"
        for template, subject, body in engine_db.execute(
            "SELECT template, subject, body FROM outbox WHERE case_id = ?", (case_id,)
        ):
            self.texts[template] = (subject, body, ref)

    def message(
        self, case_id: int, key: str, template: str, rule: str, role: str, cc: list[str]
    ) -> tuple[Any, ...]:
        person = self.people[role]
        ref = f"PAR-{case_id:06d}"
        subject, body, warm_ref = self.texts.get(template, (template, template, ref))
        now = self.now
        return (
            case_id,
            f"{key}:{template}:{role}",
            "email",
            template,
            rule,
            role,
            person["name"],
            person["email"],
            json.dumps(cc),
            subject.replace(warm_ref, ref),
            body.replace(warm_ref, ref),
            "queued",
            0,
            now,
            now,
            now,
        )

    def copies(self, message: tuple[Any, ...], roles: list[str]) -> list[tuple[Any, ...]]:
        """The copies of a message, one row per person copied in."""
        rows = []
        for number, role in enumerate(roles, 1):
            person = self.people[role]
            row = list(message)
            row[1] = f"{message[1]}:cc{number}"
            row[5:9] = [role, person["name"], person["email"], "[]"]
            rows.append(tuple(row))
        return rows

    def create(self) -> int:
        cur, now = self.cur, self.now
        cur.begin()
        row = ("parenting", "referred", "{}", 1, None, now, now, None)
        case_id = int(cur.execute(INSERT_CASE, row).fetchone()[0])
        cur.executemany(
            INSERT_CONTACT,
            [
                (case_id, "social_worker", SW["name"], SW["email"], None, None),
                (case_id, "team_manager", TM["name"], TM["email"], None, None),
                (case_id, "business_support", BS["name"], BS["email"], None, None),
                (case_id, "parent", PARENT["name"], None, "+447700900123", None),
            ],
        )
        message = self.message(
            case_id,
            f"case:{case_id}:v1",
            "parenting/referral_received",
            "PAR-01",
            "team_manager",
            [BS["email"]],
        )
        cur.executemany(
            INSERT_AUDIT,
            [
                audit_row(
                    case_id,
                    "transition",
                    now,
                    reason="referral received (Parenting programme)",
                    trigger="create",
                    to_state="referred",
                ),
                audit_row(
                    case_id,
                    "message",
                    now,
                    rule="PAR-01",
                    reason="email to team_manager",
                    detail={"dedupe_key": message[1], "template": message[3]},
                ),
            ],
        )
        # A copy (Cc) is a message of its own, so that retrying one never resends another.
        cur.executemany(INSERT_OUTBOX, [message, *self.copies(message, ["business_support"])])
        cur.commit()
        return case_id

    def fire(self, case_id: int, trigger: str, actor: str) -> None:
        cur, now, step = self.cur, self.now, self.steps[trigger]
        cur.begin()
        case = cur.execute(SELECT_CASE, (case_id,)).fetchone()
        contacts = cur.execute(SELECT_CONTACTS, (case_id,)).fetchall()
        if case[2] != step.source or not contacts:
            raise RuntimeError(f"floor: case {case_id} is {case[2]}, not {step.source}")
        version = case[4] + 1
        if step.worker:
            cur.execute("DELETE FROM contacts WHERE case_id = ? AND role = ?", (case_id, "worker"))
            cur.execute(
                INSERT_CONTACT, (case_id, "worker", WORKER["name"], WORKER["email"], None, None)
            )
        plain = {k: v for k, v in step.clean.items() if v is not None and not isinstance(v, dict)}
        stored = case[3] if isinstance(case[3], dict) else json.loads(case[3])
        data = json.dumps({**stored, **plain})
        cur.execute(UPDATE_CASE, (step.dest, data, version, None, case_id, case[4]))
        if cur.rowcount != 1:
            raise RuntimeError("floor: version conflict")
        audit = [
            audit_row(
                case_id,
                "transition",
                now,
                actor=actor,
                role=step.role,
                rule=step.rule,
                reason=step.reason,
                trigger=trigger,
                from_state=step.source,
                to_state=step.dest,
                detail={"data": step.clean},
            )
        ]
        if step.meets:
            marks = ", ".join("?" * len(step.meets))
            met = cur.execute(CLOSE_DEADLINES.format(marks), ("met", now, case_id, *step.meets))
            for _, timescale, rule, kind, due, _ in met.fetchall():
                if kind == "due":
                    audit.append(
                        audit_row(
                            case_id,
                            "deadline_met",
                            now,
                            rule=rule,
                            reason="met on time",
                            detail={"timescale": timescale, "on_time": True, "due_at": iso(due)},
                        )
                    )
        message = None
        if step.message:
            template, role = step.message
            message = self.message(
                case_id, f"case:{case_id}:v{version}", template, step.rule, role, []
            )
            audit.append(
                audit_row(
                    case_id,
                    "message",
                    now,
                    rule=step.rule,
                    reason=f"email to {role}",
                    detail={"dedupe_key": message[1], "template": template},
                )
            )
        deadlines = []
        for key, rule, description, dues in step.starts:
            cur.execute(CLOSE_DEADLINES.format("?"), ("cancelled", now, case_id, key)).fetchall()
            for kind, due in dues:
                deadlines.append(
                    (
                        case_id,
                        "parenting",
                        key,
                        rule,
                        kind,
                        "open",
                        due,
                        now,
                        now,
                        None,
                        None,
                        False,
                    )
                )
            audit.append(
                audit_row(
                    case_id,
                    "deadline_set",
                    now,
                    actor=actor,
                    role=step.role,
                    rule=rule,
                    reason=description,
                    detail={"timescale": key, "due_at": iso(dues[-1][1])},
                )
            )
        if deadlines:
            cur.executemany(INSERT_DEADLINE, deadlines)
        cur.executemany(INSERT_AUDIT, audit)
        if message:
            cur.execute(INSERT_OUTBOX, message)
        cur.commit()


# -- (1) and (2): creating cases and applying events -------------------------------


def blocks(count: int, size: int = 50) -> Iterator[range]:
    for start in range(0, count, size):
        yield range(start, min(start + size, count))


def bench_events(
    backend: Backend, sizes: Sizes, targets: Targets, report: Report, log_file: TextIO
) -> None:
    clock = SimulatedClock(EVENTS_AT)
    backend.fresh("events")
    flow = open_flow(backend, "events", clock, log_file)
    backend.fresh("floor")
    raw = backend.raw("floor")
    floor = Floor(raw, EVENTS_AT, flow.services.day_starts, backend.stamp)
    engine_db = backend.raw("events")
    floor_name = f"floor (raw {'psycopg' if backend.postgres else 'sqlite3'})"

    # Warm up with one whole journey each (connections, templates, statement
    # caches, the bank holidays); the floor then copies the engine's message text.
    warm = flow.create_case(process="parenting", received_at=EVENTS_AT, data={}, contacts=CONTACTS)
    for trigger, data, who in EVENTS:
        flow.fire(warm, trigger, data, actor=Actor(who, ROLES[who]))
    floor.learn_texts(engine_db, warm)
    floor_warm = floor.create()
    for trigger, _, who in EVENTS:
        floor.fire(floor_warm, trigger, who)

    # Engine and floor take turns in small blocks, so that both see the same
    # machine (other work on it, the page cache, WAL checkpoints).
    engine_ids: list[int] = []
    floor_ids: list[int] = []
    engine_s = floor_s = 0.0
    for block in blocks(sizes.cases):
        start = time.perf_counter()
        for _ in block:
            engine_ids.append(
                flow.create_case(
                    process="parenting", received_at=EVENTS_AT, data={}, contacts=CONTACTS
                )
            )
        middle = time.perf_counter()
        for _ in block:
            floor_ids.append(floor.create())
        engine_s += middle - start
        floor_s += time.perf_counter() - middle
    engine_rate, floor_rate = rate(sizes.cases, engine_s), rate(sizes.cases, floor_s)
    report.add(
        Figure(
            "cases created/s",
            per_s(engine_rate),
            f"{floor_name}: {per_s(floor_rate)}",
            f"{engine_rate / floor_rate:.0%}",
            "none (informational)",
        )
    )

    engine_total = floor_total = 0.0
    per_trigger = []
    for trigger, data, who in EVENTS:
        actor = Actor(who, ROLES[who])
        engine_s = floor_s = 0.0
        for block in blocks(len(engine_ids)):
            start = time.perf_counter()
            for i in block:
                flow.fire(engine_ids[i], trigger, data, actor=actor)
            middle = time.perf_counter()
            for i in block:
                floor.fire(floor_ids[i], trigger, who)
            engine_s += middle - start
            floor_s += time.perf_counter() - middle
        engine_total += engine_s
        floor_total += floor_s
        per_trigger.append(
            f"{trigger} {rate(len(engine_ids), engine_s):,.0f} vs "
            f"{rate(len(floor_ids), floor_s):,.0f} ({floor_s / engine_s:.0%})"
        )
    events = len(engine_ids) * len(EVENTS)
    engine_rate, floor_rate = rate(events, engine_total), rate(events, floor_total)
    ratio = engine_rate / floor_rate
    report.add(
        Figure(
            "events applied/s",
            per_s(engine_rate),
            f"{floor_name}: {per_s(floor_rate)}",
            f"{ratio:.0%}",
            f">= {targets.events:.0%}",
            ratio >= targets.events,
        )
    )
    log(
        f"{events:,} events over {len(engine_ids):,} cases; per trigger, engine vs floor "
        "events/s (ratio):"
    )
    for line in per_trigger:
        log(f"  {line}")
    check_events(engine_db, engine_ids, raw, floor_ids)
    engine_db.close()
    raw.close()
    flow.db.dispose()


TABLES = {  # table: columns compared (ids, case ids and dedupe keys normalised)
    "cases": "process, state, data, version, team, received_at, created_at, closed_at",
    "contacts": "role, name, email, mobile, flagged",
    "deadlines": "process, timescale, rule, kind, status, due_at, started_at, created_at,"
    " closed_at, fired_at, late",
    "audit_events": 'kind, actor, actor_role, occurred_at, recorded_at, rule, reason, "trigger",'
    " from_state, to_state, detail",
    "outbox": "dedupe_key, medium, template, rule, to_role, to_name, to_address, cc, subject,"
    " body, status, attempts, created_at, not_before, next_attempt_at",
}


def neutral(value: Any) -> Any:
    """JSON read back from PostgreSQL (a dict or list) as text with sorted keys."""
    return json.dumps(value, sort_keys=True) if isinstance(value, dict | list) else value


def case_rows(db: Raw, case_id: int) -> dict[str, list[tuple[Any, ...]]]:
    """Everything written for one case, with its id and reference made neutral."""
    marks = (f"case:{case_id}:", "case:#:"), (f"PAR-{case_id:06d}", "PAR-#")
    rows = {}
    for table, columns in TABLES.items():
        key = "id" if table == "cases" else "case_id"
        found = []
        for row in db.execute(
            f"SELECT {columns} FROM {table} WHERE {key} = ? ORDER BY id", (case_id,)
        ):
            values = []
            for value in map(neutral, row):
                if isinstance(value, str):
                    for old, new in marks:
                        value = value.replace(old, new)
                values.append(value)
            found.append(tuple(values))
        rows[table] = found
    return rows


def check_events(
    engine_db: Raw,
    engine_ids: list[int],
    floor_db: Raw,
    floor_ids: list[int],
) -> None:
    """The floor wrote exactly what the engine wrote, row for row."""
    for engine_id, floor_id in ((engine_ids[0], floor_ids[0]), (engine_ids[-1], floor_ids[-1])):
        engine_rows, floor_rows = case_rows(engine_db, engine_id), case_rows(floor_db, floor_id)
        for table, rows in engine_rows.items():
            if rows != floor_rows[table]:
                pairs = [(a, b) for a, b in zip(rows, floor_rows[table], strict=False) if a != b]
                raise SystemExit(
                    f"engine and floor wrote different {table} rows for a case: "
                    f"{len(rows)} vs {len(floor_rows[table])}; first difference "
                    f"{pairs[:1]}"
                )
    counts = []
    for table in TABLES:
        key = "id" if table == "cases" else "case_id"
        query = f"SELECT count(*) FROM {table} WHERE {key} >= ?"
        engine_n = engine_db.execute(query, (engine_ids[0],)).fetchone()[0]
        floor_n = floor_db.execute(query, (floor_ids[0],)).fetchone()[0]
        if engine_n != floor_n:
            raise SystemExit(f"engine and floor differ in {table}: {engine_n} vs {floor_n}")
        counts.append(f"{engine_n:,} {table}")
    log(
        "floor rows identical to the engine's (first and last case compared column by column);"
        " totals: " + ", ".join(counts)
    )


# -- (3): deadline firing over a large population ---------------------------------

TEAMS = ("north", "south", "east", "west")
PADDING = ("PAR-06", "PAR-15")  # timescales of the padding deadlines
HISTORY_BODY = (
    "Dear {name},\n\n{what} for referral {ref}.\n\nIf anything here is wrong, please tell "
    "Business Support so the record can be corrected.\n\n--\nFamilyFlow · Parenting programme"
    " · {ref}\nSent under rule {rule}. Please do not reply to this address.\n"
)


def people(n: int) -> dict[str, tuple[str, str | None, str | None]]:
    """Realistic-looking contacts for case n: role -> (name, email, mobile)."""
    sw, tm, team = n % 400, n % 24, TEAMS[n % 4]
    return {
        "social_worker": (f"Social Worker {sw}", f"sw{sw}@example.org", None),
        "team_manager": (f"Team Manager {tm}", f"tm{tm}@example.org", None),
        "business_support": (f"Business Support {team.title()}", f"bs.{team}@example.org", None),
        "parent": (f"Parent {n}", None, f"+447700{n % 1_000_000:06d}"),
    }


def copy_rows(raw: Raw, sql: str, rows: Iterator[tuple[Any, ...]]) -> None:
    """PostgreSQL's bulk load: the INSERT's table and columns, fed through COPY."""
    found = re.match(r"INSERT INTO (\w+) \(([^)]*)\)", sql)
    assert found is not None
    with raw.cur.copy(f"COPY {found[1]} ({found[2]}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def build_population(backend: Backend, sizes: Sizes, now: datetime) -> dict[str, int]:
    """Bulk-insert the open cases, their contacts, history and deadlines with the bare
    driver (executemany on SQLite, COPY on PostgreSQL)."""
    backend.fresh("firing")
    raw = backend.raw("firing")
    if not backend.postgres:
        raw.execute("PRAGMA synchronous=OFF")  # setup only; the measured part runs as in service
        raw.execute("PRAGMA cache_size=-65536")
    sql_dt = backend.stamp  # the stamps below are the backend's
    rnd = random.Random(7)
    every = sizes.open_cases // sizes.due
    today = now.astimezone(LONDON).date()
    eod: dict[date, Any] = {}

    def end_of(day: date) -> Any:
        if day not in eod:
            eod[day] = sql_dt(end_of_day(day))
        return eod[day]

    # case n: confirmed on `confirmed[n]`; every `every`th one eight days ago, so that its
    # PAR-04-chase fell due at 23:59:59 last night; the rest in the six days since.
    confirmed: list[datetime] = []
    for n in range(1, sizes.open_cases + 1):
        days_ago = 8 if n % every == 0 else rnd.randint(1, 7)
        day = today - timedelta(days=days_ago)
        minutes = rnd.randint(9 * 60, 17 * 60)
        confirmed.append(
            datetime(day.year, day.month, day.day, minutes // 60, minutes % 60, tzinfo=LONDON)
        )
    par05_days = [rnd.randint(1, 120) for _ in range(sizes.open_cases)]

    def cases() -> Iterator[tuple[Any, ...]]:
        for n, at in enumerate(confirmed, 1):
            received = sql_dt(at - timedelta(days=2, hours=3))
            yield (
                n,
                "parenting",
                "awaiting_session_choice",
                "{}",
                3,
                TEAMS[n % 4],
                received,
                received,
                None,
            )

    def contacts() -> Iterator[tuple[Any, ...]]:
        for n in range(1, sizes.open_cases + 1):
            for role, (name, email, mobile) in people(n).items():
                yield (n, role, name, email, mobile, None)

    def deadlines() -> Iterator[tuple[Any, ...]]:
        for n, at in enumerate(confirmed, 1):
            start = sql_dt(at)
            day0 = at.date()
            yield (
                n,
                "parenting",
                "PAR-04-chase",
                "PAR-04",
                "due",
                "open",
                end_of(day0 + timedelta(days=7)),
                start,
                start,
                None,
                None,
                False,
            )
            yield (
                n,
                "parenting",
                "PAR-04-close",
                "PAR-04",
                "due",
                "open",
                end_of(day0 + timedelta(days=14)),
                start,
                start,
                None,
                None,
                False,
            )
            yield (
                n,
                "parenting",
                "PAR-05",
                "PAR-05",
                "due",
                "open",
                end_of(today + timedelta(days=par05_days[n - 1])),
                start,
                start,
                None,
                None,
                False,
            )
            # Padding to the size asked for (1,000,000 on PostgreSQL): more unmet
            # deadlines on the case in the coming months, none due yet.
            for extra in range(sizes.per_case - 3):
                key = PADDING[extra % len(PADDING)]
                yield (
                    n,
                    "parenting",
                    key,
                    key,
                    "due",
                    "open",
                    end_of(today + timedelta(days=par05_days[n - 1] + 7 * (extra + 1))),
                    start,
                    start,
                    None,
                    None,
                    False,
                )

    def audit() -> Iterator[tuple[Any, ...]]:
        for n, at in enumerate(confirmed, 1):
            who = people(n)
            received, asked = at - timedelta(days=2, hours=3), at - timedelta(days=1)
            r, a, c = sql_dt(received), sql_dt(asked), sql_dt(at)
            day0 = at.date()
            for stamp, kind, actor, role, rule, reason, trig, src, dst, detail in (
                (
                    r,
                    "transition",
                    "system",
                    None,
                    None,
                    "referral received (Parenting programme)",
                    "create",
                    None,
                    "referred",
                    {},
                ),
                (
                    r,
                    "message",
                    "system",
                    None,
                    "PAR-01",
                    "email to team_manager",
                    None,
                    None,
                    None,
                    {
                        "dedupe_key": f"case:{n}:v1:parenting/referral_received:team_manager",
                        "template": "parenting/referral_received",
                    },
                ),
                (
                    a,
                    "transition",
                    who["team_manager"][1],
                    "team_manager",
                    "PAR-02",
                    "TM confirms receipt and asks the SW to confirm the parent will attend",
                    "request_confirmation",
                    "referred",
                    "awaiting_confirmation",
                    {"data": {"programme": None, "venue": None}},
                ),
                (
                    a,
                    "message",
                    "system",
                    None,
                    "PAR-02",
                    "email to social_worker",
                    None,
                    None,
                    None,
                    {
                        "dedupe_key": f"case:{n}:v2:parenting/confirmation_request:social_worker",
                        "template": "parenting/confirmation_request",
                    },
                ),
                (
                    c,
                    "transition",
                    who["social_worker"][1],
                    "social_worker",
                    "PAR-03",
                    "SW confirms; course content sent so sessions can be chosen",
                    "confirm_attendance",
                    "awaiting_confirmation",
                    "awaiting_session_choice",
                    {"data": {}},
                ),
                (
                    c,
                    "message",
                    "system",
                    None,
                    "PAR-03",
                    "email to social_worker",
                    None,
                    None,
                    None,
                    {
                        "dedupe_key": f"case:{n}:v3:parenting/course_content:social_worker",
                        "template": "parenting/course_content",
                    },
                ),
                (
                    c,
                    "deadline_set",
                    who["social_worker"][1],
                    None,
                    "PAR-04",
                    "sessions chosen within 1 week of confirmation, else chase the SW",
                    None,
                    None,
                    None,
                    {
                        "timescale": "PAR-04-chase",
                        "due_at": end_of_day(day0 + timedelta(days=7)).isoformat(),
                    },
                ),
                (
                    c,
                    "deadline_set",
                    who["social_worker"][1],
                    None,
                    "PAR-04",
                    "no response after a further week: final email and referral closed",
                    None,
                    None,
                    None,
                    {
                        "timescale": "PAR-04-close",
                        "due_at": end_of_day(day0 + timedelta(days=14)).isoformat(),
                    },
                ),
            ):
                yield (
                    n,
                    kind,
                    actor,
                    role,
                    stamp,
                    stamp,
                    rule,
                    reason,
                    trig,
                    src,
                    dst,
                    json.dumps(detail),
                )

    def outbox() -> Iterator[tuple[Any, ...]]:
        for n, at in enumerate(confirmed, 1):
            who, ref = people(n), f"PAR-{n:06d}"
            for version, template, rule, role, when in (
                (1, "referral_received", "PAR-01", "team_manager", at - timedelta(days=2)),
                (2, "confirmation_request", "PAR-02", "social_worker", at - timedelta(days=1)),
                (3, "course_content", "PAR-03", "social_worker", at),
            ):
                name, email, _ = who[role]
                stamp = sql_dt(when)
                cc = [who["business_support"][1]] if version == 1 else []
                body = HISTORY_BODY.format(
                    name=name, what=template.replace("_", " "), ref=ref, rule=rule
                )
                yield (
                    n,
                    f"case:{n}:v{version}:parenting/{template}:{role}",
                    "email",
                    f"parenting/{template}",
                    rule,
                    role,
                    name,
                    email,
                    json.dumps(cc),
                    f"{template.replace('_', ' ').capitalize()} {ref}",
                    body,
                    "sent",
                    1,
                    stamp,
                    stamp,
                    stamp,
                    None,
                    stamp,
                    f"file:{n}-{version}",
                    None,
                )

    outbox_sql = (
        "INSERT INTO outbox (case_id, dedupe_key, medium, template, rule, to_role, to_name,"
        " to_address, cc, subject, body, status, attempts, created_at, not_before,"
        " next_attempt_at, claimed_until, sent_at, provider_ref, last_error)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    )
    counts = {}
    for table, sql, rows in (
        (
            "cases",
            "INSERT INTO cases (id, process, state, data, version, team, received_at,"
            " created_at, closed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            cases(),
        ),
        ("contacts", INSERT_CONTACT, contacts()),
        ("deadlines", INSERT_DEADLINE, deadlines()),
        ("audit_events", INSERT_AUDIT, audit()),
        ("outbox", outbox_sql, outbox()),
    ):
        raw.begin()
        if backend.postgres:
            copy_rows(raw, sql, rows)
        else:
            raw.executemany(sql, rows)
        raw.commit()
        counts[table] = raw.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    counts["open deadlines"] = raw.execute(
        "SELECT count(*) FROM deadlines WHERE status = 'open'"
    ).fetchone()[0]
    counts["due now"] = raw.execute(
        "SELECT count(*) FROM deadlines WHERE status = 'open' AND due_at <= ?", (sql_dt(now),)
    ).fetchone()[0]
    if backend.postgres:
        # As a database in service would be: the cases' id sequence past the ids given
        # here, and the tables analysed and vacuumed (autovacuum's work).
        raw.execute("SELECT setval(pg_get_serial_sequence('cases', 'id'), max(id)) FROM cases")
        raw.execute("VACUUM ANALYZE")
    else:
        raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw.close()
    if not backend.postgres:  # the planner's statistics, as the service's job gathers them
        statistics_of = create_engine(backend.url("firing"))
        refresh_statistics(statistics_of)
        statistics_of.dispose()
    return counts


class Recorder:
    """The statements a FamilyFlow sends its database, as its driver receives them,
    with the transactions around them: what the deadline floor replays."""

    def __init__(self, engine: sa.Engine) -> None:
        self.steps: list[tuple[str, Any, bool]] = []
        self._patched: list[tuple[Any, str, Any]] = []
        event.listen(engine, "begin", self._begin)
        event.listen(engine, "commit", self._commit)
        event.listen(engine, "rollback", self._rollback)
        if engine.dialect.name == "postgresql":
            # At psycopg's cursor: a statement listener would turn off the engine's fast
            # path (engine/store.py), and the floor would replay other statements.
            self._record_cursor(psycopg.Cursor)
            self._record_pipeline(psycopg.Connection)
        else:  # sqlite3's cursor cannot be wrapped; its fast path sends the same SQL
            event.listen(engine, "before_cursor_execute", self._statement)

    def _record_cursor(self, cursor_class: Any) -> None:
        for name, many in (("execute", False), ("executemany", True)):
            original = getattr(cursor_class, name)

            def recorded(
                cursor: Any,
                sql: Any,
                params: Any = None,
                *args: Any,
                _original: Any = original,
                _many: bool = many,
                **kwargs: Any,
            ) -> Any:
                self.steps.append((sql, params, _many))
                return _original(cursor, sql, params, *args, **kwargs)

            self._patched.append((cursor_class, name, original))
            setattr(cursor_class, name, recorded)

    def _record_pipeline(self, connection_class: Any) -> None:
        """Where the engine sends writes without waiting (store.overlapping): the
        floor sends them the same way."""
        original = connection_class.pipeline

        @contextmanager
        def recorded(connection: Any) -> Iterator[Any]:
            self.steps.append(("PIPELINE", None, False))
            with original(connection) as pipeline:
                yield pipeline
            self.steps.append(("SYNC", None, False))

        self._patched.append((connection_class, "pipeline", original))
        connection_class.pipeline = recorded

    def close(self) -> None:
        for cursor_class, name, original in self._patched:
            setattr(cursor_class, name, original)
        self._patched = []

    # A read outside a transaction sends no BEGIN and no ROLLBACK on PostgreSQL
    # (autocommit); on SQLite it is a deferred BEGIN, ended by the pool's ROLLBACK.
    def _begin(self, conn: Any) -> None:
        if not _autocommit(conn):
            writing = conn.get_execution_options().get("familyflow_write")
            self.steps.append(("BEGIN" if writing else "BEGIN READ", None, False))

    def _commit(self, _conn: Any) -> None:
        self.steps.append(("COMMIT", None, False))

    def _rollback(self, conn: Any) -> None:
        if not _autocommit(conn):
            self.steps.append(("ROLLBACK", None, False))

    def _statement(
        self, _conn: Any, _cursor: Any, sql: str, params: Any, _context: Any, many: bool
    ) -> None:
        self.steps.append((sql, params, many))

    def take(self) -> list[tuple[str, Any, bool]]:
        steps, self.steps = self.steps, []
        return steps


def _autocommit(conn: Any) -> bool:
    return bool(conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT")


def replay(raw: Raw, steps: list[tuple[str, Any, bool]]) -> None:
    """Send recorded statements on a bare connection (the floor of deadline firing)."""
    cur = raw.cur
    pipelines: list[ExitStack] = []
    for sql, params, many in steps:
        if sql == "PIPELINE":
            pipelines.append(ExitStack())
            pipelines[-1].enter_context(raw.conn.pipeline())
        elif sql == "SYNC":
            pipelines.pop().close()
        elif sql in ("BEGIN", "BEGIN READ"):
            raw.begin(writing=sql == "BEGIN")
        elif sql == "COMMIT":
            raw.commit()
        elif sql == "ROLLBACK":
            raw.rollback()
        elif many:
            cur.executemany(sql, params)
        else:
            cur.execute(sql, params)
            if cur.description is not None:
                cur.fetchall()


def record_fire_due(backend: Backend, log_file: TextIO) -> tuple[list[Any], list[Any]]:
    """fire_due()'s statements over a copy of the population, then an idle tick's."""
    flow = open_flow(backend, "firing_recorded", SimulatedClock(FIRE_NOW), log_file)
    recorder = Recorder(flow.db)
    flow.fire_due()
    fire = recorder.take()
    flow.fire_due()
    idle = recorder.take()
    recorder.close()
    flow.db.dispose()
    return fire, idle


def bench_firing(
    backend: Backend, sizes: Sizes, targets: Targets, report: Report, log_file: TextIO
) -> FamilyFlow:
    started = time.perf_counter()
    counts = build_population(backend, sizes, FIRE_NOW)
    log(
        f"population built in {time.perf_counter() - started:.1f} s: "
        + ", ".join(f"{v:,} {k}" for k, v in counts.items())
    )
    if counts["due now"] != sizes.due or counts["open deadlines"] < sizes.per_case * (
        sizes.open_cases
    ):
        raise SystemExit(f"population is not as intended: {counts}")
    # Two copies: one where fire_due()'s statements are recorded (the listener that
    # records them would slow the engine down), one where the floor replays them.
    backend.fresh("firing_recorded", copy_of="firing")
    backend.fresh("firing_floor", copy_of="firing")
    fire_steps, idle_steps = record_fire_due(backend, log_file)
    check_firing(backend, "firing_recorded", counts, sizes, sizes.due)
    backend.drop("firing_recorded")

    clock = SimulatedClock(FIRE_NOW)
    flow = open_flow(backend, "firing", clock, log_file)
    with flow.db.connect() as conn:  # first connection opened outside the timing
        conn.exec_driver_sql("SELECT 1")
    floor = backend.raw("firing_floor")
    floor.execute("SELECT 1").fetchall()

    # The recorded statements (40,000 rows of parameters) are the bench's, not the
    # engine's: frozen, so that the collector's full passes do not scan them while the
    # engine is timed (they cost it about a tenth).
    gc.collect()
    gc.freeze()
    before = time.perf_counter()
    fired = flow.fire_due()
    fire_s = time.perf_counter() - before
    before = time.perf_counter()
    replay(floor, fire_steps)
    floor_s = time.perf_counter() - before
    # Thawed, and the collector's full pass over them taken here, outside any timing:
    # the figures after these are measured as before.
    gc.unfreeze()
    gc.collect()
    pending = counts["open deadlines"]
    report.add(
        Figure(
            f"fire {sizes.due:,} due of {pending:,} pending",
            f"{fire_s:.2f} s",
            f"floor (fire_due's {len(fire_steps):,} statements replayed): {floor_s:.2f} s",
            f"{floor_s / fire_s:.0%}",
            f"< {targets.fire_s:.0f} s",
            fire_s < targets.fire_s,
        )
    )
    check_firing(backend, "firing", counts, sizes, fired)
    check_firing(backend, "firing_floor", counts, sizes, sizes.due)

    ticks, floor_ticks = [], []
    for _ in range(sizes.idle_ticks):
        start = time.perf_counter()
        nothing = flow.fire_due()
        middle = time.perf_counter()
        replay(floor, idle_steps)
        floor_ticks.append(time.perf_counter() - middle)
        ticks.append(middle - start)
        if nothing:
            raise SystemExit(f"an idle tick fired {nothing} deadlines")
    floor.close()
    median_ms = statistics.median(ticks) * 1000
    p95_ms = sorted(ticks)[int(len(ticks) * 0.95)] * 1000
    report.add(
        Figure(
            "idle tick (fire_due, nothing due)",
            f"{median_ms:.3f} ms median (p95 {p95_ms:.3f} ms, {len(ticks)} calls)",
            f"floor (replayed): {statistics.median(floor_ticks) * 1000:.3f} ms",
            "",
            f"< {targets.idle_ms:.0f} ms",
            median_ms < targets.idle_ms,
        )
    )
    return flow


def check_firing(
    backend: Backend, name: str, counts: dict[str, int], sizes: Sizes, fired: int
) -> None:
    raw = backend.raw(name)
    now = backend.stamp(FIRE_NOW)
    as_array = "jsonb_build_array" if backend.postgres else "json_array"

    def one(sql: str, *params: Any) -> int:
        return int(raw.execute(sql, params).fetchone()[0])

    found = {
        "fired": one("SELECT count(*) FROM deadlines WHERE status = 'fired' AND fired_at = ?", now),
        "queued": one(
            "SELECT count(*) FROM outbox WHERE status = 'queued' AND"
            " template = 'parenting/chase_session_choice'"
        ),
        "new outbox rows": one("SELECT count(*) FROM outbox") - counts["outbox"],
        "new audit rows": one("SELECT count(*) FROM audit_events") - counts["audit_events"],
        "still due": one(
            "SELECT count(*) FROM deadlines WHERE status = 'open' AND due_at <= ?", now
        ),
        "copied to the TM": one(
            "SELECT count(*) FROM outbox o JOIN contacts c ON c.case_id = o.case_id"
            " AND c.role = 'team_manager' WHERE o.status = 'queued'"
            f" AND o.cc = {as_array}(c.email) AND o.to_role = 'social_worker'"
        ),
    }
    raw.close()
    expected = {
        "fired": sizes.due,
        "queued": 2 * sizes.due,  # to the SW, and the TM's copy as a message of its own
        "new outbox rows": 2 * sizes.due,
        "new audit rows": 2 * sizes.due,
        "still due": 0,
        "copied to the TM": sizes.due,
    }
    if fired != sizes.due or found != expected:
        raise SystemExit(
            f"firing went wrong in {name}: fire_due() said {fired}; found {found}, "
            f"expected {expected}"
        )
    log(
        f"verified {name}: {fired:,} fired; {found['fired']:,} deadlines fired, "
        f"{found['queued']:,} chase emails queued (to SW, and a copy to the TM), "
        f"{found['new audit rows']:,} audit rows, none left due"
    )


# -- (4): the case listing and a caseload count over the same population ----------


def bench_listing(
    flow: FamilyFlow, sizes: Sizes, targets: Targets, report: Report, *, overdue: int
) -> None:
    """GET /api/cases, a page of 100, through the app as a client calls it: as an
    admin (every case), as a team manager (a team's cases and those they are on),
    and overdue only; each request audited as in service."""
    people = {
        "admin": ("admin@example.org", "admin", None),
        "team manager": ("tm3@example.org", "team_manager", "north"),
    }
    tokens = {}
    for who, (email, role, team) in people.items():
        accounts.add_user(
            flow,
            email=email,
            name=who.title(),
            role=role,
            team=team,
            password=None,
            by=Actor("bench"),
        )
        tokens[who] = accounts.issue_token(flow, email=email, name="bench", by=Actor("bench"))[1]
    rnd = random.Random(11)
    pages = sizes.open_cases // 100
    # tm3 is on every 24th case (all in team west); north is every 4th
    team_total = len([n for n in range(1, sizes.open_cases + 1) if n % 4 == 0 or n % 24 == 3])
    kinds: tuple[tuple[str, str, dict[str, str], int, int], ...] = (
        ("admin, any page", "admin", {}, pages, sizes.open_cases),
        ("team manager, any page", "team manager", {}, team_total // 100, team_total),
        ("admin, overdue only", "admin", {"overdue": "true"}, overdue // 100, overdue),
    )
    timings: list[float] = []
    settings = flow_settings_for_app(flow)
    with TestClient(create_app(flow=flow, settings=settings)) as client:
        for label, who, params, span, total in kinds:
            headers = {"Authorization": f"Bearer {tokens[who]}"}
            client.get("/api/cases", params={**params, "limit": 100}, headers=headers)  # warm
            mine = []
            for i in range(sizes.listings):
                offset = 0 if i == 0 else rnd.randrange(max(span, 1)) * 100
                query: dict[str, str | int] = {**params, "limit": 100, "offset": offset}
                start = time.perf_counter()
                response = client.get("/api/cases", params=query, headers=headers)
                mine.append(time.perf_counter() - start)
                body = response.json()
                if response.status_code != 200 or body["total"] != total or not body["items"]:
                    raise SystemExit(
                        f"/api/cases ({label}, offset {offset}) answered "
                        f"{response.status_code}: total {body.get('total')}, expected {total}"
                    )
            log(
                f"/api/cases {label}: median {statistics.median(mine) * 1000:.1f} ms, "
                f"p95 {sorted(mine)[int(len(mine) * 0.95)] * 1000:.1f} ms, total {total:,}"
            )
            timings.extend(mine)
    p95_ms = sorted(timings)[int(len(timings) * 0.95)] * 1000
    report.add(
        Figure(
            f"GET /api/cases, page of 100 ({sizes.open_cases:,} cases)",
            f"{p95_ms:.1f} ms p95",
            f"(median {statistics.median(timings) * 1000:.1f} ms, {len(timings)} requests)",
            "",
            f"p95 < {targets.listing_ms:.0f} ms",
            p95_ms < targets.listing_ms,
        )
    )

    # EH-11.3's count, run inside an allocation's write transaction: a social worker
    # with 250 open cases, the email typed with other capitals.
    expected = len([n for n in range(1, sizes.open_cases + 1) if n % 400 == 7])
    counts = []
    for _ in range(50):
        with flow.db.begin() as conn:
            start = time.perf_counter()
            found = store.open_caseload(conn, email="SW7@Example.ORG", roles=["social_worker"])
            counts.append(time.perf_counter() - start)
        if found != expected:
            raise SystemExit(f"caseload count {found}, expected {expected}")
    report.add(
        Figure(
            "caseload count (EH-11.3, in a write)",
            f"{statistics.median(counts) * 1000:.2f} ms median",
            f"({expected} open cases found among {sizes.open_cases:,})",
            "",
            "none (informational)",
        )
    )


def flow_settings_for_app(flow: FamilyFlow) -> Settings:
    """The settings the app is built with: the bench's, with a secret for sessions."""
    return Settings(
        database_url=flow.db.url.render_as_string(hide_password=False),
        secret_key=SecretStr("bench-secret"),
        cookie_secure=False,
        log_json=True,
    )


# -- main ------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="scaled-down smoke run")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument(
        "--db",
        metavar="URL",
        help="a PostgreSQL server (postgresql+psycopg://user@host:port/db): the bench "
        "creates its scratch databases there and drops them at the end",
    )
    args = parser.parse_args(argv)
    postgres = bool(args.db)
    if postgres and not args.db.startswith("postgresql"):
        parser.error(
            "--db takes a PostgreSQL URL, e.g. postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
        )
    sizes = (QUICK if args.quick else FULL)[postgres]
    targets = TARGETS[postgres]
    folder = Path(tempfile.mkdtemp(prefix="familyflow-bench-"))
    backend = Backend(folder, args.db)
    report = Report()
    started = time.perf_counter()
    if postgres:
        raw = psycopg.connect(
            make_url(args.db).set(drivername="postgresql").render_as_string(hide_password=False)
        )
        where = f"PostgreSQL {raw.info.server_version // 10000}.{raw.info.server_version % 100}"
        where += f" at {raw.info.host}:{raw.info.port}, scratch databases {backend.prefix}*"
        raw.close()
    else:
        where = f"SQLite {sqlite3.sqlite_version} files in {folder}"
    print(
        f"FamilyFlow engine bench ({'quick' if args.quick else 'full'}), {where}, "
        f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    try:
        with open(folder / "engine.log", "w") as log_file:
            bench_events(backend, sizes, targets, report, log_file)
            flow = bench_firing(backend, sizes, targets, report, log_file)
            bench_listing(flow, sizes, targets, report, overdue=sizes.due)
            flow.db.dispose()
        peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
        peak_mb = peak_kib / 1024
        report.add(
            Figure(
                "peak RSS",
                f"{peak_mb:,.0f} MiB ({peak_kib:,} KiB)",
                "",
                "",
                f"< {targets.rss_mb:.0f} MB",
                peak_mb < targets.rss_mb,
            )
        )
    finally:
        backend.drop_all()
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    report.notes.append(
        f"({backend.label}; whole run {time.perf_counter() - started:.0f} s, load average "
        f"at the end {os.getloadavg()[0]:.2f})"
    )
    print()
    print(report.summary())
    missed = [f.name for f in report.figures if f.met is False]
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
