"""The web application: `create_app(flow=..., settings=...)` builds it; nothing is
made at import time. The API lives under /api (OpenAPI at /api/openapi.json,
docs at /api/docs); the web pages are mounted at / by their own routers."""

from __future__ import annotations

import structlog
from fastapi import FastAPI

from engine.service import FamilyFlow
from familyflow.api import health, problems
from familyflow.api.auth import QueuedCookies, WebAuth
from familyflow.api.routes import (
    calendar,
    cases,
    deadlines,
    messages,
    notify,
    people,
    processes,
    reports,
    session,
)
from familyflow.secret_key import secret_key
from familyflow.settings import Settings

log = structlog.get_logger("familyflow.api")
API_PREFIX = "/api"


def create_app(*, flow: FamilyFlow, settings: Settings) -> FastAPI:
    app = FastAPI(
        title=f"{settings.service_name} API",
        version="1",
        description="Children's-services procedures as state machines with timescales. "
        "Sign in with a bearer token (`familyflow token add EMAIL --name ...`) or a browser "
        "session. Errors are application/problem+json (RFC 9457).",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
    )
    secret = secret_key(settings)
    app.state.flow = flow
    app.state.settings = settings
    app.state.web_auth = WebAuth(
        secret=secret, cookie_secure=settings.cookie_secure, session_hours=settings.session_hours
    )
    problems.install(app)
    token = settings.metrics_token
    health.install(app, flow=flow, metrics_token=token.get_secret_value() if token else None)
    app.add_middleware(QueuedCookies)
    for module in (cases, processes, deadlines, messages, people, calendar, reports, notify):
        app.include_router(module.router(), prefix=API_PREFIX)
    app.include_router(session.router())
    from familyflow import web  # the web pages at / (familyflow/web)

    web.install(app)
    return app
