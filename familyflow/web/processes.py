"""Processes: each one's stages and moves drawn as a diagram, its timescales with
rule IDs, and how each rule is met."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response

from familyflow import describe
from familyflow.http.auth import CsrfTokenDep, FlowDep, SettingsDep
from familyflow.web.core import PageError, PageUser, humanise, redirect, render
from workflows.spec import ANY_STATE, Process, Transition


def _label(text: str) -> str:
    """A name as Mermaid may show it: its own punctuation (":", quotes) left out."""
    return humanise(text).replace(":", "").replace('"', "")


def _diagram(process: Process, moves: list[Transition], states: list[str], title: str) -> str:
    """Mermaid text for these stages and moves (a move from any stage is listed, not drawn:
    drawn from every stage it would bury the diagram)."""
    lines = [
        "stateDiagram-v2",
        f"    accTitle: {_label(title)}",
        "    accDescr: The same stages and moves are listed on this page",
    ]
    lines += [f'    state "{_label(s)}" as {s}' for s in states]
    if process.initial in states:
        lines.append(f"    [*] --> {process.initial}")
    for t in moves:
        for source in t.source:
            lines.append(f"    {source} --> {t.dest or source}: {_label(t.trigger)} ({t.rule})")
    lines += [f"    {s} --> [*]" for s in states if s in process.final_states]
    return "\n".join(lines)


def diagrams(process: Process) -> tuple[str, dict[str, str]]:
    """The whole process, and each stage with the moves in and out of it (readable
    however large the process is)."""
    drawn = [t for t in process.transitions if ANY_STATE not in t.source]
    whole = _diagram(process, drawn, list(process.states), f"{process.title}: stages and moves")
    stages = {}
    for state in process.states:
        touching = [t for t in drawn if state in t.source or t.dest == state]
        around = [
            s
            for s in process.states
            if s == state or any(s in t.source or s == t.dest for t in touching)
        ]
        shown = [replace(t, source=tuple(x for x in t.source if x in around)) for t in touching]
        stages[state] = _diagram(process, shown, around, f"{humanise(state)}: the moves in and out")
    return whole, stages


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
        whole, stages = diagrams(definition)
        return render(
            request,
            "process.html",
            diagram=whole,
            stage_diagrams=stages,
            user=user,
            csrf=csrf,
            process=definition,
            found=found,
            moves=moves,
            anywhere=anywhere,
            processes=list(flow.services.processes.values()),
        )

    return pages
