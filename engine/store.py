"""Every SQL statement the engine runs, behind one boundary.

Statements are SQLAlchemy Core on the SQLModel tables: the hot paths (events,
deadline firing, outbox) write many rows per transaction and the ORM's unit of
work would cost more than the work itself.
"""

from __future__ import annotations

import copy
import weakref
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache, lru_cache, partial
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Dialect

from engine.models import (
    AuditEvent,
    Case,
    CaseLink,
    ClosureDay,
    Contact,
    Deadline,
    JobRun,
    OutboxMessage,
    UTCDateTime,
)

cases = Case.__table__  # type: ignore[attr-defined]
contacts = Contact.__table__  # type: ignore[attr-defined]
links = CaseLink.__table__  # type: ignore[attr-defined]
deadlines = Deadline.__table__  # type: ignore[attr-defined]
audit = AuditEvent.__table__  # type: ignore[attr-defined]
outbox = OutboxMessage.__table__  # type: ignore[attr-defined]
closure_days = ClosureDay.__table__  # type: ignore[attr-defined]
job_runs = JobRun.__table__  # type: ignore[attr-defined]

# What migration 0005_indexes (versions/0008_indexes.py) creates, declared on the
# tables too so that their metadata says what the database holds.
_UNMET_DUE = sa.text("kind = 'due' AND closed_at IS NULL")
# 0008_listing adds `email` (so PostgreSQL can read it alone, without the table).
sa.Index(
    "ix_contacts_email_lower",
    sa.func.lower(contacts.c.email),
    contacts.c.case_id,
    contacts.c.email,
)
sa.Index(
    "ix_deadlines_unmet_due",
    deadlines.c.case_id,
    deadlines.c.due_at,
    deadlines.c.status,
    sqlite_where=_UNMET_DUE,
    postgresql_where=_UNMET_DUE,
)

# The long-open cases report: open cases by when they were received (0007_reports).
sa.Index(
    "ix_cases_open_by_received",
    cases.c.received_at,
    cases.c.id,
    sqlite_where=sa.text("closed_at IS NULL"),
    postgresql_where=sa.text("closed_at IS NULL"),
)
# On SQLite the timeliness report reads this covering index, not the table (0007_reports;
# the migration makes it on SQLite only).
sa.Index(
    "ix_deadlines_resolved_for_reports",
    *(deadlines.c[name] for name in ("status", "process", "rule", "timescale", "due_at")),
    deadlines.c.case_id,
    sqlite_where=sa.text("kind = 'due'"),
)

CHUNK = 500  # rows per IN (...) list


@dataclass
class CaseRow:
    id: int
    process: str
    state: str
    data: dict[str, Any]
    version: int
    team: str | None
    received_at: datetime
    created_at: datetime
    closed_at: datetime | None
    contacts: list[dict[str, Any]] = field(default_factory=list)
    loaded_version: int = 0

    def contacts_by_role(self) -> dict[str, dict[str, Any]]:
        by_role: dict[str, dict[str, Any]] = {}
        for contact in self.contacts:
            by_role.setdefault(contact["role"], contact)
        return by_role


def _chunks(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


# -- running the hot statements ------------------------------------------------
#
# The statements of the hot paths (events, deadline firing) are built once, with
# bound parameters: building a statement and its cache key costs several times
# what SQLite spends running it. On SQLite they are also compiled once and run
# on the driver's cursor, because SQLAlchemy's per-execution bookkeeping does
# too. The SQL, the values bound (through each column type's bind processor)
# and the values read back (through its result processor) are the ones
# Connection.execute would use, and driver errors are raised as the same
# SQLAlchemy exceptions. PostgreSQL (psycopg) takes the same path, the SQL
# compiled with positional `%s` parameters (the casts SQLAlchemy writes kept):
# deadline firing there spent more time in SQLAlchemy than in the database.
# A connection not yet in a transaction is begun as Connection.execute begins
# one. Echo, statement listeners or anything the compiled form cannot express
# (an empty IN list, Python-side defaults) go through Connection.execute.


@dataclass(frozen=True)
class _Plan:
    sql: str
    binds: tuple[tuple[str | None, Any, Any], ...]  # (parameter, constant, bind processor)
    columns: tuple[tuple[str, Any], ...]  # (key, result processor) of the rows returned
    expanding: frozenset[str] = frozenset()  # IN-list parameters, rendered per call
    placeholder: str = "?"  # the driver's positional parameter: ? (sqlite3), %s (psycopg)
    many: _Unnest | None = None  # PostgreSQL: an INSERT of many rows at once

    def values(self, params: Mapping[str, Any]) -> tuple[Any, ...]:
        if not self.expanding:
            return tuple(
                [
                    constant
                    if name is None
                    else params[name]
                    if proc is None
                    else proc(params[name])
                    for name, constant, proc in self.binds
                ]
            )
        values: list[Any] = []
        for name, constant, proc in self.binds:
            if name is None:
                values.append(constant)
            elif name in self.expanding:
                values.extend(params[name] if proc is None else map(proc, params[name]))
            else:
                values.append(params[name] if proc is None else proc(params[name]))
        return tuple(values)

    def sql_for(self, params: Mapping[str, Any]) -> str | None:
        """The SQL with each IN list spelled out as SQLAlchemy does; None for an empty one."""
        sql = self.sql
        for name in self.expanding:
            count = len(params[name])
            if not count:
                return None
            sql = sql.replace(f"__[POSTCOMPILE_{name}]", ", ".join([self.placeholder] * count))
        return sql


@dataclass(frozen=True)
class _Unnest:
    """PostgreSQL: an INSERT ... VALUES (%s, ...) for many rows at once, each column's
    values as one array (`unnest`), in the rows' order, so their ids follow it. One
    statement of a few parameters, instead of psycopg's pipeline of an INSERT a row
    (several times cheaper in the server and the driver: firing 10,000 deadlines writes
    40,000 rows), and short enough for psycopg to keep its parsed form. A column whose
    rows all hold one value (a batch's instant, rule, status) goes as that one value:
    its array would cost the driver an item a row to send and the server to unpack."""

    prefix: str  # INSERT INTO table
    columns: tuple[str, ...]
    types: tuple[str, ...]
    suffix: str  # ON CONFLICT ..., if any

    def statement(self, rows: list[tuple[Any, ...]]) -> tuple[str, list[Any]]:
        columns = [list(column) for column in zip(*rows, strict=True)]
        same = tuple(column.count(column[0]) == len(column) for column in columns)
        if all(same):  # rows alike: one array still says how many there are
            same = (False, *same[1:])
        params = [c[0] for c, one in zip(columns, same, strict=True) if one]
        params += [c for c, one in zip(columns, same, strict=True) if not one]
        return self._sql(same), params

    @lru_cache(maxsize=64)  # noqa: B019 (plans live as long as the process)
    def _sql(self, same: tuple[bool, ...]) -> str:
        named = list(zip(self.columns, self.types, same, strict=True))
        picked = ", ".join(f"%b::{t}" if one else f"given.{c}" for c, t, one in named)
        arrays = ", ".join(f"%b::{t}[]" for _, t, one in named if not one)
        given = ", ".join([c for c, _, one in named if not one] + ["ordinality"])
        # %b: each array goes in psycopg's binary form, not as text it escapes item by item.
        return (
            f"{self.prefix} ({', '.join(self.columns)}) SELECT {picked} FROM unnest({arrays}) "
            f"WITH ORDINALITY AS given ({given}) ORDER BY ordinality{self.suffix}"
        )


def _unnest(statement: Any, sql: str, dialect: Dialect) -> _Unnest | None:
    if ") VALUES (" not in sql:
        return None
    head, values = sql.split(") VALUES (", 1)
    group, _, suffix = values.partition(")")
    if "(" in group or "RETURNING" in suffix:  # a cast with a length, or ids read back
        return None
    prefix, _, names = head.partition(" (")
    columns = [name.strip() for name in names.split(",")]
    if len(columns) != group.count("%s"):
        return None
    table = statement.table
    types = [table.c[name.strip('"')].type.compile(dialect=dialect) for name in columns]
    return _Unnest(prefix=prefix, columns=tuple(columns), types=tuple(types), suffix=suffix)


def _same_instant_memo(proc: Any, type_: Any) -> Any:
    """Date-times convert the same way every time, and a batch repeats a few of them."""
    if proc is not None and isinstance(type_, UTCDateTime | sa.DateTime | sa.Date):
        return lru_cache(maxsize=512)(proc)
    return proc


# Plans are for the module's own statements, which live as long as the process;
# each entry keeps its statement, so an id is never reused for another one.
_PlanKey = tuple[int, tuple[str, ...]]
_PLANS: weakref.WeakKeyDictionary[Dialect, dict[_PlanKey, tuple[Any, _Plan | None]]] = (
    weakref.WeakKeyDictionary()
)


def _positional(dialect: Dialect) -> Dialect:
    """The dialect to compile with: itself for sqlite3 (qmark), or for psycopg a copy
    that writes `%s` (format) instead of `%(name)s`, so that values go as a tuple."""
    if dialect.positional:
        return dialect
    positional = _POSITIONAL.get(dialect)
    if positional is None:
        positional = copy.copy(dialect)
        positional.paramstyle = "format"
        positional.positional = True
        _POSITIONAL[dialect] = positional
    return positional


_POSITIONAL: weakref.WeakKeyDictionary[Dialect, Dialect] = weakref.WeakKeyDictionary()


def _compile(statement: Any, dialect: Dialect, keys: tuple[str, ...]) -> _Plan | None:
    dialect = _positional(dialect)
    # An INSERT is compiled as for many rows: no implicit RETURNING of the new ids,
    # which nothing here reads (an explicit one, as _INSERT_CASE's, is kept).
    compiled: Any = statement.compile(
        dialect=dialect, column_keys=list(keys), for_executemany=isinstance(statement, sa.Insert)
    )
    if compiled.positiontup is None or compiled.insert_prefetch or compiled.update_prefetch:
        return None
    binds = []
    expanding = set()
    for name in compiled.positiontup:
        bind = compiled.binds[name]
        if bind.literal_execute or bind.callable is not None or bind.type._is_tuple_type:
            return None
        proc = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if bind.expanding:
            expanding.add(name)
        if bind.required or name in keys:
            binds.append((name, None, _same_instant_memo(proc, bind.type)))
        elif bind.expanding:
            return None
        else:
            binds.append((None, bind.value if proc is None else proc(bind.value), None))
    sql = compiled.string
    if sql.count("POSTCOMPILE") != len(expanding):
        return None
    if expanding and dialect.name == "postgresql" and "NOT IN (__[" not in sql:
        sql, binds = _as_arrays(sql, binds, compiled, dialect)
        expanding = set()
    returned: list[tuple[str, Any]]
    if isinstance(statement, sa.Select):
        returned = [(str(column.key), column.type) for column in statement.selected_columns]
    else:
        returned = [(d["name"], d["type"]) for d in statement.returning_column_descriptions]
    columns = tuple(
        (
            key,
            _same_instant_memo(type_.dialect_impl(dialect).result_processor(dialect, None), type_),
        )
        for key, type_ in returned
    )
    return _Plan(
        sql=sql,
        binds=tuple(binds),
        columns=columns,
        expanding=frozenset(expanding),
        placeholder="?" if dialect.paramstyle == "qmark" else "%s",
        many=(
            _unnest(statement, compiled.string, dialect)
            if dialect.name == "postgresql" and isinstance(statement, sa.Insert)
            else None
        ),
    )


def _as_arrays(
    sql: str, binds: list[tuple[str | None, Any, Any]], compiled: Any, dialect: Dialect
) -> tuple[str, list[tuple[str | None, Any, Any]]]:
    """PostgreSQL: `x IN (...)` as `x = ANY(array)`, one parameter in binary, so that
    the SQL is the same whatever the list's length: psycopg keeps its parsed form (a
    500-id IN list is parsed again on every call) and the server sees one statement."""
    arrays: list[tuple[str | None, Any, Any]] = []
    for name, constant, proc in binds:
        if name is not None and compiled.binds[name].expanding:
            type_ = compiled.binds[name].type.compile(dialect=dialect)
            sql = sql.replace(f"IN (__[POSTCOMPILE_{name}])", f"= ANY(%b::{type_}[])")
            proc = partial(_each, proc)
        arrays.append((name, constant, proc))
    return sql, arrays


def _each(proc: Any, values: Iterable[Any]) -> list[Any]:
    return list(values) if proc is None else [proc(value) for value in values]


_PLAIN: weakref.WeakKeyDictionary[Connection, bool] = weakref.WeakKeyDictionary()


def _plain(conn: Connection) -> bool:
    """May this connection's statements skip Connection.execute? (Asked once per
    Connection: for the service, once per transaction.)"""
    dialect, dispatch = conn.dialect, conn.dispatch
    return (
        (
            (dialect.name == "sqlite" and dialect.paramstyle == "qmark")
            or (dialect.name == "postgresql" and dialect.driver == "psycopg")
        )
        and not conn.engine.echo
        and not (
            dispatch.before_execute
            or dispatch.after_execute
            or dispatch.before_cursor_execute
            or dispatch.after_cursor_execute
        )
    )


def _is_plain(conn: Connection) -> bool:
    plain = _PLAIN.get(conn)
    if plain is None:
        plain = _PLAIN[conn] = _plain(conn)
    return plain


def _plan(conn: Connection, statement: Any, keys: tuple[str, ...]) -> _Plan | None:
    if not _is_plain(conn):
        return None
    if not conn.in_transaction():
        # A read outside a transaction (the next instant anything is due, asked on
        # every turn of the clock): begun as Connection.execute would begin it.
        conn.begin()
    dialect = conn.dialect
    plans = _PLANS.get(dialect)
    if plans is None:
        plans = _PLANS[dialect] = {}
    key = (id(statement), keys)
    entry = plans.get(key)
    if entry is None or entry[0] is not statement:
        try:
            plan = _compile(statement, dialect, keys)
        except Exception:  # Connection.execute will run it, or say what is wrong
            plan = None
        entry = plans[key] = (statement, plan)
    return entry[1]


def _run(conn: Connection, sql: str, values: list[tuple[Any, ...]], *, wait: bool = True) -> Any:
    if _PIPELINE in conn.info:  # inside overlapping()
        if wait:
            _settle(conn)  # first, what was sent
        else:
            _send_only(conn)
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    error_class = conn.dialect.loaded_dbapi.Error
    try:
        if len(values) == 1:
            cursor.execute(sql, values[0])
        else:
            cursor.executemany(sql, values)
    except error_class as error:
        raise sa.exc.DBAPIError.instance(
            sql,
            values[0] if len(values) == 1 else values,
            error,
            error_class,
            dialect=conn.dialect,
            ismulti=len(values) > 1,
            hide_parameters=conn.engine.hide_parameters,  # as SQLAlchemy's own path does
        ) from error
    return cursor


def _fetch(conn: Connection, statement: Any, params: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The rows a SELECT, or a statement with RETURNING, gives back."""
    plan = _plan(conn, statement, tuple(params))
    sql = values = None
    if plan is not None:
        sql = plan.sql_for(params) if plan.expanding else plan.sql
        try:
            values = plan.values(params)
        except Exception:  # a value its type refuses: raised as Connection.execute raises it
            sql = None
    if plan is None or sql is None or values is None:
        return [dict(row) for row in conn.execute(statement, params).mappings()]
    cursor = _run(conn, sql, [values])
    keys = [key for key, _ in plan.columns]
    rows = [dict(zip(keys, row, strict=True)) for row in cursor.fetchall()]
    cursor.close()
    # Then the columns that need converting, a column at a time (a JSON text, a
    # stored instant): most need none, and a dict built in C is several times cheaper.
    for key, proc in plan.columns:
        if proc is not None:
            for row in rows:
                row[key] = proc(row[key])
    return rows


# For the application's own hot reads (a population simulation asks some thousands of
# times a year): a statement built once, with bound parameters, run as above.
fetch = _fetch


def _write(
    conn: Connection, statement: Any, params: Mapping[str, Any] | Sequence[Mapping[str, Any]]
) -> None:
    """Run an INSERT, UPDATE or DELETE for one row or many, whose count nothing reads:
    inside overlapping(), it is sent without waiting for the server."""
    _execute_write(conn, statement, params, wait=False)


def _changed(conn: Connection, statement: Any, params: Mapping[str, Any]) -> int:
    """Run an UPDATE or DELETE and wait for it: the rows it touched."""
    return _execute_write(conn, statement, params, wait=True)


def _execute_write(
    conn: Connection,
    statement: Any,
    params: Mapping[str, Any] | Sequence[Mapping[str, Any]],
    *,
    wait: bool,
) -> int:
    rows = [params] if isinstance(params, Mapping) else params
    plan = _plan(conn, statement, tuple(rows[0]))
    sql = None
    if plan is not None and (not plan.expanding or len(rows) == 1):
        # An IN list is spelled out for its one row (None when empty).
        sql = plan.sql_for(rows[0]) if plan.expanding else plan.sql
        try:
            values = [plan.values(row) for row in rows]
        except Exception:  # a missing value, or one its type refuses: let
            sql = None  # Connection.execute raise it as it does
    if plan is None or sql is None:
        return int(conn.execute(statement, params).rowcount)
    if len(values) > 1 and plan.many is not None:  # PostgreSQL: one INSERT of arrays
        sql, arrays = plan.many.statement(values)
        values = [tuple(arrays)]
    cursor = _run(conn, sql, values, wait=wait)
    count = int(cursor.rowcount)  # -1 for a write sent and not waited for
    cursor.close()
    return count


# -- writes not waited for ---------------------------------------------------------
#
# Firing a batch of deadlines is the engine working out and rendering messages,
# then the server writing them: done in turn, each waits for the other. Inside
# overlapping(), on PostgreSQL, the writes whose outcome nothing reads (audit rows,
# messages, fired marks) are sent in psycopg's pipeline mode and not waited for:
# the server writes one part of the batch while the engine renders the next. Every
# statement that reads, or counts what it changed, waits first for all that was
# sent (a statement through Connection.execute too, by a listener: SQLAlchemy reads
# a result at once, which a pipeline does not have yet). An error in a write sent
# is raised when it is waited for, as the SQLAlchemy error it would have been.

_PIPELINE = "familyflow.pipeline"  # in Connection.info: the pipeline open, or None


@contextmanager
def overlapping(conn: Connection) -> Iterator[bool]:
    """Writes inside are sent without waiting (PostgreSQL); all are waited for on leaving.
    It gives whether they are: elsewhere there is nothing to gain by writing in parts."""
    if conn.dialect.name != "postgresql" or not _is_plain(conn):  # the fast path's writes only
        yield False
        return
    conn.info[_PIPELINE] = None
    event.listen(conn, "before_cursor_execute", _settle_first)
    try:
        yield True
        _settle(conn)
    except BaseException as error:
        left = conn.info[_PIPELINE]
        if left is not None:  # psycopg ends it, logging (not raising) any second error
            left.__exit__(type(error), error, error.__traceback__)
        raise
    finally:
        event.remove(conn, "before_cursor_execute", _settle_first)
        del conn.info[_PIPELINE]


def _send_only(conn: Connection) -> None:
    if conn.info[_PIPELINE] is None:
        pipeline = conn.info[_PIPELINE] = ExitStack()
        pipeline.enter_context(conn.connection.driver_connection.pipeline())  # type: ignore[union-attr]


def _settle(conn: Connection) -> None:
    pipeline = conn.info[_PIPELINE]
    if pipeline is None:
        return
    conn.info[_PIPELINE] = None
    error_class = conn.dialect.loaded_dbapi.Error
    try:
        pipeline.close()  # psycopg sends what is left and reads every result
    except error_class as error:
        raise sa.exc.DBAPIError.instance(
            None, None, error, error_class, dialect=conn.dialect
        ) from error


def _settle_first(conn: Connection, *_: Any) -> None:
    _settle(conn)


_INSERT = {table: sa.insert(table) for table in (cases, contacts, deadlines, audit, outbox)}
_INSERT_CASE = sa.insert(cases).returning(cases.c.id)
_DELETE_CONTACT = sa.delete(contacts).where(
    contacts.c.case_id == sa.bindparam("b_case_id"), contacts.c.role == sa.bindparam("b_role")
)
_SELECT_CASES = sa.select(cases).where(cases.c.id.in_(sa.bindparam("b_ids", expanding=True)))
_SELECT_CONTACTS = (
    sa.select(contacts)
    .where(contacts.c.case_id.in_(sa.bindparam("b_ids", expanding=True)))
    .order_by(contacts.c.id)
)
_SELECT_CASE = sa.select(cases).where(cases.c.id == sa.bindparam("b_id"))
_SELECT_CONTACTS_OF = (
    sa.select(contacts).where(contacts.c.case_id == sa.bindparam("b_id")).order_by(contacts.c.id)
)
_UPDATE_CASE = (
    sa.update(cases)
    .where(cases.c.id == sa.bindparam("b_id"), cases.c.version == sa.bindparam("b_loaded"))
    .values(
        state=sa.bindparam("b_state"),
        data=sa.bindparam("b_data"),
        version=sa.bindparam("b_version"),
        closed_at=sa.bindparam("b_closed_at"),
    )
)


def insert_case(conn: Connection, row: dict[str, Any]) -> int:
    return int(_fetch(conn, _INSERT_CASE, row)[0]["id"])


def insert_contacts(conn: Connection, rows: list[dict[str, Any]]) -> None:
    if rows:
        _write(conn, _INSERT[contacts], rows)


def load_cases(conn: Connection, ids: Sequence[int]) -> dict[int, CaseRow]:
    found: dict[int, CaseRow] = {}
    for chunk in _chunks(list(ids)):
        if len(chunk) == 1:  # the event path: one case, by primary key
            params: dict[str, Any] = {"b_id": chunk[0]}
            case_rows = _fetch(conn, _SELECT_CASE, params)
            contact_rows = _fetch(conn, _SELECT_CONTACTS_OF, params)
        else:
            params = {"b_ids": chunk}
            case_rows = _fetch(conn, _SELECT_CASES, params)
            contact_rows = _fetch(conn, _SELECT_CONTACTS, params)
        for row in case_rows:
            found[row["id"]] = CaseRow(**row, loaded_version=row["version"])
        for contact in contact_rows:
            found[contact["case_id"]].contacts.append(contact)
    return found


def update_case(conn: Connection, case: CaseRow) -> bool:
    """Write the case if nobody else has since it was read (optimistic lock)."""
    updated = _changed(
        conn,
        _UPDATE_CASE,
        {
            "b_id": case.id,
            "b_loaded": case.loaded_version,
            "b_state": case.state,
            "b_data": case.data,
            "b_version": case.version,
            "b_closed_at": case.closed_at,
        },
    )
    if updated == 1:
        case.loaded_version = case.version
        return True
    return False


def insert_rows(conn: Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    if rows:
        statement = _INSERT.get(table)
        if statement is None:  # not a hot table: built per call, so not planned
            conn.execute(sa.insert(table), rows)
        else:
            _write(conn, statement, rows)


def insert_deadlines(conn: Connection, rows: list[dict[str, Any]]) -> None:
    insert_rows(conn, deadlines, rows)


def close_deadlines(
    conn: Connection, *, case_id: int, at: datetime, status: str, timescales: Sequence[str] | None
) -> list[dict[str, Any]]:
    """Close a case's unclosed deadlines (all, or those timescales); return what was open.

    A deadline that already fired is still unclosed until the thing happens,
    so meeting it late is recorded too.
    """
    params: dict[str, Any] = {"b_case_id": case_id, "b_status": status, "b_at": at}
    if timescales is None:
        return _fetch(conn, _close_statement(None), params)
    params.update((f"b_t{i}", key) for i, key in enumerate(timescales))
    return _fetch(conn, _close_statement(len(timescales)), params)


@cache
def _close_statement(timescales: int | None) -> sa.Update:
    """Close a case's unclosed deadlines: all of them, or those of n timescales."""
    where = [deadlines.c.case_id == sa.bindparam("b_case_id"), deadlines.c.closed_at.is_(None)]
    if timescales is not None:
        where.append(
            deadlines.c.timescale.in_(
                [sa.bindparam(f"b_t{i}", type_=sa.String) for i in range(timescales)]
            )
        )
    new_status = sa.case(
        (deadlines.c.status == "open", sa.bindparam("b_status", type_=sa.String)),
        else_=deadlines.c.status,
    )
    return (
        sa.update(deadlines)
        .where(*where)
        .values(status=new_status, closed_at=sa.bindparam("b_at"))
        .returning(
            deadlines.c.id,
            deadlines.c.timescale,
            deadlines.c.rule,
            deadlines.c.kind,
            deadlines.c.due_at,
            deadlines.c.fired_at,
        )
    )


# A constant in the SQL, not a bound value, so that the planner matches the partial
# index ix_deadlines_open_due (status = 'open') in a generic plan too.
_OPEN: sa.ColumnElement[str] = sa.literal_column("'open'", sa.String)


def _claim_statement(*, postgresql: bool, only: bool) -> sa.Select[Any]:
    query = (
        sa.select(deadlines)
        .where(deadlines.c.status == _OPEN, deadlines.c.due_at <= sa.bindparam("b_now"))
        .order_by(deadlines.c.due_at, deadlines.c.id)
        .limit(sa.bindparam("b_limit", type_=sa.Integer))
    )
    if only:
        query = query.where(deadlines.c.id == sa.bindparam("b_only"))
    return query.with_for_update(skip_locked=True) if postgresql else query


# Asked on every turn of the clock: built once, for each dialect and with or without
# a deadline named (the slow path fires one at a time).
_CLAIM = {
    (postgresql, only): _claim_statement(postgresql=postgresql, only=only)
    for postgresql in (False, True)
    for only in (False, True)
}


def claim_due_deadlines(
    conn: Connection, *, now: datetime, limit: int, only: int | None = None
) -> list[dict[str, Any]]:
    """Due, open deadlines in due order, locked so no other instance takes them."""
    statement = _CLAIM[(conn.dialect.name == "postgresql", only is not None)]
    params: dict[str, Any] = {"b_now": now, "b_limit": limit}
    if only is not None:
        params["b_only"] = only
    return _fetch(conn, statement, params)


def due_deadline_ids(conn: Connection, *, now: datetime, limit: int) -> list[dict[str, Any]]:
    query = (
        sa.select(deadlines.c.id)
        .where(deadlines.c.status == _OPEN, deadlines.c.due_at <= now)
        .order_by(deadlines.c.due_at, deadlines.c.id)
        .limit(limit)
    )
    return [dict(row) for row in conn.execute(query).mappings()]


def deadline(conn: Connection, deadline_id: int) -> dict[str, Any]:
    return dict(
        conn.execute(sa.select(deadlines).where(deadlines.c.id == deadline_id)).mappings().one()
    )


_MARK_FIRED = (
    sa.update(deadlines)
    .where(deadlines.c.id.in_(sa.bindparam("ids", expanding=True)), deadlines.c.status == _OPEN)
    .values(status="fired", fired_at=sa.bindparam("fired_at"), late=sa.bindparam("late"))
)


def mark_fired(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Mark deadlines fired (`b_id`, `b_fired_at`, `b_late` each): one UPDATE per
    instant and lateness, by ids, rather than one per deadline. A batch's deadlines
    share their instant and most their lateness: 10,000 of them are a few statements."""
    groups: dict[tuple[datetime, bool], list[int]] = {}
    for row in rows:
        groups.setdefault((row["b_fired_at"], bool(row["b_late"])), []).append(row["b_id"])
    for (fired_at, late), ids in groups.items():
        for chunk in _chunks(ids):
            _write(conn, _MARK_FIRED, {"ids": list(chunk), "fired_at": fired_at, "late": late})


# The statements below are asked on every turn of the clock or every event: built
# once, so that each call pays for running them, not for building them.
_NEXT_DUE = sa.select(sa.func.min(deadlines.c.due_at).label("due_at")).where(
    deadlines.c.status == _OPEN
)


def next_due(conn: Connection) -> datetime | None:
    found: datetime | None = _fetch(conn, _NEXT_DUE, {})[0]["due_at"]
    return found


_INSERT_OUTBOX = {
    name: dialect.insert(outbox).on_conflict_do_nothing(index_elements=["dedupe_key"])
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}


def insert_outbox(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Queue messages; a dedupe key already present is silently kept as it was."""
    if not rows:
        return
    name = "postgresql" if conn.dialect.name == "postgresql" else "sqlite"
    _write(conn, _INSERT_OUTBOX[name], rows)


_CLOSURE_DAYS = sa.select(closure_days.c.day)


def closure_day_list(conn: Connection) -> list[date]:
    return [row["day"] for row in _fetch(conn, _CLOSURE_DAYS, {})]


_CASE_EXISTS = sa.select(cases.c.id).where(cases.c.id == sa.bindparam("b_id"))


def case_exists(conn: Connection, case_id: int) -> bool:
    return bool(_fetch(conn, _CASE_EXISTS, {"b_id": case_id}))


_OPEN_OF_PROCESS = (
    sa.select(cases.c.id)
    .where(cases.c.process == sa.bindparam("b_process"), cases.c.closed_at.is_(None))
    .order_by(cases.c.id)
)
_OPEN_OF_PROCESS_IN_STATES = _OPEN_OF_PROCESS.where(
    cases.c.state.in_(sa.bindparam("b_states", expanding=True))
)
_CREATED_OR_CLOSED = (
    sa.select(cases.c.id)
    .where(
        cases.c.process == sa.bindparam("b_process"),
        sa.or_(
            sa.and_(
                cases.c.received_at >= sa.bindparam("b_start"),
                cases.c.received_at <= sa.bindparam("b_end"),
            ),
            sa.and_(
                cases.c.closed_at > sa.bindparam("b_start"),
                cases.c.closed_at <= sa.bindparam("b_end"),
            ),
        ),
    )
    .order_by(cases.c.id)
)
_LAST_JOB_SLOT = sa.select(sa.func.max(job_runs.c.slot).label("slot")).where(
    job_runs.c.job == sa.bindparam("b_job")
)
_LAST_JOB_SLOTS = sa.select(job_runs.c.job, sa.func.max(job_runs.c.slot).label("slot")).group_by(
    job_runs.c.job
)


def open_case_ids_for_process(
    conn: Connection, process: str, *, states: Sequence[str] | None = None
) -> list[int]:
    """The process's open cases, in id order; only those in `states` when given."""
    if states is None:
        return [row["id"] for row in _fetch(conn, _OPEN_OF_PROCESS, {"b_process": process})]
    if not states:
        return []
    params = {"b_process": process, "b_states": list(states)}
    return [row["id"] for row in _fetch(conn, _OPEN_OF_PROCESS_IN_STATES, params)]


def cases_created_or_closed_between(
    conn: Connection, *, process: str, start: datetime, end: datetime
) -> list[int]:
    params = {"b_process": process, "b_start": start, "b_end": end}
    return [row["id"] for row in _fetch(conn, _CREATED_OR_CLOSED, params)]


def last_job_slot(conn: Connection, job: str) -> datetime | None:
    found: datetime | None = _fetch(conn, _LAST_JOB_SLOT, {"b_job": job})[0]["slot"]
    return found


def last_job_slots(conn: Connection) -> dict[str, datetime]:
    """Every job's last slot, in one query (a tick asks for all of them)."""
    return {row["job"]: row["slot"] for row in _fetch(conn, _LAST_JOB_SLOTS, {})}


def record_job_run(conn: Connection, row: dict[str, Any]) -> bool:
    """Insert the run; False when another instance already ran this slot."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(job_runs)
        .values(**row)
        .on_conflict_do_nothing(index_elements=["job", "slot"])
        .returning(job_runs.c.id)
    )
    return conn.execute(statement).scalar() is not None


def history(conn: Connection, *, case_id: int | None) -> list[dict[str, Any]]:
    """The audit trail in the order it happened (all of it when case_id is None)."""
    query = sa.select(audit).order_by(audit.c.occurred_at, audit.c.id)
    if case_id is not None:
        query = query.where(audit.c.case_id == case_id)
    return [dict(row) for row in conn.execute(query).mappings()]


def messages(conn: Connection, *, case_id: int | None) -> list[dict[str, Any]]:
    query = sa.select(outbox).order_by(outbox.c.id)
    if case_id is not None:
        query = query.where(outbox.c.case_id == case_id)
    return [dict(row) for row in conn.execute(query).mappings()]


def open_deadlines(conn: Connection, *, case_id: int) -> list[dict[str, Any]]:
    query = (
        sa.select(deadlines)
        .where(deadlines.c.case_id == case_id, deadlines.c.closed_at.is_(None))
        .order_by(deadlines.c.due_at)
    )
    return [dict(row) for row in conn.execute(query).mappings()]


def replace_contacts(
    conn: Connection, *, case_id: int, role: str, people: list[dict[str, Any]]
) -> None:
    """All of a case's contacts in one role (several officers, say) replaced at once."""
    _write(conn, _DELETE_CONTACT, {"b_case_id": case_id, "b_role": role})
    rows = [{"case_id": case_id, "role": role, **p} for p in people]
    if rows:  # none: the role is removed
        _write(conn, _INSERT[contacts], rows)


_BREACHED = sa.select(deadlines.c.timescale).where(
    deadlines.c.case_id == sa.bindparam("b_case_id"),
    deadlines.c.kind == "due",
    deadlines.c.status == "fired",
    deadlines.c.closed_at.is_(None),
)


def breached_timescales(conn: Connection, *, case_id: int) -> frozenset[str]:
    """Timescales of the case that fell due and have not been met since."""
    return frozenset(row["timescale"] for row in _fetch(conn, _BREACHED, {"b_case_id": case_id}))


def case_links(conn: Connection, *, case_id: int) -> list[dict[str, Any]]:
    query = (
        sa.select(links)
        .where(sa.or_(links.c.from_case_id == case_id, links.c.to_case_id == case_id))
        .order_by(links.c.id)
    )
    return [dict(row) for row in conn.execute(query).mappings()]


def open_caseload(conn: Connection, *, email: str, roles: Sequence[str]) -> int:
    """How many open cases a person holds in any of these roles."""
    query = (
        sa.select(sa.func.count(sa.distinct(cases.c.id)))
        .select_from(cases.join(contacts, contacts.c.case_id == cases.c.id))
        .where(
            cases.c.closed_at.is_(None),
            sa.func.lower(contacts.c.email) == email.lower(),
            contacts.c.role.in_(roles),
        )
    )
    return int(conn.execute(query).scalar() or 0)


_REMINDED_DUE_AT = (
    sa.select(deadlines.c.due_at)
    .where(
        deadlines.c.case_id == sa.bindparam("b_case_id"),
        deadlines.c.timescale == sa.bindparam("b_timescale"),
        deadlines.c.kind == "due",
        deadlines.c.started_at == sa.bindparam("b_started_at"),
    )
    .order_by(deadlines.c.id.desc())
    .limit(1)
)


def reminded_due_at(conn: Connection, reminder: Mapping[str, Any]) -> datetime:
    """The due instant a reminder row is about: its sibling due row's."""
    params = {
        "b_case_id": reminder["case_id"],
        "b_timescale": reminder["timescale"],
        "b_started_at": reminder["started_at"],
    }
    rows = _fetch(conn, _REMINDED_DUE_AT, params)
    return rows[0]["due_at"] if rows else reminder["due_at"]


def processes_with_cases(conn: Connection) -> list[str]:
    return list(conn.execute(sa.select(cases.c.process).distinct()).scalars())


# -- undo (engine/undo.py) -------------------------------------------------------


def last_deadline_id(conn: Connection, *, case_id: int) -> int:
    """The case's newest deadline row (0 for none): rows after it belong to what follows."""
    query = sa.select(sa.func.max(deadlines.c.id)).where(deadlines.c.case_id == case_id)
    return int(conn.execute(query).scalar() or 0)


def last_change(conn: Connection, *, case_id: int) -> dict[str, Any] | None:
    """The case's newest transition or undo audit row."""
    query = (
        sa.select(audit)
        .where(audit.c.case_id == case_id, audit.c.kind.in_(("transition", "undo")))
        .order_by(audit.c.id.desc())
        .limit(1)
    )
    row = conn.execute(query).mappings().first()
    return dict(row) if row is not None else None


def _keys_match(keys: Sequence[str]) -> Any:
    """Each message's own row and its copies' rows (`<key>:cc1`, ...)."""
    return sa.or_(
        outbox.c.dedupe_key.in_(list(keys)),
        *(outbox.c.dedupe_key.like(f"{key}:cc%") for key in keys),
    )


def messages_by_keys(conn: Connection, keys: Sequence[str]) -> list[dict[str, Any]]:
    if not keys:
        return []
    query = sa.select(outbox).where(_keys_match(keys)).order_by(outbox.c.id)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()  # the delivery job skips locked rows
    return [dict(row) for row in conn.execute(query).mappings()]


def cancel_messages(conn: Connection, *, ids: Sequence[int], reason: str) -> int:
    """Cancel messages not yet sent; how many were still waiting to go."""
    if not ids:
        return 0
    statement = (
        sa.update(outbox)
        .where(outbox.c.id.in_(list(ids)), outbox.c.status.in_(("queued", "needs_review")))
        .values(status="cancelled", last_error=reason)
    )
    return int(conn.execute(statement).rowcount)


def remove_deadlines_after(conn: Connection, *, case_id: int, after_id: int) -> list[int]:
    """Remove the deadline rows an undone event opened (they never should have been)."""
    query = sa.select(deadlines.c.id).where(
        deadlines.c.case_id == case_id, deadlines.c.id > after_id
    )
    ids = list(conn.execute(query).scalars())
    if ids:
        conn.execute(sa.delete(deadlines).where(deadlines.c.id.in_(ids)))
    return ids


def reopen_deadlines(conn: Connection, *, rows: Sequence[Mapping[str, Any]]) -> None:
    """Open again the deadlines an undone event closed, as they were before it."""
    fired = [r["id"] for r in rows if r["fired"]]
    unfired = [r["id"] for r in rows if not r["fired"]]
    if fired:
        conn.execute(sa.update(deadlines).where(deadlines.c.id.in_(fired)).values(closed_at=None))
    if unfired:
        conn.execute(
            sa.update(deadlines)
            .where(deadlines.c.id.in_(unfired))
            .values(status="open", closed_at=None)
        )
