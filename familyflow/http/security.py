"""The HTTP edge every response passes: security headers, and a bound on request
bodies. Pure ASGI middleware, so it also covers error pages, redirects and static
files (issue 7: web hardening and limits)."""

from __future__ import annotations

import traceback

import structlog
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
# The process pages (issue 10) draw their diagrams with Mermaid, which measures each label
# in a scratch SVG on the page carrying a <style> element and style attributes: without
# 'unsafe-inline' for styles the browser refuses (and reports) each one, hundreds a page.
# Only styles, only those pages (no personal data on them, no form taking free text that
# is shown back): scripts stay 'self' there too, and static/process-diagram.js still moves
# the finished SVG's styles into the CSSOM, so the diagram does not depend on this.
PROCESS_POLICY = PAGE_POLICY.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
HSTS = "max-age=31536000"


def headers_for(path: str, *, hsts: bool) -> list[tuple[bytes, bytes]]:
    if path.rstrip("/") == "/api/docs":
        policy = DOCS_POLICY
    elif path.startswith("/processes/"):
        policy = PROCESS_POLICY
    else:
        policy = PAGE_POLICY
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

        declared = dict(scope.get("headers", [])).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_body_bytes:
            await self._too_large(scope, receive, send_with_headers)
            return
        app_receive = receive
        if not declared.isdigit() and scope.get("method") not in ("GET", "HEAD", "OPTIONS"):
            # No Content-Length (chunked): read it here, up to the limit, then hand it on.
            body = await _read_bounded(receive, limit=self.max_body_bytes)
            if body is None:
                await self._too_large(scope, receive, send_with_headers)
                return
            app_receive = _replay(body, receive)
        try:
            await self.app(scope, app_receive, send_with_headers)
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

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        detail = too_large_detail(self.max_body_bytes)
        await problems.answer(Request(scope, receive), status=413, detail=detail)(
            scope, receive, send
        )


async def _read_bounded(receive: Receive, *, limit: int) -> bytes | None:
    """The whole body, or None as soon as it is over `limit` bytes."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()  # what follows the body: a disconnect
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


def too_large_detail(limit: int) -> str:
    return f"the request body is larger than the limit of {_size(limit)}"


def _size(count: int) -> str:
    if count >= 1024 * 1024 and count % (1024 * 1024) == 0:
        return f"{count // (1024 * 1024)} MB"
    if count >= 1024 and count % 1024 == 0:
        return f"{count // 1024} KB"
    return f"{count} bytes"
