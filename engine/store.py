"""Every SQL statement the engine runs, behind one boundary.

Statements are SQLAlchemy Core on the SQLModel tables: the hot paths (events,
deadline firing, outbox) write many rows per transaction and the ORM's unit of
work would cost more than the work itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from engine.models import (
    AuditEvent,
    Case,
    CaseLink,
    ClosureDay,
    Contact,
    Deadline,
    JobRun,
    OutboxMessage,
    User,
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


def insert_case(conn: Connection, row: dict[str, Any]) -> int:
    return int(conn.execute(sa.insert(cases).returning(cases.c.id), row).scalar_one())


def insert_contacts(conn: Connection, rows: list[dict[str, Any]]) -> None:
    if rows:
        conn.execute(sa.insert(contacts), rows)


def replace_contact(conn: Connection, *, case_id: int, role: str,
                    contact: dict[str, Any]) -> None:
    conn.execute(sa.delete(contacts).where(contacts.c.case_id == case_id,
                                           contacts.c.role == role))
    conn.execute(sa.insert(contacts).values(case_id=case_id, role=role, **contact))


def load_cases(conn: Connection, ids: Sequence[int]) -> dict[int, CaseRow]:
    found: dict[int, CaseRow] = {}
    for chunk in _chunks(list(ids)):
        for row in conn.execute(sa.select(cases).where(cases.c.id.in_(chunk))).mappings():
            found[row["id"]] = CaseRow(**row, loaded_version=row["version"])
        query = sa.select(contacts).where(contacts.c.case_id.in_(chunk)).order_by(contacts.c.id)
        for contact in conn.execute(query).mappings():
            found[contact["case_id"]].contacts.append(dict(contact))
    return found


def update_case(conn: Connection, case: CaseRow) -> bool:
    """Write the case if nobody else has since it was read (optimistic lock)."""
    result = conn.execute(
        sa.update(cases)
        .where(cases.c.id == case.id, cases.c.version == case.loaded_version)
        .values(state=case.state, data=case.data, version=case.version,
                closed_at=case.closed_at)
    )
    if result.rowcount == 1:
        case.loaded_version = case.version
        return True
    return False


def insert_rows(conn: Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    if rows:
        conn.execute(sa.insert(table), rows)


def insert_deadlines(conn: Connection, rows: list[dict[str, Any]]) -> None:
    insert_rows(conn, deadlines, rows)


def close_deadlines(
    conn: Connection, *, case_id: int, at: datetime, status: str, timescales: Sequence[str] | None
) -> list[dict[str, Any]]:
    """Close a case's unclosed deadlines (all, or those timescales); return what was open.

    A deadline that already fired is still unclosed until the thing happens,
    so meeting it late is recorded too.
    """
    where = [deadlines.c.case_id == case_id, deadlines.c.closed_at.is_(None)]
    if timescales is not None:
        where.append(deadlines.c.timescale.in_(timescales))
    new_status = sa.case((deadlines.c.status == "open", status), else_=deadlines.c.status)
    statement = (
        sa.update(deadlines)
        .where(*where)
        .values(status=new_status, closed_at=at)
        .returning(deadlines.c.id, deadlines.c.timescale, deadlines.c.rule, deadlines.c.kind,
                   deadlines.c.due_at, deadlines.c.fired_at)
    )
    return [dict(row) for row in conn.execute(statement).mappings()]


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
    return dict(conn.execute(sa.select(deadlines).where(deadlines.c.id == deadline_id))
                .mappings().one())


def mark_fired(conn: Connection, rows: list[dict[str, Any]]) -> None:
    if rows:
        conn.execute(
            sa.update(deadlines)
            .where(deadlines.c.id == sa.bindparam("b_id"), deadlines.c.status == "open")
            .values(status="fired", fired_at=sa.bindparam("b_fired_at"),
                    late=sa.bindparam("b_late")),
            rows,
        )


def next_due(conn: Connection) -> datetime | None:
    query = sa.select(sa.func.min(deadlines.c.due_at)).where(deadlines.c.status == "open")
    return conn.execute(query).scalar()


def insert_outbox(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Queue messages; a dedupe key already present is silently kept as it was."""
    if not rows:
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    conn.execute(dialect.insert(outbox).on_conflict_do_nothing(index_elements=["dedupe_key"]),
                 rows)


def closure_day_list(conn: Connection) -> list[date]:
    return list(conn.execute(sa.select(closure_days.c.day)).scalars())


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


def user_role(conn: Connection, email: str) -> str | None:
    return conn.execute(sa.select(users.c.role).where(users.c.email == email)).scalar()


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
