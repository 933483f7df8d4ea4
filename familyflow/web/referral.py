"""Recording a new referral (issue 10): when it was received (the date input), the team
(one of the person's teams), what the process needs to know (workflows/referrals.py: a
name, the reason, the early help route and contact type, the child's date of birth...),
and the people (someone in the team, picked, or anyone by name). Every problem is shown
at once, and everything typed survives a refusal, a team one is not in included."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from engine.errors import FamilyFlowError
from familyflow.http.auth import CsrfTokenDep, CurrentUser, FlowDep
from familyflow.services import cases
from familyflow.services.cases import CREATORS
from familyflow.web import dates, forms
from familyflow.web.actions import engine_errors, pickable
from familyflow.web.casework import reference
from familyflow.web.core import CheckCsrf, PageError, PageUser, redirect, render
from workflows.contacts import Contact
from workflows.referrals import referral_model
from workflows.spec import Process

LONDON = ZoneInfo("Europe/London")
ProcessName = Annotated[str, Path(max_length=100)]
RECEIVED = "received_at"
FAMILY_ROLES = ("parent", "carer", "child", "young_person")


def _process(flow: Any, user: CurrentUser, name: str) -> Process:
    if user.role not in CREATORS:
        raise PageError(
            403,
            "You cannot record referrals",
            "Referrals are recorded by business support, social workers, team managers and admins.",
        )
    process: Process | None = flow.services.processes.get(name)
    if process is None:
        raise PageError(404, "Process not found", f"There is no process called {name!r}.")
    return process


def _received(form: FormData, *, now: datetime, reader: forms.Reader) -> datetime | None:
    try:
        moment = dates.read(
            forms.typed_date(form, RECEIVED),
            label="The date the referral was received",
            enter="the date the referral was received",
            with_time=True,
        )
    except dates.DateProblem as problem:
        reader.fail(RECEIVED, str(problem), f"{forms.id_of(RECEIVED)}-day")
        return None
    assert isinstance(moment, datetime)
    at = moment.replace(tzinfo=LONDON).astimezone(UTC)
    if at > now:
        reader.fail(
            RECEIVED, "The date the referral was received must be today or in the past",
            f"{forms.id_of(RECEIVED)}-day",
        )  # fmt: skip
        return None
    return min(at, now)


def _contacts(
    form: FormData, process: Process, people: dict[str, dict[str, Any]], reader: forms.Reader
) -> dict[str, dict[str, str]]:
    """Each role's person, picked from the team or typed; problems at their box."""
    found: dict[str, dict[str, str]] = {}
    for role in process.contact_roles:
        key = f"contacts.{role}"
        picked = str(form.get(f"{key}.pick") or "").strip().lower()
        if picked in people:
            found[role] = {"name": people[picked]["name"], "email": people[picked]["email"]}
            continue
        parts = {p: str(form.get(f"{key}.{p}") or "").strip() for p, _ in forms.CONTACT_PARTS}
        if not any(parts.values()):
            continue
        typed = {k: v for k, v in parts.items() if v}
        try:
            Contact.model_validate(typed)
        except ValidationError as error:
            for problem in error.errors():
                part = str(problem["loc"][0]) if problem["loc"] else "name"
                message = forms.plain_message({**problem, "loc": (part,)}, None)
                if part == "name":
                    message = f"Enter the {role.replace('_', ' ')}'s name"
                reader.fail(f"{key}.{part}", message, forms.id_of(f"{key}.{part}"))
            continue
        found[role] = typed
    return found


def router() -> APIRouter:
    pages = APIRouter(include_in_schema=False)

    def new_page(
        request: Request,
        flow: Any,
        user: CurrentUser,
        csrf: str,
        process: Process,
        *,
        reader: forms.Reader | None = None,
        shown: dict[str, Any] | None = None,
        status: int = 200,
    ) -> HTMLResponse:
        fields = forms.fields_for(referral_model(process.name))
        values = shown
        if values is None:
            values = {"team": user.team or "", **forms.date_values(RECEIVED, flow.clock.now())}
            for f in fields:  # the model's defaults, chosen already (the usual route)
                default = referral_model(process.name).model_fields[f.name].default
                if isinstance(default, str):
                    values[f"data.{f.name}"] = default
        team = str(values.get("team") or user.team or "")
        return render(
            request,
            "new_case.html",
            user=user,
            csrf=csrf,
            **forms.shown_errors(reader),
            status=status,
            process=process,
            fields=fields,
            values=values,
            parts=forms.CONTACT_PARTS,
            teams=list(user.teams) if user.teams is not None else None,
            people=pickable(flow, user, team or None),
            family_roles=FAMILY_ROLES,
            received=RECEIVED,
        )

    @pages.get("/cases/new/{process_name}", response_class=HTMLResponse)
    def new_case(
        request: Request,
        process_name: ProcessName,
        flow: FlowDep,
        user: PageUser,
        csrf: CsrfTokenDep,
    ) -> HTMLResponse:
        return new_page(request, flow, user, csrf, _process(flow, user, process_name))

    @pages.post("/cases/new/{process_name}", dependencies=[CheckCsrf])
    async def create(
        request: Request,
        process_name: ProcessName,
        flow: FlowDep,
        user: PageUser,
        csrf: CsrfTokenDep,
    ) -> Response:
        process = _process(flow, user, process_name)
        form = await request.form()
        model = referral_model(process.name)
        fields = forms.fields_for(model)
        reader = forms.Reader(form=form)  # its errors in the order the form asks
        received = _received(form, now=flow.clock.now(), reader=reader)
        team = str(form.get("team") or "").strip() or user.team
        if user.teams is not None and team not in user.teams:
            reader.fail("team", f"Choose one of your teams: {', '.join(user.teams)}", "team")
        reader.data = reader.fields(fields, "data")
        forms.validate(model, fields, reader, reader.data)
        people = {p["email"].lower(): p for p in pickable(flow, user, team)}
        contacts = _contacts(form, process, people, reader)
        status = 422
        if not reader.errors and received is not None:
            data = model.model_validate(reader.data).model_dump(mode="json", exclude_none=True)
            try:
                case_id = cases.create_case(
                    flow,
                    principal=user.principal,
                    process=process.name,
                    received_at=received,
                    data=data,
                    contacts=contacts,
                    team=team,
                )
            except FamilyFlowError as error:
                engine_errors(error, reader)
                status = error.http_status
            else:
                return redirect(
                    f"/cases/{case_id}", f"Referral recorded: {reference(process, case_id)}"
                )
        return new_page(
            request,
            flow,
            user,
            csrf,
            process,
            reader=reader,
            shown=forms.values(form),
            status=status,
        )

    return pages
