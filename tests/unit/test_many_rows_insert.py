"""The PostgreSQL form of an INSERT of many rows (engine/store.py, issue 11).

Rows go as one array a column, unnested in their order; a column that holds the
same value in every row (a batch's instant, rule or status) goes as that one
value. What the rows say must not change: every column is named once, in the
INSERT's order, and each value is in the place its column takes.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.dialects.postgresql import psycopg

from engine import store

AT = datetime(2026, 12, 21, 0, 0, 30, tzinfo=UTC)
COLUMNS = ("case_id", "kind", "actor", "recorded_at")


def insert_of_many() -> store._Unnest:
    dialect = psycopg.dialect()
    plan = store._compile(store._INSERT[store.audit], dialect, COLUMNS)
    assert plan is not None and plan.many is not None
    return plan.many


def test_a_column_holding_one_value_in_every_row_goes_once_not_as_an_array() -> None:
    rows = [(1, "deadline_missed", "system", AT), (2, "message", "system", AT)]
    sql, params = insert_of_many().statement(rows)
    assert sql == (
        "INSERT INTO audit_events (case_id, kind, actor, recorded_at) "
        "SELECT given.case_id, given.kind, %b::VARCHAR, %b::TIMESTAMP WITH TIME ZONE "
        "FROM unnest(%b::INTEGER[], %b::VARCHAR[]) "
        "WITH ORDINALITY AS given (case_id, kind, ordinality) ORDER BY ordinality"
    )
    assert params == ["system", AT, [1, 2], ["deadline_missed", "message"]]


def test_rows_that_differ_in_every_column_go_as_arrays_only() -> None:
    rows = [(1, "deadline_missed", "system", AT), (2, "message", None, None)]
    sql, params = insert_of_many().statement(rows)
    assert "SELECT given.case_id, given.kind, given.actor, given.recorded_at FROM" in sql
    assert params == [[1, 2], ["deadline_missed", "message"], ["system", None], [AT, None]]


def test_a_column_of_nothing_but_nulls_goes_as_one_null() -> None:
    rows = [(1, "message", None, AT), (2, "message", None, AT)]
    sql, params = insert_of_many().statement(rows)
    assert params == ["message", None, AT, [1, 2]]
    assert "unnest(%b::INTEGER[]) WITH ORDINALITY AS given (case_id, ordinality)" in sql


def test_rows_alike_in_every_column_are_still_as_many_rows() -> None:
    rows = [(1, "message", "system", AT)] * 3
    sql, params = insert_of_many().statement(rows)
    assert params == ["message", "system", AT, [1, 1, 1]]
    assert "unnest(%b::INTEGER[]) WITH ORDINALITY AS given (case_id, ordinality)" in sql
