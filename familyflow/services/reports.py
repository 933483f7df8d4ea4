"""Reports for managers, business support and admins (the read model is
familyflow/reports.py): figures per rule, worker and group, scoped to the teams."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from engine.errors import NotFound
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


def caseload(
    flow: FamilyFlow, *, principal: Principal, team: str | None = None
) -> list[dict[str, Any]]:
    """Each worker's open cases against their limit: of the teams the person sees, or
    of one of them (`team`; one they cannot see is refused as not found)."""
    principal.require(READERS, action="read reports")
    teams: Sequence[str] | None = principal.teams
    if team is not None:
        if "\x00" in team or (teams is not None and team not in teams):
            raise NotFound(what="team", key=team)
        teams = (team,)
    with flow.db.connect() as conn:
        return reports.caseload(conn, teams=teams)


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
