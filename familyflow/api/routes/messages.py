"""Messages and their delivery status; admins and business support retry failed ones.
Contact details that bounced, for business support."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query

from familyflow.api import views
from familyflow.api.schemas import MAX_ID, FlaggedContact, MessageOut
from familyflow.http.auth import CurrentUser, CurrentUserDep, FlowDep, require_roles
from familyflow.services import messages, reads

MessageId = Annotated[int, Path(ge=1, le=MAX_ID)]
Status = Literal["needs_review", "queued", "sending", "sent", "delivered", "failed"]


def router() -> APIRouter:
    api = APIRouter(tags=["messages"])

    @api.get("/messages", response_model=list[MessageOut], summary="Messages, newest first")
    def list_messages(
        flow: FlowDep,
        user: CurrentUserDep,
        status: Status | None = None,
        case_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
        offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
    ) -> list[dict[str, Any]]:
        rows = messages.list_messages(
            flow,
            principal=user.principal,
            status=status,
            case_id=case_id,
            limit=limit,
            offset=offset,
        )
        return [views.message(r) for r in rows]

    @api.get("/messages/{message_id}", response_model=MessageOut, summary="A message")
    def get_message(message_id: MessageId, flow: FlowDep, user: CurrentUserDep) -> dict[str, Any]:
        return views.message(
            messages.read_message(flow, principal=user.principal, message_id=message_id)
        )

    @api.post(
        "/messages/{message_id}/retry",
        response_model=MessageOut,
        summary="Send a failed message again (admins, business support)",
    )
    def retry(
        message_id: MessageId,
        flow: FlowDep,
        user: Annotated[CurrentUser, Depends(require_roles("admin", "business_support"))],
    ) -> dict[str, Any]:
        row = messages.retry_message(flow, principal=user.principal, message_id=message_id)
        assert row is not None
        return views.message(row)

    @api.get(
        "/contacts/flagged",
        response_model=list[FlaggedContact],
        summary="Contact details that bounced (permanent failures)",
    )
    def flagged(flow: FlowDep, user: CurrentUserDep) -> list[dict[str, Any]]:
        rows = reads.flagged_contacts(flow, principal=user.principal)
        return [{**r, "reference": views.reference(flow, r["process"], r["case_id"])} for r in rows]

    return api
