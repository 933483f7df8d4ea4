"""Signing in and out (browser sessions), and who a session or token belongs to."""

from __future__ import annotations

from engine.service import FamilyFlow
from familyflow import accounts, throttle
from familyflow.accounts import SignedIn
from familyflow.services.principal import Principal

__all__ = ["SignedIn", "sign_in", "sign_out"]


def sign_in(
    flow: FamilyFlow,
    *,
    email: str,
    password: str,
    address: str,
    policy: throttle.Policy,
    session_hours: int,
) -> SignedIn:
    """Sign in, slowed down per account and per client address (familyflow/throttle.py)."""
    return accounts.sign_in(
        flow,
        email=email,
        password=password,
        address=address,
        policy=policy,
        session_hours=session_hours,
    )


def sign_out(flow: FamilyFlow, *, principal: Principal, session_token: str) -> None:
    accounts.sign_out(flow, session_token=session_token, actor=principal.actor)
