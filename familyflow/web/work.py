"""Signing in, and My work: the person's due and overdue items across processes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from engine.service import FamilyFlow
from familyflow.http.auth import CsrfTokenDep, FlowDep, OptionalUserDep
from familyflow.services import reads
from familyflow.web.casework import reference, work_items
from familyflow.web.core import PageUser, redirect, render
from familyflow.web.messages import failed_item

SIGN_IN_ERRORS = {
    "failed": "The email address or password is wrong",
    "missing": "Enter your email address and password",
    "wait": "Too many failed sign-ins: wait a minute, then try again",
}


def replies_on_my_cases(flow: FamilyFlow, found: reads.Listing) -> list[dict[str, Any]]:
    """Parents' replies noted lately on the cases the person works (PAR-12)."""
    shown = []
    for row in found.replies:
        case = found.cases.get(row["case_id"])
        process = flow.services.processes.get(case.process) if case else None
        if process is not None:
            shown.append({**row, "reference": reference(process, row["case_id"])})
    return shown


def router() -> APIRouter:
    pages = APIRouter(include_in_schema=False)

    @pages.get("/login", response_class=HTMLResponse)
    def login(
        request: Request,
        user: OptionalUserDep,
        csrf: CsrfTokenDep,
        next: Annotated[str, Query(max_length=2000)] = "/",
        error: Annotated[str | None, Query(max_length=20)] = None,
    ) -> HTMLResponse:
        errors = (
            [{"text": SIGN_IN_ERRORS[error], "href": "#email"}] if error in SIGN_IN_ERRORS else []
        )
        return render(
            request, "login.html", user=None, csrf=csrf, errors=errors, next_path=next, email=""
        )

    @pages.get("/", response_class=HTMLResponse)
    def my_work(
        request: Request, flow: FlowDep, user: PageUser, csrf: CsrfTokenDep
    ) -> HTMLResponse:
        now = flow.clock.now()
        found = reads.my_work(flow, principal=user.principal)
        items = work_items(flow, found.due, found.cases, now)
        recent = replies_on_my_cases(flow, found)
        failed = [failed_item(m) for m in found.failed]
        counts = {
            colour: sum(1 for i in items if i.rag.colour == colour)
            for colour in ("red", "amber", "green")
        }
        return render(
            request,
            "my_work.html",
            user=user,
            csrf=csrf,
            items=items,
            counts=counts,
            replies=recent,
            failed=failed,
        )

    @pages.get("/work")
    def work_alias() -> object:
        return redirect("/")

    return pages
