"""Success notices ("Case note added") carried from a form's redirect to the next
page in a signed, one-time cookie tied to the session: the server's words only.
Text in the address (?notice=...) is never shown (issue 7: a spoofed "Success").
"""

from __future__ import annotations

import hashlib

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.types import Receive, Scope, Send

from familyflow.http.auth import CSRF_COOKIE, SESSION_COOKIE, WebAuth, queue_cookie

NOTICE_COOKIE = "familyflow_notice"
LIFETIME_SECONDS = 300  # long enough for the redirect, too short to matter later


def _serializer(web: WebAuth) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(web.secret, salt="familyflow-notice")


def _holder(request: Request) -> str:
    """Whose notice it is: a digest of the session (or the anonymous form cookie)."""
    cookie = request.cookies.get(SESSION_COOKIE) or request.cookies.get(CSRF_COOKIE) or ""
    return hashlib.sha256(cookie.encode()).hexdigest()


class NoticeRedirect(RedirectResponse):
    """A 303 that leaves `notice` for the next page this browser session shows."""

    def __init__(self, url: str, *, notice: str) -> None:
        super().__init__(url, status_code=303)
        self.notice = notice

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        web: WebAuth = request.app.state.web_auth
        sealed = _serializer(web).dumps({"to": _holder(request), "notice": self.notice})
        self.set_cookie(
            NOTICE_COOKIE,
            sealed,
            max_age=LIFETIME_SECONDS,
            httponly=True,
            secure=web.cookie_secure,
            samesite="lax",
            path="/",
        )
        await super().__call__(scope, receive, send)


def take(request: Request) -> str | None:
    """The notice left for this session, once: the cookie is cleared as it is read."""
    sealed = request.cookies.get(NOTICE_COOKIE)
    if not sealed:
        return None
    web: WebAuth = request.app.state.web_auth
    queue_cookie(request, NOTICE_COOKIE, "", secure=web.cookie_secure, max_age=0)
    try:
        left = _serializer(web).loads(sealed, max_age=LIFETIME_SECONDS)
    except BadSignature:
        return None
    if not isinstance(left, dict) or left.get("to") != _holder(request):
        return None
    notice = left.get("notice")
    return notice if isinstance(notice, str) else None
