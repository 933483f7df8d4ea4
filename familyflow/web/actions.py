"""The form for each action on a case and for a case note, and recording them (issue 10).

Each form is made from the trigger's data model (familyflow/web/forms.py) and asks
"When did this happen?" (the date input, now by default): the services check it is
plausible (not in the future, not before the referral) and mark an entry made more than
a day later as recorded late, keeping both times. Every problem on the form is shown at
once, in plain English, in the error summary and at its field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response

from engine.clock import describe, local
from engine.errors import FamilyFlowError, NotFound
from familyflow.http.auth import CsrfTokenDep, CurrentUser, FlowDep
from familyflow.services import cases, people
from familyflow.services.cases import CaseRow
from familyflow.web import dates, forms
from familyflow.web.casework import (
    about,
    note_kinds,
    note_meets_nothing,
    reference,
    roles_on,
    split_actions,
)
from familyflow.web.casework import transition as find_transition
from familyflow.web.core import (
    CheckCsrf,
    PageError,
    PageUser,
    humanise,
    phrase,
    redirect,
    render,
    sentence,
)
from workflows.spec import Process

LONDON = ZoneInfo("Europe/London")
CaseId = Annotated[int, Path(ge=1, le=2**62)]
Trigger = Annotated[str, Path(max_length=100)]
OCCURRED = "occurred_at"
FUTURE = "The time this happened must be now or in the past"


def load(flow: Any, user: CurrentUser, case_id: int, *, what: str | None = None) -> CaseRow:
    try:
        return cases.case_row(flow, principal=user.principal, case_id=case_id, what=what)
    except NotFound:
        raise PageError(
            404, "Case not found", f"There is no case {case_id}, or it belongs to another team."
        ) from None


def pickable(flow: Any, user: CurrentUser, team: str | None) -> list[dict[str, Any]]:
    """The team's people for the contact picker, each with their caseload if they hold cases."""
    found = people.team_people(flow, principal=user.principal, team=team)
    for person in found:
        label = f"{person['name']} ({phrase(person['role'])})"
        if "limit" in person:
            part = ", part time" if person["part_time"] else ""
            label += f": {person['open_cases']} of {person['limit']} cases{part}"
        person["label"] = label
    return found


def read_occurred(
    form: Mapping[str, Any], *, now: datetime, received_at: datetime | None, errors: dict[str, str]
) -> datetime | None:
    """When it happened; None for now (the default left as shown, or a form without it)."""
    if f"{OCCURRED}.day" not in form:
        return None  # a one-button action on the case page: it happened now
    typed = forms.typed_date(form, OCCURRED)
    try:
        moment = dates.read(
            typed, label="The date this happened", enter="the date this happened", with_time=True
        )
    except dates.DateProblem as problem:
        errors[OCCURRED] = str(problem)
        return None
    assert isinstance(moment, datetime)
    at = moment.replace(tzinfo=LONDON).astimezone(UTC)
    shown = local(now).replace(second=0, microsecond=0, tzinfo=None)
    if moment == shown:
        return None  # the default, now, to the minute: keep the exact moment
    if at > now:
        errors[OCCURRED] = FUTURE
    elif received_at is not None and at < received_at:
        errors[OCCURRED] = (
            "The time this happened must be after the referral was received, "
            f"{describe(received_at)}"
        )
    return at


def engine_errors(error: FamilyFlowError, reader: forms.Reader) -> None:
    """A refusal from the services, at its field where it names one, in plain words."""
    name = str(error.fields.get("field", ""))
    reason = str(error.fields.get("reason", error.message))
    if name in ("at", "received_at"):
        key = OCCURRED if name == "at" else "received_at"
        if "in the future" in reason:
            reader.fail(key, FUTURE if key == OCCURRED else "The date must be today or in the past")
        elif "before 1900" in reason:
            reader.fail(key, "Enter a real date", f"{forms.id_of(key)}-day")
        else:
            reader.fail(key, reason[:1].upper() + reason[1:], f"{forms.id_of(key)}-day")
        return
    if name.startswith("contacts."):  # a message needs someone the case does not have
        role = name.removeprefix("contacts.").split(".")[0]
        rule = re.search(r"\(([A-Z0-9]+-[0-9.]+)\)", reason)
        why = f" ({rule.group(1)})" if rule else ""
        reader.fail(
            f"contacts.{role}",
            f"Add the {role.replace('_', ' ')}, with an email address: the service writes "
            f"to them{why}",
            f"contacts-{role.replace('_', '-')}",
        )
        return
    if name.startswith("data."):
        loc = tuple(int(p) if p.isdigit() else p for p in name.removeprefix("data.").split("."))
        key = next(
            (reader.where[loc[:n]] for n in range(len(loc), 0, -1) if loc[:n] in reader.where), ""
        )
        reader.fail(key, reason[:1].upper() + reason[1:])
        return
    reader.fail("", sentence(error))


def _about_case(row: CaseRow, process: Process) -> dict[str, Any]:
    """What the action and note pages show of their case, and their "When did this
    happen?" field."""
    return {
        "row": row,
        "process": process,
        "reference": reference(process, row.id),
        "person": about(row.contacts),
        "occurred": OCCURRED,
    }


def router() -> APIRouter:
    pages = APIRouter(include_in_schema=False)

    def action_page(
        request: Request,
        flow: Any,
        user: CurrentUser,
        csrf: str,
        case_id: int,
        trigger: str,
        *,
        reader: forms.Reader | None = None,
        shown: dict[str, Any] | None = None,
        status: int = 200,
    ) -> HTMLResponse:
        row = load(flow, user, case_id, what="action page")
        process: Process = flow.services.processes[row.process]
        found = find_transition(process, trigger)
        if found is None:
            raise PageError(
                404, "Action not found", f"{process.title} has no action called {trigger!r}."
            )
        fields = forms.fields_for(found.data_model)
        mine, others = split_actions(process, row.state, roles_on(process, user))
        action = next((a for a in [*mine, *others] if a.trigger == trigger), None)
        values = shown if shown is not None else forms.date_values(OCCURRED, flow.clock.now())
        return render(
            request,
            "action.html",
            user=user,
            csrf=csrf,
            **forms.shown_errors(reader),
            status=status,
            **_about_case(row, process),
            trigger=trigger,
            transition=found,
            fields=fields,
            action=action,
            values=values,
            people=pickable(flow, user, row.team),
        )

    @pages.get("/cases/{case_id}/act/{trigger}", response_class=HTMLResponse)
    def action_form(
        request: Request,
        case_id: CaseId,
        trigger: Trigger,
        flow: FlowDep,
        user: PageUser,
        csrf: CsrfTokenDep,
    ) -> HTMLResponse:
        return action_page(request, flow, user, csrf, case_id, trigger)

    @pages.post("/cases/{case_id}/act/{trigger}", dependencies=[CheckCsrf])
    async def act(
        request: Request,
        case_id: CaseId,
        trigger: Trigger,
        flow: FlowDep,
        user: PageUser,
        csrf: CsrfTokenDep,
    ) -> Response:
        row = load(flow, user, case_id)
        process = flow.services.processes[row.process]
        found = find_transition(process, trigger)
        if found is None:
            raise NotFound(what="action", key=trigger)
        form = await request.form()
        fields = forms.fields_for(found.data_model)
        more = forms.add_another(fields, form)
        if more is not None:  # "Add another": the same form with one more row
            return action_page(request, flow, user, csrf, case_id, trigger, shown=more)
        team = {p["email"].lower(): p for p in pickable(flow, user, row.team)}
        reader = forms.read(fields, form, people=team)
        at = read_occurred(
            form, now=flow.clock.now(), received_at=row.received_at, errors=reader.errors
        )
        reader.anchors.setdefault(OCCURRED, f"{forms.id_of(OCCURRED)}-day")
        forms.validate(found.data_model, fields, reader, reader.data)
        version = form.get("version")
        if not reader.errors:
            try:
                moved = cases.fire(
                    flow,
                    principal=user.principal,
                    case_id=case_id,
                    trigger=trigger,
                    data=reader.data,
                    at=at,
                    expected_version=int(version)
                    if isinstance(version, str) and version.isdigit()
                    else None,
                )
            except FamilyFlowError as error:
                engine_errors(error, reader)
                status = error.http_status
            else:
                return redirect(
                    f"/cases/{case_id}",
                    f"{humanise(trigger)}: {reference(process, case_id)} is now "
                    f"{phrase(moved.state)}",
                )
        else:
            status = 422
        return action_page(
            request,
            flow,
            user,
            csrf,
            case_id,
            trigger,
            reader=reader,
            shown=forms.values(form),
            status=status,
        )

    # -- case notes ---------------------------------------------------------------------

    def note_page(
        request: Request,
        flow: Any,
        user: CurrentUser,
        csrf: str,
        case_id: int,
        *,
        shown: dict[str, Any] | None = None,
        reader: forms.Reader | None = None,
        status: int = 200,
    ) -> HTMLResponse:
        row = load(flow, user, case_id, what="note page")
        process = flow.services.processes[row.process]
        kinds = note_kinds(process)
        values = shown or {
            "kind": request.query_params.get("note_kind") or kinds[0],
            **forms.date_values(OCCURRED, flow.clock.now()),
        }
        return render(
            request,
            "note.html",
            user=user,
            csrf=csrf,
            **forms.shown_errors(reader),
            status=status,
            **_about_case(row, process),
            note_kinds=kinds,
            values=values,
            limit=flow.services.max_note_chars,
        )

    @pages.get("/cases/{case_id}/notes/new", response_class=HTMLResponse)
    def new_note(
        request: Request, case_id: CaseId, flow: FlowDep, user: PageUser, csrf: CsrfTokenDep
    ) -> HTMLResponse:
        return note_page(request, flow, user, csrf, case_id)

    @pages.post("/cases/{case_id}/notes", dependencies=[CheckCsrf])
    async def add_note(
        request: Request, case_id: CaseId, flow: FlowDep, user: PageUser, csrf: CsrfTokenDep
    ) -> Response:
        row = load(flow, user, case_id)
        process = flow.services.processes[row.process]
        form = await request.form()
        text, kind = str(form.get("text") or ""), str(form.get("kind") or "general")
        if kind not in note_kinds(process):
            kind = "general"
        reader = forms.Reader(form=form)
        at = read_occurred(
            form, now=flow.clock.now(), received_at=row.received_at, errors=reader.errors
        )
        reader.anchors.setdefault(OCCURRED, f"{forms.id_of(OCCURRED)}-day")
        limit = flow.services.max_note_chars
        if not text.strip():
            reader.fail("text", "Enter the note", "note-text")
        elif len(text) > limit:
            reader.fail(
                "text", f"The note must be {limit:,} characters or fewer; it has {len(text):,}",
                "note-text",
            )  # fmt: skip
        if not reader.errors:
            try:
                cases.add_note(
                    flow, principal=user.principal, case_id=case_id, text=text, kind=kind, at=at
                )
            except FamilyFlowError as error:
                engine_errors(error, reader)
                status = error.http_status
            else:
                # PAR-06, EH-11.1: say so when the note cannot meet the manager's timescale.
                notice = note_meets_nothing(process, kind, user.role) or "Case note added"
                return redirect(f"/cases/{case_id}", notice)
        else:
            status = 422
        shown = {**forms.values(form), "kind": kind}
        return note_page(
            request, flow, user, csrf, case_id, shown=shown, reader=reader, status=status
        )

    return pages
