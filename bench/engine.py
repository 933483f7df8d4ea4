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
   deadline rows, insert audit rows and outbox rows, commit. Its rows are the
   engine's, byte for byte (message text is the engine's rendering of the
   warm-up case with the reference swapped), and the run checks that. Engine
   and floor take turns in blocks of 50 cases, so both see the same machine.
3. Deadline firing over 100,000 open parenting cases (awaiting_session_choice,
   four contacts, a history of audit and sent outbox rows) holding 300,000 open
   deadlines, built with raw bulk inserts. Exactly 10,000 PAR-04-chase
   deadlines are due: they all fell due at 23:59:59 last night and the clock
   reads 00:00:30, so each queues one email to the SW copied to the TM. Each
   case has PAR-04-chase, PAR-04-close and a PAR-05 deadline over the coming
   months: one more open deadline per case than the process itself would
   leave, to reach the 300,000 the brief asks for.
   Measured: FamilyFlow.fire_due() for the 10,000 (then the rows are
   counted), the median fire_due() when nothing is due, and the peak RSS of
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
import logging
import random
import resource
import shutil
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as time_of_day
from pathlib import Path
from typing import Any, TextIO

from engine.calendar import WorkingCalendar, end_of_day
from engine.cases import Actor
from engine.clock import LONDON, SimulatedClock, aware
from engine.db import create_engine, upgrade
from engine.service import FamilyFlow
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
    for handler in logging.getLogger().handlers:  # the production pipeline, into a file
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(log_file)
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


def iso(sql_value: str) -> str:
    """A stored instant as the engine writes it into audit details."""
    return datetime.fromisoformat(sql_value).replace(tzinfo=UTC).isoformat()


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
    """The same rows as the engine, written with bare sqlite3 and no engine.

    Everything that does not depend on the case is worked out once: due
    instants, reasons from the process definition, and message text, which is
    the engine's own rendering for the warm-up case with the reference swapped.
    """

    def __init__(self, conn: sqlite3.Connection, at: datetime, day_starts: time_of_day) -> None:
        self.cur = conn.cursor()
        self.now = sql_dt(at)
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
                dues = [("due", sql_dt(due))]
                if timescale.remind_before is not None:
                    remind = calendar.reminder_at(
                        due, timescale.remind_before, day_starts=day_starts
                    )
                    if at < remind < due:
                        dues.insert(0, ("reminder", sql_dt(remind)))
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

    def learn_texts(self, engine_db: sqlite3.Connection, case_id: int) -> None:
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

    def create(self) -> int:
        cur, now = self.cur, self.now
        cur.execute("BEGIN IMMEDIATE")
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
        cur.execute(INSERT_OUTBOX, message)
        cur.execute("COMMIT")
        return case_id

    def fire(self, case_id: int, trigger: str, actor: str) -> None:
        cur, now, step = self.cur, self.now, self.steps[trigger]
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
        plain = {k: v for k, v in step.clean.items() if v is not None and not isinstance(v, dict)}
        data = json.dumps({**json.loads(case[3]), **plain})
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
        cur.execute("COMMIT")


# -- (1) and (2): creating cases and applying events -------------------------------


def blocks(count: int, size: int = 50) -> Iterator[range]:
    for start in range(0, count, size):
        yield range(start, min(start + size, count))


def bench_events(folder: Path, sizes: Sizes, report: Report, log_file: TextIO) -> None:
    clock = SimulatedClock(EVENTS_AT)
    flow = open_flow(folder, "events.db", clock, log_file)
    floor_path = folder / "floor.db"
    migrated(floor_path)
    raw = raw_connect(floor_path)
    floor = Floor(raw, EVENTS_AT, flow.services.day_starts)
    engine_db = sqlite3.connect(folder / "events.db")

    # Warm up with one whole journey each (connections, templates, statement
    # caches, the bank holidays); the floor then copies the engine's message text.
    warm = flow.create_case(process="parenting", received_at=EVENTS_AT, data={}, contacts=CONTACTS)
    for trigger, data, who in EVENTS:
        flow.fire(warm, trigger, data, actor=Actor(who))
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
            f"floor (raw sqlite3): {per_s(floor_rate)}",
            f"{engine_rate / floor_rate:.0%}",
            "none (informational)",
        )
    )

    engine_total = floor_total = 0.0
    per_trigger = []
    for trigger, data, who in EVENTS:
        actor = Actor(who)
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
            f"floor (raw sqlite3): {per_s(floor_rate)}",
            f"{ratio:.0%}",
            f">= {EVENT_TARGET:.0%}",
            ratio >= EVENT_TARGET,
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


def case_rows(db: sqlite3.Connection, case_id: int) -> dict[str, list[tuple[Any, ...]]]:
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
            for value in row:
                if isinstance(value, str):
                    for old, new in marks:
                        value = value.replace(old, new)
                values.append(value)
            found.append(tuple(values))
        rows[table] = found
    return rows


def check_events(
    engine_db: sqlite3.Connection,
    engine_ids: list[int],
    floor_db: sqlite3.Connection,
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
        f"{folder}, Python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}, "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}",
        flush=True,
    )
    try:
        with open(folder / "engine.log", "w") as log_file:
            bench_events(folder, sizes, report, log_file)
            bench_firing(folder, sizes, report, log_file)
        peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
        peak_mb = peak_kib / 1024
        report.add(
            Figure(
                "peak RSS",
                f"{peak_mb:,.0f} MiB ({peak_kib:,} KiB)",
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
    report.notes.append(
        f"(whole run {time.perf_counter() - started:.0f} s, load average at the end "
        f"{os.getloadavg()[0]:.2f})"
    )
    print()
    print(report.summary())
    missed = [f.name for f in report.figures if f.met is False]
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
