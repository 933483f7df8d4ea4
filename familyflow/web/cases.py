"""The case page (timeline, open deadlines, actions, notes, contacts, links, Signs of
Safety), the form for each action, and recording a new referral."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response

from engine.cases import CONTACT_EDITORS
from engine.clock import local, parse_instant
from engine.errors import FamilyFlowError, InputError, NotFound
from familyflow.http.auth import CsrfTokenDep, CurrentUser, FlowDep
from familyflow.services import cases, projection
from familyflow.services.cases import CREATORS, CaseRow
from familyflow.web import charts, forms
from familyflow.web.casework import (
    Action,
    about,
    note_kinds,
    note_meets_nothing,
    reference,
    roles_on,
    split_actions,
)
from familyflow.web.casework import transition as find_transition
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


def _errors(
    error: FamilyFlowError, fields: list[forms.Field] | None = None
) -> list[dict[str, str]]:
    name = forms.error_field(error)
    known = {f.name: f for f in fields or []}
    href = f"#{known[name].id}" if name in known else ""
    return [{"text": error.message, "href": href, "field": name or ""}]


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
        mine, others = split_actions(process, row.state, roles_on(row, user))
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

    @pages.post("/cases/{case_id}/notes", dependencies=[CheckCsrf])
    async def add_note(
        request: Request, case_id: CaseId, flow: FlowDep, user: PageUser, csrf: CsrfTokenDep
    ) -> Response:
        _, process = _load(flow, user, case_id)
        form = await request.form()
        text, kind = str(form.get("text") or ""), str(form.get("kind") or "general")
        if kind not in note_kinds(process):
            kind = "general"
        try:
            limit = flow.services.max_note_chars  # the engine's limit, named on the form
            if len(text) > limit:
                raise InputError(
                    field="Note",
                    reason=f"must be {limit:,} characters or fewer; it has {len(text):,}",
                )
            cases.add_note(flow, principal=user.principal, case_id=case_id, text=text, kind=kind)
        except FamilyFlowError as error:
            errors = [
                {
                    "text": "Enter the note" if not text.strip() else error.message,
                    "href": "#note-text",
                    "field": "note",
                }
            ]
            return case_page(
                request,
                flow,
                user,
                csrf,
                case_id,
                errors=errors,
                status=error.http_status,
                note={"kind": kind, "text": text},
            )
        # PAR-06, EH-11.1: say so when the note cannot meet the manager's timescale.
        notice = note_meets_nothing(process, kind, user.role) or "Case note added"
        return redirect(f"/cases/{case_id}", notice)

    def action_page(
        request: Request,
        flow: Any,
        user: CurrentUser,
        csrf: str,
        case_id: int,
        trigger: str,
        *,
        errors: list[dict[str, str]] | None = None,
        form: Any = None,
        status: int = 200,
    ) -> HTMLResponse:
        row, process = _load(flow, user, case_id, what="action page")
        found = find_transition(process, trigger)
        if found is None:
            raise PageError(
                404, "Action not found", f"{process.title} has no action called {trigger!r}."
            )
        fields = forms.fields_for(found.data_model)
        mine, others = split_actions(process, row.state, roles_on(row, user))
        action = next((a for a in [*mine, *others] if a.trigger == trigger), None)
        return render(
            request,
            "action.html",
            user=user,
            csrf=csrf,
            errors=errors or [],
            status=status,
            row=row,
            process=process,
            reference=reference(process, row.id),
            person=about(row.contacts),
            trigger=trigger,
            transition=found,
            fields=fields,
            action=action,
            values=forms.values(fields, form),
            error_fields={e.get("field", "") for e in errors or []},
        )

    @pages.get("/cases/{case_id}/act/{trigger}", response_class=HTMLResponse)
    def action_form(
        request: Request,
        case_id: CaseId,
        trigger: Annotated[str, Path(max_length=100)],
        flow: FlowDep,
        user: PageUser,
        csrf: CsrfTokenDep,
    ) -> HTMLResponse:
        return action_page(request, flow, user, csrf, case_id, trigger)

    @pages.post("/cases/{case_id}/act/{trigger}", dependencies=[CheckCsrf])
    async def act(
        request: Request,
        case_id: CaseId,
        trigger: Annotated[str, Path(max_length=100)],
        flow: FlowDep,
        user: PageUser,
        csrf: CsrfTokenDep,
    ) -> Response:
        _, process = _load(flow, user, case_id)
        found = find_transition(process, trigger)
        if found is None:
            raise NotFound(what="action", key=trigger)
        form = await request.form()
        fields = forms.fields_for(found.data_model)
        version = form.get("version")
        try:
            data = forms.read(fields, form)
            moved = cases.fire(
                flow,
                principal=user.principal,
                case_id=case_id,
                trigger=trigger,
                data=data,
                expected_version=int(version)
                if isinstance(version, str) and version.isdigit()
                else None,
            )
        except FamilyFlowError as error:
            return action_page(
                request,
                flow,
                user,
                csrf,
                case_id,
                trigger,
                errors=_errors(error, fields),
                form=form,
                status=error.http_status,
            )
        from familyflow.web.core import humanise

        return redirect(
            f"/cases/{case_id}",
            f"{humanise(trigger)}: {reference(process, case_id)} is now "
            f"{humanise(moved.state).lower()}",
        )

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

    # -- a new referral ------------------------------------------------------------

    @pages.get("/cases/new/{process_name}", response_class=HTMLResponse)
    def new_case(
        request: Request,
        process_name: Annotated[str, Path(max_length=100)],
        flow: FlowDep,
        user: PageUser,
        csrf: CsrfTokenDep,
    ) -> HTMLResponse:
        return new_page(request, flow, user, csrf, process_name)

    def new_page(
        request: Request,
        flow: Any,
        user: CurrentUser,
        csrf: str,
        name: str,
        *,
        errors: list[dict[str, str]] | None = None,
        form: Any = None,
        status: int = 200,
    ) -> HTMLResponse:
        if user.role not in CREATORS:
            raise PageError(
                403,
                "You cannot record referrals",
                "Referrals are recorded by business support, social workers, "
                "team managers and admins.",
            )
        process = flow.services.processes.get(name)
        if process is None:
            raise PageError(404, "Process not found", f"There is no process called {name!r}.")
        values = {k: v for k, v in (form or {}).items() if isinstance(v, str)}
        values.setdefault("received_at", f"{local(flow.clock.now()):%Y-%m-%dT%H:%M}")
        values.setdefault("team", user.team or "")
        return render(
            request,
            "new_case.html",
            user=user,
            csrf=csrf,
            errors=errors or [],
            status=status,
            process=process,
            values=values,
            parts=forms.CONTACT_PARTS,
            error_fields={e.get("field", "") for e in errors or []},
        )

    @pages.post("/cases/new/{process_name}", dependencies=[CheckCsrf])
    async def create(
        request: Request,
        process_name: Annotated[str, Path(max_length=100)],
        flow: FlowDep,
        user: PageUser,
        csrf: CsrfTokenDep,
    ) -> Response:
        process = flow.services.processes.get(process_name)
        form = await request.form()
        if process is None or user.role not in CREATORS:
            return new_page(request, flow, user, csrf, process_name)
        contacts: dict[str, dict[str, str]] = {}
        for role in process.contact_roles:
            parts = {
                p: str(form.get(f"contacts.{role}.{p}") or "").strip()
                for p, _ in forms.CONTACT_PARTS
            }
            if any(parts.values()):
                contacts[role] = {k: v for k, v in parts.items() if v}
        team = str(form.get("team") or "").strip() or user.team
        try:
            received = parse_instant(str(form.get("received_at") or ""), field="received_at")
            if user.teams is not None and team not in user.teams and not user.is_admin:
                raise PageError(
                    403,
                    "You cannot record referrals for that team",
                    f"You can record referrals for: {', '.join(user.teams)}.",
                )
            case_id = cases.create_case(
                flow,
                principal=user.principal,
                process=process.name,
                received_at=received,
                data={},
                contacts=contacts,
                team=team,
            )
        except FamilyFlowError as error:
            field = str(error.fields.get("field", ""))
            errors = [
                {"text": error.message, "href": "#" + field.replace(".", "-"), "field": field}
            ]
            return new_page(
                request,
                flow,
                user,
                csrf,
                process_name,
                errors=errors,
                form=form,
                status=error.http_status,
            )
        return redirect(f"/cases/{case_id}", f"Referral recorded: {reference(process, case_id)}")

    return pages
