"""Signing in, and My work: the person's due and overdue items across processes."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.engine import Connection

from engine import replies, store
from engine.service import FamilyFlow
from familyflow.api.auth import CsrfTokenDep, CurrentUser, FlowDep, OptionalUserDep
from familyflow.web.casework import reference, work_items
from familyflow.web.core import PageUser, redirect, render

SIGN_IN_ERRORS = {
    "failed": "The email address or password is wrong",
    "missing": "Enter your email address and password",
    "wait": "Too many failed sign-ins: wait a minute, then try again",
}


def replies_on_my_cases(
    flow: FamilyFlow, conn: Connection, user: CurrentUser, now: datetime
) -> list[dict[str, Any]]:
    """Parents' replies noted in the last 14 days on the cases the person works (PAR-12)."""
    rows = replies.recent(
        conn, email=None if user.is_admin else user.email, since=now - timedelta(days=14)
    )
    cases = store.load_cases(conn, sorted({r["case_id"] for r in rows}))
    shown = []
    for row in rows:
        case = cases.get(row["case_id"])
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
        with flow.db.connect() as conn:
            if user.is_admin:
                rows = store.unmet_deadlines(conn)
            else:
                teams = user.teams if user.role == "team_manager" else None
                rows = store.unmet_deadlines(conn, contact_email=user.email, teams=teams or None)
            cases = store.load_cases(conn, sorted({r["case_id"] for r in rows}))
            recent = replies_on_my_cases(flow, conn, user, now)
        items = work_items(flow, rows, cases, now)
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
        )

    @pages.get("/work")
    def work_alias() -> object:
        return redirect("/")

    return pages
