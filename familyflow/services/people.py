"""The people of a team, for the contact picker on the web forms (issue 10): each active
account in the team, and for those who hold cases, how many open cases they hold against
their limit (EH-11.3: 20, or 10 part time), counted as the caseload report counts them."""

from __future__ import annotations

from typing import Any

from engine.service import FamilyFlow
from familyflow.accounts import caseload_limit
from familyflow.db import accounts as accounts_db
from familyflow.db import read_models
from familyflow.reports import CASELOAD_ROLES, CASELOAD_USER_ROLES
from familyflow.services.principal import Principal


def team_people(
    flow: FamilyFlow, *, principal: Principal, team: str | None
) -> list[dict[str, Any]]:
    """Active accounts in the team (none without a team, or a team the person cannot see),
    by name, each with `open_cases` and `limit` when they hold cases."""
    if team is None or (principal.teams is not None and team not in principal.teams):
        return []
    with flow.db.connect() as conn:
        people = [u for u in accounts_db.list_users(conn, team=team) if u["active"]]
        loads = read_models.open_caseloads(
            conn, roles=CASELOAD_ROLES, emails=[str(p["email"]) for p in people]
        )
    found = []
    for person in sorted(people, key=lambda p: str(p["name"]).lower()):
        row = {k: person[k] for k in ("name", "email", "role", "part_time")}
        if person["role"] in CASELOAD_USER_ROLES:
            row["open_cases"] = loads.get(str(person["email"]).lower(), 0)
            row["limit"] = caseload_limit(bool(person["part_time"]))
        found.append(row)
    return found
