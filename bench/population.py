"""Population: a county's year through the real engine, and the what-if beside it.
(Prints figures; not a test.)

    .venv/bin/python bench/population.py [--only-base] [--no-floor] [--json FILE]

Runs docs/scenarios/population/county-year.yaml, then county-year-growth.yaml (20% more
referrals, one worker fewer), each in one process on one simulated clock with an
in-memory database, and prints: the county year's time beside the 30 s target, case
lifecycles per second beside the 500/s target, whether the same seed gives the same
summary (a second, shortened run of each seed), and the two summaries side by side.

The floor: the county year once more with every statement its connection is sent kept
as sqlite3 receives it (the BEGINs, COMMITs and ROLLBACKs too, from the migrations on),
then those statements replayed on a bare sqlite3 connection to a new in-memory database,
each SELECT's rows fetched, with no engine at all. The replay's time is what the
database alone costs the year; the cases over it, the most lifecycles a second any code
sending those statements could reach. The recorded run must give the timed run's
summary, on one connection, and the replay must leave as many messages in its outbox as
the run queued.
"""

from __future__ import annotations

import os
import sys

if __name__ == "__main__" and not __package__:
    # `python bench/population.py`: this file's folder would shadow the `engine` package.
    _bench = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _bench]
    sys.path.insert(0, os.path.dirname(_bench))

import argparse
import gc
import json
import sqlite3
import sqlite3.dbapi2
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from familyflow import population
from notifications.render import Renderer

SCENARIOS = Path(__file__).resolve().parents[1] / "docs" / "scenarios" / "population"
TARGET_SECONDS, TARGET_RATE = 30.0, 500.0


def timed(path: Path) -> tuple[dict[str, Any], float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    summary = population.run(path)
    return summary, time.perf_counter() - wall, time.process_time() - cpu


def repeatable(path: Path) -> bool:
    """The same seed twice over a fortnight of the scenario: identical summaries?"""
    with tempfile.TemporaryDirectory() as tmp:
        short = Path(tmp) / "fortnight.yaml"
        short.write_text(
            f"extends: {path}\nname: fortnight\nend: 2027-04-14\nrun_until: 2027-05-14\n"
        )
        return population.run(short) == population.run(short)


Step = tuple[str, Any, bool]  # (SQL, its parameters, executemany?), or COMMIT / ROLLBACK


class _RecordingCursor(sqlite3.Cursor):
    connection: _RecordingConnection

    def execute(self, sql: str, parameters: Any = (), /) -> Any:
        self.connection.steps.append((sql, parameters, False))
        return super().execute(sql, parameters)

    def executemany(self, sql: str, parameters: Any, /) -> Any:
        rows = list(parameters)
        self.connection.steps.append((sql, rows, True))
        return super().executemany(sql, rows)


class _RecordingConnection(sqlite3.Connection):
    """sqlite3's connection, keeping what it is sent (its cursor's statements too)."""

    steps: list[Step]

    def cursor(self, factory: Any = _RecordingCursor) -> Any:
        return super().cursor(factory)

    def execute(self, sql: str, parameters: Any = (), /) -> Any:  # the engine's BEGINs
        self.steps.append((sql, parameters, False))
        return super().execute(sql, parameters)

    def commit(self) -> None:
        self.steps.append(("COMMIT", None, False))
        super().commit()

    def rollback(self) -> None:
        self.steps.append(("ROLLBACK", None, False))
        super().rollback()


@contextmanager
def recording() -> Iterator[list[list[Step]]]:
    """Every sqlite3 connection opened inside keeps its statements (SQLAlchemy's
    SQLite dialect opens them through sqlite3.dbapi2.connect); a list per connection."""
    kept: list[list[Step]] = []
    original = sqlite3.dbapi2.connect

    def connect(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        connection: _RecordingConnection = original(
            *args, **{**kwargs, "factory": _RecordingConnection}
        )
        connection.steps = []
        kept.append(connection.steps)
        return connection

    sqlite3.dbapi2.connect = connect  # type: ignore[assignment]
    try:
        yield kept
    finally:
        sqlite3.dbapi2.connect = original


def replay(steps: list[Step]) -> tuple[float, dict[str, int]]:
    """The statements on a bare connection to a new in-memory database: the seconds
    they take, and the rows they leave in the audit trail and the outbox."""
    connection = sqlite3.connect(":memory:", isolation_level=None)
    gc.collect()
    gc.freeze()  # the recorded parameters are the bench's: no full passes over them
    started = time.perf_counter()
    for sql, parameters, many in steps:
        if sql == "COMMIT":
            connection.commit()
        elif sql == "ROLLBACK":
            connection.rollback()
        else:
            cursor = connection.cursor()
            if many:
                cursor.executemany(sql, parameters)
            else:
                cursor.execute(sql, parameters)
                if cursor.description is not None:
                    cursor.fetchall()
            cursor.close()
    elapsed = time.perf_counter() - started
    gc.unfreeze()
    rows = {
        table: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        for table in ("audit_events", "outbox")
    }
    connection.close()
    return elapsed, rows


@contextmanager
def rendering_timed() -> Iterator[list[float]]:
    """The seconds spent rendering messages inside (Renderer.render, every call)."""
    spent = [0.0]
    original = Renderer.render

    def render(self: Renderer, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return original(self, **kwargs)
        finally:
            spent[0] += time.perf_counter() - started

    Renderer.render = render  # type: ignore[method-assign]
    try:
        yield spent
    finally:
        Renderer.render = original  # type: ignore[method-assign]


def floor(path: Path, summary: dict[str, Any], wall: float) -> None:
    with recording() as kept, rendering_timed() as rendered:
        again = population.run(path)
    if len(kept) != 1 or again != summary:
        raise SystemExit(f"the recorded run is not the timed one ({len(kept)} connections)")
    steps = kept[0]
    seconds, rows = replay(steps)
    messages = sum(summary["messages"].values())
    if rows["outbox"] != messages:
        raise SystemExit(f"the replay left {rows['outbox']:,} messages, the run {messages:,}")
    ceiling = summary["cases"] / seconds
    print(
        f"  floor     {seconds:7.1f} s  raw sqlite3 replaying the run's {len(steps):,} statements"
        f" ({rows['audit_events']:,} audit rows, {rows['outbox']:,} messages)"
    )
    print(
        f"            at most {ceiling:,.0f} lifecycles/s with no engine at all;"
        f" the engine's own work {wall - seconds:.1f} s beyond the floor,"
        f" {(wall - seconds) / summary['events'] * 1e3:.2f} ms an event"
    )
    budget = summary["cases"] / TARGET_RATE - seconds
    print(
        f"            500/s leaves {budget:.1f} s beside the floor for every line of Python;"
        f" rendering the {messages:,} messages alone took {rendered[0]:.1f} s"
        if budget > 0
        else f"            500/s is {-budget:.1f} s below the floor: no engine sending these"
        " statements can reach it"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only-base", action="store_true", help="skip the growth scenario")
    parser.add_argument("--no-floor", action="store_true", help="skip the replayed floor")
    parser.add_argument("--json", type=Path, help="also write both summaries here")
    args = parser.parse_args()
    base, wall, cpu = timed(SCENARIOS / "county-year.yaml")
    rate = base["cases"] / wall
    print(f"county-year: {base['cases']:,} cases, {base['events']:,} events")
    print(f"  time      {wall:7.1f} s  (cpu {cpu:.1f} s)   target < {TARGET_SECONDS:.0f} s")
    print(f"  lifecycles {rate:6.0f} /s                  target >= {TARGET_RATE:.0f} /s")
    if not args.no_floor:
        floor(SCENARIOS / "county-year.yaml", base, wall)
    print(f"  same seed, same summary: {repeatable(SCENARIOS / 'county-year.yaml')}")
    results = {"county-year": base}
    if not args.only_base:
        growth, wall_g, cpu_g = timed(SCENARIOS / "county-year-growth.yaml")
        results["county-year-growth"] = growth
        print(
            f"county-year-growth: {growth['cases']:,} cases in {wall_g:.1f} s (cpu {cpu_g:.1f} s)"
        )
        print()
        print(population.side_by_side(base, growth))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
