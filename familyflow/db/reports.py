"""The reports' SQL: aggregates the database computes, so that a report reads a few
hundred grouped rows however many cases and deadlines there are (issue 10), never
whole tables into Python. Visibility is the tracker's: `teams=None` is everything.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from familyflow.db.tables import audit, cases, deadlines
from familyflow.db.tracker import visible

LONDON_ZONE = "Europe/London"


def _month_and_edge(conn: Connection, moment: Any) -> tuple[Any, Any | None]:
    """'YYYY-MM' of an instant in UTC, and its UTC date when it falls at 23:00 or later
    on the 28th or after (else NULL): only those can be in the next local month.
    (PostgreSQL gives the local month straight away, as its first day, with no edge.)
    SQLite stores instants as 'YYYY-MM-DD HH:MM:SS' text in UTC: slicing it is many
    times cheaper than strftime over hundreds of thousands of rows."""
    if conn.dialect.name == "postgresql":
        # PostgreSQL knows Europe/London: the local month itself, and no edge to move
        # (three times cheaper than four to_char()s of the UTC instant). Grouped by
        # date_trunc, written out by the caller: to_char on each of 190,000 deadlines
        # took 145 ms of the query, date_trunc 105.
        local_month = sa.func.date_trunc("month", sa.func.timezone(LONDON_ZONE, moment))
        return local_month, None
    month, day, hour = (
        sa.func.substr(moment, 1, 7),
        sa.func.substr(moment, 9, 2),
        sa.func.substr(moment, 12, 2),
    )
    date = sa.func.substr(moment, 1, 10)
    edge = sa.case((sa.and_(hour == "23", day >= "28"), date), else_=sa.null())
    return month, edge


def resolved_by_month(
    conn: Connection, *, teams: Sequence[str] | None, email: str | None
) -> list[dict[str, Any]]:
    """Due deadlines met ('met') or missed ('fired') per process, rule, timescale,
    status and UTC month (and `edge` day, see _month_and_edge: the caller moves a
    month's last hour in summer time to the next month, as Europe/London has it)."""
    month, edge = _month_and_edge(conn, deadlines.c.due_at)
    # 'due' written into the SQL so that the planner can use the partial covering
    # index (ix_deadlines_resolved_for_reports) in a generic plan too.
    due = sa.literal_column("'due'", sa.String)
    where = [deadlines.c.kind == due, deadlines.c.status.in_(("met", "fired"))]
    if teams is not None:  # everything, for admins: no join at all
        # A semi-join: the visible cases listed once, the covering index read past
        # them (a join would look up a case for each of 190k deadlines).
        where.append(deadlines.c.case_id.in_(sa.select(cases.c.id).where(visible(teams, email))))
    columns = (deadlines.c.process, deadlines.c.rule, deadlines.c.timescale, deadlines.c.status)
    keys = (*columns, month) if edge is None else (*columns, month, edge)
    query = (
        sa.select(
            *columns,
            month.label("month"),
            (sa.null() if edge is None else edge).label("edge"),
            sa.func.count().label("n"),
        )
        .where(*where)
        .group_by(*keys)
    )
    rows = [dict(r) for r in conn.execute(query).mappings()]
    if edge is None:  # PostgreSQL's local month, as its first day
        for row in rows:
            row["month"] = row["month"].strftime("%Y-%m")
    return rows


def open_received_before(
    conn: Connection,
    *,
    cutoffs: Sequence[datetime],
    teams: Sequence[str] | None,
    email: str | None,
) -> tuple[int, list[int]]:
    """Open cases in all, and how many were received before each cutoff."""
    where = [cases.c.closed_at.is_(None), visible(teams, email)]
    counts = [
        sa.func.coalesce(sa.func.sum(sa.case((cases.c.received_at < cut, 1), else_=0)), 0)
        for cut in cutoffs
    ]
    row = conn.execute(sa.select(sa.func.count(), *counts).where(*where)).one()
    return int(row[0]), [int(n) for n in row[1:]]


def open_ids_received_before(
    conn: Connection,
    *,
    cutoff: datetime,
    teams: Sequence[str] | None,
    email: str | None,
    limit: int | None,
) -> list[int]:
    """The open cases received before the cutoff, longest open first."""
    query = (
        sa.select(cases.c.id)
        .where(cases.c.closed_at.is_(None), cases.c.received_at < cutoff, visible(teams, email))
        .order_by(cases.c.received_at, cases.c.id)
        .limit(limit)
    )
    return [int(i) for i in conn.execute(query).scalars()]


def sessions_by_group(
    conn: Connection, *, teams: Sequence[str] | None, email: str | None
) -> list[dict[str, Any]]:
    """Sessions recorded as attended or missed per group (or venue) and process, leaving
    out any record that was undone."""
    attended = audit.c.detail[("data", "attended")].as_boolean()
    group = sa.func.coalesce(
        sa.func.nullif(cases.c.data["group"].as_string(), ""),
        sa.func.nullif(cases.c.data["venue"].as_string(), ""),
        "no group recorded",
    )
    missed = attended.is_(False) if conn.dialect.name == "postgresql" else attended == 0
    # A record taken back within the undo window (PAR-12) was never a session held.
    undo = audit.alias("undo")
    undone = (
        sa.select(undo.c.id)
        .where(
            undo.c.case_id == audit.c.case_id,
            undo.c.kind == "undo",
            undo.c.detail["undoes"].as_integer() == audit.c.id,
        )
        .exists()
    )
    query = (
        sa.select(
            group.label("group"),
            cases.c.process,
            sa.func.count().label("sessions_recorded"),
            sa.func.sum(sa.case((missed, 1), else_=0)).label("missed"),
            sa.func.count(sa.distinct(sa.case((missed, audit.c.case_id)))).label(
                "families_with_misses"
            ),
        )
        .select_from(audit.join(cases, cases.c.id == audit.c.case_id))
        .where(
            audit.c.trigger == "record_session",
            audit.c.kind == "transition",
            attended.is_not(None),
            ~undone,
            visible(teams, email),
        )
        .group_by(group, cases.c.process)
        .order_by(group, cases.c.process)
    )
    return [
        {**r, "sessions_recorded": int(r["sessions_recorded"]), "missed": int(r["missed"] or 0)}
        for r in conn.execute(query).mappings()
    ]
