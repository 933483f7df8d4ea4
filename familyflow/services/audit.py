"""Audit records the application writes: reads of personal data and changes."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

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
    actor = principal.actor
    return {
        "case_id": case_id,
        "kind": kind,
        "actor": actor.email,
        "actor_role": principal.role,
        "occurred_at": at,
        "recorded_at": at,
        "rule": rule,
        "reason": reason,
        "trigger": None,
        "from_state": None,
        "to_state": None,
        "detail": dict(detail or {}),
    }


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
