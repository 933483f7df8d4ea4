"""Signing in, and My work: the person's due and overdue items across processes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from engine import store
from familyflow.api.auth import CsrfTokenDep, FlowDep, OptionalUserDep
from familyflow.web.casework import work_items
from familyflow.web.core import PageUser, redirect, render
from familyflow.web.messages import RETRIERS, failed_item

SIGN_IN_ERRORS = {
    "failed": "The email address or password is wrong",
    "locked": "Too many failed sign-ins: this account is locked for 15 minutes",
}


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
            # Business support acts on messages that will not arrive: retry or fix the contact.
            failed = (
                [
                    failed_item(m)
                    for m in store.failed_messages(conn, teams=user.teams, email=user.email)
                ]
                if user.role in RETRIERS
                else []
            )
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
            failed=failed,
        )

    @pages.get("/work")
    def work_alias() -> object:
        return redirect("/")

    return pages
