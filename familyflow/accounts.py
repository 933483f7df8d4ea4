"""People who use the service: users and their roles, passwords (argon2), sign-in
slowed down after failures (throttle.py), browser sessions and bearer tokens. No
HTTP here: the CLI, the demo and the API all come through these functions, each one transaction that
writes its audit record with the change.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from engine.cases import Actor
from engine.errors import (
    AlreadyExists,
    InputError,
    InvalidState,
    NotFound,
    SignInFailed,
    SignInThrottled,
)
from engine.service import FamilyFlow
from familyflow import throttle
from familyflow.db import accounts as accounts_db
from familyflow.db import records
from workflows.contacts import normalise_email

ROLES = ("business_support", "worker", "social_worker", "team_manager", "admin")
ADMIN = "admin"
MIN_PASSWORD = 10
TOKEN_PREFIX = "ff_"
FULL_TIME_CASELOAD, PART_TIME_CASELOAD = 20, 10


@cache
def hasher() -> PasswordHasher:
    return PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Checked against when nobody has the email, so that a wrong email takes as long."""
    return hasher().hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise InputError(field="password", reason=f"must be at least {MIN_PASSWORD} characters")
    return hasher().hash(password)


def password_matches(stored: str | None, password: str) -> bool:
    try:
        return hasher().verify(stored or _dummy_hash(), password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def digest(raw: str) -> str:
    """Tokens and session ids are stored as their SHA-256, never as themselves."""
    return hashlib.sha256(raw.encode()).hexdigest()


def clean_email(value: str, *, field: str = "email") -> str:
    try:
        return normalise_email(value.strip()).lower()
    except ValueError as error:
        raise InputError(field=field, reason=str(error)) from None


def check_role(role: str) -> str:
    if role not in ROLES:
        raise InputError(field="role", reason=f"{role!r} is not one of {', '.join(ROLES)}")
    return role


def audit_row(
    *,
    kind: str,
    actor: Actor,
    at: datetime,
    reason: str,
    case_id: int | None = None,
    detail: Mapping[str, Any] | None = None,
    rule: str | None = None,
) -> dict[str, Any]:
    return {
        "case_id": case_id,
        "kind": kind,
        "actor": actor.email,
        "actor_role": actor.role,
        "occurred_at": at,
        "recorded_at": at,
        "rule": rule,
        "reason": reason,
        "trigger": None,
        "from_state": None,
        "to_state": None,
        "detail": dict(detail or {}),
    }


def caseload_limit(part_time: bool) -> int:
    return PART_TIME_CASELOAD if part_time else FULL_TIME_CASELOAD


# -- users ---------------------------------------------------------------------


def add_user(
    flow: FamilyFlow,
    *,
    email: str,
    name: str,
    role: str,
    team: str | None,
    password: str | None,
    part_time: bool = False,
    manager_email: str | None = None,
    by: Actor,
) -> int:
    email = clean_email(email)
    check_role(role)
    if not name.strip():
        raise InputError(field="name", reason="a user needs a name")
    row = {
        "email": email,
        "name": name.strip(),
        "role": role,
        "team": team or None,
        "part_time": part_time,
        "active": True,
        "failed_logins": 0,
        "manager_email": clean_email(manager_email, field="manager_email")
        if manager_email
        else None,
        "password_hash": hash_password(password) if password else None,
    }
    with flow.db.begin() as conn:
        if accounts_db.user_by_email(conn, email) is not None:
            raise AlreadyExists(what="user", key=email)
        user_id = accounts_db.insert_user(conn, row)
        records.record(
            conn,
            audit_row(
                kind="change",
                actor=by,
                at=flow.clock.now(),
                reason=f"user {email} added ({role})",
                detail={"user_id": user_id, "role": role, "team": team},
            ),
        )
    return user_id


def update_user(
    flow: FamilyFlow, user_id: int, changes: Mapping[str, Any], *, by: Actor
) -> dict[str, Any]:
    values = {k: v for k, v in changes.items() if k != "password"}
    for required in ("active", "role", "name"):  # a user always has these
        if required in values and values[required] is None:
            raise InputError(field=required, reason="cannot be empty; leave it out to keep it")
    if "role" in values:
        check_role(values["role"])
    if values.get("manager_email"):
        values["manager_email"] = clean_email(values["manager_email"], field="manager_email")
    if changes.get("password"):
        values["password_hash"] = hash_password(changes["password"])
        values.update(failed_logins=0, locked_until=None)
    if "name" in values and not str(values["name"]).strip():
        raise InputError(field="name", reason="a user needs a name")
    now = flow.clock.now()
    with flow.db.begin() as conn:
        if accounts_db.user_by_id(conn, user_id) is None:
            raise NotFound(what="user", key=user_id)
        if values:
            accounts_db.update_user(conn, user_id, values)
        if values.get("active") is False or "password_hash" in values:
            accounts_db.revoke_web_sessions(conn, at=now, user_id=user_id)
        records.record(
            conn,
            audit_row(
                kind="change",
                actor=by,
                at=now,
                reason=f"user {user_id} changed",
                detail={"user_id": user_id, "fields": sorted(changes)},
            ),
        )
        user = accounts_db.user_by_id(conn, user_id)
    assert user is not None
    return user


# -- signing in ----------------------------------------------------------------


@dataclass(frozen=True)
class SignedIn:
    user: dict[str, Any]
    session_token: str  # the raw token; only its digest is stored


def sign_in(
    flow: FamilyFlow,
    *,
    email: str,
    password: str,
    address: str,
    policy: throttle.Policy,
    session_hours: int,
) -> SignedIn:
    """Check the password, unless this account or this client address has failed so
    often that it must wait (familyflow/throttle.py); an unknown email is treated
    exactly as a known one, so the answers never reveal who has an account."""
    now = flow.clock.now()
    try:
        email = clean_email(email)
    except InputError:
        email = email.strip().lower()
    attempt = throttle.Attempt(email=email, address=address)
    with flow.db.begin() as conn:
        wait = throttle.seconds_to_wait(conn, attempt, policy=policy, now=now)
    if wait > 0:  # refused before the password is checked: waiting out the wait is all that helps
        raise SignInThrottled(wait=throttle.wait_text(wait), retry_after=wait)
    failure: Exception | None = None
    with flow.db.begin() as conn:
        user = accounts_db.user_by_email(conn, email)
        matches = password_matches(user["password_hash"] if user else None, password)
        actor = Actor(email, user["role"] if user else None)
        usable = user is not None and user["active"] and user["password_hash"] is not None
        if user is None or not (usable and matches):
            throttle.record_failure(conn, attempt, policy=policy, now=now)
            failure = SignInFailed()
            if user is not None:
                reason = "wrong password" if usable else "account cannot sign in"
                records.record(
                    conn, audit_row(kind="sign_in_refused", actor=actor, at=now, reason=reason)
                )
        else:
            throttle.record_success(conn, attempt)
            if hasher().check_needs_rehash(user["password_hash"]):
                accounts_db.update_user(
                    conn, user["id"], {"password_hash": hasher().hash(password)}
                )
            raw = secrets.token_urlsafe(32)
            accounts_db.insert_web_session(
                conn,
                {
                    "user_id": user["id"],
                    "token_hash": digest(raw),
                    "created_at": now,
                    "expires_at": now + timedelta(hours=session_hours),
                    "revoked_at": None,
                },
            )
            records.record(conn, audit_row(kind="sign_in", actor=actor, at=now, reason="signed in"))
    if failure is not None:  # raised after the commit, so the count stays
        raise failure
    assert user is not None
    return SignedIn(user=user, session_token=raw)


def sign_out(flow: FamilyFlow, *, session_token: str, actor: Actor) -> None:
    now = flow.clock.now()
    with flow.db.begin() as conn:
        if accounts_db.revoke_web_sessions(conn, at=now, token_hash=digest(session_token)):
            records.record(
                conn, audit_row(kind="sign_out", actor=actor, at=now, reason="signed out")
            )


def session_user(flow: FamilyFlow, session_token: str) -> dict[str, Any] | None:
    with flow.db.connect() as conn:
        user = accounts_db.web_session_user(conn, digest(session_token), now=flow.clock.now())
    return user if user and user["active"] else None


# -- bearer tokens -------------------------------------------------------------


def issue_token(flow: FamilyFlow, *, email: str, name: str, by: Actor) -> tuple[int, str]:
    """A new bearer token for the user; the raw token is returned once and never stored."""
    if not name.strip():
        raise InputError(field="name", reason="a token needs a name (what uses it)")
    address = clean_email(email)
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = flow.clock.now()
    with flow.db.begin() as conn:
        user = accounts_db.user_by_email(conn, address)
        if user is None:
            raise NotFound(what="user", key=address)
        token_id = accounts_db.insert_api_token(
            conn,
            {
                "user_id": user["id"],
                "name": name.strip(),
                "token_hash": digest(raw),
                "created_at": now,
                "last_used_at": None,
                "revoked_at": None,
            },
        )
        records.record(
            conn,
            audit_row(
                kind="change",
                actor=by,
                at=now,
                reason=f"API token {token_id} issued to {address}",
                detail={"token_id": token_id, "user_id": user["id"]},
            ),
        )
    return token_id, raw


def revoke_token(
    flow: FamilyFlow, token_id: int, *, by: Actor, owner_id: int | None = None
) -> None:
    """Revoke a token (only the owner's own when owner_id is given)."""
    now = flow.clock.now()
    with flow.db.begin() as conn:
        token = accounts_db.api_token(conn, token_id)
        if token is None or (owner_id is not None and token["user_id"] != owner_id):
            raise NotFound(what="API token", key=token_id)
        if not accounts_db.revoke_api_token(conn, token_id, now):
            raise InvalidState(
                what=f"API token {token_id}", state="revoked", reason="it was revoked already"
            )
        records.record(
            conn,
            audit_row(
                kind="change",
                actor=by,
                at=now,
                reason=f"API token {token_id} revoked",
                detail={"token_id": token_id},
            ),
        )


# "Last used" is shown to the minute: a script calling every second writes it once a
# minute, not with every request (a write and a commit each).
TOKEN_USE_NOTED_EVERY = timedelta(minutes=1)


def token_user(flow: FamilyFlow, raw: str) -> dict[str, Any] | None:
    """The owner of a live token (with `token_id`), noting when it was last used."""
    now = flow.clock.now()
    with flow.db.connect() as conn:
        owner = accounts_db.api_token_owner(conn, digest(raw))
    if owner is None or not owner["active"]:
        return None
    last = owner.pop("token_last_used_at")
    if last is None or not now - TOKEN_USE_NOTED_EVERY < last <= now:
        with flow.db.begin() as conn:
            accounts_db.touch_api_token(conn, owner["token_id"], now)
    return owner
