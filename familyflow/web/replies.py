"""Parents' replies by text: those that matched no open case, or several, wait here
for business support to put on the right case (PAR-12). A reply that matched one
case is already a note on it, and on its worker's My work.

Also the Messages page's action for a text too long to send: shorten it and send."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse, Response

from engine.errors import FamilyFlowError
from familyflow.http.auth import CsrfTokenDep, CurrentUser, FlowDep
from familyflow.services import replies
from familyflow.web.casework import reference
from familyflow.web.core import (
    ADMINS,
    CheckCsrf,
    PageError,
    page_roles,
    redirect,
    render,
    sentence,
)

ASSIGNERS = ("business_support", *ADMINS)
_CASE = re.compile(r"^\s*(?:[A-Za-z0-9]+-)?0*(\d{1,12})\s*$")


def router() -> APIRouter:
    pages = APIRouter(include_in_schema=False)

    @pages.get("/replies", response_class=HTMLResponse)
    def waiting(
        request: Request,
        flow: FlowDep,
        user: Annotated[CurrentUser, page_roles(*ASSIGNERS)],
        csrf: CsrfTokenDep,
    ) -> HTMLResponse:
        rows, cases = replies.waiting(flow, principal=user.principal)
        shown: list[dict[str, Any]] = []
        for row in rows:
            candidates = []
            for case_id in row["candidates"]:
                case = cases.get(case_id)
                process = flow.services.processes.get(case.process) if case else None
                if case is not None and process is not None:
                    candidates.append({"id": case_id, "reference": reference(process, case_id)})
            shown.append({**row, "cases": candidates})
        return render(request, "replies.html", user=user, csrf=csrf, rows=shown)

    @pages.post("/replies/{reply_id}/assign", dependencies=[CheckCsrf])
    def assign(
        reply_id: Annotated[int, Path(ge=1, le=2**62)],
        flow: FlowDep,
        user: Annotated[CurrentUser, page_roles(*ASSIGNERS)],
        case: Annotated[str, Form(max_length=40)] = "",
    ) -> Response:
        match = _CASE.match(case)
        if match is None:
            raise PageError(
                400,
                "Say which case the reply is about",
                "Case: give its reference (PAR-000123) or number.",
            )
        case_id = int(match[1])
        try:
            replies.assign(flow, principal=user.principal, reply_id=reply_id, case_id=case_id)
        except FamilyFlowError as error:
            raise PageError(
                error.http_status, "The reply was not assigned", sentence(error)
            ) from None
        return redirect("/replies", f"Reply {reply_id} added to case {case_id} as a case note")

    @pages.post("/messages/{message_id}/shorten", dependencies=[CheckCsrf])
    def shorten(
        message_id: Annotated[int, Path(ge=1, le=2**62)],
        flow: FlowDep,
        user: Annotated[CurrentUser, page_roles(*ASSIGNERS)],
        body: Annotated[str, Form(max_length=2000)] = "",
    ) -> Response:
        try:
            replies.shorten_and_send(
                flow, principal=user.principal, message_id=message_id, body=body
            )
        except FamilyFlowError as error:
            raise PageError(error.http_status, "The text was not sent", sentence(error)) from None
        return redirect("/messages?status=queued", f"Text {message_id} shortened and queued")

    return pages
