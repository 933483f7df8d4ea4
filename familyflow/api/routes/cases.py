"""Cases: search, create, read (every read is audited), fire a trigger, add a note."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response, status

from engine.service import FamilyFlow
from familyflow.api import views
from familyflow.api.schemas import (
    MAX_ID,
    NO_NUL,
    AuditOut,
    CaseCreate,
    CaseDetail,
    CaseList,
    ContactIn,
    EventIn,
    EventResult,
    NoteIn,
)
from familyflow.http.auth import CurrentUser, CurrentUserDep, FlowDep
from familyflow.services import cases, reads
from familyflow.services.cases import CaseRow

CaseId = Annotated[int, Path(ge=1, le=MAX_ID, description="the case's number")]
Filter = Annotated[str | None, Query(pattern=NO_NUL, max_length=200)]
_REFERENCE = re.compile(r"^\s*([A-Za-z]*)[-\s]*0*(\d*)\s*$")


def visible_case(flow: FlowDep, user: CurrentUserDep, case_id: CaseId) -> int:
    """The case id, if the case exists and the caller may see it (otherwise 404)."""
    reads.check_visible(flow, principal=user.principal, case_id=case_id)
    return case_id


VisibleCase = Annotated[int, Depends(visible_case)]


def read_case(flow: FlowDep, user: CurrentUser, case_id: int) -> dict[str, Any]:
    """The case as describe.case shows it, with its messages; the read is audited."""
    found = cases.read_case(flow, principal=user.principal, case_id=case_id).detail
    return {**found, "messages": [views.message(m) for m in found["messages"]]}


def _summary(flow: FlowDep, row: dict[str, Any]) -> dict[str, Any]:
    return {
        **row,
        "reference": views.reference(flow, row["process"], row["id"]),
        "received_at": views.when(row["received_at"]),
        "closed_at": views.when(row["closed_at"]),
        "next_due_at": views.when(row["next_due_at"]),
        "overdue": bool(row["overdue"]),
    }


def _event_result(flow: FamilyFlow, moved: CaseRow) -> dict[str, Any]:
    """What an event or a contact change answers: the case's new state and next moves."""
    definition = flow.services.processes[moved.process]
    return {
        "id": moved.id,
        "reference": views.reference(flow, moved.process, moved.id),
        "state": moved.state,
        "version": moved.version,
        "allowed_triggers": list(definition.allowed_triggers(moved.state)),
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
        rows, total = reads.search_cases(
            flow,
            principal=user.principal,
            filters=reads.CaseFilters(
                processes=processes,
                state=state,
                team=team,
                worker=worker,
                overdue=overdue,
                due_within_days=due_within_days,
                id_like=id_like,
                open_only=open,
            ),
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
        case_id = cases.create_case(
            flow,
            principal=user.principal,
            team=body.team or user.team,
            process=body.process,
            received_at=body.received_at,
            data=body.data,
            contacts={role: c.model_dump() for role, c in body.contacts.items()},
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
        moved = cases.fire(
            flow,
            principal=user.principal,
            case_id=case_id,
            trigger=body.trigger,
            data=body.data,
            at=body.at,
            expected_version=body.version,
        )
        return _event_result(flow, moved)

    @api.post("/{case_id}/notes", status_code=status.HTTP_204_NO_CONTENT, summary="Add a case note")
    def add_note(
        case_id: VisibleCase, body: NoteIn, flow: FlowDep, user: CurrentUserDep
    ) -> Response:
        """Some kinds (manager_oversight, session, ...) meet a timescale."""
        cases.add_note(
            flow,
            principal=user.principal,
            case_id=case_id,
            text=body.text,
            kind=body.kind,
            at=body.at,
        )
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    @api.put(
        "/{case_id}/contacts/{role}",
        response_model=EventResult,
        summary="Change a contact (business support, team managers, admins)",
    )
    def change_contact(
        case_id: VisibleCase,
        role: Annotated[str, Path(pattern=NO_NUL, max_length=40)],
        body: ContactIn,
        flow: FlowDep,
        user: CurrentUserDep,
    ) -> dict[str, Any]:
        """Replaces whoever holds the role on the case; audited with before and after."""
        moved = cases.change_contact(
            flow,
            principal=user.principal,
            case_id=case_id,
            role=role,
            contact=body.model_dump(),
            at=None,
        )
        return _event_result(flow, moved)

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
        rows = reads.audit_trail(
            flow, principal=user.principal, case_id=case_id, limit=limit, offset=offset
        )
        return [views.audit(r) for r in rows]

    return api
