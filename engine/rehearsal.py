"""A rehearsal: what the engine itself would do to one case if nobody acted.

The case's row, contacts and unclosed deadlines, and the closure days, are copied
into a throwaway in-memory SQLite database; a `FamilyFlow` over that copy, with a
simulated clock standing at now, then runs its own firing loop (`fire_due`, the
scheduler's job) at each instant something falls due, up to `until`. What it wrote
to the copy's audit trail is the projection: reminders, chases, missed timescales,
moves such as auto-close. The real database is only read (`snapshot`: one SELECT per
table); the rest runs on the copy, so nothing can drift from what the service really
does, and nothing leaks into it.

Agendas (daily and weekly lists to managers) are left out: they list cases, they do
not act on them. Messages are recorded as the engine's audit entries; none is
rendered or queued, and the copy is overwritten by the next rehearsal.
"""

from __future__ import annotations

import contextvars
import logging
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import SingletonThreadPool, StaticPool
from sqlmodel import SQLModel

from engine import models, store
from engine.cases import Services
from engine.clock import SimulatedClock
from engine.db import _sqlite_pragmas

_cases = models.Case.__table__  # type: ignore[attr-defined]
_contacts = models.Contact.__table__  # type: ignore[attr-defined]
_deadlines = models.Deadline.__table__  # type: ignore[attr-defined]
_closures = models.ClosureDay.__table__  # type: ignore[attr-defined]
_audit = models.AuditEvent.__table__  # type: ignore[attr-defined]

# A rehearsal must not write "deadlines_fired" lines into the service's real log.
_REHEARSING: contextvars.ContextVar[bool] = contextvars.ContextVar("rehearsing", default=False)


class _QuietWhileRehearsing(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not _REHEARSING.get()


for _name in ("familyflow.engine", "transitions.core"):
    logging.getLogger(_name).addFilter(_QuietWhileRehearsing())

# The schema is built once. Rehearsals share one engine (so its compiled statements are
# cached across rehearsals) whose pool holds one in-memory database per thread; each
# rehearsal first overwrites its thread's database with the empty schema (sqlite3's
# backup: well under a millisecond), so nothing carries over from the last one.
_template: sqlite3.Connection | None = None
_sandbox: Engine | None = None
_lock = threading.Lock()
_THREADS = 64  # more than the web server's worker threads: no live database is evicted


def _schema() -> sqlite3.Connection:
    builder = sa.create_engine("sqlite://", poolclass=StaticPool)
    SQLModel.metadata.create_all(builder, tables=[_cases, _contacts, _deadlines, _closures, _audit])
    raw = builder.raw_connection().driver_connection
    assert isinstance(raw, sqlite3.Connection)
    copy = sqlite3.connect(":memory:", check_same_thread=False)
    raw.backup(copy)
    builder.dispose()
    return copy


def _fresh_sandbox() -> Engine:
    """The shared engine, its calling thread's database reset to the empty schema."""
    global _template, _sandbox
    with _lock:
        if _template is None or _sandbox is None:
            _template = _schema()
            _sandbox = sa.create_engine(
                "sqlite://",
                poolclass=SingletonThreadPool,
                pool_size=_THREADS,
                hide_parameters=True,
            )
            _sqlite_pragmas(_sandbox)  # the same transaction handling as the service's
        template, sandbox = _template, _sandbox
    with sandbox.connect() as conn:
        raw = conn.connection.driver_connection
        assert isinstance(raw, sqlite3.Connection)
        with _lock:  # the template is read by one backup at a time
            template.backup(raw)
    return sandbox


class _Dropped:
    """The message sink and delivery of a rehearsal: nothing is rendered or sent."""

    def queue(self, conn: Connection, intents: Any, *, now: datetime) -> None:
        del conn, intents, now

    def deliver_due(self) -> int:
        return 0

    def next_ready(self) -> datetime | None:
        return None


@dataclass(frozen=True, kw_only=True)
class Foreseen:
    """One thing the engine would do: an audit entry of the rehearsal."""

    at: datetime
    case_id: int | None
    kind: str  # deadline_missed, message, transition, note, deadline_set, ...
    rule: str | None
    reason: str | None
    trigger: str | None
    from_state: str | None
    to_state: str | None
    detail: dict[str, Any]


def _rows(conn: Connection, table: sa.Table, where: Any = None) -> list[dict[str, Any]]:
    query = sa.select(table) if where is None else sa.select(table).where(where)
    return [dict(r) for r in conn.execute(query).mappings()]


@contextmanager
def _rehearsing() -> Iterator[None]:
    token = _REHEARSING.set(True)
    try:
        yield
    finally:
        _REHEARSING.reset(token)


@dataclass(frozen=True)
class Snapshot:
    """The rows a rehearsal starts from, read from the real database."""

    rows: dict[str, list[dict[str, Any]]]


_COPIED = (_cases, _contacts, _deadlines, _closures)


def snapshot(conn: Connection, *, case_id: int) -> Snapshot:
    """The case, its contacts, its unclosed deadlines and the closure days: only read."""
    return Snapshot(
        rows={
            "cases": _rows(conn, _cases, _cases.c.id == case_id),
            "contacts": _rows(conn, _contacts, _contacts.c.case_id == case_id),
            "deadlines": _rows(
                conn,
                _deadlines,
                (_deadlines.c.case_id == case_id) & _deadlines.c.closed_at.is_(None),
            ),
            "closure_days": _rows(conn, _closures),
        }
    )


def rehearse(
    start: Snapshot,
    services: Services,
    *,
    now: datetime,
    until: datetime,
    max_steps: int = 200,
) -> list[Foreseen]:
    """What fires between `now` and `until` if nobody acts, in the order it happens.

    Runs on a copy of `start` alone; `max_steps` bounds the loop, as deadlines that
    restart each other could otherwise run to `until` in many small steps."""
    from engine.service import FamilyFlow  # engine.service imports this module's peers

    if not start.rows["cases"]:
        return []
    sandbox = _fresh_sandbox()
    with sandbox.begin() as copy:
        for table in _COPIED:
            if rows := start.rows[table.name]:
                copy.execute(sa.insert(table), rows)
    clock = SimulatedClock(now)
    dropped = _Dropped()
    flow = FamilyFlow(
        db=sandbox,
        services=replace(services, messages=dropped),
        clock=clock,
        outbox=dropped,
    )
    with _rehearsing():
        flow.fire_due()  # anything already due fires now, as the next tick would
        for _ in range(max_steps):
            with sandbox.connect() as copy:
                moment = store.next_due(copy)
            if moment is None or moment > until:
                break
            clock.advance_to(moment)
            flow.fire_due()
    with sandbox.connect() as copy:
        history = store.history(copy, case_id=None)
    return [
        Foreseen(
            at=row["occurred_at"],
            case_id=row["case_id"],
            kind=row["kind"],
            rule=row["rule"],
            reason=row["reason"],
            trigger=row["trigger"],
            from_state=row["from_state"],
            to_state=row["to_state"],
            detail=dict(row.get("detail") or {}),
        )
        for row in history
    ]
