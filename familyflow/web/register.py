"""The register of a parenting group: sessions across, parents down, attended or
missed in each cell. Recording a miss fires `record_session`, which texts the
parent (PAR-12) exactly as it does from the API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from engine.errors import FamilyFlowError, NotFound
from familyflow.http.auth import CsrfTokenDep, CurrentUser, FlowDep
from familyflow.services import cases as services_cases
from familyflow.services import reads
from familyflow.web.casework import about, reference
from familyflow.web.core import CheckCsrf, PageUser, redirect, render

PROCESS = "parenting"
TRIGGER = "record_session"


def groups(flow: Any, user: CurrentUser) -> dict[str, list[Any]]:
    """Registered families by group (venue), open cases first."""
    cases = reads.register(flow, principal=user.principal, process=PROCESS)
    by_group: dict[str, list[Any]] = {}
    for case in sorted(cases.values(), key=lambda c: (c.closed_at is not None, c.id)):
        if case.data.get("session_times") and case.data.get("venue"):
            by_group.setdefault(str(case.data["venue"]), []).append(case)
    return dict(sorted(by_group.items()))


def _label(session: str) -> str:
    moment = datetime.fromisoformat(session)
    from engine.clock import local

    here = local(moment)
    return f"{here:%a} {here.day} {here:%b %H:%M}"


def router() -> APIRouter:
    pages = APIRouter(include_in_schema=False)

    def page(
        request: Request,
        flow: Any,
        user: CurrentUser,
        csrf: str,
        group: str | None,
        *,
        errors: list[dict[str, str]] | None = None,
        status: int = 200,
    ) -> HTMLResponse:
        found = groups(flow, user)
        chosen = group if group in found else next(iter(found), None)
        families = found.get(chosen, []) if chosen else []
        sessions = sorted({s for c in families for s in c.data.get("session_times", [])})
        process = flow.services.processes[PROCESS]
        grid = []
        for case in families:
            recorded = {a["session"]: a["attended"] for a in case.data.get("attendance", [])}
            mine = set(case.data.get("session_times", []))
            grid.append(
                {
                    "case": case,
                    "reference": reference(process, case.id),
                    "person": about(case.contacts),
                    "open": case.closed_at is None,
                    "missed": len(case.data.get("missed_sessions", [])),
                    "cells": [
                        {
                            "session": s,
                            "label": _label(s),
                            "booked": s in mine,
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
        )

    @pages.get("/register", response_class=HTMLResponse)
    def register(
        request: Request,
        flow: FlowDep,
        user: PageUser,
        csrf: CsrfTokenDep,
        group: Annotated[str | None, Query(max_length=200)] = None,
    ) -> HTMLResponse:
        return page(request, flow, user, csrf, group)

    @pages.post("/register", dependencies=[CheckCsrf])
    async def record(
        request: Request, flow: FlowDep, user: PageUser, csrf: CsrfTokenDep
    ) -> Response:
        form = await request.form()
        group = str(form.get("group") or "")
        case_id = str(form.get("case_id") or "")
        session = str(form.get("session") or "")
        attended = form.get("attended") == "yes"
        try:
            if not case_id.isdigit():
                raise ValueError("That family is not on this register.")
            moved = services_cases.fire(
                flow,
                principal=user.principal,
                case_id=int(case_id),
                trigger=TRIGGER,
                data={"session": session, "attended": attended},
            )
        except NotFound:
            return page(
                request,
                flow,
                user,
                csrf,
                group,
                errors=[{"text": "That family is not on this register.", "href": ""}],
                status=400,
            )
        except (FamilyFlowError, ValueError) as error:
            return page(
                request,
                flow,
                user,
                csrf,
                group,
                errors=[{"text": str(error), "href": ""}],
                status=getattr(error, "http_status", 400),
            )
        process = flow.services.processes[PROCESS]
        name = about(moved.contacts) or reference(process, moved.id)
        if attended:
            notice = f"{name}: attended {_label(session)}"
        elif moved.state == "closed":
            notice = f"{name}: third missed session; the place is closed (PAR-14)"
        else:
            notice = f"{name}: missed {_label(session)}; a text to the parent is queued (PAR-12)"
        from urllib.parse import quote

        return redirect(f"/register?group={quote(group)}", notice)

    return pages
