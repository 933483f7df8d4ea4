"""Admin: users (add, change role or team, switch access off and on), teams, local
closure days, and message templates previewed with sample data."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections import defaultdict
from pathlib import Path as FilePath
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import ChainableUndefined, Environment, FileSystemLoader, TemplateError

from engine.errors import AlreadyExists, FamilyFlowError, NotFound
from familyflow import accounts
from familyflow.bootstrap import TEMPLATES as MESSAGE_TEMPLATES
from familyflow.http.auth import CsrfTokenDep, CurrentUser, FlowDep
from familyflow.services import calendar as calendar_service
from familyflow.services import users as users_service
from familyflow.web.core import ADMINS, CheckCsrf, PageError, page_roles, redirect, render
from notifications.render import day, short_day, short_when, when

AdminUser = Annotated[CurrentUser, page_roles(*ADMINS)]
UserId = Annotated[int, Path(ge=1, le=2**62)]
NEW_TEAM = "__new__"  # the team list's "A new team" choice: creating one is explicit


def _team_names(users: list[dict[str, Any]]) -> list[str]:
    return sorted({u["team"] for u in users if u["team"]}, key=str.casefold)


class _Refused(Exception):
    """A choice on the admin form the page itself refuses, in GOV.UK words."""

    def __init__(self, field: str, text: str) -> None:
        super().__init__(text)
        self.field, self.text = field, text


def _chosen_team(text: dict[str, str], known: list[str]) -> str | None:
    """The team picked from the list, or the new one named (issue 10: a mistyped team
    was silently created). A "new" team that exists already, in any case, is refused."""
    if text["team"] == NEW_TEAM:
        name = " ".join(text["new_team"].split())
        if not name:
            raise _Refused("new_team", "Enter the name of the new team")
        same = [t for t in known if t.casefold() == name.casefold()]
        if same:
            raise _Refused(
                "new_team", f"There is already a team called {same[0]}: choose it from the list"
            )
        return name
    if text["team"] and text["team"] not in known:
        raise _Refused("team", "Choose a team from the list, or choose to add a new team")
    return text["team"] or None


def _template_names() -> list[str]:
    return sorted(
        str(p.relative_to(MESSAGE_TEMPLATES))
        for p in MESSAGE_TEMPLATES.rglob("*.txt")
        if not p.name.startswith("_") and "web" not in p.parts
    )


def sample_context(flow: Any) -> dict[str, Any]:
    now = flow.clock.now()
    soon = now + dt.timedelta(days=7)
    person = {"name": "Jo Sample", "email": "jo.sample@example.org", "mobile": "+447700900000"}
    return {
        "case": {
            "id": 123,
            "reference": "PAR-000123",
            "process": "parenting",
            "process_title": "Parenting programme",
            "state": "attending",
            "received_at": now,
            "data": {
                "venue": "Riverside Family Centre",
                "session_times": [soon.isoformat()],
                "missed_count": 1,
            },
        },
        "contacts": defaultdict(lambda: person),
        "recipient": person,
        "rule": "PAR-00",
        "service_name": flow.services.service_name,
        "deadline": {
            "due_at": soon,
            "description": "a sample timescale",
            "rule": "PAR-00",
            "late": False,
        },
        "missed_session": now.isoformat(),
        "next_session": soon.isoformat(),
        "missed_count": 1,
        "reason": "sample reason",
        "sections": [],
        "cases": [],
    }


def preview(flow: Any, name: str) -> dict[str, str]:
    env = Environment(
        loader=FileSystemLoader(MESSAGE_TEMPLATES),
        undefined=ChainableUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        when=lambda v: when(v) if v else "[date]",
        day=lambda v: day(v) if v else "[date]",
        short_when=lambda v: short_when(v) if v else "[date]",
        short_day=lambda v: short_day(v) if v else "[date]",
    )
    source = (FilePath(MESSAGE_TEMPLATES) / name).read_text(encoding="utf-8")
    try:
        template = env.get_template(name)
        ctx = template.new_context(sample_context(flow))
        subject = (
            "".join(template.blocks["subject"](ctx)).strip() if "subject" in template.blocks else ""
        )
        body = "".join(template.root_render_func(ctx)).strip()
    except (TemplateError, TypeError, ValueError, KeyError) as error:
        subject, body = "", f"This template cannot be previewed with sample data: {error}"
    return {"name": name, "subject": subject, "body": body, "source": source}


def router() -> APIRouter:
    pages = APIRouter(include_in_schema=False)

    def page(
        request: Request,
        flow: Any,
        user: CurrentUser,
        csrf: str,
        *,
        errors: list[dict[str, str]] | None = None,
        status: int = 200,
        shown: dict[str, str] | None = None,
        form: Any = None,
    ) -> HTMLResponse:
        users = users_service.list_users(flow, principal=user.principal)
        closures = calendar_service.closure_days(flow)
        teams: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for u in users:
            teams[u["team"] or "(no team)"].append(u)
        managers = [u for u in users if u["role"] == "team_manager" and u["active"]]
        return render(
            request,
            "admin.html",
            user=user,
            csrf=csrf,
            errors=errors or [],
            status=status,
            users=users,
            teams=dict(sorted(teams.items())),
            closures=closures,
            templates_list=_template_names(),
            shown=shown,
            roles=accounts.ROLES,
            team_options=[
                ("", "No team"),
                *((t, t) for t in _team_names(users)),
                (NEW_TEAM, "A new team (name it below)"),
            ],
            manager_options=[
                ("", "No manager"),
                *((m["email"], f"{m['name']} ({m['email']})") for m in managers),
            ],
            form={k: v for k, v in (form or {}).items() if isinstance(v, str)},
        )

    @pages.get("/admin", response_class=HTMLResponse)
    def admin(
        request: Request,
        flow: FlowDep,
        user: AdminUser,
        csrf: CsrfTokenDep,
        template: str | None = None,
    ) -> HTMLResponse:
        shown = preview(flow, template) if template in _template_names() else None
        return page(request, flow, user, csrf, shown=shown)

    @pages.post("/admin/users", dependencies=[CheckCsrf])
    async def add_user(
        request: Request, flow: FlowDep, user: AdminUser, csrf: CsrfTokenDep
    ) -> Response:
        form = await request.form()
        text = {
            k: str(form.get(k) or "").strip()
            for k in ("email", "name", "role", "team", "new_team", "password", "manager_email")
        }
        try:
            existing = users_service.list_users(flow, principal=user.principal)
            team = _chosen_team(text, _team_names(existing))
            managers = {u["email"] for u in existing if u["role"] == "team_manager"}
            if text["manager_email"] and text["manager_email"] not in managers:
                raise _Refused("manager_email", "Choose the manager from the list")
            users_service.add_user(
                flow,
                principal=user.principal,
                email=text["email"],
                name=text["name"],
                role=text["role"],
                team=team,
                password=text["password"] or None,
                part_time=form.get("part_time") == "yes",
                manager_email=text["manager_email"] or None,
            )
        except _Refused as refused:
            return page(
                request,
                flow,
                user,
                csrf,
                status=422,
                form=form,
                errors=[
                    {"text": refused.text, "href": f"#user-{refused.field}", "field": refused.field}
                ],
            )
        except FamilyFlowError as error:
            field = str(error.fields.get("field", "email"))
            return page(
                request,
                flow,
                user,
                csrf,
                status=error.http_status,
                form=form,
                errors=[{"text": error.message, "href": f"#user-{field}", "field": field}],
            )
        return redirect("/admin", f"User {text['email']} added")

    @pages.get("/admin/users/{user_id}/switch-off", response_class=HTMLResponse)
    def confirm_switch_off(
        request: Request, user_id: UserId, flow: FlowDep, user: AdminUser, csrf: CsrfTokenDep
    ) -> HTMLResponse:
        """Switching someone's access off signs them out everywhere: asked first."""
        try:
            person = users_service.get_user(flow, principal=user.principal, user_id=user_id)
        except NotFound:
            raise PageError(404, "User not found", f"There is no user {user_id}.") from None
        return render(
            request,
            "admin_confirm.html",
            user=user,
            csrf=csrf,
            title=f"Switch off access for {person['name'] or person['email']}?",
            explain=(
                f"{person['email']} will be signed out and cannot sign in or use API tokens "
                "until an admin restores their access. Their cases and records stay."
            ),
            action=f"/admin/users/{user_id}/access",
            fields={"active": "no"},
            button="Switch off access",
        )

    @pages.post("/admin/users/{user_id}/access", dependencies=[CheckCsrf])
    async def access(
        request: Request,
        user_id: UserId,
        flow: FlowDep,
        user: AdminUser,
    ) -> Response:
        form = await request.form()
        active = form.get("active") == "yes"
        try:
            changed = users_service.update_user(
                flow, principal=user.principal, user_id=user_id, changes={"active": active}
            )
        except NotFound:
            raise PageError(404, "User not found", f"There is no user {user_id}.") from None
        who = changed.get("email", f"user {user_id}")
        return redirect("/admin", f"Access {'restored' if active else 'switched off'} for {who}")

    @pages.post("/admin/closures", dependencies=[CheckCsrf])
    async def add_closure(
        request: Request, flow: FlowDep, user: AdminUser, csrf: CsrfTokenDep
    ) -> Response:
        form = await request.form()
        description = str(form.get("description") or "").strip()
        try:
            day_ = dt.date.fromisoformat(str(form.get("day") or ""))
        except ValueError:
            return page(
                request,
                flow,
                user,
                csrf,
                status=422,
                form=form,
                errors=[
                    {
                        "text": "Enter the closure day as a date",
                        "href": "#closure-day",
                        "field": "day",
                    }
                ],
            )
        if not description:
            return page(
                request,
                flow,
                user,
                csrf,
                status=422,
                form=form,
                errors=[
                    {
                        "text": "Enter what the closure is for",
                        "href": "#closure-description",
                        "field": "description",
                    }
                ],
            )
        try:
            calendar_service.add_closure_day(
                flow, principal=user.principal, day=day_, description=description
            )
        except AlreadyExists:
            return page(
                request,
                flow,
                user,
                csrf,
                status=409,
                form=form,
                errors=[
                    {
                        "text": f"{day_} is already a closure day",
                        "href": "#closure-day",
                        "field": "day",
                    }
                ],
            )
        return redirect("/admin", f"Closure day {day_:%-d %B %Y} added")

    @pages.get("/admin/closures/{day}/remove", response_class=HTMLResponse)
    def confirm_remove_closure(
        request: Request, day: dt.date, flow: FlowDep, user: AdminUser, csrf: CsrfTokenDep
    ) -> HTMLResponse:
        """Removing a closure day moves every working-day timescale over it: asked first."""
        found = [c for c in calendar_service.closure_days(flow) if c["day"] == day]
        if not found:
            raise PageError(404, "Closure day not found", f"{day:%-d %B %Y} is not a closure day.")
        return render(
            request,
            "admin_confirm.html",
            user=user,
            csrf=csrf,
            title=f"Remove the closure day {day:%A %-d %B %Y}?",
            explain=(
                f"{found[0]['description']}. Timescales counted in working days will count "
                "this day as a working day again; deadlines already set keep their dates."
            ),
            action=f"/admin/closures/{day.isoformat()}/remove",
            fields={},
            button="Remove closure day",
        )

    @pages.post("/admin/closures/{day}/remove", dependencies=[CheckCsrf])
    def remove_closure(day: dt.date, flow: FlowDep, user: AdminUser) -> Response:
        with contextlib.suppress(NotFound):  # removed already: the page shows it gone
            calendar_service.remove_closure_day(flow, principal=user.principal, day=day)
        return redirect("/admin", f"Closure day {day:%-d %B %Y} removed")

    return pages
