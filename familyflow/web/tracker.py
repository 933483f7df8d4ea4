"""The tracker: each process's cases by stage (the spreadsheet it replaces), with
filters, sorting and paging done by the database, CSV and XLSX export of every
filtered row (streamed), and moving several cases at once (each move its own
audited event; the result is shown after a redirect, so a refresh moves nothing)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from engine.clock import local
from engine.errors import FamilyFlowError
from familyflow import exports
from familyflow.db import tracker as tracker_db
from familyflow.http.auth import CsrfTokenDep, CurrentUser, FlowDep
from familyflow.services import cases
from familyflow.services import tracker as tracker_service
from familyflow.web.casework import reference
from familyflow.web.core import (
    CheckCsrf,
    PageError,
    PageUser,
    humanise,
    phrase,
    rag,
    redirect,
    render,
    sentence,
)
from workflows.spec import Process

Sort = Literal["reference", "person", "stage", "received", "due"]
REFUSALS_SHOWN = 5  # in the notice after a bulk move; the rest are counted


@dataclass(frozen=True)
class Filters:
    state: str | None = None
    team: str | None = None
    overdue: Literal["yes", "no"] | None = None
    status: Literal["open", "closed", "all"] = "open"
    q: str | None = None
    sort: Sort = "reference"
    order: Literal["asc", "desc"] = "asc"
    page: int = 1

    def shown(self) -> dict[str, Any]:
        """The filter as the audit records it (the page number apart)."""
        return {k: v for k, v in self.__dict__.items() if k != "page"}

    def query(self, **change: Any) -> str:
        """This filter as a query string; a changed filter starts again at page 1."""
        values = {**self.shown(), **change}
        return urlencode({k: v for k, v in values.items() if v and not (k == "page" and v == 1)})

    def wanted(self, process: Process) -> tracker_db.Wanted:
        return tracker_db.Wanted(
            process=process.name,
            code=process.code,
            states=list(process.states),
            state=self.state,
            team=self.team,
            overdue={"yes": True, "no": False}.get(self.overdue or ""),
            open_only={"open": True, "closed": False}.get(self.status),
            q=self.q,
            sort=self.sort,
            descending=self.order == "desc",
        )


def filters(
    state: Annotated[str | None, Query(max_length=100)] = None,
    team: Annotated[str | None, Query(max_length=200)] = None,
    overdue: Annotated[Literal["yes", "no", ""] | None, Query()] = None,
    status: Annotated[Literal["open", "closed", "all"], Query()] = "open",
    q: Annotated[str | None, Query(max_length=40)] = None,
    sort: Annotated[Sort, Query()] = "reference",
    order: Annotated[Literal["asc", "desc"], Query()] = "asc",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Filters:
    return Filters(
        state=state or None,
        team=team or None,
        overdue=overdue or None,
        status=status,
        q=(q or "").strip() or None,
        sort=sort,
        order=order,
        page=page,
    )


FiltersDep = Annotated[Filters, Depends(filters)]


def _process(flow: Any, name: str) -> Process:
    process = flow.services.processes.get(name)
    if process is None:
        raise PageError(404, "Process not found", f"There is no process called {name!r}.")
    return process


def shape(process: Process, row: dict[str, Any], *, now: datetime) -> dict[str, Any]:
    """A row as the page and the exports show it."""
    due = row["due_at"]
    return {
        **row,
        "reference": reference(process, row["id"]),
        "stage": humanise(row["state"]),
        "team": row["team"] or "",
        "deadline": process.timescale(row["timescale"]).description if due else "",
        "rule": row["rule"] or "",
        "rag": rag(started_at=row["started_at"], due_at=due, now=now) if due else None,
    }


def pages_around(current: int, last: int) -> list[int | None]:
    """GOV.UK pagination: the first, last and neighbouring pages; None is a gap."""
    wanted = sorted({1, last, current - 1, current, current + 1} & set(range(1, last + 1)))
    shown: list[int | None] = []
    for n in wanted:
        if shown and n - (shown[-1] or 0) > 1:
            shown.append(None)
        shown.append(n)
    return shown


# -- exports ------------------------------------------------------------------------

COLUMNS = (
    ("Reference", 14),
    ("Name", 24),
    ("Stage", 24),
    ("Worker", 20),
    ("Social worker", 20),
    ("Team", 20),
    ("Received", 17),
    ("Days open", 10),
    ("Next deadline", 36),
    ("Rule", 9),
    ("Due", 17),
    ("Status", 10),
)


def _naive(moment: datetime | None) -> datetime | None:
    """Local wall-clock time without a zone: what Excel can store."""
    return local(moment).replace(tzinfo=None) if moment else None


def _cells(row: dict[str, Any], *, now: datetime) -> list[Any]:
    return [
        row["reference"],
        row["person"],
        row["stage"],
        row["worker"],
        row["social_worker"],
        row["team"],
        _naive(row["received_at"]),
        (now - row["received_at"]).days,
        row["deadline"],
        row["rule"],
        _naive(row["due_at"]),
        row["rag"].label if row["rag"] else "",
    ]


def _csv_cells(cells: list[Any]) -> list[Any]:
    return [f"{v:%Y-%m-%d %H:%M}" if isinstance(v, datetime) else v for v in cells]


def _export_rows(
    flow: Any, user: CurrentUser, process: Process, f: Filters, kind: str
) -> Iterator[list[Any]]:
    now = flow.clock.now()
    found = tracker_service.export(
        flow, principal=user.principal, wanted=f.wanted(process), shown=f.shown(), kind=kind
    )
    return (_cells(shape(process, r, now=now), now=now) for r in found)


def _attachment(process: Process, kind: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="tracker-{process.name}.{kind}"'}


# -- pages --------------------------------------------------------------------------


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
    ) -> HTMLResponse:
        found = tracker_service.page(
            flow, principal=user.principal, wanted=f.wanted(process), number=f.page, shown=f.shown()
        )
        now = flow.clock.now()
        last = max(1, math.ceil(found.total / tracker_service.PAGE_SIZE))
        first_row = (f.page - 1) * tracker_service.PAGE_SIZE
        moves = tracker_service.moves(flow, principal=user.principal, process=process.name)
        return render(
            request,
            "tracker.html",
            user=user,
            csrf=csrf,
            process=process,
            processes=list(flow.services.processes.values()),
            rows=[shape(process, r, now=now) for r in found.rows],
            total=found.total,
            first_row=first_row + 1,
            last_row=first_row + len(found.rows),
            page_number=f.page,
            last_page=last,
            pages=pages_around(f.page, last),
            f=f,
            counts={s: found.stage_counts.get(s, 0) for s in process.states},
            moves=moves,
            can_move=bool(moves),
            teams=found.teams,
            errors=errors or [],
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
        rows = (_csv_cells(c) for c in _export_rows(flow, user, process, f, "csv"))
        return StreamingResponse(
            exports.csv_stream([c for c, _ in COLUMNS], rows),
            media_type="text/csv; charset=utf-8",
            headers=_attachment(process, "csv"),
        )

    @pages.get("/tracker/{name}/export.xlsx")
    def export_xlsx(
        name: Annotated[str, Path(max_length=100)], f: FiltersDep, flow: FlowDep, user: PageUser
    ) -> Response:
        process = _process(flow, name)
        rows = _export_rows(flow, user, process, f, "xlsx")
        return StreamingResponse(
            exports.xlsx_stream(
                process.code,
                [c for c, _ in COLUMNS],
                rows,
                widths=[w for _, w in COLUMNS],
            ),
            media_type=exports.XLSX_TYPE,
            headers=_attachment(process, "xlsx"),
        )

    @pages.post("/tracker/{name}/move", dependencies=[CheckCsrf])
    async def move(
        request: Request,
        name: Annotated[str, Path(max_length=100)],
        flow: FlowDep,
        user: PageUser,
        csrf: CsrfTokenDep,
    ) -> Response:
        process = _process(flow, name)
        form = await request.form()
        trigger = str(form.get("trigger") or "")
        ids = [int(v) for v in form.getlist("case_id") if isinstance(v, str) and v.isdigit()]
        back = str(form.get("back") or "")
        back = back if back.startswith(f"/tracker/{process.name}") else f"/tracker/{name}"
        permitted = {
            m.trigger for m in tracker_service.moves(flow, principal=user.principal, process=name)
        }
        errors = []
        if not trigger:
            errors.append({"text": "Choose what to do with the cases", "href": "#trigger"})
        elif trigger not in permitted:
            errors.append({"text": f"You cannot {phrase(trigger)} from here", "href": "#trigger"})
        if not ids:
            errors.append({"text": "Select at least one case", "href": "#cases"})
        if errors:  # nothing was tried: the form again, with what to fix
            return page(
                request, process, _filters_from(back), flow, user, csrf, errors=errors, status=400
            )
        refused = []
        for case_id in ids:
            try:
                cases.fire(flow, principal=user.principal, case_id=case_id, trigger=trigger)
            except FamilyFlowError as error:
                refused.append(f"{reference(process, case_id)}: {sentence(error)}")
        return redirect(back, _moved_notice(trigger, len(ids) - len(refused), refused))

    return pages


def _filters_from(back: str) -> Filters:
    """The filter of the page a form came from (its `back` address), checked as the
    page checks it; anything odd is the default filter."""
    from typing import get_args

    given = dict(parse_qsl(back.partition("?")[2]))
    choices = {
        "overdue": ("yes", "no", ""),
        "status": ("open", "closed", "all"),
        "sort": get_args(Sort),
        "order": ("asc", "desc"),
    }
    if any(k in given and given[k] not in v for k, v in choices.items()):
        return Filters()
    number = given.get("page", "1")
    return filters(
        state=given.get("state"),
        team=given.get("team"),
        overdue=given.get("overdue"),  # type: ignore[arg-type]
        status=given.get("status", "open"),  # type: ignore[arg-type]
        q=given.get("q"),
        sort=given.get("sort", "reference"),  # type: ignore[arg-type]
        order=given.get("order", "asc"),  # type: ignore[arg-type]
        page=int(number) if number.isdigit() and 0 < int(number) <= 100_000 else 1,
    )


def _moved_notice(trigger: str, moved: int, refused: Iterable[str]) -> str:
    refused = list(refused)
    text = f"{humanise(trigger)}: {moved} case{'s' if moved != 1 else ''} moved"
    if refused:
        more = len(refused) - REFUSALS_SHOWN
        text += f"; {len(refused)} not moved: " + "; ".join(refused[:REFUSALS_SHOWN])
        text += f"; and {more} more" if more > 0 else ""
    return text
