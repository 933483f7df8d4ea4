"""If nobody acts: a case's projected timeline over the next weeks.

The engine rehearses its own firing loop on a throwaway copy of the case
(engine/rehearsal.py), so the reminders, chases, missed timescales and automatic
moves shown are exactly what the scheduler would do, and nothing is written to the
real database but this read's audit record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from engine import rehearsal
from engine.service import FamilyFlow
from familyflow.services import audit
from familyflow.services.cases import check_visible
from familyflow.services.principal import Principal

WEEKS = 8  # far enough to see a chase and an escalation; short enough to stay cheap


@dataclass(frozen=True, kw_only=True)
class Step:
    """One thing that would happen: when, what, and the rule behind it."""

    at: datetime
    kind: str  # missed, message, moved, note, started, linked
    title: str
    text: str
    rule: str | None
    other_case: bool  # on a linked case the rehearsal opened


@dataclass(frozen=True, kw_only=True)
class Projection:
    now: datetime
    until: datetime
    steps: list[Step]


def _step(case_id: int, seen: rehearsal.Foreseen) -> Step | None:
    detail = seen.detail
    if seen.kind == "deadline_missed":
        kind, title, text = "missed", "Timescale missed", seen.reason or ""
    elif seen.kind == "message":
        channel, _, role = (seen.reason or "").partition(" to ")
        template = str(detail.get("template", "")).rsplit("/", 1)[-1].replace("_", " ")
        what = {"sms": "Text", "email": "Email"}.get(channel, "Message")
        kind, title, text = "message", f"{what} to {role.replace('_', ' ')}", template
    elif seen.kind == "transition":
        moved_to = (seen.to_state or "").replace("_", " ")
        kind, title = "moved", f"Moves to {moved_to}"
        text = (seen.trigger or "").replace("_", " ")
    elif seen.kind == "deadline_set":
        kind, title, text = "started", "Timescale starts", seen.reason or ""
    elif seen.kind == "note" and detail.get("linked_case_id"):
        kind, title, text = "linked", "Linked case opened", seen.reason or ""
    elif seen.kind == "note":
        kind, title, text = "note", "Case note by the service", seen.reason or ""
    else:
        return None
    return Step(
        at=seen.at,
        kind=kind,
        title=title,
        text=text,
        rule=seen.rule,
        other_case=seen.case_id != case_id,
    )


def project_case(
    flow: FamilyFlow, *, principal: Principal, case_id: int, weeks: int = WEEKS
) -> Projection:
    """What the service would do to this case over `weeks` if nobody acted.

    The case's rows are read (and the read audited) in one transaction; the rehearsal
    then runs on its own throwaway database."""
    now = flow.clock.now()
    until = now + timedelta(weeks=weeks)
    with flow.db.begin() as conn:
        check_visible(conn, principal, case_id)
        start = rehearsal.snapshot(conn, case_id=case_id)
        audit.read(conn, principal=principal, at=now, what="case projection", case_id=case_id)
    foreseen = rehearsal.rehearse(start, flow.services, now=now, until=until)
    steps = [s for seen in foreseen if (s := _step(case_id, seen)) is not None]
    return Projection(now=now, until=until, steps=sorted(steps, key=lambda s: s.at))
