"""Cases: search, create, read (every read is audited), fire a trigger, add a note."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response, status

from engine import store
from engine.errors import NotFound
from familyflow import describe
from familyflow.accounts import audit_row
from familyflow.api import views
from familyflow.api.auth import CurrentUser, CurrentUserDep, FlowDep, forbid_unless
from familyflow.api.schemas import (
    MAX_ID,
    NO_NUL,
    AuditOut,
    CaseCreate,
    CaseDetail,
    CaseList,
    EventIn,
    EventResult,
    NoteIn,
)
from familyflow.db import read_models, records

CREATORS = ("business_support", "social_worker", "team_manager", "admin")
AUDIT_READERS = ("team_manager", "admin")
CaseId = Annotated[int, Path(ge=1, le=MAX_ID, description="the case's number")]
Filter = Annotated[str | None, Query(pattern=NO_NUL, max_length=200)]
_REFERENCE = re.compile(r"^\s*([A-Za-z]*)[-\s]*0*(\d*)\s*$")


def visible_case(flow: FlowDep, user: CurrentUserDep, case_id: CaseId) -> int:
    """The case id, if the case exists and the caller may see it (otherwise 404)."""
    with flow.db.connect() as conn:
        if not read_models.case_visible(conn, case_id, teams=user.teams, email=user.email):
            raise NotFound(what="case", key=case_id)
    return case_id


VisibleCase = Annotated[int, Depends(visible_case)]


def read_case(flow: FlowDep, user: CurrentUser, case_id: int) -> dict[str, Any]:
    """The case as describe.case shows it, with its messages; the read is audited in the
    same transaction."""
    with flow.db.begin() as conn:
        row = store.load_cases(conn, [case_id]).get(case_id)
        if row is None:
            raise NotFound(what="case", key=case_id)
        found = describe.case(conn, flow, row)
        found["messages"] = [views.message(m) for m in store.messages(conn, case_id=case_id)]
        records.record(
            conn,
            audit_row(
                kind="read",
                actor=user.actor,
                at=flow.clock.now(),
                case_id=case_id,
                reason="case read",
            ),
        )
    return found


def _summary(flow: FlowDep, row: dict[str, Any]) -> dict[str, Any]:
    return {
        **row,
        "reference": views.reference(flow, row["process"], row["id"]),
        "received_at": views.when(row["received_at"]),
        "closed_at": views.when(row["closed_at"]),
        "next_due_at": views.when(row["next_due_at"]),
        "overdue": bool(row["overdue"]),
    }


def router() -> APIRouter:
    api = APIRouter(prefix="/cases", tags=["cases"])

    @api.get("", response_model=CaseList, summary="Search cases")
    def list_cases(
        flow: FlowDep,
        user: CurrentUserDep,
        process: Filter = None,
        state: Filter = None,
        team: Filter = None,
        worker: Annotated[
            str | None,
            Query(pattern=NO_NUL, max_length=320, description="email of anyone on the case"),
        ] = None,
        overdue: bool | None = None,
        due_within_days: Annotated[int | None, Query(ge=0, le=366)] = None,
        q: Annotated[
            str | None,
            Query(pattern=NO_NUL, max_length=40, description="free text on the reference"),
        ] = None,
        open: bool | None = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
        offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
    ) -> dict[str, Any]:
        processes: list[str] | None = [process] if process else None
        id_like = None
        if q:
            match = _REFERENCE.match(q)
            codes = {
                p.name
                for p in flow.services.processes.values()
                if match and p.code.startswith(match[1].upper())
            }
            processes = [p for p in processes or codes if p in codes]
            id_like = match[2] or None if match else None
        now = flow.clock.now()
        with flow.db.connect() as conn:
            rows, total = read_models.search_cases(
                conn,
                now=now,
                teams=user.teams,
                email=user.email,
                processes=processes,
                state=state,
                team=team,
                worker=worker,
                overdue=overdue,
                due_within=now + timedelta(days=due_within_days)
                if due_within_days is not None
                else None,
                id_like=id_like,
                open_only=open,
                limit=limit,
                offset=offset,
            )
        return {
            "items": [_summary(flow, r) for r in rows],
            "total": total,
            "limit": limit,
            "offset": offset,
        }

    @api.post(
        "",
        response_model=CaseDetail,
        status_code=status.HTTP_201_CREATED,
        summary="Record a referral",
    )
    def create_case(
        body: CaseCreate, flow: FlowDep, user: CurrentUserDep, response: Response
    ) -> dict[str, Any]:
        forbid_unless(user, CREATORS, "create cases")
        team = body.team or user.team
        if user.teams is not None and team not in user.teams:
            forbid_unless(user, ("admin",), f"create cases for team {team!r}")
        case_id = flow.create_case(
            process=body.process,
            received_at=body.received_at,
            data=body.data,
            contacts={role: c.model_dump() for role, c in body.contacts.items()},
            actor=user.actor,
            team=team,
        )
        response.headers["Location"] = f"/api/cases/{case_id}"
        return read_case(flow, user, case_id)

    @api.get("/{case_id}", response_model=CaseDetail, summary="Read a case")
    def get_case(case_id: VisibleCase, flow: FlowDep, user: CurrentUserDep) -> dict[str, Any]:
        """State, data, contacts, links, open deadlines, history, messages and Signs of
        Safety. The read is recorded in the audit trail."""
        return read_case(flow, user, case_id)

    @api.post("/{case_id}/events", response_model=EventResult, summary="Fire a trigger")
    def fire(
        case_id: VisibleCase, body: EventIn, flow: FlowDep, user: CurrentUserDep
    ) -> dict[str, Any]:
        """The trigger's allowed roles come from the process definition (403); a trigger
        not allowed in the case's state (409, listing those allowed) or a stale
        `version` (409) changes nothing."""
        moved = flow.fire(
            case_id,
            body.trigger,
            body.data,
            actor=user.actor,
            at=body.at,
            expected_version=body.version,
        )
        definition = flow.services.processes[moved.process]
        return {
            "id": moved.id,
            "reference": views.reference(flow, moved.process, moved.id),
            "state": moved.state,
            "version": moved.version,
            "allowed_triggers": list(definition.allowed_triggers(moved.state)),
        }

    @api.post("/{case_id}/notes", status_code=status.HTTP_204_NO_CONTENT, summary="Add a case note")
    def add_note(
        case_id: VisibleCase, body: NoteIn, flow: FlowDep, user: CurrentUserDep
    ) -> Response:
        """Some kinds (manager_oversight, session, ...) meet a timescale."""
        flow.add_note(case_id, text=body.text, kind=body.kind, actor=user.actor, at=body.at)
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    @api.get(
        "/{case_id}/audit",
        response_model=list[AuditOut],
        summary="The case's full audit trail, reads included",
    )
    def case_audit(
        case_id: VisibleCase,
        flow: FlowDep,
        user: CurrentUserDep,
        limit: Annotated[int, Query(ge=1, le=1000)] = 200,
        offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
    ) -> list[dict[str, Any]]:
        forbid_unless(user, AUDIT_READERS, "read the audit trail")
        with flow.db.connect() as conn:
            rows = records.audit_trail(conn, case_id=case_id, limit=limit, offset=offset)
        return [views.audit(r) for r in rows]

    return api
