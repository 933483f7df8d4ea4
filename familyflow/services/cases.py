"""Cases: record a referral, fire a trigger, add a note, change a contact, read one.

Each function checks that the principal may see the case (a case outside their
teams is "not found"), checks their account's role, and runs in one transaction
with its audit record. The engine checks each trigger's roles against the role
the principal's account holds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from engine import store
from engine.cases import CONTACT_EDITORS
from engine.errors import NotFound
from engine.service import FamilyFlow
from engine.store import CaseRow
from familyflow import describe
from familyflow.db import read_models
from familyflow.services import audit
from familyflow.services.principal import Principal

CREATORS = ("business_support", "social_worker", "team_manager", "admin")


def check_visible(conn: Connection, principal: Principal, case_id: int) -> None:
    """A case the principal may not see is reported as not existing."""
    if principal.teams is None:  # sees every case: only whether it exists
        if not store.case_exists(conn, case_id):
            raise NotFound(what="case", key=case_id)
        return
    if not read_models.case_visible(conn, case_id, teams=principal.teams, email=principal.email):
        raise NotFound(what="case", key=case_id)


def event_guard(principal: Principal, case_id: int) -> Any:
    """The visibility check of a use case acting on one case through the engine (an
    event, a note, a contact changed, an undo), whose first step reads that case."""
    if principal.teams is None:
        # Sees every case: nothing to check first. The engine's first read of the case
        # raises the same NotFound when there is none (one read an event, not two).
        return None
    return lambda conn: check_visible(conn, principal, case_id)


def create_case(
    flow: FamilyFlow,
    *,
    principal: Principal,
    process: str,
    received_at: datetime,
    data: Mapping[str, Any],
    contacts: Mapping[str, Mapping[str, Any]],
    team: str | None = None,
) -> int:
    principal.require(CREATORS, action="create cases")
    if principal.teams is not None and team not in principal.teams:
        principal.require(("admin",), action=f"create cases for team {team!r}")
    return flow.create_case(
        process=process,
        received_at=received_at,
        data=data,
        contacts=contacts,
        actor=principal.actor,
        team=team,
    )


def fire(
    flow: FamilyFlow,
    *,
    principal: Principal,
    case_id: int,
    trigger: str,
    data: Mapping[str, Any] | None = None,
    at: datetime | None = None,
    expected_version: int | None = None,
) -> CaseRow:
    return flow.fire(
        case_id,
        trigger,
        data or {},
        actor=principal.actor,
        at=at,
        expected_version=expected_version,
        guard=event_guard(principal, case_id),
    )


def add_note(
    flow: FamilyFlow,
    *,
    principal: Principal,
    case_id: int,
    text: str,
    kind: str = "general",
    at: datetime | None = None,
) -> None:
    flow.add_note(
        case_id,
        text=text,
        kind=kind,
        actor=principal.actor,
        at=at,
        guard=event_guard(principal, case_id),
    )


def change_contact(
    flow: FamilyFlow,
    *,
    principal: Principal,
    case_id: int,
    role: str,
    contact: Mapping[str, Any] | None,
    at: datetime | None = None,
) -> CaseRow:
    """Replace the contact in a role (business support, team managers, admins), audited
    with before and after: how people without an account get on a case."""
    principal.require(CONTACT_EDITORS, action="change a case's contacts")
    return flow.change_contact(
        case_id,
        role=role,
        contact=contact,
        actor=principal.actor,
        at=at,
        guard=event_guard(principal, case_id),
    )


@dataclass(frozen=True)
class CaseRead:
    """A case as people read it: `detail` (describe.case plus its messages), the row,
    its unmet deadlines and the cases linked to it."""

    detail: dict[str, Any]
    row: CaseRow
    due: list[dict[str, Any]]
    linked: dict[int, CaseRow]


def read_case(
    flow: FamilyFlow, *, principal: Principal, case_id: int, what: str = "case"
) -> CaseRead:
    """Everything about one case; the read is audited in the same transaction."""
    with flow.db.begin() as conn:
        check_visible(conn, principal, case_id)
        row = store.load_cases(conn, [case_id])[case_id]
        detail = describe.case(conn, flow, row)
        detail["messages"] = store.messages(conn, case_id=case_id)
        due = read_models.unmet_deadlines(conn, case_ids=[case_id])
        linked = store.load_cases(conn, [link["case_id"] for link in detail["links"]])
        audit.read(conn, principal=principal, at=flow.clock.now(), what=what, case_id=case_id)
    return CaseRead(detail=detail, row=row, due=due, linked=linked)


def case_row(
    flow: FamilyFlow, *, principal: Principal, case_id: int, what: str | None = None
) -> CaseRow:
    """The case's row (state, contacts); shown to the person (`what`, e.g. the action
    page) it is audited as a read."""
    with flow.db.begin() as conn:
        check_visible(conn, principal, case_id)
        row = store.load_cases(conn, [case_id])[case_id]
        if what is not None:
            audit.read(conn, principal=principal, at=flow.clock.now(), what=what, case_id=case_id)
    return row
