"""The tracker's SQL: one process's cases with their family member, worker, social
worker and next deadline, filtered, sorted and paged by the database (issue 10),
and the open cases per stage. Nothing here loads every case into Python: a page
is one query of at most `limit` rows plus a count, whatever the caseload.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from familyflow.db.read_models import _open_due
from familyflow.db.tables import cases, contacts, deadlines

Sort = Literal["reference", "person", "stage", "received", "due"]
FAMILY_ROLES = ("parent", "child", "young_person", "carer")  # who a case is about, in order


@dataclass(frozen=True, kw_only=True)
class Wanted:
    """What the tracker shows: one process, the filters, the order."""

    process: str
    code: str  # the reference's prefix: PAR in PAR-000123
    states: Sequence[str]  # the process's states in order (the stage sort)
    state: str | None = None
    team: str | None = None
    overdue: bool | None = None
    open_only: bool | None = True
    q: str | None = None
    sort: Sort = "reference"
    descending: bool = False


def visible(teams: Sequence[str] | None, email: str | None) -> Any:
    """Cases of these teams or naming this email (read_models' rule), written so the
    database finds the named cases once (one IN list) instead of once per case: at
    100,000 cases the per-case EXISTS made a team manager's tracker take seconds."""
    if teams is None:
        return sa.true()
    named = sa.select(contacts.c.case_id).where(
        sa.func.lower(contacts.c.email) == (email or "").lower()
    )
    return sa.or_(cases.c.team.in_(list(teams)), cases.c.id.in_(named))


def _named(role_order: Sequence[str]) -> Any:
    """The name of the case's first contact in these roles (in this order), or ''."""
    c = contacts.alias()
    rank = sa.case({role: i for i, role in enumerate(role_order)}, value=c.c.role)
    return sa.func.coalesce(
        sa.select(c.c.name)
        .where(c.c.case_id == cases.c.id, c.c.role.in_(list(role_order)), c.c.name != "")
        .order_by(rank, c.c.id)
        .limit(1)
        .correlate(cases)
        .scalar_subquery(),
        "",
    )


def _reference(conn: Connection, code: str) -> Any:
    """PAR-000123 in lower case, as SQL (each dialect pads numbers its own way)."""
    if conn.dialect.name == "postgresql":
        digits = sa.func.lpad(sa.cast(cases.c.id, sa.String), 6, "0")
    else:
        digits = sa.func.printf("%06d", cases.c.id)
    return sa.literal(f"{code.lower()}-") + digits


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _where(
    conn: Connection,
    wanted: Wanted,
    *,
    now: datetime,
    teams: Sequence[str] | None,
    email: str | None,
    person: Any,
) -> list[Any]:
    where = [cases.c.process == wanted.process, visible(teams, email)]
    if wanted.state is not None:
        where.append(cases.c.state == wanted.state)
    if wanted.team is not None:
        where.append(cases.c.team == wanted.team)
    overdue = sa.exists().where(deadlines.c.case_id == cases.c.id, _open_due(now))
    if wanted.overdue is True:
        where.append(overdue)
    elif wanted.overdue is False:
        where.append(~overdue)
    if wanted.open_only is True:
        where.append(cases.c.closed_at.is_(None))
    elif wanted.open_only is False:
        where.append(cases.c.closed_at.is_not(None))
    if wanted.q:
        needle = f"%{_escape(wanted.q.lower())}%"
        where.append(
            sa.or_(
                _reference(conn, wanted.code).like(needle, escape="\\"),
                sa.func.lower(person).like(needle, escape="\\"),
            )
        )
    return where


def _select(
    conn: Connection,
    wanted: Wanted,
    *,
    now: datetime,
    teams: Sequence[str] | None,
    email: str | None,
) -> tuple[Any, list[Any]]:
    """The rows' query (unordered, unpaged) and its WHERE clauses."""
    person = _named(FAMILY_ROLES)
    d = deadlines.alias("first_due")
    # The case's first unmet due deadline (open, or fired and not yet met).
    first_due = (
        sa.select(deadlines.c.id)
        .where(
            deadlines.c.case_id == cases.c.id,
            deadlines.c.kind == "due",
            deadlines.c.closed_at.is_(None),
            deadlines.c.status.in_(("open", "fired")),
        )
        .order_by(deadlines.c.due_at, deadlines.c.id)
        .limit(1)
        .correlate(cases)
        .scalar_subquery()
    )
    where = _where(conn, wanted, now=now, teams=teams, email=email, person=person)
    query = (
        sa.select(
            cases.c.id,
            cases.c.state,
            cases.c.team,
            cases.c.version,
            cases.c.received_at,
            cases.c.closed_at,
            person.label("person"),
            _named(("worker",)).label("worker"),
            _named(("social_worker",)).label("social_worker"),
            d.c.timescale,
            d.c.rule,
            d.c.started_at,
            d.c.due_at,
        )
        .select_from(cases.outerjoin(d, d.c.id == first_due))
        .where(*where)
    )
    return query, where


def _order(query: Any, wanted: Wanted) -> Any:
    cols = query.selected_columns
    stage = sa.case({s: i for i, s in enumerate(wanted.states)}, value=cols.state, else_=99)
    by: dict[str, list[Any]] = {
        "reference": [],
        "person": [sa.func.lower(cols.person)],
        "stage": [stage],
        "received": [cols.received_at],
        "due": [
            sa.case((cols.due_at.is_(None), 1), else_=0),
            sa.func.coalesce(cols.due_at, cols.received_at),
        ],
    }
    keys = [*by[wanted.sort], cols.id]
    return query.order_by(*(k.desc() if wanted.descending else k.asc() for k in keys))


def page(
    conn: Connection,
    wanted: Wanted,
    *,
    now: datetime,
    teams: Sequence[str] | None,
    email: str | None,
    limit: int,
    offset: int,
) -> tuple[list[dict[str, Any]], int]:
    """One page of rows in order, and how many rows match in all."""
    query, where = _select(conn, wanted, now=now, teams=teams, email=email)
    total = int(
        conn.execute(sa.select(sa.func.count()).select_from(cases).where(*where)).scalar_one()
    )
    ordered = _order(query, wanted).limit(limit).offset(offset)
    return [dict(r) for r in conn.execute(ordered).mappings()], total


def ordered_ids(
    conn: Connection,
    wanted: Wanted,
    *,
    now: datetime,
    teams: Sequence[str] | None,
    email: str | None,
) -> list[int]:
    """Every matching case's id, in the rows' order: what an export lists (and audits)."""
    query, _ = _select(conn, wanted, now=now, teams=teams, email=email)
    ordered = _order(query, wanted).with_only_columns(cases.c.id)
    return [int(i) for i in conn.execute(ordered).scalars()]


def rows_of(
    conn: Connection,
    wanted: Wanted,
    ids: Sequence[int],
    *,
    now: datetime,
    teams: Sequence[str] | None,
    email: str | None,
) -> list[dict[str, Any]]:
    """These cases' rows, in the order of `ids` (a batch of an export). A case that has
    stopped matching since (moved out of the filter or out of sight) is left out."""
    query, _ = _select(conn, wanted, now=now, teams=teams, email=email)
    found = {
        int(row["id"]): dict(row)
        for row in conn.execute(query.where(cases.c.id.in_(list(ids)))).mappings()
    }
    return [found[i] for i in ids if i in found]


def stage_counts(
    conn: Connection, *, process: str, teams: Sequence[str] | None, email: str | None
) -> dict[str, int]:
    """Open cases per state that this person may see (every one, not a page's)."""
    query = (
        sa.select(cases.c.state, sa.func.count())
        .where(cases.c.process == process, cases.c.closed_at.is_(None), visible(teams, email))
        .group_by(cases.c.state)
    )
    return {state: int(n) for state, n in conn.execute(query)}


def teams_with_cases(
    conn: Connection, *, process: str, teams: Sequence[str] | None, email: str | None
) -> list[str]:
    query = (
        sa.select(cases.c.team)
        .where(cases.c.process == process, cases.c.team.is_not(None), visible(teams, email))
        .distinct()
        .order_by(cases.c.team)
    )
    return [str(t) for t in conn.execute(query).scalars()]
