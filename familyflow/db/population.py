"""The reads behind a population simulation's summary (issue 11): counts over the
whole throwaway database, and each worker's open caseload."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from engine import store
from familyflow.db.tables import audit, cases, contacts, deadlines, outbox


def case_count(conn: Connection) -> int:
    return int(conn.execute(sa.select(sa.func.count()).select_from(cases)).scalar() or 0)


def transition_count(conn: Connection) -> int:
    query = sa.select(sa.func.count()).select_from(audit).where(audit.c.kind == "transition")
    return int(conn.execute(query).scalar() or 0)


def messages_by_medium(conn: Connection) -> dict[str, int]:
    query = sa.select(outbox.c.medium, sa.func.count()).group_by(outbox.c.medium)
    return {medium: int(n) for medium, n in conn.execute(query).all()}


def received(conn: Connection) -> list[tuple[str, Any]]:
    """(process, received_at) of every case."""
    return [(p, r) for p, r in conn.execute(sa.select(cases.c.process, cases.c.received_at))]


def due_deadlines(conn: Connection) -> list[dict[str, Any]]:
    """Every deadline row that is a due (not a reminder)."""
    query = sa.select(
        deadlines.c.case_id,
        deadlines.c.timescale,
        deadlines.c.rule,
        deadlines.c.due_at,
        deadlines.c.status,
        deadlines.c.fired_at,
    ).where(deadlines.c.kind == "due")
    return [dict(row) for row in conn.execute(query).mappings()]


def meetings(conn: Connection) -> list[dict[str, Any]]:
    """Every deadline met: the case, and the audit's detail (timescale, due_at, on_time)."""
    query = sa.select(audit.c.case_id, audit.c.detail).where(audit.c.kind == "deadline_met")
    return [dict(row) for row in conn.execute(query).mappings()]


_EMAIL = sa.func.lower(contacts.c.email)
# Built once: a population asks it thousands of times (each allocation).
_OPEN_CASELOADS = (
    sa.select(_EMAIL.label("email"), sa.func.count(sa.distinct(cases.c.id)).label("n"))
    .select_from(cases.join(contacts, contacts.c.case_id == cases.c.id))
    .where(cases.c.closed_at.is_(None), _EMAIL.in_(sa.bindparam("emails", expanding=True)))
    .group_by(_EMAIL)
)


def open_caseloads(conn: Connection, emails: Sequence[str]) -> dict[str, int]:
    """How many open cases each of these people is a contact on (any role)."""
    wanted = sorted({e.lower() for e in emails})
    rows = store.fetch(conn, _OPEN_CASELOADS, {"emails": wanted})
    found = {row["email"]: int(row["n"]) for row in rows}
    return {e.lower(): found.get(e.lower(), 0) for e in emails}


_MOVED_SINCE = sa.select(audit.c.id, audit.c.case_id).where(
    audit.c.id > sa.bindparam("after"), audit.c.kind == "transition"
)
_PEOPLE_OF = (
    sa.select(_EMAIL.label("email"))
    .distinct()
    .where(contacts.c.case_id.in_(sa.bindparam("case_ids", expanding=True)))
)


def people_moved_since(conn: Connection, audit_id: int) -> tuple[set[str], int]:
    """The people (lower-cased emails) on every case with a transition recorded after
    this audit row (opened, moved or closed), and the last such row."""
    moved = store.fetch(conn, _MOVED_SINCE, {"after": audit_id})
    if not moved:
        return set(), audit_id
    case_ids = sorted({row["case_id"] for row in moved if row["case_id"] is not None})
    people = set()
    if case_ids:
        rows = store.fetch(conn, _PEOPLE_OF, {"case_ids": case_ids})
        people = {row["email"] for row in rows if row["email"]}
    return people, max(row["id"] for row in moved)
