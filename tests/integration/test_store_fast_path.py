"""engine.store's SQLite fast path gives exactly what Connection.execute gives.

The hot statements are compiled once and run on the sqlite3 cursor (store._plan,
_fetch, _write, _run). The store's own rule (store._plain) sends every statement
through Connection.execute instead when the engine has a statement listener, so
the same journeys run twice, each on its own SQLite file and simulated clock:
once as the service runs them, and once with a no-op `before_cursor_execute`
listener on the engine. Nothing is faked in either run.

Both runs must leave every table with the same rows, send SQLite the same
statements with the same values in the same order (read through sqlite3's trace
callback, which sits below SQLAlchemy and so does not change the path), and fail
the same way. Two more tests keep the comparison from passing for want of
anything to compare: the fast run did compile and run every hot statement on the
cursor and the plain run none, and the journeys did reach what they are meant to
(a third-miss closure, the texts, PAR-04 firing for several cases in one batch).
"""

from __future__ import annotations

import itertools
import json
import sqlite3
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from engine import store
from engine.cases import AS_NAMED, Actor, CaseWork
from engine.clock import SimulatedClock
from engine.errors import ConflictError
from engine.service import FamilyFlow
from familyflow.bootstrap import bootstrap
from familyflow.db import accounts as accounts_db
from familyflow.settings import Settings
from notifications.channels.file import FileTransport
from tests.support.journeys import CONTACTS, WORKER, at, step

TM = Actor(CONTACTS["team_manager"]["email"], AS_NAMED)
SW = Actor(CONTACTS["social_worker"]["email"], AS_NAMED)
# Known only from the users table, not a contact: the application resolves the role.
DEPUTY = Actor("dee.deputy@example.org", "team_manager")
SESSIONS = [f"2027-01-{day:02d}T10:00:00+00:00" for day in (5, 12, 19, 26)]
MISSED_AT = ("2027-01-05T14:00", "2027-01-12T14:00", "2027-01-19T14:00")
BATCH_AT = "2027-02-10T09:00"
UNKNOWN_CASE = 9999

# The statements the journeys must have run on the cursor in the fast run.
HOT = {
    "insert a case, returning its id": store._INSERT_CASE,
    "insert contacts": store._INSERT[store.contacts],
    "insert deadlines": store._INSERT[store.deadlines],
    "insert audit rows": store._INSERT[store.audit],
    "queue messages": store._INSERT_OUTBOX["sqlite"],
    "replace a contact": store._DELETE_CONTACT,
    "load one case": store._SELECT_CASE,
    "load one case's contacts": store._SELECT_CONTACTS_OF,
    "load several cases": store._SELECT_CASES,
    "load several cases' contacts": store._SELECT_CONTACTS,
    "update a case under its version": store._UPDATE_CASE,
    "mark deadlines fired": store._MARK_FIRED,
    "close all of a case's deadlines": store._close_statement(None),
    "close one timescale's deadlines": store._close_statement(1),
    "close two timescales' deadlines": store._close_statement(2),
    "read closure days": store._CLOSURE_DAYS,
}

Outcome = tuple[type[BaseException], type[BaseException] | None, str] | None


@dataclass
class Run:
    tables: dict[str, list[dict[str, Any]]]  # every table's rows, as SQLite holds them
    trace: list[str]  # every statement SQLite ran, values spelled out
    errors: dict[str, Outcome]
    planned: list[Any]  # statements the store compiled to run on the cursor
    batch: int  # deadlines the final fire_due() fired in one transaction


def _outcome(action: Callable[[], object]) -> Outcome:
    try:
        action()
    except Exception as error:  # compared between the runs, then checked by type
        orig = getattr(error, "orig", None)
        return type(error), type(orig) if orig is not None else None, str(error)
    return None


def _in_transaction(flow: FamilyFlow, action: Callable[[sa.Connection], object]) -> Outcome:
    def run() -> None:
        with flow.db.begin() as conn:
            action(conn)

    return _outcome(run)


def _lose_the_lock(flow: FamilyFlow, case_id: int) -> None:
    """Someone else writes the case between this unit of work reading it and writing it."""
    with flow.db.begin() as conn:
        work = CaseWork(conn=conn, services=flow.services, now=flow.clock.now())
        work.preload([case_id])
        other = store.load_cases(conn, [case_id])[case_id]
        other.version += 1
        assert store.update_case(conn, other)
        work.fire(case_id, "close", {"reason": "family moved away"}, actor=TM)


def _move_to(flow: FamilyFlow, when: str) -> None:
    """Move the clock on without running anything that falls due on the way."""
    assert isinstance(flow.clock, SimulatedClock)
    flow.clock.advance_to(at(when))


def _refer(flow: FamilyFlow, when: str, count: int) -> list[int]:
    _move_to(flow, when)
    return [
        flow.create_case(process="parenting", received_at=at(when), data={}, contacts=CONTACTS)
        for _ in range(count)
    ]


def _confirm(flow: FamilyFlow, case_ids: list[int], when: str) -> None:
    """PAR-02 and PAR-03 at `when`: PAR-04's timers start."""
    _move_to(flow, when)
    for case_id in case_ids:
        flow.fire(case_id, "request_confirmation", actor=TM, at=at(when))
        flow.fire(case_id, "confirm_attendance", actor=SW, at=at(when))


def _journeys(flow: FamilyFlow) -> tuple[dict[str, Outcome], int]:
    errors: dict[str, Outcome] = {}
    attending, late, referred = _refer(flow, "2026-12-14T10:00", 3)
    waiting = _refer(flow, "2026-12-14T10:30", 3)
    flow.tick()
    with flow.db.begin() as conn:  # known only from the users table, not a contact
        accounts_db.insert_user(
            conn, {"email": DEPUTY.email, "name": "Dee", "role": "team_manager"}
        )

    # Two referrals allocated to a worker; the oversight note is written for one of
    # them only, and only that one has its planning meeting in time (PAR-05, PAR-06).
    # Three more are confirmed and then left: PAR-04 chases and closes them together.
    for when, trigger, data, by in (
        ("2026-12-15T09:00", "request_confirmation", {}, TM.email),
        ("2026-12-16T11:00", "confirm_attendance", {}, SW.email),
        ("2026-12-17T14:00", "choose_sessions", {"sessions": [1, 2, 3, 4]}, "bs@example.org"),
        ("2026-12-21T10:00", "allocate_worker", {"worker": WORKER}, TM.email),
    ):
        for case_id in (attending, late):
            step(flow, case_id, when, trigger, data, by=by)
        if trigger == "confirm_attendance":
            _confirm(flow, waiting, when)
    flow.add_note(attending, text="Focus on routines.", kind="manager_oversight", actor=TM)
    step(flow, attending, "2026-12-23T15:00", "hold_planning_meeting", by=WORKER["email"])
    step(
        flow,
        attending,
        "2026-12-24T10:00",
        "register",
        {"venue": "Riverside Family Centre", "sessions": SESSIONS},
    )
    # Three missed sessions: a text to the parent, an email on the second, closed on the third.
    for session, when in zip(SESSIONS[:3], MISSED_AT, strict=True):
        step(
            flow,
            attending,
            when,
            "record_session",
            {"session": session, "attended": False},
            by=WORKER["email"],
        )
    step(flow, late, "2027-01-19T15:00", "hold_planning_meeting", by=WORKER["email"])

    # A version conflict both ways: a stale expected version, and a lost optimistic lock.
    version = flow.fire(referred, "request_confirmation", actor=DEPUTY, expected_version=1).version
    errors["stale expected version"] = _outcome(
        lambda: flow.fire(referred, "confirm_attendance", actor=SW, expected_version=version - 1)
    )
    errors["lost optimistic lock"] = _outcome(lambda: _lose_the_lock(flow, referred))
    step(flow, referred, "2027-01-19T16:00", "close", {"reason": "moved away"}, by=TM.email)

    # SQLAlchemy's errors, from statements the store runs on the cursor.
    contact = {"role": "parent", "name": "Jo", "email": None, "mobile": "07700900123"}
    errors["foreign key, one row"] = _in_transaction(
        flow, lambda c: store.insert_contacts(c, [{**contact, "case_id": UNKNOWN_CASE}])
    )
    errors["foreign key, several rows"] = _in_transaction(
        flow,
        lambda c: store.insert_contacts(
            c, [{**contact, "case_id": late}, {**contact, "case_id": UNKNOWN_CASE}]
        ),
    )
    now = flow.clock.now()
    nameless = {"process": None, "state": "referred", "data": {}, "version": 1, "team": None}
    errors["not null, with returning"] = _in_transaction(
        flow,
        lambda c: store.insert_case(
            c, {**nameless, "received_at": now, "created_at": now, "closed_at": None}
        ),
    )

    def naive_closed_at(conn: sa.Connection) -> None:
        case = store.load_cases(conn, [late])[late]
        case.closed_at = datetime(2027, 1, 19, 16, 0)  # UTCDateTime refuses a naive one
        store.update_case(conn, case)

    errors["a value its type refuses"] = _in_transaction(flow, naive_closed_at)

    def queue_again(conn: sa.Connection) -> None:
        first = store.messages(conn, case_id=attending)[0]
        store.insert_outbox(conn, [{k: v for k, v in first.items() if k != "id"}])

    errors["a message queued twice (kept once)"] = _in_transaction(flow, queue_again)

    # A deadline batch: three referrals confirmed together are left for three weeks,
    # then one fire_due() chases and closes all three (PAR-04) in one transaction.
    batched = _refer(flow, "2027-01-20T10:00", 3)
    _confirm(flow, batched, "2027-01-20T11:00")
    _move_to(flow, BATCH_AT)
    fired = flow.fire_due()
    flow.tick()
    return errors, fired


def journeys_flow(url: str, folder: Path) -> FamilyFlow:
    """The service the journeys run on: a simulated clock, messages to files, and claim
    tokens numbered in turn so that two runs write the same outbox rows."""
    clock = SimulatedClock(at("2026-12-14T09:00"))
    settings = Settings(
        database_url=url,
        outbox_dir=folder / "outbox",
        email_transport="file",
        sms_transport="file",
        log_json=True,
    )
    file = FileTransport(directory=folder / "outbox", clock=clock)
    flow = bootstrap(settings, clock=clock, transports={"email": file, "sms": file})
    claims = itertools.count(1)
    flow.outbox.new_token = lambda: f"claim-{next(claims)}"  # type: ignore[attr-defined]
    return flow


def _run(folder: Path, *, fast: bool) -> Run:
    flow = journeys_flow(f"sqlite:///{folder / 'familyflow.db'}", folder)
    trace: list[str] = []

    @event.listens_for(flow.db, "checkout")
    def _trace(dbapi_connection: sqlite3.Connection, *_: object) -> None:
        dbapi_connection.set_trace_callback(trace.append)

    if not fast:

        @event.listens_for(flow.db, "before_cursor_execute")
        def _through_connection_execute(*_: object) -> None:
            """Does nothing: that the engine has a statement listener is the switch."""

    try:
        errors, batch = _journeys(flow)
        plans = store._PLANS.get(flow.db.dialect, {})
        planned = [statement for statement, plan in plans.values() if plan is not None]
    finally:
        flow.db.dispose()
    with closing(sqlite3.connect(folder / "familyflow.db")) as db:
        names = db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        tables = {}
        for (name,) in names.fetchall():
            cursor = db.execute(f'SELECT * FROM "{name}" ORDER BY rowid')
            columns = [column[0] for column in cursor.description]
            tables[name] = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    return Run(tables=tables, trace=trace, errors=errors, planned=planned, batch=batch)


RUNS = ("fast", "plain")


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    return {name: _run(tmp_path_factory.mktemp(name), fast=name == "fast") for name in RUNS}


def _first_difference(fast: list[Any], plain: list[Any]) -> tuple[int, Any, Any] | None:
    for index, (one, other) in enumerate(zip(fast, plain, strict=False)):
        if one != other:
            return index, one, other
    if len(fast) != len(plain):
        index = min(len(fast), len(plain))
        return index, fast[index : index + 1], plain[index : index + 1]
    return None


def test_the_fast_run_runs_every_hot_statement_on_the_cursor_and_the_plain_run_none(
    runs: dict[str, Run],
) -> None:
    planned = runs["fast"].planned
    missing = [name for name, statement in HOT.items() if not any(s is statement for s in planned)]
    assert missing == []
    assert runs["plain"].planned == []


def test_the_journeys_reach_the_cases_and_the_batch_they_are_meant_to_cover(
    runs: dict[str, Run],
) -> None:
    tables = runs["fast"].tables
    ended = {
        row["id"]: (row["state"], json.loads(row["data"]).get("closure_reason"))
        for row in tables["cases"]
    }
    assert ended == {
        1: ("closed", "withdrawn_missed_sessions"),  # the third missed session
        2: ("planned", None),
        3: ("closed", "moved away"),  # by hand, after the two version conflicts
        **{case_id: ("closed", "no_response") for case_id in range(4, 10)},  # PAR-04
    }
    assert len({row["dedupe_key"] for row in tables["outbox"]}) == len(tables["outbox"])
    texts = [row for row in tables["outbox"] if row["medium"] == "sms"]
    assert [(row["case_id"], row["template"]) for row in texts] == [
        (1, "parenting/missed_session")
    ] * 2
    late_only = {"parenting/planning_overdue", "parenting/oversight_note_missing"}
    assert {row["case_id"] for row in tables["outbox"] if row["template"] in late_only} == {2}
    fired_at: dict[str, set[int]] = {}
    for row in tables["deadlines"]:
        if row["fired_at"] is not None:
            fired_at.setdefault(row["fired_at"], set()).add(row["case_id"])
    assert fired_at["2026-12-23 23:59:59.000000"] == {4, 5, 6}  # the chase, together
    assert runs["fast"].batch == 6  # one fire_due(): chase and close for three cases
    assert fired_at["2027-02-10 09:00:00.000000"] == {7, 8, 9}  # BATCH_AT


def test_every_table_holds_the_same_rows_with_and_without_the_fast_path(
    runs: dict[str, Run],
) -> None:
    fast, plain = runs["fast"].tables, runs["plain"].tables
    assert list(fast) == list(plain)
    differences = {
        name: difference
        for name in fast
        if (difference := _first_difference(fast[name], plain[name])) is not None
    }
    assert differences == {}
    assert all(fast[name] for name in ("cases", "contacts", "deadlines", "audit_events", "outbox"))


def test_sqlite_is_sent_the_same_statements_with_the_same_values_in_the_same_order(
    runs: dict[str, Run],
) -> None:
    fast, plain = runs["fast"].trace, runs["plain"].trace
    assert _first_difference(fast, plain) is None
    assert len(fast) > 1000


def test_the_error_cases_raise_the_same_exceptions_with_the_same_messages(
    runs: dict[str, Run],
) -> None:
    fast, plain = runs["fast"].errors, runs["plain"].errors
    assert fast == plain
    kinds = {name: outcome[:2] if outcome else None for name, outcome in fast.items()}
    assert kinds == {
        "stale expected version": (ConflictError, None),
        "lost optimistic lock": (ConflictError, None),
        "foreign key, one row": (sa.exc.IntegrityError, sqlite3.IntegrityError),
        "foreign key, several rows": (sa.exc.IntegrityError, sqlite3.IntegrityError),
        "not null, with returning": (sa.exc.IntegrityError, sqlite3.IntegrityError),
        "a value its type refuses": (sa.exc.StatementError, ValueError),
        "a message queued twice (kept once)": None,
    }
