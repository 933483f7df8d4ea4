"""Processes: each one's stages and moves drawn as a diagram, its timescales with
rule IDs, and how each rule is met."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response

from familyflow import describe
from familyflow.http.auth import CsrfTokenDep, FlowDep, SettingsDep
from familyflow.web.core import PageError, PageUser, redirect, render
from workflows.spec import ANY_STATE


def router() -> APIRouter:
    pages = APIRouter(include_in_schema=False)

    @pages.get("/processes")
    def first(flow: FlowDep, user: PageUser) -> Response:
        return redirect(f"/processes/{next(iter(flow.services.processes))}")

    @pages.get("/processes/{name}", response_class=HTMLResponse)
    def process(
        request: Request,
        name: Annotated[str, Path(max_length=100)],
        flow: FlowDep,
        settings: SettingsDep,
        user: PageUser,
        csrf: CsrfTokenDep,
    ) -> HTMLResponse:
        definition = flow.services.processes.get(name)
        if definition is None:
            raise PageError(404, "Process not found", f"There is no process called {name!r}.")
        found = describe.process(settings, name)
        moves: dict[str, list[dict[str, object]]] = {s: [] for s in definition.states}
        anywhere = []
        for t in found["triggers"]:
            entry = {**t, "to": t["to"] or None}
            if ANY_STATE in t["from"]:
                anywhere.append(entry)
            for state in t["from"]:
                if state in moves:
                    moves[state].append(entry)
        return render(
            request,
            "process.html",
            user=user,
            csrf=csrf,
            process=definition,
            found=found,
            moves=moves,
            anywhere=anywhere,
            processes=list(flow.services.processes.values()),
        )

    return pages
