"""What every page shares: the Jinja2 environment, the signed-in person, CSRF on
forms, errors shown as GOV.UK pages (for page errors and, for browsers, every
error the app answers: see `error_page`), and the RAG status of a timescale."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from http import HTTPStatus
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

import templates as template_files
from engine.clock import local
from engine.errors import (
    CsrfFailed,
    FamilyFlowError,
    GuardFailed,
    InputError,
    RoleNotAllowed,
    TriggerNotAllowed,
)
from familyflow.http.auth import (
    CurrentUser,
    OptionalUserDep,
    WebAuthDep,
    get_flow,
    get_settings,
    verify_csrf,
)
from familyflow.web import flash

TEMPLATES = template_files.DIRECTORY / "web"
STATIC = Path(__file__).resolve().parent / "static"

# Who may use what, beyond what the process definitions allow per trigger.
REPORT_READERS = ("team_manager", "business_support", "admin")
ADMINS = ("admin",)


class SignInRequired(Exception):
    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class PageError(Exception):
    """An error page: a title and a message people can act on."""

    def __init__(self, status: int, title: str, message: str) -> None:
        super().__init__(message)
        self.status, self.title, self.message = status, title, message


# -- formatting -------------------------------------------------------------------


def when(moment: datetime | str | None) -> str:
    if moment is None or moment == "":
        return ""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return f"{local(moment):%a} {local(moment).day} {local(moment):%b %Y, %H:%M}"


def day(moment: datetime | str | None) -> str:
    if moment is None or moment == "":
        return ""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    moment = local(moment) if isinstance(moment, datetime) else moment
    return f"{moment.day} {moment:%b %Y}"


# Words of code names (triggers, stages, roles, fields, choices) that people write
# otherwise: abbreviations spelt out or kept as the acronym people use, and the two
# possessives the names drop ("record_managers_decision").
WORDS = {
    "sw": "social worker",
    "tm": "team manager",
    "bs": "business support",
    "hv": "health visitor",
    "eh": "early help",
    "sos": "Signs of Safety",
    "s17": "section 17",
    "s47": "section 47",
    "maam": "MAAM",
    "iro": "IRO",
    "cypa": "CYPA",
    "eha": "EHA",
    "dart": "DART",
    "childrens": "children's",
    "managers": "manager's",
}


def humanise(name: str | None) -> str:
    """A code name as words ("sw_agrees": "Social worker agrees"). Text that is
    already words (it has spaces) only loses its underscores: its "managers" may
    be a plural."""
    text = (name or "").strip()
    if not any(c.isspace() for c in text):
        text = " ".join(WORDS.get(word, word) for word in text.split("_"))
    text = text.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def phrase(name: str | None) -> str:
    """A code name as words inside a sentence ("awaiting MAAM"): lower case, but an
    acronym keeps its capitals."""
    text = humanise(name)
    first = text.split(" ", 1)[0]
    return text if first.isupper() and len(first) > 1 else text[:1].lower() + text[1:]


def sentence(error: FamilyFlowError) -> str:
    """A refusal as a person reads it on a page: the reason, never the engine's
    technical form ("trigger 'allocate_worker' refused: ..."), which the API and the
    command line keep."""
    if isinstance(error, TriggerNotAllowed):
        text = f"this cannot be done while the case is {phrase(str(error.fields.get('state')))}"
    elif isinstance(error, RoleNotAllowed):
        allowed = str(error.fields.get("allowed", "")).split(",")
        text = f"only a {', '.join(phrase(r.strip()) for r in allowed)} can do this"
    elif isinstance(error, GuardFailed | InputError) and error.fields.get("reason"):
        text = str(error.fields["reason"])
    else:
        text = error.message
    return text[:1].upper() + text[1:]


def duration(seconds: float) -> str:
    """'3 days', '5 hours', '40 minutes': the largest unit that fits."""
    seconds = abs(seconds)
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = int(seconds // size)
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return "less than a minute"


@dataclass(frozen=True)
class Rag:
    """How much of a timescale is used: green under 50%, amber 50-100%, red breached."""

    colour: str  # green, amber, red
    label: str
    used: float
    time_left: str

    @property
    def tag_class(self) -> str:
        return {"green": "govuk-tag--green", "amber": "govuk-tag--orange"}.get(
            self.colour, "govuk-tag--red"
        )


def rag(*, started_at: datetime, due_at: datetime, now: datetime) -> Rag:
    span = (due_at - started_at).total_seconds()
    used = (now - started_at).total_seconds() / span if span > 0 else 1.0
    left = (due_at - now).total_seconds()
    if now >= due_at:
        return Rag("red", "Overdue", used, f"overdue by {duration(left)}")
    if used >= 0.5:
        return Rag("amber", "Due soon", used, f"{duration(left)} left")
    return Rag("green", "On track", used, f"{duration(left)} left")


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        auto_reload=False,  # the pages ship with the release: no stat per page shown
        autoescape=select_autoescape(["html"], default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(when=when, day=day, humanise=humanise, phrase=phrase)
    return env


templates = Jinja2Templates(env=_environment())

NAVIGATION = (
    ("/", "My work", None),
    ("/tracker", "Tracker", None),
    ("/register", "Register", None),
    ("/messages", "Messages", None),
    ("/replies", "Replies", ("business_support", *ADMINS)),
    ("/processes", "Processes", None),
    ("/reports", "Reports", REPORT_READERS),
    ("/admin", "Admin", ADMINS),
)


def render(
    request: Request,
    name: str,
    *,
    user: CurrentUser | None,
    csrf: str | None = None,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    path = request.url.path
    nav = [
        {
            "href": href,
            "label": label,
            "active": path == href or (href != "/" and path.startswith(href)),
        }
        for href, label, roles in NAVIGATION
        if user is not None and (roles is None or user.role in roles)
    ]
    settings = get_settings(request)
    base = {
        "user": user,
        "csrf_token": csrf,
        "nav": nav,
        "service_name": settings.service_name,
        "errors": [],
        # Only the server's own words: a notice a page passes, or one left by a
        # redirect (flash.py); never text from the address.
        "notice": context.pop("notice", None) or flash.take(request),
        "now": get_flow(request).clock.now(),
    }
    return templates.TemplateResponse(request, name, {**base, **context}, status_code=status)


# -- dependencies -----------------------------------------------------------------


def page_user(request: Request, user: OptionalUserDep) -> CurrentUser:
    """The signed-in person; anyone else is sent to the sign-in page and back."""
    if user is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInRequired(target)
    return user


PageUser = Annotated[CurrentUser, Depends(page_user)]


def page_roles(*roles: str) -> Any:
    def check(user: PageUser) -> CurrentUser:
        if user.role not in roles:
            allowed = ", ".join(phrase(r) for r in roles)
            raise PageError(
                403,
                "You cannot use this page",
                f"This page is for: {allowed}. You are signed in as {phrase(user.role)}.",
            )
        return user

    return Depends(check)


async def page_csrf(request: Request, web: WebAuthDep, user: OptionalUserDep) -> None:
    try:
        await verify_csrf(request, web, user)
    except CsrfFailed as error:
        raise PageError(403, "Your form has expired", error.message) from None


CheckCsrf = Depends(page_csrf)


def redirect(path: str, notice: str | None = None) -> RedirectResponse:
    """A 303 to `path`; the notice goes with the session, not in the address."""
    if notice:
        return flash.NoticeRedirect(path, notice=notice)
    return RedirectResponse(path, status_code=303)


async def sign_in_required(request: Request, error: Exception) -> Response:
    assert isinstance(error, SignInRequired)
    return RedirectResponse(f"/login?next={quote(error.next_path)}", status_code=303)


def _user_if_any(request: Request) -> CurrentUser | None:
    from familyflow.http.auth import optional_user

    try:
        return optional_user(request, get_flow(request), request.app.state.web_auth, None)
    except Exception:
        return None


async def page_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, PageError)
    return render(
        request,
        "error.html",
        user=_user_if_any(request),
        status=error.status,
        title=error.title,
        message=error.message,
    )


ERROR_TITLES = {
    400: "There is a problem with your request",
    401: "Sign in to use this service",
    403: "You cannot do this",
    404: "Page not found",
    405: "You cannot do this here",
    409: "This could not be done",
    413: "What you sent is too large",
    422: "There is a problem with what you sent",
    429: "Too many attempts",
}
# What a page says in place of HTTP's own words ("Not Found", "Method Not Allowed"),
# which are all an unknown address or a form's address visited by hand carry.
PLAIN_DETAILS = {
    404: "There is no page at this address. Check the address, or start again from My work.",
    405: "This address only takes a form's answer. Go back to the page and use its button.",
}
UNEXPECTED = (
    "Sorry, there is a problem with the service. Nothing you sent was saved. "
    "Try again later; if it keeps happening, tell your system administrator."
)


def _plain(status: int, detail: str) -> str:
    if status in PLAIN_DETAILS and detail == HTTPStatus(status).phrase:
        return PLAIN_DETAILS[status]
    return detail[:1].upper() + detail[1:]


def error_page(
    request: Request,
    *,
    status: int,
    detail: str,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """The GOV.UK page a browser sees for an error the app answers (problems.answer)."""
    unexpected = status >= 500
    response = render(
        request,
        "error.html",
        user=_user_if_any(request),
        status=status,
        title="Sorry, there is a problem with the service"
        if unexpected
        else ERROR_TITLES.get(status, "There is a problem"),
        message=UNEXPECTED if unexpected else _plain(status, detail),
        errors=[{"text": f"{e['field']}: {e['reason']}", "href": ""} for e in errors or []],
    )
    response.headers.update(headers or {})
    return response
