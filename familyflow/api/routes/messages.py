"""Messages and their delivery status; admins and business support retry failed ones.
Contact details that bounced, for business support."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query

from engine import store
from engine.errors import InvalidState, NotFound
from familyflow.accounts import audit_row
from familyflow.api import views
from familyflow.api.auth import CurrentUser, CurrentUserDep, FlowDep, require_roles
from familyflow.api.schemas import MAX_ID, FlaggedContact, MessageOut

MessageId = Annotated[int, Path(ge=1, le=MAX_ID)]
Status = Literal["queued", "sending", "sent", "delivered", "failed"]


def _visible_message(flow: FlowDep, user: CurrentUser, message_id: int) -> dict[str, Any]:
    with flow.db.connect() as conn:
        row = store.message(conn, message_id)
        visible = row is not None and (
            user.teams is None
            or (
                row["case_id"] is not None
                and store.case_visible(conn, row["case_id"], teams=user.teams, email=user.email)
            )
        )
    if row is None or not visible:
        raise NotFound(what="message", key=message_id)
    return row


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
        with flow.db.connect() as conn:
            rows = store.search_messages(
                conn,
                teams=user.teams,
                email=user.email,
                status=status,
                case_id=case_id,
                limit=limit,
                offset=offset,
            )
        return [views.message(r) for r in rows]

    @api.get("/messages/{message_id}", response_model=MessageOut, summary="A message")
    def get_message(message_id: MessageId, flow: FlowDep, user: CurrentUserDep) -> dict[str, Any]:
        return views.message(_visible_message(flow, user, message_id))

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
        now = flow.clock.now()
        with flow.db.begin() as conn:
            row = store.message(conn, message_id)
            if row is None:
                raise NotFound(what="message", key=message_id)
            if not store.retry_message(conn, message_id, now=now):
                raise InvalidState(
                    what=f"message {message_id}",
                    state=row["status"],
                    reason="only a failed message can be retried",
                )
            store.record(
                conn,
                audit_row(
                    kind="change",
                    actor=user.actor,
                    at=now,
                    case_id=row["case_id"],
                    rule=row["rule"],
                    reason=f"message {message_id} queued again",
                    detail={"message_id": message_id, "dedupe_key": row["dedupe_key"]},
                ),
            )
            row = store.message(conn, message_id)
        assert row is not None
        return views.message(row)

    @api.get(
        "/contacts/flagged",
        response_model=list[FlaggedContact],
        summary="Contact details that bounced (permanent failures)",
    )
    def flagged(flow: FlowDep, user: CurrentUserDep) -> list[dict[str, Any]]:
        with flow.db.connect() as conn:
            rows = store.flagged_contacts(conn, teams=user.teams, email=user.email)
        return [{**r, "reference": views.reference(flow, r["process"], r["case_id"])} for r in rows]

    return api
