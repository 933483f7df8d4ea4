"""Messages: queued, sent, delivered and failed, each with a preview; admins and
business support can send a failed one again (the same rule as the API's retry).
A failed message is also an item on business support's My work."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from engine.errors import InvalidState, NotFound
from familyflow.http.auth import CsrfTokenDep, CurrentUser, FlowDep
from familyflow.services import messages as messages_service
from familyflow.services import reads
from familyflow.web.casework import reference
from familyflow.web.core import ADMINS, CheckCsrf, PageError, PageUser, page_roles, redirect, render

Status = Literal["needs_review", "queued", "sending", "sent", "delivered", "failed"]
TABS = (
    ("", "All"),
    ("needs_review", "Needs review"),  # texts too long to send: shorten them (PAR-12)
    ("queued", "Queued"),
    ("sent", "Sent"),
    ("delivered", "Delivered"),
    ("failed", "Failed"),
)
TAGS = {
    "needs_review": "govuk-tag--orange",
    "queued": "govuk-tag--grey",
    "sending": "govuk-tag--blue",
    "sent": "govuk-tag--blue",
    "delivered": "govuk-tag--green",
    "failed": "govuk-tag--red",
}


RETRIERS = messages_service.RETRIERS
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
        rows = messages_service.list_messages(
            flow, principal=user.principal, status=status or None, case_id=case, limit=200
        )
        cases = reads.case_rows(
            flow, principal=user.principal, ids=sorted({r["case_id"] for r in rows if r["case_id"]})
        )
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
            can_shorten=user.role in ("business_support", *ADMINS),
        )

    @pages.post("/messages/{message_id}/retry", dependencies=[CheckCsrf])
    def retry(
        message_id: Annotated[int, Path(ge=1, le=2**62)],
        flow: FlowDep,
        user: Annotated[CurrentUser, page_roles(*RETRIERS)],
    ) -> Response:
        try:
            messages_service.retry_message(flow, principal=user.principal, message_id=message_id)
        except NotFound:
            raise PageError(
                404, "Message not found", f"There is no message {message_id}."
            ) from None
        except InvalidState as error:
            raise PageError(
                409,
                "This message cannot be sent again",
                f"Message {message_id} is {error.fields.get('state')}: only a failed "
                "message can be sent again.",
            ) from None
        return redirect("/messages?status=queued", f"Message {message_id} queued to send again")

    return pages
