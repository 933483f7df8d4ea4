"""Errors at the edge: every failure is `application/problem+json` (RFC 9457) for
API clients, and a page for a browser (a request outside /api that accepts HTML;
the web pages register how to draw it as `app.state.error_page`).

The engine raises its own errors (engine/errors.py), each with an `http_status`;
this is the only place they become HTTP responses.
"""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from engine.errors import (
    AccountLocked,
    FamilyFlowError,
    NotSignedIn,
    RoleNotAllowed,
    TriggerNotAllowed,
)

PROBLEM_JSON = "application/problem+json"
log = structlog.get_logger("familyflow.api")
# (request, status, detail, field errors, headers) -> the page a browser is shown
ErrorPage = Callable[..., Response]


def problem(
    *,
    status: int,
    detail: str,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    body.update({k: v for k, v in extra.items() if v is not None})
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _listed(text: Any) -> list[str]:
    text = str(text)
    return [] if not text or text.startswith("none") else text.split(", ")


def wants_page(request: Request) -> bool:
    """A browser on a page, not an API client: it asks for HTML outside /api."""
    path = request.url.path
    return not (path == "/api" or path.startswith("/api/")) and "text/html" in request.headers.get(
        "accept", ""
    )


def answer(
    request: Request,
    *,
    status: int,
    detail: str,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    """The problem, or for a browser the styled page saying the same."""
    page: ErrorPage | None = getattr(request.app.state, "error_page", None)
    if page is not None and wants_page(request):
        try:
            return page(request, status=status, detail=detail, errors=errors, headers=headers)
        except Exception as error:  # the page itself failed: the problem still goes out
            log.error("error_page_failed", error=type(error).__name__, exception=str(error))
    return problem(status=status, detail=detail, errors=errors, headers=headers, **extra)


def retry_after(error: AccountLocked) -> dict[str, str]:
    return {"Retry-After": str(max(1, int(error.fields.get("retry_after", 1))))}


def _parts(error: FamilyFlowError) -> dict[str, Any]:
    fields = error.fields
    errors = (
        [{"field": str(fields["field"]), "reason": str(fields["reason"])}]
        if "field" in fields and "reason" in fields
        else None
    )
    headers = None
    extra: dict[str, Any] = {}
    if isinstance(error, TriggerNotAllowed):
        extra["allowed"] = _listed(fields.get("allowed"))
    elif isinstance(error, RoleNotAllowed):
        extra["allowed_roles"] = _listed(fields.get("allowed"))
    elif isinstance(error, NotSignedIn):
        headers = {"WWW-Authenticate": 'Bearer realm="familyflow"'}
    elif isinstance(error, AccountLocked):
        headers = retry_after(error)
    if error.http_status >= 500:
        log.error("request_failed", error=type(error).__name__, exception=error.message)
    return {
        "status": error.http_status,
        "detail": error.message,
        "errors": errors,
        "headers": headers,
        **extra,
    }


def from_error(error: FamilyFlowError) -> JSONResponse:
    return problem(**_parts(error))


async def _familyflow_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, FamilyFlowError)
    return answer(request, **_parts(error))


def _where(location: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in location]
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        parts = parts[1:] if parts[0] == "body" else parts
    return ".".join(parts) or "body"


async def _validation_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    errors = [
        {
            "field": _where(e.get("loc", ())),
            "reason": str(e.get("msg", "invalid")).removeprefix("Value error, "),
        }
        for e in error.errors()
    ]
    first = errors[0] if errors else {"field": "body", "reason": "invalid"}
    return answer(request, status=422, detail=f"{first['field']}: {first['reason']}", errors=errors)


async def _http_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, StarletteHTTPException)
    return answer(
        request,
        status=error.status_code,
        detail=str(error.detail),
        headers=dict(error.headers or {}) or None,
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(FamilyFlowError, _familyflow_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
