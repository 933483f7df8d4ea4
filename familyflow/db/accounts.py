"""The application's own SQL for people: users, API tokens and browser sessions.

Emails are one identity whatever their capitals: they are stored lower case
(`accounts.clean_email`) and compared lower case here.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from familyflow.db.tables import api_tokens, users, web_sessions


def user_part_time(conn: Connection, email: str) -> bool:
    query = sa.select(users.c.part_time).where(sa.func.lower(users.c.email) == email.lower())
    return bool(conn.execute(query).scalar())


USER_COLUMNS = (
    users.c.id,
    users.c.email,
    users.c.name,
    users.c.role,
    users.c.team,
    users.c.part_time,
    users.c.manager_email,
    users.c.active,
)


def user_by_email(conn: Connection, email: str) -> dict[str, Any] | None:
    row = (
        conn.execute(sa.select(users).where(sa.func.lower(users.c.email) == email.lower()))
        .mappings()
        .first()
    )
    return dict(row) if row else None


def user_by_id(conn: Connection, user_id: int) -> dict[str, Any] | None:
    row = conn.execute(sa.select(users).where(users.c.id == user_id)).mappings().first()
    return dict(row) if row else None


def list_users(
    conn: Connection, *, team: str | None = None, role: str | None = None
) -> list[dict[str, Any]]:
    query = sa.select(*USER_COLUMNS).order_by(users.c.email)
    if team is not None:
        query = query.where(users.c.team == team)
    if role is not None:
        query = query.where(users.c.role == role)
    return [dict(row) for row in conn.execute(query).mappings()]


def insert_user(conn: Connection, row: Mapping[str, Any]) -> int:
    return int(conn.execute(sa.insert(users).values(**row).returning(users.c.id)).scalar_one())


def update_user(conn: Connection, user_id: int, values: Mapping[str, Any]) -> None:
    conn.execute(sa.update(users).where(users.c.id == user_id).values(**values))


def managed_teams(conn: Connection, email: str) -> list[str]:
    """The teams of the people who report to this manager."""
    query = (
        sa.select(users.c.team)
        .distinct()
        .where(sa.func.lower(users.c.manager_email) == email.lower(), users.c.team.is_not(None))
    )
    return [t for t in conn.execute(query).scalars() if t]


def count_failed_sign_in(conn: Connection, user_id: int) -> int:
    """One more failed sign-in; the count so far."""
    statement = (
        sa.update(users)
        .where(users.c.id == user_id)
        .values(failed_logins=users.c.failed_logins + 1)
        .returning(users.c.failed_logins)
    )
    return int(conn.execute(statement).scalar_one())


def insert_api_token(conn: Connection, row: Mapping[str, Any]) -> int:
    statement = sa.insert(api_tokens).values(**row).returning(api_tokens.c.id)
    return int(conn.execute(statement).scalar_one())


def api_token_owner(conn: Connection, token_hash: str) -> dict[str, Any] | None:
    """The live token with this hash and its owner (as `user_id`, `email`, `role`, ...)."""
    query = (
        sa.select(
            api_tokens.c.id.label("token_id"),
            api_tokens.c.last_used_at.label("token_last_used_at"),
            users,
        )
        .select_from(api_tokens.join(users, users.c.id == api_tokens.c.user_id))
        .where(api_tokens.c.token_hash == token_hash, api_tokens.c.revoked_at.is_(None))
    )
    row = conn.execute(query).mappings().first()
    return dict(row) if row else None


def touch_api_token(conn: Connection, token_id: int, at: datetime) -> None:
    conn.execute(sa.update(api_tokens).where(api_tokens.c.id == token_id).values(last_used_at=at))


def list_api_tokens(conn: Connection, *, user_id: int | None) -> list[dict[str, Any]]:
    query = (
        sa.select(
            api_tokens.c.id,
            api_tokens.c.name,
            api_tokens.c.created_at,
            api_tokens.c.last_used_at,
            api_tokens.c.revoked_at,
            users.c.email,
        )
        .select_from(api_tokens.join(users, users.c.id == api_tokens.c.user_id))
        .order_by(api_tokens.c.id)
    )
    if user_id is not None:
        query = query.where(api_tokens.c.user_id == user_id)
    return [dict(row) for row in conn.execute(query).mappings()]


def api_token(conn: Connection, token_id: int) -> dict[str, Any] | None:
    row = conn.execute(sa.select(api_tokens).where(api_tokens.c.id == token_id)).mappings().first()
    return dict(row) if row else None


def revoke_api_token(conn: Connection, token_id: int, at: datetime) -> bool:
    statement = (
        sa.update(api_tokens)
        .where(api_tokens.c.id == token_id, api_tokens.c.revoked_at.is_(None))
        .values(revoked_at=at)
    )
    return conn.execute(statement).rowcount == 1


def insert_web_session(conn: Connection, row: Mapping[str, Any]) -> None:
    conn.execute(sa.insert(web_sessions).values(**row))


def web_session_user(conn: Connection, token_hash: str, *, now: datetime) -> dict[str, Any] | None:
    """The live session with this hash and its user."""
    query = (
        sa.select(web_sessions.c.id.label("session_id"), users)
        .select_from(web_sessions.join(users, users.c.id == web_sessions.c.user_id))
        .where(
            web_sessions.c.token_hash == token_hash,
            web_sessions.c.revoked_at.is_(None),
            web_sessions.c.expires_at > now,
        )
    )
    row = conn.execute(query).mappings().first()
    return dict(row) if row else None


def revoke_web_sessions(
    conn: Connection, *, at: datetime, token_hash: str | None = None, user_id: int | None = None
) -> int:
    statement = sa.update(web_sessions).where(web_sessions.c.revoked_at.is_(None))
    if token_hash is not None:
        statement = statement.where(web_sessions.c.token_hash == token_hash)
    if user_id is not None:
        statement = statement.where(web_sessions.c.user_id == user_id)
    return int(conn.execute(statement.values(revoked_at=at)).rowcount)
