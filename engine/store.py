"""Every SQL statement the engine runs, behind one boundary.

Statements are SQLAlchemy Core on the SQLModel tables: the hot paths (events,
deadline firing, outbox) write many rows per transaction and the ORM's unit of
work would cost more than the work itself.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache, lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Dialect

from engine.models import (
    ApiToken,
    AuditEvent,
    Case,
    CaseLink,
    ClosureDay,
    Contact,
    Deadline,
    JobRun,
    OutboxMessage,
    User,
    UTCDateTime,
    WebSession,
)

cases = Case.__table__  # type: ignore[attr-defined]
contacts = Contact.__table__  # type: ignore[attr-defined]
links = CaseLink.__table__  # type: ignore[attr-defined]
deadlines = Deadline.__table__  # type: ignore[attr-defined]
audit = AuditEvent.__table__  # type: ignore[attr-defined]
outbox = OutboxMessage.__table__  # type: ignore[attr-defined]
closure_days = ClosureDay.__table__  # type: ignore[attr-defined]
job_runs = JobRun.__table__  # type: ignore[attr-defined]
users = User.__table__  # type: ignore[attr-defined]
api_tokens = ApiToken.__table__  # type: ignore[attr-defined]
web_sessions = WebSession.__table__  # type: ignore[attr-defined]

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
# SQLAlchemy exceptions. PostgreSQL, a connection not yet in a transaction,
# echo, statement listeners or anything the compiled form cannot express (an
# empty IN list, Python-side defaults) go through Connection.execute.


@dataclass(frozen=True)
class _Plan:
    sql: str
    binds: tuple[tuple[str | None, Any, Any], ...]  # (parameter, constant, bind processor)
    columns: tuple[tuple[str, Any], ...]  # (key, result processor) of the rows returned
    expanding: frozenset[str] = frozenset()  # IN-list parameters, rendered per call

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
            sql = sql.replace(f"__[POSTCOMPILE_{name}]", ", ".join(["?"] * count))
        return sql


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


def _compile(statement: Any, dialect: Dialect, keys: tuple[str, ...]) -> _Plan | None:
    compiled: Any = statement.compile(dialect=dialect, column_keys=list(keys))
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
    if compiled.string.count("POSTCOMPILE") != len(expanding):
        return None
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
        sql=compiled.string, binds=tuple(binds), columns=columns, expanding=frozenset(expanding)
    )


_PLAIN: weakref.WeakKeyDictionary[Connection, bool] = weakref.WeakKeyDictionary()


def _plain(conn: Connection) -> bool:
    """May this connection's statements skip Connection.execute? (Asked once per
    Connection: for the service, once per transaction.)"""
    dialect, dispatch = conn.dialect, conn.dispatch
    return (
        dialect.name == "sqlite"
        and dialect.paramstyle == "qmark"
        and not conn.engine.echo
        and not (
            dispatch.before_execute
            or dispatch.after_execute
            or dispatch.before_cursor_execute
            or dispatch.after_cursor_execute
        )
    )


def _plan(conn: Connection, statement: Any, keys: tuple[str, ...]) -> _Plan | None:
    if not conn.in_transaction():
        return None
    plain = _PLAIN.get(conn)
    if plain is None:
        plain = _PLAIN[conn] = _plain(conn)
    if not plain:
        return None
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


def _run(conn: Connection, sql: str, values: list[tuple[Any, ...]]) -> Any:
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
    columns = plan.columns
    rows = [
        {
            key: value if proc is None else proc(value)
            for (key, proc), value in zip(columns, row, strict=True)
        }
        for row in cursor.fetchall()
    ]
    cursor.close()
    return rows


def _write(
    conn: Connection, statement: Any, params: Mapping[str, Any] | Sequence[Mapping[str, Any]]
) -> int:
    """Run an INSERT, UPDATE or DELETE for one row or many; the rows it touched."""
    rows = [params] if isinstance(params, Mapping) else params
    plan = _plan(conn, statement, tuple(rows[0]))
    if plan is not None and plan.expanding:
        plan = None
    if plan is not None:
        try:
            values = [plan.values(row) for row in rows]
        except Exception:  # a missing value, or one its type refuses: let
            plan = None  # Connection.execute raise it as it does
    if plan is None:
        return int(conn.execute(statement, params).rowcount)
    cursor = _run(conn, plan.sql, values)
    count = int(cursor.rowcount)
    cursor.close()
    return count


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
    updated = _write(
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


def claim_due_deadlines(
    conn: Connection, *, now: datetime, limit: int, only: int | None = None
) -> list[dict[str, Any]]:
    """Due, open deadlines in due order, locked so no other instance takes them."""
    query = (
        sa.select(deadlines)
        .where(deadlines.c.status == "open", deadlines.c.due_at <= now)
        .order_by(deadlines.c.due_at, deadlines.c.id)
        .limit(limit)
    )
    if only is not None:
        query = query.where(deadlines.c.id == only)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return [dict(row) for row in conn.execute(query).mappings()]


def due_deadline_ids(conn: Connection, *, now: datetime, limit: int) -> list[dict[str, Any]]:
    query = (
        sa.select(deadlines.c.id)
        .where(deadlines.c.status == "open", deadlines.c.due_at <= now)
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
    .where(deadlines.c.id == sa.bindparam("b_id"), deadlines.c.status == "open")
    .values(status="fired", fired_at=sa.bindparam("b_fired_at"), late=sa.bindparam("b_late"))
)


def mark_fired(conn: Connection, rows: list[dict[str, Any]]) -> None:
    if rows:
        _write(conn, _MARK_FIRED, rows)


def next_due(conn: Connection) -> datetime | None:
    query = sa.select(sa.func.min(deadlines.c.due_at)).where(deadlines.c.status == "open")
    return conn.execute(query).scalar()


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


def open_case_ids_for_process(conn: Connection, process: str) -> list[int]:
    query = sa.select(cases.c.id).where(cases.c.process == process, cases.c.closed_at.is_(None))
    return list(conn.execute(query).scalars())


def cases_created_or_closed_between(
    conn: Connection, *, process: str, start: datetime, end: datetime
) -> list[int]:
    query = sa.select(cases.c.id).where(
        cases.c.process == process,
        sa.or_(
            sa.and_(cases.c.received_at >= start, cases.c.received_at <= end),
            sa.and_(cases.c.closed_at > start, cases.c.closed_at <= end),
        ),
    )
    return list(conn.execute(query).scalars())


def last_job_slot(conn: Connection, job: str) -> datetime | None:
    query = sa.select(sa.func.max(job_runs.c.slot)).where(job_runs.c.job == job)
    return conn.execute(query).scalar()


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


_USER_ROLE = sa.select(users.c.role).where(users.c.email == sa.bindparam("b_email"))


def user_role(conn: Connection, email: str) -> str | None:
    rows = _fetch(conn, _USER_ROLE, {"b_email": email})
    return rows[0]["role"] if rows else None


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


def breached_timescales(conn: Connection, *, case_id: int) -> frozenset[str]:
    """Timescales of the case that fell due and have not been met since."""
    query = sa.select(deadlines.c.timescale).where(
        deadlines.c.case_id == case_id,
        deadlines.c.kind == "due",
        deadlines.c.status == "fired",
        deadlines.c.closed_at.is_(None),
    )
    return frozenset(conn.execute(query).scalars())


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
        .where(cases.c.closed_at.is_(None), contacts.c.email == email, contacts.c.role.in_(roles))
    )
    return int(conn.execute(query).scalar() or 0)


def user_part_time(conn: Connection, email: str) -> bool:
    query = sa.select(users.c.part_time).where(users.c.email == email)
    return bool(conn.execute(query).scalar())


# -- the web service: people, sign-in, tokens, searches and reports -------------
#
# Teams scope what a person sees: `teams=None` is everything (admins); otherwise
# a case is visible when its team is one of `teams` or `email` is a contact on it.

USER_COLUMNS = (
    users.c.id,
    users.c.email,
    users.c.name,
    users.c.role,
    users.c.team,
    users.c.part_time,
    users.c.manager_email,
    users.c.active,
)


def _visible(teams: Sequence[str] | None, email: str | None) -> Any:
    if teams is None:
        return sa.true()
    named = contacts.alias("named")
    on_case = sa.exists().where(named.c.case_id == cases.c.id, named.c.email == email)
    return sa.or_(cases.c.team.in_(list(teams)), on_case)


def user_by_email(conn: Connection, email: str) -> dict[str, Any] | None:
    row = conn.execute(sa.select(users).where(users.c.email == email)).mappings().first()
    return dict(row) if row else None


def user_by_id(conn: Connection, user_id: int) -> dict[str, Any] | None:
    row = conn.execute(sa.select(users).where(users.c.id == user_id)).mappings().first()
    return dict(row) if row else None


def list_users(
    conn: Connection, *, team: str | None = None, role: str | None = None
) -> list[dict[str, Any]]:
    query = sa.select(*USER_COLUMNS).order_by(users.c.email)
    if team is not None:
        query = query.where(users.c.team == team)
    if role is not None:
        query = query.where(users.c.role == role)
    return [dict(row) for row in conn.execute(query).mappings()]


def insert_user(conn: Connection, row: Mapping[str, Any]) -> int:
    return int(conn.execute(sa.insert(users).values(**row).returning(users.c.id)).scalar_one())


def update_user(conn: Connection, user_id: int, values: Mapping[str, Any]) -> None:
    conn.execute(sa.update(users).where(users.c.id == user_id).values(**values))


def managed_teams(conn: Connection, email: str) -> list[str]:
    """The teams of the people who report to this manager."""
    query = (
        sa.select(users.c.team)
        .distinct()
        .where(users.c.manager_email == email, users.c.team.is_not(None))
    )
    return [t for t in conn.execute(query).scalars() if t]


def count_failed_sign_in(conn: Connection, user_id: int) -> int:
    """One more failed sign-in; the count so far."""
    statement = (
        sa.update(users)
        .where(users.c.id == user_id)
        .values(failed_logins=users.c.failed_logins + 1)
        .returning(users.c.failed_logins)
    )
    return int(conn.execute(statement).scalar_one())


def insert_api_token(conn: Connection, row: Mapping[str, Any]) -> int:
    statement = sa.insert(api_tokens).values(**row).returning(api_tokens.c.id)
    return int(conn.execute(statement).scalar_one())


def api_token_owner(conn: Connection, token_hash: str) -> dict[str, Any] | None:
    """The live token with this hash and its owner (as `user_id`, `email`, `role`, ...)."""
    query = (
        sa.select(api_tokens.c.id.label("token_id"), users)
        .select_from(api_tokens.join(users, users.c.id == api_tokens.c.user_id))
        .where(api_tokens.c.token_hash == token_hash, api_tokens.c.revoked_at.is_(None))
    )
    row = conn.execute(query).mappings().first()
    return dict(row) if row else None


def touch_api_token(conn: Connection, token_id: int, at: datetime) -> None:
    conn.execute(sa.update(api_tokens).where(api_tokens.c.id == token_id).values(last_used_at=at))


def list_api_tokens(conn: Connection, *, user_id: int | None) -> list[dict[str, Any]]:
    query = (
        sa.select(
            api_tokens.c.id,
            api_tokens.c.name,
            api_tokens.c.created_at,
            api_tokens.c.last_used_at,
            api_tokens.c.revoked_at,
            users.c.email,
        )
        .select_from(api_tokens.join(users, users.c.id == api_tokens.c.user_id))
        .order_by(api_tokens.c.id)
    )
    if user_id is not None:
        query = query.where(api_tokens.c.user_id == user_id)
    return [dict(row) for row in conn.execute(query).mappings()]


def api_token(conn: Connection, token_id: int) -> dict[str, Any] | None:
    row = conn.execute(sa.select(api_tokens).where(api_tokens.c.id == token_id)).mappings().first()
    return dict(row) if row else None


def revoke_api_token(conn: Connection, token_id: int, at: datetime) -> bool:
    statement = (
        sa.update(api_tokens)
        .where(api_tokens.c.id == token_id, api_tokens.c.revoked_at.is_(None))
        .values(revoked_at=at)
    )
    return conn.execute(statement).rowcount == 1


def insert_web_session(conn: Connection, row: Mapping[str, Any]) -> None:
    conn.execute(sa.insert(web_sessions).values(**row))


def web_session_user(conn: Connection, token_hash: str, *, now: datetime) -> dict[str, Any] | None:
    """The live session with this hash and its user."""
    query = (
        sa.select(web_sessions.c.id.label("session_id"), users)
        .select_from(web_sessions.join(users, users.c.id == web_sessions.c.user_id))
        .where(
            web_sessions.c.token_hash == token_hash,
            web_sessions.c.revoked_at.is_(None),
            web_sessions.c.expires_at > now,
        )
    )
    row = conn.execute(query).mappings().first()
    return dict(row) if row else None


def revoke_web_sessions(
    conn: Connection, *, at: datetime, token_hash: str | None = None, user_id: int | None = None
) -> int:
    statement = sa.update(web_sessions).where(web_sessions.c.revoked_at.is_(None))
    if token_hash is not None:
        statement = statement.where(web_sessions.c.token_hash == token_hash)
    if user_id is not None:
        statement = statement.where(web_sessions.c.user_id == user_id)
    return int(conn.execute(statement.values(revoked_at=at)).rowcount)


def record(conn: Connection, row: Mapping[str, Any]) -> None:
    """One audit record (a read, an administrative change, a delivery receipt)."""
    conn.execute(sa.insert(audit).values(**row))


def case_visible(
    conn: Connection, case_id: int, *, teams: Sequence[str] | None, email: str | None
) -> bool | None:
    """None when the case does not exist; otherwise whether this person may see it."""
    query = sa.select(cases.c.id, _visible(teams, email).label("visible")).where(
        cases.c.id == case_id
    )
    row = conn.execute(query).mappings().first()
    return None if row is None else bool(row["visible"])


def _open_due(now: datetime) -> Any:
    return sa.and_(
        deadlines.c.kind == "due",
        deadlines.c.closed_at.is_(None),
        deadlines.c.status.in_(("open", "fired")),
        deadlines.c.due_at <= now,
    )


def search_cases(
    conn: Connection,
    *,
    now: datetime,
    teams: Sequence[str] | None,
    email: str | None,
    processes: Sequence[str] | None = None,
    state: str | None = None,
    team: str | None = None,
    worker: str | None = None,
    overdue: bool | None = None,
    due_within: datetime | None = None,
    id_like: str | None = None,
    open_only: bool | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], int]:
    """Cases matching every filter given, newest first, and how many match in all."""
    where = [_visible(teams, email)]
    if processes is not None:
        where.append(cases.c.process.in_(list(processes)))
    if state is not None:
        where.append(cases.c.state == state)
    if team is not None:
        where.append(cases.c.team == team)
    if worker is not None:
        where.append(
            sa.exists().where(
                contacts.c.case_id == cases.c.id, sa.func.lower(contacts.c.email) == worker.lower()
            )
        )
    overdue_exists = sa.exists().where(deadlines.c.case_id == cases.c.id, _open_due(now))
    if overdue is True:
        where.append(overdue_exists)
    elif overdue is False:
        where.append(~overdue_exists)
    if due_within is not None:
        where.append(
            sa.exists().where(
                deadlines.c.case_id == cases.c.id,
                deadlines.c.kind == "due",
                deadlines.c.status == "open",
                deadlines.c.due_at > now,
                deadlines.c.due_at <= due_within,
            )
        )
    if id_like is not None:
        where.append(sa.cast(cases.c.id, sa.String).like(f"%{id_like}%"))
    if open_only is True:
        where.append(cases.c.closed_at.is_(None))
    elif open_only is False:
        where.append(cases.c.closed_at.is_not(None))
    total = int(
        conn.execute(sa.select(sa.func.count()).select_from(cases).where(*where)).scalar_one()
    )
    next_due = (
        sa.select(sa.func.min(deadlines.c.due_at))
        .where(
            deadlines.c.case_id == cases.c.id,
            deadlines.c.kind == "due",
            deadlines.c.closed_at.is_(None),
            deadlines.c.status == "open",
        )
        .scalar_subquery()
    )
    query = (
        sa.select(
            cases.c.id,
            cases.c.process,
            cases.c.state,
            cases.c.team,
            cases.c.version,
            cases.c.received_at,
            cases.c.closed_at,
            overdue_exists.label("overdue"),
            next_due.label("next_due_at"),
        )
        .where(*where)
        .order_by(cases.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [dict(row) for row in conn.execute(query).mappings()], total


def deadlines_across_cases(
    conn: Connection,
    *,
    now: datetime,
    teams: Sequence[str] | None,
    email: str | None,
    until: datetime | None,
    overdue_only: bool = False,
    process: str | None = None,
    limit: int = 500,
) -> list[dict[str, Any]]:
    """Unmet due deadlines, overdue first then by due instant."""
    where = [
        deadlines.c.kind == "due",
        deadlines.c.closed_at.is_(None),
        deadlines.c.status.in_(("open", "fired")),
        _visible(teams, email),
    ]
    if overdue_only:
        where.append(deadlines.c.due_at <= now)
    elif until is not None:
        where.append(deadlines.c.due_at <= until)
    if process is not None:
        where.append(deadlines.c.process == process)
    query = (
        sa.select(
            deadlines.c.id,
            deadlines.c.case_id,
            deadlines.c.process,
            deadlines.c.timescale,
            deadlines.c.rule,
            deadlines.c.status,
            deadlines.c.due_at,
            cases.c.team,
            cases.c.state,
        )
        .select_from(deadlines.join(cases, cases.c.id == deadlines.c.case_id))
        .where(*where)
        .order_by(deadlines.c.due_at, deadlines.c.id)
        .limit(limit)
    )
    return [dict(row) for row in conn.execute(query).mappings()]


def search_messages(
    conn: Connection,
    *,
    teams: Sequence[str] | None,
    email: str | None,
    status: str | None = None,
    case_id: int | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Messages newest first; those about no case (agendas) only when teams is None."""
    query = sa.select(outbox).select_from(outbox.outerjoin(cases, cases.c.id == outbox.c.case_id))
    if teams is not None:
        query = query.where(outbox.c.case_id.is_not(None), _visible(teams, email))
    if status is not None:
        query = query.where(outbox.c.status == status)
    if case_id is not None:
        query = query.where(outbox.c.case_id == case_id)
    query = query.order_by(outbox.c.id.desc()).limit(limit).offset(offset)
    return [dict(row) for row in conn.execute(query).mappings()]


def failed_messages(
    conn: Connection, *, teams: Sequence[str] | None, email: str | None, limit: int = 100
) -> list[dict[str, Any]]:
    """Messages that will not arrive unless someone acts, newest first (My work)."""
    query = (
        sa.select(outbox)
        .select_from(outbox.outerjoin(cases, cases.c.id == outbox.c.case_id))
        .where(outbox.c.status == "failed")
        .order_by(outbox.c.id.desc())
        .limit(limit)
    )
    if teams is not None:
        query = query.where(outbox.c.case_id.is_not(None), _visible(teams, email))
    return [dict(row) for row in conn.execute(query).mappings()]


def message(conn: Connection, message_id: int) -> dict[str, Any] | None:
    row = conn.execute(sa.select(outbox).where(outbox.c.id == message_id)).mappings().first()
    return dict(row) if row else None


def retry_message(conn: Connection, message_id: int, *, now: datetime) -> bool:
    """Queue a failed message again, with a fresh set of attempts."""
    statement = (
        sa.update(outbox)
        .where(outbox.c.id == message_id, outbox.c.status == "failed")
        .values(
            status="queued",
            attempts=0,
            next_attempt_at=now,
            claimed_until=None,
            claim_token=None,
            delivery_status=None,
        )
    )
    return conn.execute(statement).rowcount == 1


def message_by_provider_ref(conn: Connection, provider_ref: str) -> dict[str, Any] | None:
    query = sa.select(outbox).where(outbox.c.provider_ref == provider_ref).order_by(outbox.c.id)
    row = conn.execute(query).mappings().first()
    return dict(row) if row else None


def record_delivery(
    conn: Connection,
    message_id: int,
    *,
    status: str,
    delivery_status: str,
    error: str | None,
    provider_ref: str | None = None,
) -> None:
    values: dict[str, Any] = {"status": status, "delivery_status": delivery_status}
    if error is not None:
        values["last_error"] = error
    if provider_ref is not None:
        values["provider_ref"] = provider_ref
    conn.execute(sa.update(outbox).where(outbox.c.id == message_id).values(**values))


def flag_contacts(conn: Connection, *, case_id: int, address: str, reason: str) -> int:
    """Mark the case's contacts with this email or mobile as undeliverable."""
    statement = (
        sa.update(contacts)
        .where(
            contacts.c.case_id == case_id,
            sa.or_(contacts.c.email == address, contacts.c.mobile == address),
        )
        .values(flagged=reason)
    )
    return int(conn.execute(statement).rowcount)


def flagged_contacts(
    conn: Connection, *, teams: Sequence[str] | None, email: str | None
) -> list[dict[str, Any]]:
    query = (
        sa.select(
            contacts.c.id,
            contacts.c.case_id,
            contacts.c.role,
            contacts.c.name,
            contacts.c.email,
            contacts.c.mobile,
            contacts.c.flagged,
            cases.c.process,
        )
        .select_from(contacts.join(cases, cases.c.id == contacts.c.case_id))
        .where(contacts.c.flagged.is_not(None), _visible(teams, email))
        .order_by(contacts.c.case_id, contacts.c.id)
    )
    return [dict(row) for row in conn.execute(query).mappings()]


def closure_day_rows(conn: Connection) -> list[dict[str, Any]]:
    query = sa.select(closure_days).order_by(closure_days.c.day)
    return [dict(row) for row in conn.execute(query).mappings()]


def add_closure_day(conn: Connection, *, day: date, description: str) -> bool:
    """False when the day is already a closure day."""
    if conn.execute(sa.select(closure_days.c.day).where(closure_days.c.day == day)).first():
        return False
    conn.execute(sa.insert(closure_days).values(day=day, description=description))
    return True


def remove_closure_day(conn: Connection, *, day: date) -> bool:
    return conn.execute(sa.delete(closure_days).where(closure_days.c.day == day)).rowcount == 1


def audit_trail(
    conn: Connection,
    *,
    case_id: int | None = None,
    kind: str | None = None,
    actor: str | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Every audit record, reads included, newest first."""
    query = sa.select(audit).order_by(audit.c.id.desc()).limit(limit).offset(offset)
    if case_id is not None:
        query = query.where(audit.c.case_id == case_id)
    if kind is not None:
        query = query.where(audit.c.kind == kind)
    if actor is not None:
        query = query.where(audit.c.actor == actor)
    return [dict(row) for row in conn.execute(query).mappings()]


def resolved_deadlines(
    conn: Connection, *, teams: Sequence[str] | None, email: str | None
) -> list[dict[str, Any]]:
    """Due deadlines that were met in time ('met') or fell due first ('fired')."""
    query = (
        sa.select(
            deadlines.c.process,
            deadlines.c.timescale,
            deadlines.c.rule,
            deadlines.c.status,
            deadlines.c.due_at,
        )
        .select_from(deadlines.join(cases, cases.c.id == deadlines.c.case_id))
        .where(
            deadlines.c.kind == "due",
            deadlines.c.status.in_(("met", "fired")),
            _visible(teams, email),
        )
    )
    return [dict(row) for row in conn.execute(query).mappings()]


def open_cases_received(
    conn: Connection, *, teams: Sequence[str] | None, email: str | None
) -> list[dict[str, Any]]:
    query = (
        sa.select(cases.c.id, cases.c.process, cases.c.team, cases.c.received_at)
        .where(cases.c.closed_at.is_(None), _visible(teams, email))
        .order_by(cases.c.received_at)
    )
    return [dict(row) for row in conn.execute(query).mappings()]


def open_caseloads(conn: Connection, *, roles: Sequence[str]) -> dict[str, int]:
    """Open cases per contact email (lower case) in any of these roles."""
    query = (
        sa.select(
            sa.func.lower(contacts.c.email).label("email"),
            sa.func.count(sa.distinct(cases.c.id)).label("open_cases"),
        )
        .select_from(cases.join(contacts, contacts.c.case_id == cases.c.id))
        .where(
            cases.c.closed_at.is_(None),
            contacts.c.email.is_not(None),
            contacts.c.role.in_(list(roles)),
        )
        .group_by(sa.func.lower(contacts.c.email))
    )
    return {row["email"]: int(row["open_cases"]) for row in conn.execute(query).mappings()}


def recorded_sessions(
    conn: Connection, *, teams: Sequence[str] | None, email: str | None
) -> list[dict[str, Any]]:
    """Every session recorded as attended or missed, with its case's data."""
    query = (
        sa.select(audit.c.case_id, audit.c.detail, cases.c.process, cases.c.team, cases.c.data)
        .select_from(audit.join(cases, cases.c.id == audit.c.case_id))
        .where(
            audit.c.kind == "transition",
            audit.c.trigger == "record_session",
            _visible(teams, email),
        )
        .order_by(audit.c.id)
    )
    return [dict(row) for row in conn.execute(query).mappings()]


# -- the web pages: work lists --------------------------------------------------


def unmet_deadlines(
    conn: Connection,
    *,
    case_ids: Sequence[int] | None = None,
    contact_email: str | None = None,
    teams: Sequence[str] | None = None,
) -> list[dict[str, Any]]:
    """Due deadlines not met yet (open, or fired and still unmet) on open cases, with
    when each started, in due order: of these cases, or (given contact_email or teams)
    of the cases where that email is a contact or whose team is one of those teams."""
    where = [
        deadlines.c.kind == "due",
        deadlines.c.closed_at.is_(None),
        deadlines.c.status.in_(("open", "fired")),
        cases.c.closed_at.is_(None),
    ]
    if case_ids is not None:
        where.append(deadlines.c.case_id.in_(list(case_ids)))
    if contact_email is not None or teams is not None:
        named = contacts.alias("named")
        mine = []
        if contact_email is not None:
            mine.append(
                sa.exists().where(
                    named.c.case_id == cases.c.id,
                    sa.func.lower(named.c.email) == contact_email.lower(),
                )
            )
        if teams:
            mine.append(cases.c.team.in_(list(teams)))
        where.append(sa.or_(*mine) if mine else sa.false())
    query = (
        sa.select(
            deadlines.c.id,
            deadlines.c.case_id,
            deadlines.c.process,
            deadlines.c.timescale,
            deadlines.c.rule,
            deadlines.c.status,
            deadlines.c.due_at,
            deadlines.c.started_at,
            cases.c.state,
            cases.c.team,
        )
        .select_from(deadlines.join(cases, cases.c.id == deadlines.c.case_id))
        .where(*where)
        .order_by(deadlines.c.due_at, deadlines.c.id)
    )
    return [dict(row) for row in conn.execute(query).mappings()]


def reminded_due_at(conn: Connection, reminder: Mapping[str, Any]) -> datetime:
    """The due instant a reminder row is about: its sibling due row's."""
    query = (
        sa.select(deadlines.c.due_at)
        .where(
            deadlines.c.case_id == reminder["case_id"],
            deadlines.c.timescale == reminder["timescale"],
            deadlines.c.kind == "due",
            deadlines.c.started_at == reminder["started_at"],
        )
        .order_by(deadlines.c.id.desc())
        .limit(1)
    )
    found: datetime | None = conn.execute(query).scalar()
    return found if found is not None else reminder["due_at"]


def processes_with_cases(conn: Connection) -> list[str]:
    return list(conn.execute(sa.select(cases.c.process).distinct()).scalars())
