"""API bearer tokens: your own (admins: anyone's)."""

from __future__ import annotations

from typing import Any

from engine.service import FamilyFlow
from familyflow import accounts
from familyflow.db import accounts as accounts_db
from familyflow.services.principal import Principal


def list_tokens(flow: FamilyFlow, *, principal: Principal) -> list[dict[str, Any]]:
    with flow.db.connect() as conn:
        return accounts_db.list_api_tokens(
            conn, user_id=None if principal.is_admin else principal.user_id
        )


def issue_token(
    flow: FamilyFlow, *, principal: Principal, name: str, email: str | None = None
) -> tuple[int, str]:
    """A token for yourself, or (admins and the CLI operator) for someone else."""
    if email is not None and email.lower() != principal.email:
        principal.require(("admin",), action="issue tokens for someone else")
    return accounts.issue_token(flow, email=email or principal.email, name=name, by=principal.actor)


def revoke_token(flow: FamilyFlow, *, principal: Principal, token_id: int) -> None:
    owner = None if principal.is_admin or principal.kind == "cli" else principal.user_id
    accounts.revoke_token(flow, token_id, by=principal.actor, owner_id=owner)
