"""The HTTP edge every response passes: security headers, and a bound on request
bodies. Pure ASGI middleware, so it also covers error pages, redirects and static
files (issue 7: web hardening and limits)."""

from __future__ import annotations

import traceback

import structlog
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from familyflow.api import problems

log = structlog.get_logger("familyflow.api")

# No inline script or style anywhere: scripts and styles come from /static only.
PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
# FastAPI's Swagger page (no personal data) loads Swagger UI from its CDN and starts
# it with an inline script; only that page is allowed to.
DOCS_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "img-src 'self' data: https://fastapi.tiangolo.com; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
HSTS = "max-age=31536000"


def headers_for(path: str, *, hsts: bool) -> list[tuple[bytes, bytes]]:
    policy = DOCS_POLICY if path.rstrip("/") == "/api/docs" else PAGE_POLICY
    sent = [
        (b"content-security-policy", policy.encode()),
        (b"x-frame-options", b"DENY"),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"same-origin"),
    ]
    if not path.startswith("/static/"):
        # Pages and API answers carry personal data: never kept by a browser or proxy.
        sent.append((b"cache-control", b"no-store"))
    if hsts:
        sent.append((b"strict-transport-security", HSTS.encode()))
    return sent


class EdgeMiddleware:
    """Adds the security headers to every response; refuses a request body over
    `max_body_bytes` with a 413 naming the limit; answers an unexpected error with a
    problem (API) or a page (browser), logging the exception's text."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, hsts: bool) -> None:
        self.app, self.max_body_bytes, self.hsts = app, max_body_bytes, hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = headers_for(scope["path"], hsts=self.hsts)
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                names = {name for name, _ in extra}
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in names]
                message = {**message, "headers": [*kept, *extra]}
            await send(message)

        too_large = HTTPException(413, detail=too_large_detail(self.max_body_bytes))
        declared = dict(scope.get("headers", [])).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_body_bytes:
            response = problems.answer(Request(scope, receive), status=413, detail=too_large.detail)
            await response(scope, receive, send_with_headers)
            return
        received = 0

        async def bounded_receive() -> Message:
            # A body without Content-Length (chunked) is counted as it arrives; the
            # HTTPException reaches the app's handlers, so it is answered as a 413.
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise too_large
            return message

        try:
            await self.app(scope, bounded_receive, send_with_headers)
        except Exception as error:
            log.error(
                "request_failed",
                method=scope.get("method"),
                path=scope["path"],
                error=type(error).__name__,
                exception=str(error),
                traceback="".join(traceback.format_exception(error)),
            )
            if started:
                raise
            response = problems.answer(
                Request(scope, receive),
                status=500,
                detail="something went wrong on our side; it has been logged",
            )
            await response(scope, receive, send_with_headers)


def too_large_detail(limit: int) -> str:
    return f"the request body is larger than the limit of {_size(limit)}"


def _size(count: int) -> str:
    if count >= 1024 * 1024 and count % (1024 * 1024) == 0:
        return f"{count // (1024 * 1024)} MB"
    if count >= 1024 and count % 1024 == 0:
        return f"{count // 1024} KB"
    return f"{count} bytes"
