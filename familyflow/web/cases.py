"""The case page (timeline, open deadlines, actions, notes, contacts, links, Signs of
Safety) and changing a contact. The form for each action and case notes are in
familyflow/web/actions.py, a new referral in familyflow/web/referral.py."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response

from engine.cases import CONTACT_EDITORS
from engine.clock import local
from engine.errors import FamilyFlowError, NotFound
from familyflow.http.auth import CsrfTokenDep, CurrentUser, FlowDep
from familyflow.services import cases, projection
from familyflow.services.cases import CaseRow
from familyflow.web import charts
from familyflow.web.casework import (
    Action,
    about,
    note_kinds,
    reference,
    roles_on,
    split_actions,
)
from familyflow.web.core import CheckCsrf, PageError, PageUser, rag, redirect, render
from workflows.spec import Process

CaseId = Annotated[int, Path(ge=1, le=2**62)]
TIMELINE_KEYS = (
    "rule",
    "trigger",
    "from",
    "to",
    "due_at",
    "reason",
    "actor",
    "late",
    # Entered more than a day after it happened: the page shows both times.
    "recorded_at",
    "recorded_late",
    "channel",
    "to_address",
    "subject",
    "body",
    "status",
)
# A note longer than this shows its opening only, the rest behind "Show the full note"
# (a 100,000-character note filled the page).
NOTE_COLLAPSED_OVER = 1_000
NOTE_PREVIEW = 300
TIMELINE_TITLES = {
    "transition": "Moved",
    "deadline_set": "Timescale started",
    "deadline_met": "Timescale met",
    "deadline_missed": "Timescale missed",
    "message": "Message",
    "note": "Case note",
    "reminder": "Reminder",
}


def _load(
    flow: Any, user: CurrentUser, case_id: int, *, what: str | None = None
) -> tuple[CaseRow, Process]:
    try:
        row = cases.case_row(flow, principal=user.principal, case_id=case_id, what=what)
    except NotFound:
        raise PageError(
            404, "Case not found", f"There is no case {case_id}, or it belongs to another team."
        ) from None
    return row, flow.services.processes[row.process]


def _sos_chart(entries: list[dict[str, Any]]) -> charts.Chart | None:
    if not entries:
        return None
    labels = [f"{local(datetime.fromisoformat(e['at'])):%d %b %Y}" for e in entries]
    judges: dict[str, list[float | None]] = {}
    for i, entry in enumerate(entries):
        for scale in entry.get("scales", []):
            judges.setdefault(scale["judge"], [None] * len(entries))[i] = float(scale["score"])
    return charts.line_chart(labels, judges, y_max=10, title="Signs of Safety scales over time")


def primary_action(process: Process, mine: list[Action], due: list[dict[str, Any]]) -> str | None:
    """The one primary button: the action that meets the most urgent open timescale,
    else the first this person may take (GOV.UK: one primary button a page)."""
    possible = {a.trigger for a in mine}
    for deadline in sorted(due, key=lambda d: d["due_at"]):
        try:
            met_by = process.timescale(deadline["timescale"]).met_by
        except (KeyError, ValueError):
            continue
        if meets := [t for t in met_by if t in possible]:
            return meets[0]
    return mine[0].trigger if mine else None


def router() -> APIRouter:
    pages = APIRouter(include_in_schema=False)

    def case_page(
        request: Request,
        flow: Any,
        user: CurrentUser,
        csrf: str,
        case_id: int,
        *,
        errors: list[dict[str, str]] | None = None,
        status: int = 200,
        note: dict[str, str] | None = None,
    ) -> HTMLResponse:
        try:
            read = cases.read_case(flow, principal=user.principal, case_id=case_id)
        except NotFound:
            raise PageError(
                404, "Case not found", f"There is no case {case_id}, or it belongs to another team."
            ) from None
        row, found, due = read.row, read.detail, read.due
        process = flow.services.processes[row.process]
        now = flow.clock.now()
        links = [
            {
                **link,
                "reference": reference(flow.services.processes[other.process], other.id),
                "state": other.state,
            }
            for link in found["links"]
            if (other := read.linked.get(link["case_id"])) is not None
        ]
        deadlines = [
            {
                **d,
                "title": process.timescale(d["timescale"]).description,
                "rag": rag(started_at=d["started_at"], due_at=d["due_at"], now=now),
            }
            for d in due
        ]
        mine, others = split_actions(process, row.state, roles_on(process, user))
        foreseen = projection.project_case(flow, principal=user.principal, case_id=case_id)
        kinds = note_kinds(process)
        wanted = request.query_params.get("note_kind")
        return render(
            request,
            "case.html",
            user=user,
            csrf=csrf,
            status=status,
            errors=errors or [],
            case=found,
            row=row,
            process=process,
            person=about(row.contacts),
            deadlines=deadlines,
            mine=mine,
            primary=primary_action(process, mine, due),
            others=others,
            foreseen=foreseen,
            links=links,
            timeline=[dict.fromkeys(TIMELINE_KEYS) | e for e in reversed(found["history"])],
            titles=TIMELINE_TITLES,
            note_over=NOTE_COLLAPSED_OVER,
            note_preview=NOTE_PREVIEW,
            note_kinds=kinds,
            note=note or {"kind": wanted if wanted in kinds else kinds[0], "text": ""},
            sos_chart=_sos_chart(found["signs_of_safety"]),
            can_change_contacts=user.role in CONTACT_EDITORS,
            contact_roles=sorted(process.contact_roles),
        )

    @pages.get("/cases/{case_id}", response_class=HTMLResponse)
    def show(
        request: Request, case_id: CaseId, flow: FlowDep, user: PageUser, csrf: CsrfTokenDep
    ) -> HTMLResponse:
        return case_page(request, flow, user, csrf, case_id)

    @pages.post("/cases/{case_id}/contacts", dependencies=[CheckCsrf])
    async def change_contact(
        request: Request, case_id: CaseId, flow: FlowDep, user: PageUser, csrf: CsrfTokenDep
    ) -> Response:
        form = await request.form()
        role = str(form.get("role") or "")
        contact = {
            part: str(form.get(f"contact.{part}") or "").strip() or None
            for part in ("name", "email", "mobile")
        }
        try:
            cases.change_contact(
                flow,
                principal=user.principal,
                case_id=case_id,
                role=role,
                contact=contact if any(contact.values()) else None,
            )
        except FamilyFlowError as error:
            field = str(error.fields.get("field", "role"))
            errors = [{"text": error.message, "href": "#contact-role", "field": field}]
            return case_page(
                request, flow, user, csrf, case_id, errors=errors, status=error.http_status
            )
        return redirect(f"/cases/{case_id}", f"Contact changed: {role.replace('_', ' ')}")

    return pages
