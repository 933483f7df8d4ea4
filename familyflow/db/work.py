"""SQL for the pages people work from: My work (paginated, limited in SQL, so it
stays fast with 100k cases) and what the register may still undo."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from familyflow.db.read_models import DUE_ITEM_COLUMNS
from familyflow.db.tables import audit, cases, contacts, deadlines


def recent_changes(
    conn: Connection, *, case_ids: Sequence[int], since: datetime
) -> dict[int, dict[str, Any]]:
    """Each case's newest transition or undo recorded since `since` (the undo window)."""
    if not case_ids:
        return {}
    query = (
        sa.select(
            audit.c.id,
            audit.c.case_id,
            audit.c.kind,
            audit.c.trigger,
            audit.c.recorded_at,
            audit.c.detail,
        )
        .where(
            audit.c.case_id.in_(list(case_ids)),
            audit.c.kind.in_(("transition", "undo")),
            audit.c.recorded_at >= since,
        )
        .order_by(audit.c.id)
    )
    latest: dict[int, dict[str, Any]] = {}
    for row in conn.execute(query).mappings():
        latest[row["case_id"]] = dict(row)
    return latest


# -- My work -----------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Scope:
    """Whose cases: those naming `email` as a contact, or of `teams`; or every case."""

    email: str | None = None
    teams: tuple[str, ...] = ()
    everything: bool = False


def _mine(scope: Scope, case_id: Any) -> Any:
    """In scope: one IN over the person's cases (named on, or of their teams), so the
    database goes from those cases by index rather than through every deadline."""
    if scope.everything:
        return sa.true()
    sets = []
    if scope.email:
        sets.append(
            sa.select(contacts.c.case_id).where(
                sa.func.lower(contacts.c.email) == scope.email.lower()
            )
        )
    if scope.teams:
        team = cases.alias("team_cases")
        sets.append(
            sa.select(team.c.id).where(
                team.c.team.in_(list(scope.teams)), team.c.closed_at.is_(None)
            )
        )
    if not sets:
        return sa.false()
    return case_id.in_(sets[0] if len(sets) == 1 else sa.union(*sets))


def _pairs(column: Any, key: Any, wanted: Mapping[str, Sequence[str] | None] | None) -> Any:
    """(process, key) pairs: timescales per process, or states per process; a process
    mapped to None has every key (no IN list to test on each row)."""
    if wanted is None:
        return sa.true()
    parts = [
        column == p if keys is None else sa.and_(column == p, key.in_(list(keys)))
        for p, keys in wanted.items()
        if keys is None or keys
    ]
    return sa.or_(*parts) if parts else sa.false()


def _unmet_due(
    scope: Scope,
    timescales: Mapping[str, Sequence[str] | None] | None,
    *,
    counting: bool = False,
) -> list[Any]:
    return [
        deadlines.c.kind == "due",
        deadlines.c.closed_at.is_(None),
        deadlines.c.status.in_(("open", "fired")),
        cases.c.closed_at.is_(None),
        _mine(scope, deadlines.c.case_id),
        _pairs(deadlines.c.process, deadlines.c.timescale, timescales),
    ]


def _capped_count(conn: Connection, query: sa.Select[Any], cap: int) -> int:
    """How many rows, counting no further than `cap` + 1 (a page says "more than")."""
    limited = query.limit(cap + 1).subquery()
    return int(conn.execute(sa.select(sa.func.count()).select_from(limited)).scalar_one())


_JOINED = deadlines.join(cases, cases.c.id == deadlines.c.case_id)


def due_items(
    conn: Connection,
    *,
    scope: Scope,
    timescales: Mapping[str, Sequence[str] | None] | None,
    limit: int,
    offset: int,
) -> list[dict[str, Any]]:
    """A page of unmet due deadlines on open cases in scope, in due order: of every
    timescale, or (`timescales`, by process) of those the person can act on."""
    query = (
        sa.select(*DUE_ITEM_COLUMNS)
        .select_from(_JOINED)
        .where(*_unmet_due(scope, timescales))
        .order_by(deadlines.c.due_at, deadlines.c.id)
        .limit(limit)
        .offset(offset)
    )
    return [dict(row) for row in conn.execute(query).mappings()]


def count_due_items(
    conn: Connection,
    *,
    scope: Scope,
    timescales: Mapping[str, Sequence[str] | None] | None,
    cap: int,
    overdue_at: datetime | None = None,
) -> int:
    """How many items there are (or, given `overdue_at`, are overdue then), up to `cap` + 1."""
    where = _unmet_due(scope, timescales, counting=True)
    if overdue_at is not None:
        where.append(deadlines.c.due_at <= overdue_at)
    query = sa.select(deadlines.c.id).select_from(_JOINED).where(*where)
    return _capped_count(conn, query, cap)


def _waiting(scope: Scope, states: Mapping[str, Sequence[str]]) -> list[Any]:
    return [
        cases.c.closed_at.is_(None),
        _pairs(cases.c.process, cases.c.state, states),
        _mine(scope, cases.c.id),
    ]


def count_waiting_cases(
    conn: Connection, *, scope: Scope, states: Mapping[str, Sequence[str]], cap: int
) -> int:
    """How many open cases in scope wait in these states (by process), up to `cap` + 1."""
    return _capped_count(conn, sa.select(cases.c.id).where(*_waiting(scope, states)), cap)


def waiting_cases(
    conn: Connection,
    *,
    scope: Scope,
    states: Mapping[str, Sequence[str]],
    limit: int,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """A page of the open cases in scope waiting in these states, oldest referral first."""
    query = (
        sa.select(cases.c.id, cases.c.process, cases.c.state, cases.c.team, cases.c.received_at)
        .where(*_waiting(scope, states))
        .order_by(cases.c.received_at, cases.c.id)
        .limit(limit)
        .offset(offset)
    )
    return [dict(row) for row in conn.execute(query).mappings()]
