"""Rows to response shapes, shared by the routes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from engine.clock import local
from engine.service import FamilyFlow


def reference(flow: FamilyFlow, process: str, case_id: int) -> str:
    definition = flow.services.processes.get(process)
    return f"{definition.code if definition else process.upper()}-{case_id:06d}"


def when(moment: datetime | None) -> datetime | None:
    return local(moment) if moment else None


def message(row: dict[str, Any]) -> dict[str, Any]:
    out = {
        k: row.get(k)
        for k in (
            "id",
            "case_id",
            "medium",
            "template",
            "rule",
            "to_role",
            "to_name",
            "to_address",
            "subject",
            "body",
            "status",
            "delivery_status",
            "attempts",
            "last_error",
        )
    }
    out["cc"] = list(row.get("cc") or [])
    for key in ("created_at", "not_before", "sent_at"):
        out[key] = when(row.get(key))
    return out


def user(row: dict[str, Any]) -> dict[str, Any]:
    from familyflow.accounts import caseload_limit

    return {
        k: row[k]
        for k in ("id", "email", "name", "role", "team", "manager_email", "part_time", "active")
    } | {"caseload_limit": caseload_limit(row["part_time"])}


def audit(row: dict[str, Any]) -> dict[str, Any]:
    out = dict(row)
    out["occurred_at"], out["recorded_at"] = when(row["occurred_at"]), when(row["recorded_at"])
    return out
