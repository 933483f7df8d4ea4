"""The web pages: server-rendered GOV.UK Design System pages over the same engine,
sign-in and role checks as the API. `install(app)` mounts them on the app that
`familyflow.api.create_app` builds."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from familyflow.web import (
    actions,
    admin,
    cases,
    messages,
    processes,
    referral,
    register,
    replies,
    reports,
    tracker,
    work,
)
from familyflow.web.core import (
    STATIC,
    PageError,
    SignInRequired,
    error_page,
    page_error,
    sign_in_required,
)


def install(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_exception_handler(SignInRequired, sign_in_required)
    app.add_exception_handler(PageError, page_error)
    app.state.error_page = error_page  # how problems.answer shows an error to a browser
    for module in (
        work,
        referral,  # before cases: /cases/new/... is not a case number
        actions,
        cases,
        tracker,
        register,
        messages,
        replies,
        processes,
        reports,
        admin,
    ):
        app.include_router(module.router())
