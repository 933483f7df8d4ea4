"""Audit records written and read by the application (reads, administrative
changes, delivery receipts). The engine writes its own through CaseWork."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from familyflow.db.tables import audit


def record(conn: Connection, row: Mapping[str, Any]) -> None:
    """One audit record (a read, an administrative change, a delivery receipt)."""
    conn.execute(sa.insert(audit).values(**row))


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
