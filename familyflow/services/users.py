"""Users: who signs in, with which role and team (admins change them)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.errors import NotFound
from engine.service import FamilyFlow
from familyflow import accounts
from familyflow.db import accounts as accounts_db
from familyflow.services.principal import Principal

ADMINS = ("admin",)


def list_users(
    flow: FamilyFlow, *, principal: Principal, team: str | None = None, role: str | None = None
) -> list[dict[str, Any]]:
    with flow.db.connect() as conn:
        return accounts_db.list_users(conn, team=team, role=role)


def get_user(flow: FamilyFlow, *, principal: Principal, user_id: int) -> dict[str, Any]:
    with flow.db.connect() as conn:
        row = accounts_db.user_by_id(conn, user_id)
    if row is None:
        raise NotFound(what="user", key=user_id)
    return row


def add_user(
    flow: FamilyFlow,
    *,
    principal: Principal,
    email: str,
    name: str,
    role: str,
    team: str | None,
    password: str | None,
    part_time: bool = False,
    manager_email: str | None = None,
) -> int:
    principal.require(ADMINS, action="add users")
    return accounts.add_user(
        flow,
        email=email,
        name=name,
        role=role,
        team=team,
        password=password,
        part_time=part_time,
        manager_email=manager_email,
        by=principal.actor,
    )


def update_user(
    flow: FamilyFlow, *, principal: Principal, user_id: int, changes: Mapping[str, Any]
) -> dict[str, Any]:
    principal.require(ADMINS, action="change users")
    return accounts.update_user(flow, user_id, changes, by=principal.actor)
