"""Audit records the application writes: reads of personal data and changes."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from engine.cases import Actor
from familyflow.accounts import audit_row
from familyflow.db import records
from familyflow.services.principal import Principal


def row(
    *,
    kind: str,
    principal: Principal,
    at: datetime,
    reason: str,
    case_id: int | None = None,
    detail: Mapping[str, Any] | None = None,
    rule: str | None = None,
) -> dict[str, Any]:
    # The account's role is recorded (a simulation's actor has no fixed one).
    actor = Actor(principal.actor.email, principal.role)
    return audit_row(
        kind=kind, actor=actor, at=at, reason=reason, case_id=case_id, detail=detail, rule=rule
    )


def read(
    conn: Connection,
    *,
    principal: Principal,
    at: datetime,
    what: str,
    case_id: int | None = None,
    case_ids: list[int] | None = None,
    filters: Mapping[str, Any] | None = None,
) -> None:
    """A read of personal data: who, what, and for lists the filter and row count."""
    detail: dict[str, Any] = {"what": what}
    if case_ids is not None:
        detail.update(rows=len(case_ids), case_ids=case_ids[:500])
    if filters is not None:
        detail["filter"] = {k: v for k, v in filters.items() if v not in (None, "")}
    records.record(
        conn,
        row(
            kind="read",
            principal=principal,
            at=at,
            case_id=case_id,
            reason=f"{what} read",
            detail=detail,
        ),
    )
