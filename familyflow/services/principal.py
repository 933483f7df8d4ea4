"""Who is acting: a person's account (email, role, teams), resolved once at the edge.

Roles come from accounts. Being named as a contact on a case never grants a role:
the engine is given the account's role and nothing else. The one exception is a
simulation, whose throwaway database has no accounts: there each contact acts as
a person whose account holds their contact role.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy.engine import Connection

from engine.cases import ANY_ROLE, AS_NAMED, Actor
from engine.errors import Forbidden, InputError
from engine.service import FamilyFlow
from familyflow.db import accounts as accounts_db

Kind = Literal["user", "token", "cli", "simulation"]
ADMIN = "admin"
CLI_OPERATOR = "cli"


@dataclass(frozen=True, kw_only=True)
class Principal:
    email: str
    role: str  # the account's role (ANY_ROLE for the CLI operator and simulations)
    teams: tuple[str, ...] | None  # whose cases they see; None: every case
    kind: Kind = "user"
    user_id: int | None = None
    name: str = ""

    @property
    def actor(self) -> Actor:
        if self.kind == "simulation" and self.role != ANY_ROLE:
            return Actor(self.email, AS_NAMED)
        return Actor(self.email, self.role)

    @property
    def is_admin(self) -> bool:
        return self.role == ADMIN

    def require(self, roles: Sequence[str], *, action: str) -> None:
        """Refuse (403, exit 5) unless the account's role is one of these."""
        if self.role not in roles and self.role != ANY_ROLE:
            raise Forbidden(
                actor=self.email, role=self.role, action=action, allowed=", ".join(roles)
            )


def visible_teams(
    conn: Connection, *, email: str, role: str, team: str | None
) -> tuple[str, ...] | None:
    """The teams whose cases this person sees; None means every case (admins)."""
    if role == ADMIN:
        return None
    teams = {team} if team else set()
    if role == "team_manager":
        teams.update(accounts_db.managed_teams(conn, email))
    return tuple(sorted(teams))


def for_account(flow: FamilyFlow, row: dict[str, Any], *, kind: Kind) -> Principal:
    """The principal of a signed-in user or a token's owner (a users row)."""
    with flow.db.connect() as conn:
        teams = visible_teams(conn, email=row["email"], role=row["role"], team=row["team"])
    return Principal(
        email=row["email"].lower(),
        role=row["role"],
        teams=teams,
        kind=kind,
        user_id=row["id"],
        name=row.get("name") or "",
    )


def cli_principal(flow: FamilyFlow, by: str | None) -> Principal:
    """`--by EMAIL` acts with that account's role; without it, the operator at the
    server's shell acts as someone holding whichever role the action needs."""
    if not by:
        return Principal(email=CLI_OPERATOR, role=ANY_ROLE, teams=None, kind="cli")
    email = by.strip().lower()
    with flow.db.connect() as conn:
        row = accounts_db.user_by_email(conn, email)
    if row is None or not row["active"]:
        raise InputError(
            field="--by",
            reason=f"no active account has the email {email}; people without an account are "
            "contacts, and business support records what they said on their behalf",
        )
    found = for_account(flow, row, kind="cli")
    return Principal(
        email=found.email, role=found.role, teams=None, kind="cli", user_id=found.user_id
    )


def simulation_principal(by: str | None) -> Principal:
    """A scenario's `by:` (or nobody: someone holding an allowed role)."""
    if not by:
        return Principal(email="scenario", role=ANY_ROLE, teams=None, kind="simulation")
    return Principal(email=by.strip().lower(), role=AS_NAMED, teams=None, kind="simulation")
