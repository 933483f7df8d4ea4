"""The tracker: each process's cases by stage (the spreadsheet it replaces), with
filters, sorting, CSV and XLSX export of exactly the rows shown, and moving
several cases at once (each move its own audited event)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from engine.clock import local
from engine.errors import FamilyFlowError
from familyflow import exports
from familyflow.http.auth import CsrfTokenDep, CurrentUser, FlowDep
from familyflow.services import cases, reads
from familyflow.web.casework import about, actions, reference
from familyflow.web.core import (
    MOVERS,
    CheckCsrf,
    PageError,
    PageUser,
    humanise,
    page_roles,
    rag,
    redirect,
    render,
)
from workflows.spec import Process

Sort = Literal["reference", "person", "stage", "received", "due"]
COLUMNS = (
    "Reference",
    "Name",
    "Stage",
    "Team",
    "Received",
    "Next deadline",
    "Rule",
    "Due",
    "Status",
)


@dataclass(frozen=True)
class Filters:
    state: str | None = None
    team: str | None = None
    overdue: Literal["yes", "no"] | None = None
    status: Literal["open", "closed", "all"] = "open"
    q: str | None = None
    sort: Sort = "reference"
    order: Literal["asc", "desc"] = "asc"

    def query(self, **change: Any) -> str:
        values = {**self.__dict__, **change}
        return "&".join(f"{k}={v}" for k, v in values.items() if v)


def filters(
    state: Annotated[str | None, Query(max_length=100)] = None,
    team: Annotated[str | None, Query(max_length=200)] = None,
    overdue: Annotated[Literal["yes", "no", ""] | None, Query()] = None,
    status: Annotated[Literal["open", "closed", "all"], Query()] = "open",
    q: Annotated[str | None, Query(max_length=40)] = None,
    sort: Annotated[Sort, Query()] = "reference",
    order: Annotated[Literal["asc", "desc"], Query()] = "asc",
) -> Filters:
    return Filters(
        state=state or None,
        team=team or None,
        overdue=overdue or None,
        status=status,
        q=(q or "").strip() or None,
        sort=sort,
        order=order,
    )


FiltersDep = Annotated[Filters, Depends(filters)]


def _process(flow: Any, name: str) -> Process:
    process = flow.services.processes.get(name)
    if process is None:
        raise PageError(404, "Process not found", f"There is no process called {name!r}.")
    return process


def listing(
    flow: Any, user: CurrentUser, process: Process, f: Filters, *, export: str | None = None
) -> reads.Listing:
    return reads.tracker(
        flow,
        principal=user.principal,
        process=process.name,
        filters=reads.CaseFilters(
            state=f.state,
            team=f.team,
            overdue={"yes": True, "no": False}.get(f.overdue or ""),
            open_only={"open": True, "closed": False}.get(f.status),
        ),
        shown=dict(f.__dict__),
        export=export,
    )


def rows(
    flow: Any, user: CurrentUser, process: Process, f: Filters, *, export: str | None = None
) -> list[dict[str, Any]]:
    """The tracker's rows for these filters, sorted: the page and both exports use this."""
    return shape(flow, process, f, listing(flow, user, process, f, export=export))


def shape(flow: Any, process: Process, f: Filters, found: reads.Listing) -> list[dict[str, Any]]:
    now = flow.clock.now()
    cases, due = found.cases, found.due
    first_due: dict[int, dict[str, Any]] = {}
    for deadline in due:
        first_due.setdefault(deadline["case_id"], deadline)
    out = []
    for r in found.found:
        case = cases[r["id"]]
        d = first_due.get(r["id"])
        status = rag(started_at=d["started_at"], due_at=d["due_at"], now=now) if d else None
        out.append(
            {
                "id": r["id"],
                "reference": reference(process, r["id"]),
                "person": about(case.contacts),
                "state": r["state"],
                "stage": humanise(r["state"]),
                "team": r["team"] or "",
                "received_at": r["received_at"],
                "deadline": process.timescale(d["timescale"]).description if d else "",
                "rule": d["rule"] if d else "",
                "due_at": d["due_at"] if d else None,
                "rag": status,
                "version": r["version"],
            }
        )
    if f.q:
        needle = f.q.lower()
        out = [r for r in out if needle in r["reference"].lower() or needle in r["person"].lower()]
    order = list(process.states)
    key = {
        "reference": lambda r: r["id"],
        "person": lambda r: r["person"].lower(),
        "stage": lambda r: order.index(r["state"]) if r["state"] in order else 99,
        "received": lambda r: r["received_at"],
        "due": lambda r: (r["due_at"] is None, r["due_at"] or r["received_at"]),
    }[f.sort]
    out.sort(key=key, reverse=f.order == "desc")
    return out


def _cells(row: dict[str, Any]) -> list[str]:
    return [
        row["reference"],
        row["person"],
        row["stage"],
        row["team"],
        f"{local(row['received_at']):%Y-%m-%d %H:%M}",
        row["deadline"],
        row["rule"],
        f"{local(row['due_at']):%Y-%m-%d %H:%M}" if row["due_at"] else "",
        row["rag"].label if row["rag"] else "",
    ]


def router() -> APIRouter:
    pages = APIRouter(include_in_schema=False)

    @pages.get("/tracker")
    def first(flow: FlowDep, user: PageUser) -> Response:
        return redirect(f"/tracker/{next(iter(flow.services.processes))}")

    def page(
        request: Request,
        process: Process,
        f: Filters,
        flow: Any,
        user: CurrentUser,
        csrf: str,
        *,
        errors: list[dict[str, str]] | None = None,
        status: int = 200,
        notice: str | None = None,
    ) -> HTMLResponse:
        found = listing(flow, user, process, f)
        shown = shape(flow, process, f, found)
        counts = {s: found.stage_counts.get(s, 0) for s in process.states}
        moves = sorted(
            {
                a.trigger: a
                for s in process.states
                for a in actions(process, s)
                if not a.needs_data
            }.values(),
            key=lambda a: a.label,
        )
        return render(
            request,
            "tracker.html",
            user=user,
            csrf=csrf,
            process=process,
            processes=list(flow.services.processes.values()),
            rows=shown,
            f=f,
            counts=counts,
            moves=moves,
            can_move=user.role in MOVERS,
            teams=found.teams,
            errors=errors or [],
            notice=notice,
            status=status,
        )

    @pages.get("/tracker/{name}", response_class=HTMLResponse)
    def tracker(
        request: Request,
        name: Annotated[str, Path(max_length=100)],
        f: FiltersDep,
        flow: FlowDep,
        user: PageUser,
        csrf: CsrfTokenDep,
    ) -> HTMLResponse:
        return page(request, _process(flow, name), f, flow, user, csrf)

    @pages.get("/tracker/{name}/export.csv")
    def export_csv(
        name: Annotated[str, Path(max_length=100)], f: FiltersDep, flow: FlowDep, user: PageUser
    ) -> Response:
        process = _process(flow, name)
        return Response(
            exports.csv_text(
                COLUMNS, [_cells(r) for r in rows(flow, user, process, f, export="csv")]
            ),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="tracker-{process.name}.csv"'},
        )

    @pages.get("/tracker/{name}/export.xlsx")
    def export_xlsx(
        name: Annotated[str, Path(max_length=100)], f: FiltersDep, flow: FlowDep, user: PageUser
    ) -> Response:
        process = _process(flow, name)
        return Response(
            exports.xlsx_bytes(
                process.code,
                COLUMNS,
                [_cells(r) for r in rows(flow, user, process, f, export="xlsx")],
            ),
            headers={"Content-Disposition": f'attachment; filename="tracker-{process.name}.xlsx"'},
            media_type=exports.XLSX_TYPE,
        )

    @pages.post("/tracker/{name}/move", dependencies=[CheckCsrf])
    async def move(
        request: Request,
        name: Annotated[str, Path(max_length=100)],
        flow: FlowDep,
        user: Annotated[CurrentUser, page_roles(*MOVERS)],
        csrf: CsrfTokenDep,
    ) -> Response:
        process = _process(flow, name)
        form = await request.form()
        trigger = str(form.get("trigger") or "")
        ids = [int(v) for v in form.getlist("case_id") if isinstance(v, str) and v.isdigit()]
        back = str(form.get("back") or "")
        back = back if back.startswith(f"/tracker/{process.name}") else f"/tracker/{name}"
        errors = []
        if not trigger:
            errors.append({"text": "Choose what to do with the cases", "href": "#trigger"})
        if not ids:
            errors.append({"text": "Select at least one case", "href": "#cases"})
        moved = 0
        for case_id in ids if trigger else []:
            try:
                cases.fire(flow, principal=user.principal, case_id=case_id, trigger=trigger)
                moved += 1
            except (FamilyFlowError, PageError) as error:
                errors.append({"text": f"{reference(process, case_id)}: {error}", "href": ""})
        if errors:
            from urllib.parse import parse_qsl

            wanted = {
                k: v
                for k, v in parse_qsl(back.partition("?")[2])
                if k in Filters.__dataclass_fields__
            }
            try:
                f = filters(**wanted)  # type: ignore[arg-type]
            except TypeError:
                f = Filters()
            return page(
                request,
                process,
                f,
                flow,
                user,
                csrf,
                errors=errors,
                status=409 if moved == 0 else 200,
                notice=f"{humanise(trigger)}: {moved} moved; the others were refused"
                if moved
                else None,
            )
        return redirect(back, f"{humanise(trigger)}: {moved} case{'s' if moved != 1 else ''} moved")

    return pages
