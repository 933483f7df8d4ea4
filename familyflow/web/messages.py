"""Messages: queued, sent, delivered and failed, each with a preview; admins and
business support can send a failed one again (the same rule as the API's retry).
A failed message is also an item on business support's My work."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from engine import store
from familyflow.accounts import audit_row
from familyflow.api.auth import CsrfTokenDep, CurrentUser, FlowDep
from familyflow.web.casework import reference
from familyflow.web.core import ADMINS, CheckCsrf, PageError, PageUser, page_roles, redirect, render

Status = Literal["queued", "sending", "sent", "delivered", "failed"]
TABS = (
    ("", "All"),
    ("queued", "Queued"),
    ("sent", "Sent"),
    ("delivered", "Delivered"),
    ("failed", "Failed"),
)
TAGS = {
    "queued": "govuk-tag--grey",
    "sending": "govuk-tag--blue",
    "sent": "govuk-tag--blue",
    "delivered": "govuk-tag--green",
    "failed": "govuk-tag--red",
}


RETRIERS = (*ADMINS, "business_support")
_WRAPPED = re.compile(r"^delivery of message \d+ [^:]*: ")


def failure_reason(row: Mapping[str, Any]) -> str:
    """Why a message failed, without our own wrapping: "number not in service"."""
    return _WRAPPED.sub("", row["last_error"] or "no reason recorded")


def failed_item(row: Mapping[str, Any]) -> dict[str, Any]:
    """A failed message as something to act on: "Text to Jo Parent's mobile failed: ..."."""
    sms = row["medium"] == "sms"
    who = row["to_name"] or (row["to_role"] or "recipient").replace("_", " ")
    return {
        "id": row["id"],
        "case_id": row["case_id"],
        "rule": row["rule"],
        "text": f"{'Text' if sms else 'Email'} to {who}'s {'mobile' if sms else 'email'} "
        f"failed: {failure_reason(row)}",
        "edit_href": f"/cases/{row['case_id']}#contacts" if row["case_id"] else None,
    }


def router() -> APIRouter:
    pages = APIRouter(include_in_schema=False)

    @pages.get("/messages", response_class=HTMLResponse)
    def messages(
        request: Request,
        flow: FlowDep,
        user: PageUser,
        csrf: CsrfTokenDep,
        status: Annotated[Status | Literal[""] | None, Query()] = None,
        case: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    ) -> HTMLResponse:
        with flow.db.connect() as conn:
            rows = store.search_messages(
                conn,
                teams=user.teams,
                email=user.email,
                status=status or None,
                case_id=case,
                limit=200,
            )
            cases = store.load_cases(conn, sorted({r["case_id"] for r in rows if r["case_id"]}))
        shown: list[dict[str, Any]] = []
        for r in rows:
            case_row = cases.get(r["case_id"]) if r["case_id"] else None
            process = flow.services.processes.get(case_row.process) if case_row else None
            shown.append(
                {
                    **r,
                    "tag": TAGS.get(r["status"], "govuk-tag--grey"),
                    "problem": failed_item(r)["text"] if r["status"] == "failed" else None,
                    "reference": reference(process, case_row.id) if process and case_row else "",
                }
            )
        return render(
            request,
            "messages.html",
            user=user,
            csrf=csrf,
            rows=shown,
            tabs=TABS,
            current=status or "",
            case=case,
            can_retry=user.role in RETRIERS,
        )

    @pages.post("/messages/{message_id}/retry", dependencies=[CheckCsrf])
    def retry(
        message_id: Annotated[int, Path(ge=1, le=2**62)],
        flow: FlowDep,
        user: Annotated[CurrentUser, page_roles(*RETRIERS)],
    ) -> Response:
        now = flow.clock.now()
        with flow.db.begin() as conn:
            row = store.message(conn, message_id)
            if row is None:
                raise PageError(404, "Message not found", f"There is no message {message_id}.")
            if not store.retry_message(conn, message_id, now=now):
                raise PageError(
                    409,
                    "This message cannot be sent again",
                    f"Message {message_id} is {row['status']}: only a failed "
                    "message can be sent again.",
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
        return redirect("/messages?status=queued", f"Message {message_id} queued to send again")

    return pages
