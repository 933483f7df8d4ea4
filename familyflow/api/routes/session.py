"""Signing in and out of the web pages (forms with CSRF tokens), and the token a
script needs to post the sign-in form."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request, Response, status
from fastapi.responses import RedirectResponse

from engine.errors import InputError, NotSignedIn, SignInThrottled
from familyflow import throttle
from familyflow.api import problems
from familyflow.api.schemas import NO_NUL
from familyflow.http.auth import (
    CsrfTokenDep,
    FlowDep,
    OptionalUserDep,
    SettingsDep,
    WebAuthDep,
    verify_csrf,
)
from familyflow.services import sessions


def _local_path(target: str) -> str:
    """Only somewhere on this site: never //evil.example or https://..."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "")


def router() -> APIRouter:
    pages = APIRouter(tags=["sign-in"])

    @pages.get("/api/csrf", summary="A CSRF token for the sign-in and other forms")
    def csrf(token: CsrfTokenDep) -> dict[str, str]:
        return {"csrf_token": token}

    @pages.post("/login", include_in_schema=False, dependencies=[Depends(verify_csrf)])
    def login(
        request: Request,
        flow: FlowDep,
        settings: SettingsDep,
        web: WebAuthDep,
        email: Annotated[str, Form(pattern=NO_NUL, max_length=320)] = "",
        password: Annotated[str, Form(pattern=NO_NUL, max_length=200)] = "",
        next: Annotated[str, Form(pattern=NO_NUL, max_length=2000)] = "/",
    ) -> Response:
        """Form fields `email`, `password`, `csrf_token` and optional `next`. A browser
        (Accept: text/html) is sent back to /login?error=... on failure."""
        try:
            if not email.strip() or not password:
                raise InputError(
                    field="email" if not email.strip() else "password", reason="enter it"
                )
            signed = sessions.sign_in(
                flow,
                email=email,
                password=password,
                address=request.client.host if request.client else "unknown",
                policy=throttle.Policy.from_settings(settings),
                session_hours=settings.session_hours,
            )
        except (InputError, NotSignedIn, SignInThrottled) as error:
            if _wants_html(request):
                reason = {InputError: "missing", SignInThrottled: "wait"}.get(type(error), "failed")
                return RedirectResponse(
                    f"/login?error={reason}",
                    status_code=status.HTTP_303_SEE_OTHER,
                    headers=problems.retry_after(error)
                    if isinstance(error, SignInThrottled)
                    else None,
                )
            return problems.from_error(error)
        response = RedirectResponse(_local_path(next), status_code=status.HTTP_303_SEE_OTHER)
        web.session_cookie(response, signed.session_token)
        return response

    @pages.post("/logout", include_in_schema=False, dependencies=[Depends(verify_csrf)])
    def logout(flow: FlowDep, web: WebAuthDep, user: OptionalUserDep) -> Response:
        if user is not None and user.session_token:
            sessions.sign_out(flow, principal=user.principal, session_token=user.session_token)
        response = RedirectResponse("/login", status_code=status.HTTP_303_SEE_OTHER)
        web.forget_session(response)
        return response

    return pages
