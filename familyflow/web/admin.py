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
from familyflow.web.core import ADMINS, CheckCsrf, page_roles, redirect, render
from notifications.render import day, short_day, short_when, when

AdminUser = Annotated[CurrentUser, page_roles(*ADMINS)]


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
            for k in ("email", "name", "role", "team", "password", "manager_email")
        }
        try:
            users_service.add_user(
                flow,
                principal=user.principal,
                email=text["email"],
                name=text["name"],
                role=text["role"],
                team=text["team"] or None,
                password=text["password"] or None,
                part_time=form.get("part_time") == "yes",
                manager_email=text["manager_email"] or None,
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
        return redirect("/admin#users", f"User {text['email']} added")

    @pages.post("/admin/users/{user_id}/access", dependencies=[CheckCsrf])
    async def access(
        request: Request,
        user_id: Annotated[int, Path(ge=1, le=2**62)],
        flow: FlowDep,
        user: AdminUser,
    ) -> Response:
        form = await request.form()
        active = form.get("active") == "yes"
        users_service.update_user(
            flow, principal=user.principal, user_id=user_id, changes={"active": active}
        )
        return redirect("/admin#users", f"Access {'restored' if active else 'switched off'}")

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
        return redirect("/admin#closures", f"Closure day {day_} added")

    @pages.post("/admin/closures/{day}/remove", dependencies=[CheckCsrf])
    def remove_closure(day: dt.date, flow: FlowDep, user: AdminUser) -> Response:
        with contextlib.suppress(NotFound):  # removed already: the page shows it gone
            calendar_service.remove_closure_day(flow, principal=user.principal, day=day)
        return redirect("/admin#closures", f"Closure day {day} removed")

    return pages
