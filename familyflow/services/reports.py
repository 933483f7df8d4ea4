"""Reports for managers, business support and admins (the read model is
familyflow/reports.py): figures per rule, worker and group, scoped to the teams."""

from __future__ import annotations

from typing import Any

from engine.service import FamilyFlow
from familyflow import reports
from familyflow.services.principal import Principal

READERS = ("team_manager", "business_support", "admin")


def timeliness(flow: FamilyFlow, *, principal: Principal) -> list[dict[str, Any]]:
    principal.require(READERS, action="read reports")
    with flow.db.connect() as conn:
        return reports.timeliness(
            conn, flow.services.processes, teams=principal.teams, email=principal.email
        )


def caseload(flow: FamilyFlow, *, principal: Principal) -> list[dict[str, Any]]:
    principal.require(READERS, action="read reports")
    with flow.db.connect() as conn:
        return reports.caseload(conn, teams=principal.teams)


def open_durations(
    flow: FamilyFlow, *, principal: Principal, ids_per_band: int | None = None
) -> dict[str, Any]:
    """The bands' counts, and their cases (the first `ids_per_band` when given)."""
    principal.require(READERS, action="read reports")
    with flow.db.connect() as conn:
        return reports.open_durations(
            conn,
            now=flow.clock.now(),
            teams=principal.teams,
            email=principal.email,
            ids_per_band=ids_per_band,
        )


def missed_sessions(flow: FamilyFlow, *, principal: Principal) -> list[dict[str, Any]]:
    principal.require(READERS, action="read reports")
    with flow.db.connect() as conn:
        return reports.missed_sessions(conn, teams=principal.teams, email=principal.email)
