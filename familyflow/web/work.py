"""Signing in, and My work: the person's due and overdue items across processes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from engine.service import FamilyFlow
from familyflow.http.auth import CsrfTokenDep, FlowDep, OptionalUserDep
from familyflow.services import work
from familyflow.services.work import COUNT_CAP, WAITING_SHOWN, WorkPage
from familyflow.web.casework import about, actions, reference, work_items
from familyflow.web.core import PageUser, redirect, render
from familyflow.web.messages import failed_item

SIGN_IN_ERRORS = {
    "failed": "The email address or password is wrong",
    "missing": "Enter your email address and password",
    "wait": "Too many failed sign-ins: wait a minute, then try again",
}


def replies_on_my_cases(flow: FamilyFlow, found: WorkPage) -> list[dict[str, Any]]:
    """Parents' replies noted lately on the cases the person works (PAR-12)."""
    shown = []
    for row in found.replies:
        case = found.cases.get(row["case_id"])
        process = flow.services.processes.get(case.process) if case else None
        if process is not None:
            shown.append({**row, "reference": reference(process, row["case_id"])})
    return shown


def waiting_items(flow: FamilyFlow, found: WorkPage) -> list[dict[str, Any]]:
    """Cases waiting for a team manager (a new referral to confirm or allocate)."""
    shown = []
    for row in found.waiting:
        case = found.cases.get(row["id"])
        process = flow.services.processes.get(row["process"])
        if case is None or process is None:
            continue
        onward = [a for a in actions(process, case.state) if "team_manager" in a.roles]
        forward = [a for a in onward if a.trigger != "close"] or onward
        shown.append(
            {
                "case_id": case.id,
                "reference": reference(process, case.id),
                "person": about(case.contacts),
                "process_title": process.title,
                "state": case.state,
                "received_at": case.received_at,
                "actions": [
                    {"href": f"/cases/{case.id}/act/{a.trigger}", "label": a.label, "rule": a.rule}
                    for a in forward[:2]
                ],
            }
        )
    return shown


def pagination(page: int, pages: int) -> list[int | None]:
    """GOV.UK pagination's page numbers: the first, the last and those either side of
    the current one, with None for each gap (an ellipsis)."""
    wanted = sorted({1, pages, page - 1, page, page + 1} & set(range(1, pages + 1)))
    shown: list[int | None] = []
    for number in wanted:
        if shown and number - (shown[-1] or 0) > 1:
            shown.append(None)
        shown.append(number)
    return shown


def counted(number: int) -> str:
    return f"more than {COUNT_CAP:,}" if number > COUNT_CAP else f"{number:,}"


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
        request: Request,
        flow: FlowDep,
        user: PageUser,
        csrf: CsrfTokenDep,
        page: Annotated[int, Query(ge=1, le=10_000)] = 1,
        waiting: Annotated[int, Query(ge=1, le=10_000)] = 1,
    ) -> HTMLResponse:
        now = flow.clock.now()
        found = work.my_work(flow, principal=user.principal, page=page, waiting_page=waiting)
        items = work_items(flow, found.due, found.cases, now, role=user.role)
        return render(
            request,
            "my_work.html",
            user=user,
            csrf=csrf,
            items=items,
            total=found.total,
            total_text=counted(found.total),
            overdue_text=counted(found.overdue),
            page=found.page,
            pages=found.pages,
            page_numbers=pagination(found.page, found.pages),
            waiting=waiting_items(flow, found),
            waiting_total=counted(found.waiting_total),
            waiting_page=found.waiting_page,
            waiting_pages=found.waiting_pages,
            waiting_first=(found.waiting_page - 1) * WAITING_SHOWN + 1,
            waiting_last=(found.waiting_page - 1) * WAITING_SHOWN + len(found.waiting),
            # Each list's pages keep the other list's place.
            keep_page=f"&page={found.page}" if found.page > 1 else "",
            keep_waiting=f"&waiting={found.waiting_page}" if found.waiting_page > 1 else "",
            is_manager=user.role == "team_manager",
            replies=replies_on_my_cases(flow, found),
            failed=[failed_item(m) for m in found.failed],
        )

    @pages.get("/work")
    def work_alias() -> object:
        return redirect("/")

    return pages
