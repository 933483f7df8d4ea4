"""Signing in and out (browser sessions), and who a session or token belongs to."""

from __future__ import annotations

from engine.service import FamilyFlow
from familyflow import accounts
from familyflow.accounts import SignedIn
from familyflow.services.principal import Principal

__all__ = ["SignedIn", "sign_in", "sign_out"]


def sign_in(
    flow: FamilyFlow,
    *,
    email: str,
    password: str,
    attempts: int,
    lock_minutes: int,
    session_hours: int,
) -> SignedIn:
    return accounts.sign_in(
        flow,
        email=email,
        password=password,
        attempts=attempts,
        lock_minutes=lock_minutes,
        session_hours=session_hours,
    )


def sign_out(flow: FamilyFlow, *, principal: Principal, session_token: str) -> None:
    accounts.sign_out(flow, session_token=session_token, actor=principal.actor)
