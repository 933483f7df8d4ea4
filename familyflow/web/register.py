"""The register of a parenting group: sessions across, parents down, attended or
missed in each cell, for sessions that have started (PAR-11, PAR-12).

Attended is recorded at once. Missed asks first (a confirmation page, with an
optional reason), because a miss texts the parent (PAR-12) and the third closes
the place (PAR-14). The text waits out the undo window (FAMILYFLOW_SMS_UNDO_MINUTES)
and the register offers Undo until then, which takes back both the record and
the text (familyflow/services/attendance.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from engine.clock import local
from engine.errors import FamilyFlowError, NotFound
from engine.service import FamilyFlow
from familyflow.http.auth import CsrfTokenDep, CurrentUser, FlowDep
from familyflow.services import attendance, reads
from familyflow.services.attendance import minutes
from familyflow.services.cases import CaseRow
from familyflow.web.casework import about, reference
from familyflow.web.core import CheckCsrf, PageError, PageUser, redirect, render, sentence

PROCESS = "parenting"
NOT_ON_REGISTER = "That family is not on this register."


def groups(flow: Any, user: CurrentUser) -> dict[str, list[Any]]:
    """Registered families by group (venue), open cases first."""
    cases = reads.register(flow, principal=user.principal, process=PROCESS)
    by_group: dict[str, list[Any]] = {}
    for case in sorted(cases.values(), key=lambda c: (c.closed_at is not None, c.id)):
        if case.data.get("session_times") and case.data.get("venue"):
            by_group.setdefault(str(case.data["venue"]), []).append(case)
    return dict(sorted(by_group.items()))


def _label(session: str) -> str:
    here = local(datetime.fromisoformat(session))
    return f"{here:%a} {here.day} {here:%b %H:%M}"


def _back(group: str) -> str:
    return f"/register?group={quote(group)}" if group else "/register"


def _page(
    request: Request,
    flow: FamilyFlow,
    user: CurrentUser,
    csrf: str,
    group: str | None,
    *,
    errors: list[dict[str, str]] | None = None,
    status: int = 200,
) -> HTMLResponse:
    found = groups(flow, user)
    chosen = group if group in found else next(iter(found), None)
    families: list[CaseRow] = found.get(chosen, []) if chosen else []
    sessions = sorted({s for c in families for s in c.data.get("session_times", [])})
    process = flow.services.processes[PROCESS]
    now = flow.clock.now()
    offers = attendance.undo_offers(
        flow, principal=user.principal, cases={c.id: c for c in families}
    )
    grid = []
    for case in families:
        recorded = {a["session"]: a["attended"] for a in case.data.get("attendance", [])}
        mine = set(case.data.get("session_times", []))
        offer = offers.get(case.id)
        grid.append(
            {
                "case": case,
                "reference": reference(process, case.id),
                "person": about(case.contacts),
                "open": case.closed_at is None,
                "missed": len(case.data.get("missed_sessions", [])),
                "undo": {
                    "label": _label(offer.session),
                    "attended": offer.attended,
                    "until": offer.until,
                }
                if offer
                else None,
                "cells": [
                    {
                        "session": s,
                        "label": _label(s),
                        "booked": s in mine,
                        # PAR-12: nothing is recorded about a session before it starts.
                        "started": datetime.fromisoformat(s) <= now,
                        "attended": recorded.get(s),
                    }
                    for s in sessions
                ],
            }
        )
    return render(
        request,
        "register.html",
        user=user,
        csrf=csrf,
        errors=errors or [],
        status=status,
        groups=list(found),
        group=chosen,
        sessions=[(s, _label(s)) for s in sessions],
        grid=grid,
        undo_minutes=minutes(flow.services.undo_window),
    )


def _family(flow: FamilyFlow, user: CurrentUser, case_id: str) -> CaseRow:
    if not case_id.isdigit():
        raise PageError(404, "Family not found", NOT_ON_REGISTER)
    for families in groups(flow, user).values():
        for case in families:
            if case.id == int(case_id):
                return case
    raise PageError(404, "Family not found", NOT_ON_REGISTER)


def router() -> APIRouter:
    pages = APIRouter(include_in_schema=False)

    def confirm_page(
        request: Request,
        flow: FamilyFlow,
        user: CurrentUser,
        csrf: str,
        *,
        case_id: str,
        session: str,
        group: str,
        reason: str = "",
        errors: list[dict[str, str]] | None = None,
        status: int = 200,
    ) -> HTMLResponse:
        case = _family(flow, user, case_id)
        if session not in case.data.get("session_times", []):
            raise PageError(404, "Session not found", "That session is not on this register.")
        process = flow.services.processes[PROCESS]
        missed = len(case.data.get("missed_sessions", []))
        return render(
            request,
            "register_missed.html",
            user=user,
            csrf=csrf,
            errors=errors or [],
            status=status,
            case=case,
            reference=reference(process, case.id),
            person=about(case.contacts) or reference(process, case.id),
            session=session,
            label=_label(session),
            group=group,
            back=_back(group),
            reason=reason,
            closes=missed + 1 >= 3,
            has_mobile=any(c["role"] == "parent" and c.get("mobile") for c in case.contacts),
            undo_minutes=minutes(flow.services.undo_window),
        )

    @pages.get("/register", response_class=HTMLResponse)
    def register(
        request: Request,
        flow: FlowDep,
        user: PageUser,
        csrf: CsrfTokenDep,
        group: Annotated[str | None, Query(max_length=200)] = None,
    ) -> HTMLResponse:
        return _page(request, flow, user, csrf, group)

    @pages.post("/register", dependencies=[CheckCsrf])
    async def record(
        request: Request, flow: FlowDep, user: PageUser, csrf: CsrfTokenDep
    ) -> Response:
        """Attended, recorded at once; a miss goes to its confirmation page first."""
        form = await request.form()
        group = str(form.get("group") or "")
        case_id = str(form.get("case_id") or "")
        session = str(form.get("session") or "")
        if form.get("attended") != "yes":
            query = urlencode({"case_id": case_id, "session": session, "group": group})
            return redirect(f"/register/missed?{query}")
        try:
            if not case_id.isdigit():
                raise NotFound(what="case", key=case_id)
            moved = attendance.record_session(
                flow,
                principal=user.principal,
                case_id=int(case_id),
                session=session,
                attended=True,
            )
        except NotFound:
            errors = [{"text": NOT_ON_REGISTER, "href": ""}]
            return _page(request, flow, user, csrf, group, errors=errors, status=400)
        except FamilyFlowError as error:
            errors = [{"text": sentence(error), "href": ""}]
            return _page(request, flow, user, csrf, group, errors=errors, status=error.http_status)
        name = about(moved.contacts) or reference(flow.services.processes[PROCESS], moved.id)
        return redirect(_back(group), f"{name}: attended {_label(session)}")

    @pages.get("/register/missed", response_class=HTMLResponse)
    def confirm_missed(
        request: Request,
        flow: FlowDep,
        user: PageUser,
        csrf: CsrfTokenDep,
        case_id: Annotated[str, Query(max_length=20)] = "",
        session: Annotated[str, Query(max_length=64)] = "",
        group: Annotated[str, Query(max_length=200)] = "",
    ) -> HTMLResponse:
        return confirm_page(
            request, flow, user, csrf, case_id=case_id, session=session, group=group
        )

    @pages.post("/register/missed", dependencies=[CheckCsrf])
    async def record_missed(
        request: Request, flow: FlowDep, user: PageUser, csrf: CsrfTokenDep
    ) -> Response:
        form = await request.form()
        group = str(form.get("group") or "")
        case_id = str(form.get("case_id") or "")
        session = str(form.get("session") or "")
        reason = str(form.get("reason") or "")
        case = _family(flow, user, case_id)
        try:
            moved = attendance.record_session(
                flow,
                principal=user.principal,
                case_id=case.id,
                session=session,
                attended=False,
                reason=reason,
            )
        except FamilyFlowError as error:
            field = error.fields.get("field")
            errors = [
                {
                    "text": sentence(error),
                    "href": "#reason" if field == "reason" else "",
                    "field": str(field or ""),
                }
            ]
            return confirm_page(
                request,
                flow,
                user,
                csrf,
                case_id=case_id,
                session=session,
                group=group,
                reason=reason,
                errors=errors,
                status=error.http_status,
            )
        name = about(moved.contacts) or reference(flow.services.processes[PROCESS], moved.id)
        window = minutes(flow.services.undo_window)
        if moved.state == "closed":
            notice = (
                f"{name}: third missed session; the place is closed (PAR-14). "
                f"You can undo this for {window}."
            )
        else:
            notice = (
                f"{name}: missed {_label(session)}. The text to the parent goes in {window} "
                "unless you undo it (PAR-12)."
            )
        return redirect(_back(group), notice)

    @pages.post("/register/undo", dependencies=[CheckCsrf])
    async def undo(request: Request, flow: FlowDep, user: PageUser, csrf: CsrfTokenDep) -> Response:
        form = await request.form()
        group = str(form.get("group") or "")
        case = _family(flow, user, str(form.get("case_id") or ""))
        try:
            moved = attendance.undo_session(flow, principal=user.principal, case_id=case.id)
        except FamilyFlowError as error:
            errors = [{"text": sentence(error), "href": ""}]
            return _page(request, flow, user, csrf, group, errors=errors, status=error.http_status)
        name = about(moved.contacts) or reference(flow.services.processes[PROCESS], moved.id)
        return redirect(_back(group), f"{name}: the record was undone; nothing was sent")

    return pages
