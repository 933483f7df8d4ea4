"""How fast is the engine on a SQLite file, next to raw sqlite3 doing the same writes?

    python bench/engine.py            # full run (a few minutes at most on 2 cores)
    python bench/engine.py --quick    # the same, scaled down, as a smoke test

Three measurements, each on a fresh SQLite file in a temporary folder with the
engine's own pragmas (WAL, synchronous=NORMAL, BEGIN IMMEDIATE):

1. Cases created per second through FamilyFlow.create_case (parenting, the
   four usual contacts, PAR-01 email queued), against a raw-sqlite3 floor that
   writes the same rows (case, 4 contacts, 2 audit rows, 1 outbox row) in one
   transaction per case.
2. Events applied per second through FamilyFlow.fire, over every case from (1):
   request_confirmation, confirm_attendance (2 deadlines + email),
   choose_sessions (meets 2 deadlines), allocate_worker (contact replaced,
   3 deadlines + email), hold_planning_meeting (meets PAR-05). The floor does
   the same reads and writes per event with no engine: select case, contacts
   and the actor's user row, update the case under its version, close/insert
   deadline rows, insert audit rows and outbox rows, commit. Engine and floor
   take turns, one trigger at a time, so both see the same machine.
3. Deadline firing over 100,000 open parenting cases (awaiting_session_choice,
   four contacts, a history of audit and sent outbox rows) holding 300,000 open
   deadlines, built with raw bulk inserts. Exactly 10,000 PAR-04-chase
   deadlines are due: they all fell due at 23:59:59 last night and the clock
   reads 00:00:30, so each queues one email to the SW copied to the TM. Each
   case has PAR-04-chase, PAR-04-close and a PAR-05 deadline over the coming
   months: one more open deadline per case than the process itself would
   leave, to reach the 300,000 the brief asks for.
   Measured: FamilyFlow.fire_due() for the 10,000 (then checked row by row
   counts), the median fire_due() when nothing is due, and the peak RSS of
   this process.

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
import json
import random
import resource
import shutil
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

import structlog

from engine.calendar import end_of_day
from engine.cases import Actor
from engine.clock import LONDON, SimulatedClock, aware
from engine.db import create_engine, upgrade
from engine.service import FamilyFlow
from familyflow.bootstrap import bootstrap, configure_logging
from familyflow.settings import Settings
from notifications.channels.file import FileTransport

# -- sizes and people ------------------------------------------------------------


@dataclass(frozen=True)
class Sizes:
    cases: int  # created in (1), then moved through five events each in (2)
    open_cases: int  # the population in (3)
    due: int  # of which this many PAR-04-chase deadlines are due now
    idle_ticks: int  # fire_due() calls with nothing due


FULL = Sizes(cases=2_000, open_cases=100_000, due=10_000, idle_ticks=200)
QUICK = Sizes(cases=200, open_cases=10_000, due=1_000, idle_ticks=50)

SW = {"name": "Sam Jones", "email": "sam.jones@example.org"}
TM = {"name": "Ade Bello", "email": "ade.bello@example.org"}
BS = {"name": "Business Support", "email": "bs@example.org"}
PARENT = {"name": "Jo Parent", "mobile": "07700900123"}
WORKER = {"name": "Kim Lee", "email": "kim.lee@example.org"}
CONTACTS = {"social_worker": SW, "team_manager": TM, "business_support": BS, "parent": PARENT}

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

CREATE_TARGET = None  # no target: reported against the floor only
EVENT_TARGET = 0.30  # engine events/s as a share of the floor
FIRE_TARGET_S = 3.0
IDLE_TARGET_MS = 1.0
RSS_TARGET_MB = 300.0


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


def open_flow(folder: Path, name: str, clock: SimulatedClock, log_file: TextIO) -> FamilyFlow:
    settings = Settings(
        database_url=f"sqlite:///{folder / name}",
        outbox_dir=folder / "outbox",
        email_transport="file",
        sms_transport="file",
        log_json=True,
    )
    configure_logging(settings)
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(file=log_file))
    transport = FileTransport(directory=folder / "outbox")
    return bootstrap(settings, clock=clock, transports={"email": transport, "sms": transport})


def raw_connect(path: Path) -> sqlite3.Connection:
    """A bare sqlite3 connection with the engine's pragmas; we issue BEGIN ourselves."""
    conn = sqlite3.connect(path, isolation_level=None, timeout=30)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=30000")
    return conn


def migrated(path: Path) -> None:
    db = create_engine(f"sqlite:///{path}")
    upgrade(db)
    db.dispose()


# -- the raw sqlite3 floor -------------------------------------------------------

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

FLOOR_BODY = (
    "Dear {name},\n\n{text} for referral {ref}, received on Monday 14 December 2026.\n\n"
    "Referring social worker: Sam Jones\n\nPlease reply as soon as you can so that the "
    "parent can start the programme.\n\n--\nFamilyFlow · Parenting programme · {ref}\n"
    "Sent under rule {rule}. Please do not reply to this address.\n"
)


def floor_message(
    case_id: int,
    key: str,
    template: str,
    rule: str,
    role: str,
    person: dict[str, str],
    cc: list[str],
    now: str,
) -> tuple[Any, ...]:
    ref = f"PAR-{case_id:06d}"
    body = FLOOR_BODY.format(name=person["name"], text=template, ref=ref, rule=rule)
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
        f"{template} {ref}",
        body,
        "queued",
        0,
        now,
        now,
        now,
    )


def floor_audit(
    case_id: int,
    kind: str,
    actor: str,
    role: str | None,
    at: str,
    rule: str | None,
    reason: str,
    trigger: str | None = None,
    from_state: str | None = None,
    to_state: str | None = None,
    detail: Any = None,
) -> tuple[Any, ...]:
    return (
        case_id,
        kind,
        actor,
        role,
        at,
        at,
        rule,
        reason,
        trigger,
        from_state,
        to_state,
        json.dumps(detail or {}),
    )


def floor_create(cur: sqlite3.Cursor, now: str) -> int:
    cur.execute("BEGIN IMMEDIATE")
    case_id = cur.execute(
        INSERT_CASE, ("parenting", "referred", "{}", 1, None, now, now, None)
    ).fetchone()[0]
    cur.executemany(
        INSERT_CONTACT,
        [
            (case_id, "social_worker", SW["name"], SW["email"], None, None),
            (case_id, "team_manager", TM["name"], TM["email"], None, None),
            (case_id, "business_support", BS["name"], BS["email"], None, None),
            (case_id, "parent", PARENT["name"], None, "+447700900123", None),
        ],
    )
    key = f"case:{case_id}:v1"
    message = floor_message(
        case_id,
        key,
        "parenting/referral_received",
        "PAR-01",
        "team_manager",
        TM,
        [BS["email"]],
        now,
    )
    cur.executemany(
        INSERT_AUDIT,
        [
            floor_audit(
                case_id,
                "transition",
                "system",
                None,
                now,
                None,
                "referral received (Parenting programme)",
                "create",
                None,
                "referred",
            ),
            floor_audit(
                case_id,
                "message",
                "system",
                None,
                now,
                "PAR-01",
                "email to team_manager",
                detail={"dedupe_key": message[1], "template": message[3]},
            ),
        ],
    )
    cur.execute(INSERT_OUTBOX, message)
    cur.execute("COMMIT")
    return case_id


@dataclass(frozen=True)
class FloorStep:
    """What one trigger writes, spelled out for the floor."""

    source: str
    dest: str
    role: str
    rule: str
    reason: str
    data: dict[str, Any]
    meets: tuple[str, ...] = ()
    starts: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = ()  # key, rule, (kind, due)
    message: tuple[str, str, dict[str, str]] | None = None  # template, role, person
    worker: bool = False


def floor_steps(at: datetime) -> dict[str, FloorStep]:
    chase, close = sql_dt(at + timedelta(days=7, hours=15)), sql_dt(at + timedelta(days=14))
    remind, par05 = sql_dt(at + timedelta(days=4)), sql_dt(at + timedelta(days=7))
    par06 = sql_dt(at + timedelta(days=1))
    return {
        "request_confirmation": FloorStep(
            "referred",
            "awaiting_confirmation",
            "team_manager",
            "PAR-02",
            "TM confirms",
            {},
            message=("parenting/confirmation_request", "social_worker", SW),
        ),
        "confirm_attendance": FloorStep(
            "awaiting_confirmation",
            "awaiting_session_choice",
            "social_worker",
            "PAR-03",
            "SW confirms",
            {},
            starts=(
                ("PAR-04-chase", "PAR-04", (("due", chase),)),
                ("PAR-04-close", "PAR-04", (("due", close),)),
            ),
            message=("parenting/course_content", "social_worker", SW),
        ),
        "choose_sessions": FloorStep(
            "awaiting_session_choice",
            "awaiting_allocation",
            "social_worker",
            "PAR-03",
            "SW chooses",
            {"sessions": [1, 2, 3, 4]},
            meets=("PAR-04-chase", "PAR-04-close"),
        ),
        "allocate_worker": FloorStep(
            "awaiting_allocation",
            "planning",
            "team_manager",
            "PAR-05",
            "TM allocates",
            {},
            starts=(
                ("PAR-05", "PAR-05", (("reminder", remind), ("due", par05))),
                ("PAR-06", "PAR-06", (("due", par06),)),
            ),
            message=("parenting/worker_allocated", "worker", WORKER),
            worker=True,
        ),
        "hold_planning_meeting": FloorStep(
            "planning",
            "planned",
            "worker",
            "PAR-08",
            "Planning meeting held",
            {},
            meets=("PAR-05",),
        ),
    }


def floor_event(
    cur: sqlite3.Cursor, case_id: int, trigger: str, actor: str, step: FloorStep, now: str
) -> None:
    cur.execute("BEGIN IMMEDIATE")
    case = cur.execute(SELECT_CASE, (case_id,)).fetchone()
    contacts = cur.execute(SELECT_CONTACTS, (case_id,)).fetchall()
    cur.execute("SELECT role FROM users WHERE email = ?", (actor,)).fetchone()
    if case[2] != step.source or not contacts:
        raise RuntimeError(f"floor: case {case_id} is {case[2]}, not {step.source}")
    version = case[4] + 1
    if step.worker:
        cur.execute("DELETE FROM contacts WHERE case_id = ? AND role = ?", (case_id, "worker"))
        cur.execute(
            INSERT_CONTACT, (case_id, "worker", WORKER["name"], WORKER["email"], None, None)
        )
    data = {**json.loads(case[3]), **step.data}
    cur.execute(UPDATE_CASE, (step.dest, json.dumps(data), version, None, case_id, case[4]))
    if cur.rowcount != 1:
        raise RuntimeError("floor: version conflict")
    audit = [
        floor_audit(
            case_id,
            "transition",
            actor,
            step.role,
            now,
            step.rule,
            step.reason,
            trigger,
            step.source,
            step.dest,
            {"data": step.data},
        )
    ]
    if step.meets:
        marks = ", ".join("?" * len(step.meets))
        for row in cur.execute(
            CLOSE_DEADLINES.format(marks), ("met", now, case_id, *step.meets)
        ).fetchall():
            if row[3] == "due":
                audit.append(
                    floor_audit(
                        case_id,
                        "deadline_met",
                        "system",
                        None,
                        now,
                        row[2],
                        "met on time",
                        detail={"timescale": row[1], "on_time": True, "due_at": row[4]},
                    )
                )
    message = None
    if step.message:
        template, role, person = step.message
        message = floor_message(
            case_id, f"case:{case_id}:v{version}", template, step.rule, role, person, [], now
        )
        audit.append(
            floor_audit(
                case_id,
                "message",
                "system",
                None,
                now,
                step.rule,
                f"email to {role}",
                detail={"dedupe_key": message[1], "template": template},
            )
        )
    deadlines = []
    for key, rule, dues in step.starts:
        cur.execute(CLOSE_DEADLINES.format("?"), ("cancelled", now, case_id, key)).fetchall()
        for kind, due in dues:
            deadlines.append(
                (case_id, "parenting", key, rule, kind, "open", due, now, now, None, None, False)
            )
        audit.append(
            floor_audit(
                case_id,
                "deadline_set",
                actor,
                None,
                now,
                rule,
                key,
                detail={"timescale": key, "due_at": dues[-1][1]},
            )
        )
    if deadlines:
        cur.executemany(INSERT_DEADLINE, deadlines)
    cur.executemany(INSERT_AUDIT, audit)
    if message:
        cur.execute(INSERT_OUTBOX, message)
    cur.execute("COMMIT")


# -- (1) and (2): creating cases and applying events -------------------------------


def timed(action: Callable[[], Any]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def bench_events(folder: Path, sizes: Sizes, report: Report, log_file: TextIO) -> None:
    clock = SimulatedClock(EVENTS_AT)
    flow = open_flow(folder, "events.db", clock, log_file)
    floor_path = folder / "floor.db"
    migrated(floor_path)
    raw = raw_connect(floor_path)
    cur = raw.cursor()
    now = sql_dt(EVENTS_AT)

    # warm both paths once (first connection, template compile, statement caches)
    flow.create_case(process="parenting", received_at=EVENTS_AT, data={}, contacts=CONTACTS)
    floor_create(cur, now)

    engine_ids: list[int] = []
    floor_ids: list[int] = []

    def engine_create() -> None:
        for _ in range(sizes.cases):
            engine_ids.append(
                flow.create_case(
                    process="parenting", received_at=EVENTS_AT, data={}, contacts=CONTACTS
                )
            )

    def floor_creates() -> None:
        for _ in range(sizes.cases):
            floor_ids.append(floor_create(cur, now))

    engine_s = timed(engine_create)
    floor_s = timed(floor_creates)
    engine_rate, floor_rate = rate(sizes.cases, engine_s), rate(sizes.cases, floor_s)
    report.add(
        Figure(
            "cases created/s",
            per_s(engine_rate),
            f"floor (raw sqlite3): {per_s(floor_rate)}",
            f"{engine_rate / floor_rate:.0%}",
            "none (informational)",
        )
    )

    steps = floor_steps(EVENTS_AT)
    engine_total = floor_total = 0.0
    per_trigger = []
    for trigger, data, who in EVENTS:
        actor = Actor(who)
        step = steps[trigger]

        def engine_run(
            trigger: str = trigger, data: dict[str, Any] = data, actor: Actor = actor
        ) -> None:
            for case_id in engine_ids:
                flow.fire(case_id, trigger, data, actor=actor)

        def floor_run(trigger: str = trigger, who: str = who, step: FloorStep = step) -> None:
            for case_id in floor_ids:
                floor_event(cur, case_id, trigger, who, step, now)

        e, f = timed(engine_run), timed(floor_run)
        engine_total += e
        floor_total += f
        per_trigger.append(
            f"{trigger} {rate(len(engine_ids), e):,.0f} vs "
            f"{rate(len(floor_ids), f):,.0f} ({f / e:.0%})"
        )
    events = len(engine_ids) * len(EVENTS)
    engine_rate, floor_rate = rate(events, engine_total), rate(events, floor_total)
    ratio = engine_rate / floor_rate
    report.add(
        Figure(
            "events applied/s",
            per_s(engine_rate),
            f"floor (raw sqlite3): {per_s(floor_rate)}",
            f"{ratio:.0%}",
            f">= {EVENT_TARGET:.0%}",
            ratio >= EVENT_TARGET,
        )
    )
    log(
        f"{events:,} events over {len(engine_ids):,} cases; per trigger, engine vs floor "
        f"events/s (ratio):"
    )
    for line in per_trigger:
        log(f"  {line}")
    check_events(flow, engine_ids, raw, floor_ids)
    raw.close()
    flow.db.dispose()


def check_events(
    flow: FamilyFlow, engine_ids: list[int], raw: sqlite3.Connection, floor_ids: list[int]
) -> None:
    """Both sides wrote the same number of rows of each kind."""
    engine_db = sqlite3.connect(flow.db.url.database or "")
    queries = {
        "planned cases": "SELECT count(*) FROM cases WHERE state = 'planned' AND id >= ?",
        "audit rows": "SELECT count(*) FROM audit_events WHERE case_id >= ?",
        "outbox rows": "SELECT count(*) FROM outbox WHERE case_id >= ?",
        "deadlines": "SELECT count(*) FROM deadlines WHERE case_id >= ?",
        "open deadlines": "SELECT count(*) FROM deadlines WHERE status = 'open' AND case_id >= ?",
        "contacts": "SELECT count(*) FROM contacts WHERE case_id >= ?",
    }
    found = []
    for what, query in queries.items():
        engine_n = engine_db.execute(query, (engine_ids[0],)).fetchone()[0]
        floor_n = raw.execute(query, (floor_ids[0],)).fetchone()[0]
        if engine_n != floor_n:
            raise SystemExit(f"engine and floor differ in {what}: {engine_n} vs {floor_n}")
        found.append(f"{engine_n:,} {what}")
    engine_db.close()
    log("engine and floor wrote the same: " + ", ".join(found))


# -- (3): deadline firing over a large population ---------------------------------

TEAMS = ("north", "south", "east", "west")
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


def build_population(path: Path, sizes: Sizes, now: datetime) -> dict[str, int]:
    """Bulk-insert the open cases, their contacts, history and deadlines with raw sqlite3."""
    migrated(path)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")  # setup only; the measured part runs as in service
    conn.execute("PRAGMA cache_size=-65536")
    rnd = random.Random(7)
    every = sizes.open_cases // sizes.due
    today = now.astimezone(LONDON).date()
    eod: dict[date, str] = {}

    def end_of(day: date) -> str:
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
        conn.execute("BEGIN")
        conn.executemany(sql, rows)
        conn.execute("COMMIT")
        counts[table] = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    counts["open deadlines"] = conn.execute(
        "SELECT count(*) FROM deadlines WHERE status = 'open'"
    ).fetchone()[0]
    counts["due now"] = conn.execute(
        "SELECT count(*) FROM deadlines WHERE status = 'open' AND due_at <= ?", (sql_dt(now),)
    ).fetchone()[0]
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return counts


def bench_firing(folder: Path, sizes: Sizes, report: Report, log_file: TextIO) -> None:
    path = folder / "firing.db"
    started = time.perf_counter()
    counts = build_population(path, sizes, FIRE_NOW)
    log(
        f"population built in {time.perf_counter() - started:.1f} s: "
        + ", ".join(f"{v:,} {k}" for k, v in counts.items())
    )
    if counts["due now"] != sizes.due or counts["open deadlines"] < 3 * sizes.open_cases:
        raise SystemExit(f"population is not as intended: {counts}")

    clock = SimulatedClock(FIRE_NOW)
    flow = open_flow(folder, "firing.db", clock, log_file)
    with flow.db.connect() as conn:  # first connection opened outside the timing
        conn.exec_driver_sql("SELECT 1")

    before = time.perf_counter()
    fired = flow.fire_due()
    fire_s = time.perf_counter() - before
    report.add(
        Figure(
            f"fire {sizes.due:,} due deadlines",
            f"{fire_s:.2f} s",
            f"({rate(sizes.due, fire_s):,.0f} deadlines/s)",
            "",
            f"< {FIRE_TARGET_S:.0f} s",
            fire_s < FIRE_TARGET_S,
        )
    )
    check_firing(path, counts, sizes, fired)

    ticks = []
    for _ in range(sizes.idle_ticks):
        start = time.perf_counter()
        nothing = flow.fire_due()
        ticks.append(time.perf_counter() - start)
        if nothing:
            raise SystemExit(f"an idle tick fired {nothing} deadlines")
    median_ms = statistics.median(ticks) * 1000
    p95_ms = sorted(ticks)[int(len(ticks) * 0.95)] * 1000
    report.add(
        Figure(
            "idle tick (fire_due, nothing due)",
            f"{median_ms:.3f} ms median",
            f"(p95 {p95_ms:.3f} ms over {len(ticks)} calls)",
            "",
            f"< {IDLE_TARGET_MS:.0f} ms",
            median_ms < IDLE_TARGET_MS,
        )
    )
    flow.db.dispose()


def check_firing(path: Path, counts: dict[str, int], sizes: Sizes, fired: int) -> None:
    conn = sqlite3.connect(path)
    now = sql_dt(FIRE_NOW)
    found = {
        "fired": conn.execute(
            "SELECT count(*) FROM deadlines WHERE status = 'fired' AND fired_at = ?", (now,)
        ).fetchone()[0],
        "queued": conn.execute(
            "SELECT count(*) FROM outbox WHERE status = 'queued' AND"
            " template = 'parenting/chase_session_choice'"
        ).fetchone()[0],
        "new outbox rows": conn.execute("SELECT count(*) FROM outbox").fetchone()[0]
        - counts["outbox"],
        "new audit rows": conn.execute("SELECT count(*) FROM audit_events").fetchone()[0]
        - counts["audit_events"],
        "still due": conn.execute(
            "SELECT count(*) FROM deadlines WHERE status = 'open' AND due_at <= ?", (now,)
        ).fetchone()[0],
        "copied to the TM": conn.execute(
            "SELECT count(*) FROM outbox o JOIN contacts c ON c.case_id = o.case_id"
            " AND c.role = 'team_manager' WHERE o.status = 'queued'"
            " AND o.cc = json_array(c.email) AND o.to_role = 'social_worker'"
        ).fetchone()[0],
    }
    conn.close()
    expected = {
        "fired": sizes.due,
        "queued": sizes.due,
        "new outbox rows": sizes.due,
        "new audit rows": 2 * sizes.due,
        "still due": 0,
        "copied to the TM": sizes.due,
    }
    if fired != sizes.due or found != expected:
        raise SystemExit(
            f"firing went wrong: fire_due() said {fired}; found {found}, expected {expected}"
        )
    log(
        f"verified: fire_due() returned {fired:,}; {found['fired']:,} deadlines fired, "
        f"{found['queued']:,} chase emails queued (to SW, cc TM), "
        f"{found['new audit rows']:,} audit rows, none left due"
    )


# -- main ------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="scaled-down smoke run")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    folder = Path(tempfile.mkdtemp(prefix="familyflow-bench-"))
    report = Report()
    started = time.perf_counter()
    print(
        f"FamilyFlow engine bench ({'quick' if args.quick else 'full'}), SQLite file in "
        f"{folder}, Python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}",
        flush=True,
    )
    try:
        with open(folder / "engine.log", "w") as log_file:
            bench_events(folder, sizes, report, log_file)
            bench_firing(folder, sizes, report, log_file)
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        report.add(
            Figure(
                "peak RSS",
                f"{peak_mb:,.0f} MB",
                "",
                "",
                f"< {RSS_TARGET_MB:.0f} MB",
                peak_mb < RSS_TARGET_MB,
            )
        )
    finally:
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    report.notes.append(f"(whole run {time.perf_counter() - started:.0f} s)")
    print()
    print(report.summary())
    missed = [f.name for f in report.figures if f.met is False]
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
