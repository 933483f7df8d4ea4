"""engine.store's PostgreSQL fast path leaves the rows Connection.execute leaves.

On PostgreSQL the hot statements run on psycopg's cursor, with two forms of their
own (issue 11): several rows go as one INSERT of a column's values an array
(`unnest ... WITH ORDINALITY`, so ids follow the rows' order), and an IN list as
`= ANY(array)`. The journeys of test_store_fast_path run twice on fresh databases,
once as the service runs them and once with a no-op statement listener (which sends
everything through Connection.execute). Every table must hold the same rows in the
same order, and the errors must be the same exceptions. The SQL itself differs, so
it is not compared; instead the fast run must have used both forms.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from engine import store
from tests.conftest import BACKENDS, POSTGRES_URL
from tests.integration.test_store_fast_path import _journeys, journeys_flow

# Present only when the suite runs on PostgreSQL (CI always does).
pytestmark = pytest.mark.parametrize("backend", [b for b in BACKENDS if b == "postgres"])


@dataclass
class Run:
    tables: dict[str, list[dict[str, Any]]]
    errors: dict[str, tuple[type[BaseException], type[BaseException] | None] | None]
    plans: list[Any]  # the store's compiled plans, for the fast run's forms


@pytest.fixture(scope="module")
def databases() -> Iterator[dict[str, str]]:
    assert POSTGRES_URL is not None
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    names = {run: f"familyflow_fast_{run}_{uuid.uuid4().hex[:8]}" for run in ("fast", "plain")}
    with admin.connect() as conn:
        for name in names.values():
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(POSTGRES_URL)
    yield {
        run: url.set(database=name).render_as_string(hide_password=False)
        for run, name in names.items()
    }
    with admin.connect() as conn:
        for name in names.values():
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _run(url: str, folder: Path, *, fast: bool) -> Run:
    flow = journeys_flow(url, folder)
    if not fast:

        @event.listens_for(flow.db, "before_cursor_execute")
        def _through_connection_execute(*_: object) -> None:
            """Does nothing: that the engine has a statement listener is the switch."""

    try:
        outcomes, _ = _journeys(flow)
        plans = [plan for _, plan in store._PLANS.get(flow.db.dialect, {}).values() if plan]
        tables: dict[str, list[dict[str, Any]]] = {}
        with flow.db.connect() as conn:
            for name in sorted(sa.inspect(conn).get_table_names()):
                if name == "alembic_version":
                    continue
                table = sa.Table(name, sa.MetaData(), autoload_with=conn)
                order = list(table.primary_key.columns) or list(table.columns)
                rows = conn.execute(sa.select(table).order_by(*order)).mappings()
                tables[name] = [dict(row) for row in rows]
    finally:
        flow.db.dispose()
    errors = {
        name: None if outcome is None else (outcome[0], outcome[1])
        for name, outcome in outcomes.items()
    }
    return Run(tables=tables, errors=errors, plans=plans)


@pytest.fixture(scope="module")
def runs(databases: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Run]:
    return {
        name: _run(url, tmp_path_factory.mktemp(name), fast=name == "fast")
        for name, url in databases.items()
    }


def test_every_table_holds_the_same_rows_in_the_same_order_with_and_without_it(
    backend: str, runs: dict[str, Run]
) -> None:
    fast, plain = runs["fast"].tables, runs["plain"].tables
    assert list(fast) == list(plain)
    assert {name: rows for name, rows in fast.items() if rows != plain[name]} == {}
    assert all(fast[name] for name in ("cases", "contacts", "deadlines", "audit_events", "outbox"))
    # The batch of three chases and three closures (PAR-04), many rows in one INSERT.
    assert len({row["dedupe_key"] for row in fast["outbox"]}) == len(fast["outbox"])


def test_the_errors_are_the_same_exceptions(backend: str, runs: dict[str, Run]) -> None:
    assert runs["fast"].errors == runs["plain"].errors
    assert runs["fast"].errors["a message queued twice (kept once)"] is None
    refused = runs["fast"].errors["foreign key, several rows"]
    assert refused is not None and refused[0] is sa.exc.IntegrityError


def test_the_fast_run_sent_rows_as_arrays_and_in_lists_as_any(
    backend: str, runs: dict[str, Run]
) -> None:
    sql = [plan.sql for plan in runs["fast"].plans]
    assert any("= ANY(%b::INTEGER[])" in text for text in sql)
    many = [plan.many for plan in runs["fast"].plans if plan.many]
    assert any(insert.prefix == "INSERT INTO audit_events" for insert in many)
    assert any("ON CONFLICT (dedupe_key) DO NOTHING" in insert.suffix for insert in many)
    assert not any("POSTCOMPILE" in text for text in sql)
