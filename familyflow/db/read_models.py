"""Read models: the searches behind the tracker, My work, the register, messages and
reports. Teams scope what a person sees: `teams=None` is everything (admins);
otherwise a case is visible when its team is one of `teams` or `email` is a contact
on it (compared case-insensitively: one person, whatever the capitals).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from engine.db import is_postgres
from familyflow.db.tables import cases, contacts, deadlines, outbox


def _visible(teams: Sequence[str] | None, email: str | None) -> Any:
    if teams is None:
        return sa.true()
    named = contacts.alias("named")
    on_case = sa.exists().where(
        named.c.case_id == cases.c.id, sa.func.lower(named.c.email) == (email or "").lower()
    )
    return sa.or_(cases.c.team.in_(list(teams)), on_case)


def case_visible(
    conn: Connection, case_id: int, *, teams: Sequence[str] | None, email: str | None
) -> bool | None:
    """None when the case does not exist; otherwise whether this person may see it."""
    query = sa.select(cases.c.id, _visible(teams, email).label("visible")).where(
        cases.c.id == case_id
    )
    row = conn.execute(query).mappings().first()
    return None if row is None else bool(row["visible"])


# Written as constants in the SQL, not bound: the planner can then match the partial
# index ix_deadlines_unmet_due (kind = 'due' AND closed_at IS NULL) even in a generic
# plan, which psycopg's prepared statements come to use.
_DUE: sa.ColumnElement[str] = sa.literal_column("'due'", sa.String)
_OPEN: sa.ColumnElement[str] = sa.literal_column("'open'", sa.String)
_FIRED: sa.ColumnElement[str] = sa.literal_column("'fired'", sa.String)


def _open_due(now: datetime) -> Any:
    return sa.and_(
        deadlines.c.kind == _DUE,
        deadlines.c.closed_at.is_(None),
        deadlines.c.status.in_([_OPEN, _FIRED]),
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
    where: list[Any] = []
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
    if overdue is False:
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
    # PostgreSQL only: SQLite walks the cases' primary key backwards testing each id
    # against the overdue ones faster (12 ms a page at 100,000 cases, against 33).
    only_overdue = overdue is True and teams is None and not where and is_postgres(conn)
    overdue_in = cases.c.id.in_(sa.select(deadlines.c.case_id).where(_open_due(now)))
    if overdue is True and not only_overdue:
        # From the deadlines to their cases (IN), not every case asked in turn (EXISTS):
        # SQLite then looks each overdue case up by its id.
        where.append(overdue_in)
    next_due = (
        sa.select(sa.func.min(deadlines.c.due_at))
        .where(
            deadlines.c.case_id == cases.c.id,
            deadlines.c.kind == _DUE,
            deadlines.c.closed_at.is_(None),
            deadlines.c.status == _OPEN,
        )
        .scalar_subquery()
    )
    details = (
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
    # The page's ids first; its rows, the overdue flag and the next due date are then
    # worked out for those alone (index probes of ix_deadlines_unmet_due). Never a
    # window count(*) OVER (), which carries every matching row through the sort.
    if teams is not None:
        where.insert(0, _visible_from_indexes(conn, teams, email))
    if only_overdue:
        # Every overdue case: their ids straight from the unmet deadlines' index
        # (ix_deadlines_unmet_in_due_order), no case visited until the page's. Going
        # through the cases scanned all of them to match 10,000 of 100,000.
        ids = sa.select(deadlines.c.case_id.label("id")).where(_open_due(now)).distinct()
        matching = ids.cte("matching").prefix_with("MATERIALIZED")
        return _matching_page(conn, matching, details, [overdue_in], limit=limit, offset=offset)
    if not where:
        # Every case: the page walks the primary key backwards and stops; the total is
        # its own count, read from the same index.
        everything = sa.select(cases.c.id).subquery("matching")
        page = _page_of(everything, limit=limit, offset=offset)
        rows = _dicts(conn.execute(_rows_of(page, details)))
        if offset == 0 and len(rows) < limit:
            return rows, len(rows)  # all of it is on this page
        return rows, _count(conn, where)
    # The matching ids gathered once and kept (MATERIALIZED): the page is sorted from
    # them and the total counted from them in the same statement.
    matching = sa.select(cases.c.id).where(*where).cte("matching").prefix_with("MATERIALIZED")
    return _matching_page(conn, matching, details, where, limit=limit, offset=offset)


def _matching_page(
    conn: Connection,
    matching: Any,
    details: Sequence[Any],
    counted: Sequence[Any],
    *,
    limit: int,
    offset: int,
) -> tuple[list[dict[str, Any]], int]:
    """A page of the matching ids, newest first, with their count (`counted`: the same
    cases as conditions on `cases`, to count them when the page is past the end)."""
    total = sa.select(sa.func.count()).select_from(matching).scalar_subquery()
    page = _page_of(matching, limit=limit, offset=offset, total=total)
    rows = _dicts(conn.execute(_rows_of(page, (*details, page.c.total))))
    found = int(rows[0]["total"]) if rows else _count(conn, counted)
    for row in rows:
        del row["total"]
    return rows, found


def _dicts(result: Any) -> list[dict[str, Any]]:
    """The result's rows as dicts (one key list for all: RowMapping builds one a row)."""
    keys = list(result.keys())
    return [dict(zip(keys, row, strict=True)) for row in result]


def _count(conn: Connection, where: Sequence[Any]) -> int:
    return int(
        conn.execute(sa.select(sa.func.count()).select_from(cases).where(*where)).scalar_one()
    )


def _page_of(matching: Any, *, limit: int, offset: int, total: Any = None) -> Any:
    columns = (matching.c.id,) if total is None else (matching.c.id, total.label("total"))
    return (
        sa.select(*columns)
        .order_by(matching.c.id.desc())
        .limit(limit)
        .offset(offset)
        .subquery("page")
    )


def _rows_of(page: Any, columns: Sequence[Any]) -> Any:
    return (
        sa.select(*columns)
        .select_from(page.join(cases, cases.c.id == page.c.id))
        .order_by(cases.c.id.desc())
    )


def _visible_from_indexes(conn: Connection, teams: Sequence[str], email: str | None) -> Any:
    """_visible, written so that each half is read from its own index: the team's
    cases (ix_cases_team) or a case naming the person (ix_contacts_email_lower)."""
    named = sa.select(contacts.c.case_id).where(
        sa.func.lower(contacts.c.email) == (email or "").lower()
    )
    if is_postgres(conn):
        # = ANY(ARRAY(...)): the named cases' ids become a bitmap of the primary key,
        # OR-ed with the team's (a BitmapOr); `id IN (subquery)` inside an OR would be
        # a filter tried on every case.
        on_case = cases.c.id == sa.any_(sa.func.array(named.scalar_subquery()))
    else:
        on_case = cases.c.id.in_(named)
    return sa.or_(cases.c.team.in_(list(teams)), on_case) if teams else on_case


# What a due item shows (the case's unmet timescales; My work's page of them).
DUE_ITEM_COLUMNS = (
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
        sa.select(*DUE_ITEM_COLUMNS)
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


def open_caseloads(
    conn: Connection, *, roles: Sequence[str], emails: Sequence[str] | None = None
) -> dict[str, int]:
    """Open cases per contact email (lower case) in any of these roles; only these
    people's when `emails` is given (a team's, for its picker and report).

    For everyone, the open cases are a semi-join (`case_id IN (open ids)`): the
    database lists the open ids once and reads the contacts past them, rather than
    looking up a case for each of 150k contacts (4 times faster at 100k cases).
    For a few people, a join: their contacts by email, each case looked up (the
    semi-join there would be 100 times slower)."""
    email = sa.func.lower(contacts.c.email)
    query = sa.select(email.label("email"), sa.func.count(sa.distinct(contacts.c.case_id)))
    where = [contacts.c.email.is_not(None), contacts.c.role.in_(list(roles))]
    if emails is None:
        open_ids = sa.select(cases.c.id).where(cases.c.closed_at.is_(None))
        where.append(contacts.c.case_id.in_(open_ids))
    else:  # a few hundred people: their contacts by email, each case looked up
        query = query.select_from(contacts.join(cases, cases.c.id == contacts.c.case_id))
        where += [cases.c.closed_at.is_(None), email.in_(sorted({e.lower() for e in emails}))]
    query = query.where(*where).group_by(email)
    return {str(e): int(n) for e, n in conn.execute(query).all()}


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
        sa.select(*DUE_ITEM_COLUMNS)
        .select_from(deadlines.join(cases, cases.c.id == deadlines.c.case_id))
        .where(*where)
        .order_by(deadlines.c.due_at, deadlines.c.id)
    )
    return [dict(row) for row in conn.execute(query).mappings()]
