"""Journey helpers: move a referral through time the way people do."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from engine.clock import parse_instant
from engine.service import FamilyFlow


def at(text: str) -> datetime:
    """A local (Europe/London) time as an aware UTC instant."""
    return parse_instant(text, field="test")


CONTACTS = {
    "social_worker": {"name": "Sam Jones", "email": "sam.jones@example.org"},
    "team_manager": {"name": "Ade Bello", "email": "ade.bello@example.org"},
    "business_support": {"name": "Business Support", "email": "bs@example.org"},
    "parent": {"name": "Jo Parent", "mobile": "07700900123"},
}
WORKER = {"name": "Kim Lee", "email": "kim.lee@example.org"}


def step(
    flow: FamilyFlow,
    case_id: int,
    when: str,
    trigger: str,
    data: dict[str, Any] | None = None,
    by: str | None = None,
) -> Any:
    """Let time pass to `when` (everything due fires), then fire the trigger there."""
    from engine.cases import ANY_ROLE, AS_NAMED, Actor

    moment = at(when)
    flow.advance(moment)
    actor = Actor(by, AS_NAMED) if by else Actor("test", ANY_ROLE)
    result = flow.fire(case_id, trigger, data or {}, actor=actor, at=moment)
    flow.tick()
    return result


def to_planning(flow: FamilyFlow, case_id: int, *, allocated: str) -> None:
    """Take a referral through confirmation and session choice to allocation."""
    step(flow, case_id, "2026-12-15T09:00", "request_confirmation", by="ade.bello@example.org")
    step(flow, case_id, "2026-12-16T11:00", "confirm_attendance")
    step(flow, case_id, "2026-12-17T14:00", "choose_sessions", {"sessions": [1, 2, 3, 4]})
    step(
        flow, case_id, allocated, "allocate_worker", {"worker": WORKER}, by="ade.bello@example.org"
    )


def outbox_rows(flow: FamilyFlow, *, copies: bool = False, **where: Any) -> list[dict[str, Any]]:
    """The queued messages matching `where`. A copy (Cc) is a message of its own, with
    `:ccN` after its main message's dedupe key; it is listed only with copies=True
    (the main message's `cc` names its copies)."""
    from engine import store

    with flow.db.connect() as conn:
        rows = store.messages(conn, case_id=where.pop("case_id", None))
    return [
        r
        for r in rows
        if all(r[k] == v for k, v in where.items())
        and (copies or not re.search(r":cc\d+$", r["dedupe_key"]))
    ]


def history(flow: FamilyFlow, case_id: int | None = None) -> list[dict[str, Any]]:
    from engine.history import timeline

    with flow.db.connect() as conn:
        return timeline(conn, case_id=case_id)


def case_state(flow: FamilyFlow, case_id: int) -> Any:
    from engine import store

    with flow.db.connect() as conn:
        return store.load_cases(conn, [case_id])[case_id]
