"""Who is calling: bearer tokens (integrations) and signed session cookies
(people in a browser), role checks, and CSRF protection for browser forms.

The dependencies the web pages use:

- `CurrentUserDep` (`current_user`): the signed-in user or a 401.
- `OptionalUserDep` (`optional_user`): the user or None (a page that redirects to /login).
- `require_roles("admin", ...)`: a dependency that refuses other roles with a 403.
- `CsrfTokenDep` (`csrf_token`): the token to put in a form's hidden `csrf_token` field.
- `verify_csrf`: a dependency for every browser POST; refuses a missing or wrong token.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal, cast

from fastapi import Depends, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from itsdangerous import BadSignature, Signer
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from engine.cases import Actor
from engine.errors import CsrfFailed, Forbidden, NotSignedIn
from engine.service import FamilyFlow
from familyflow import accounts
from familyflow.services.principal import Principal, for_account
from familyflow.settings import Settings

SESSION_COOKIE = "familyflow_session"
CSRF_COOKIE = "familyflow_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_QUEUE = "familyflow_cookies"


@dataclass(frozen=True, kw_only=True)
class WebAuth:
    """Signing keys and cookie policy, made once by create_app."""

    secret: bytes
    cookie_secure: bool
    session_hours: int

    def sign(self, value: str) -> str:
        return Signer(self.secret, salt="familyflow-cookie").sign(value).decode()

    def unsign(self, signed: str | None) -> str | None:
        if not signed:
            return None
        try:
            return Signer(self.secret, salt="familyflow-cookie").unsign(signed).decode()
        except (BadSignature, UnicodeDecodeError):
            return None

    def csrf_for(self, binding: str) -> str:
        return hmac.new(self.secret, b"csrf:" + binding.encode(), hashlib.sha256).hexdigest()

    def session_cookie(self, response: Response, session_token: str) -> None:
        response.set_cookie(
            SESSION_COOKIE,
            self.sign(session_token),
            max_age=self.session_hours * 3600,
            httponly=True,
            secure=self.cookie_secure,
            samesite="lax",
            path="/",
        )

    def forget_session(self, response: Response) -> None:
        response.delete_cookie(
            SESSION_COOKIE, httponly=True, secure=self.cookie_secure, samesite="lax", path="/"
        )


@dataclass(frozen=True, kw_only=True)
class CurrentUser:
    id: int
    email: str
    name: str
    role: str
    team: str | None
    teams: tuple[str, ...] | None  # whose cases they see; None: all (admins)
    via: Literal["session", "token"]
    session_token: str | None = None

    @property
    def actor(self) -> Actor:
        return self.principal.actor

    @property
    def principal(self) -> Principal:
        """Who is calling, as the application layer takes them."""
        return Principal(
            email=self.email,
            role=self.role,
            teams=self.teams,
            kind="token" if self.via == "token" else "user",
            user_id=self.id,
            name=self.name,
        )

    @property
    def is_admin(self) -> bool:
        return self.role == accounts.ADMIN


# -- what every handler can ask for ------------------------------------------------


def get_flow(request: Request) -> FamilyFlow:
    return cast(FamilyFlow, request.app.state.flow)


def get_settings(request: Request) -> Settings:
    return cast(Settings, request.app.state.settings)


def get_web_auth(request: Request) -> WebAuth:
    return cast(WebAuth, request.app.state.web_auth)


FlowDep = Annotated[FamilyFlow, Depends(get_flow)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
WebAuthDep = Annotated[WebAuth, Depends(get_web_auth)]


# Declared for OpenAPI (the docs' Authorize button); optional_user reads the header.
BEARER = HTTPBearer(auto_error=False, description="an API token from `familyflow token add`")
BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)]


def _current(
    flow: FamilyFlow,
    row: dict[str, Any],
    *,
    via: Literal["session", "token"],
    session_token: str | None = None,
) -> CurrentUser:
    found = for_account(flow, row, kind="token" if via == "token" else "user")
    return CurrentUser(
        id=row["id"],
        email=found.email,
        name=row["name"],
        role=row["role"],
        team=row["team"],
        teams=found.teams,
        via=via,
        session_token=session_token,
    )


def optional_user(
    request: Request, flow: FlowDep, web: WebAuthDep, _bearer: BearerDep
) -> CurrentUser | None:
    header = request.headers.get("authorization")
    if header:
        scheme, _, raw = header.partition(" ")
        if scheme.lower() != "bearer" or not raw.strip():
            raise NotSignedIn(reason="the Authorization header must be 'Bearer <token>'")
        row = accounts.token_user(flow, raw.strip())
        if row is None:
            raise NotSignedIn(reason="the API token is unknown or revoked")
        return _current(flow, row, via="token")
    session_token = web.unsign(request.cookies.get(SESSION_COOKIE))
    if session_token:
        row = accounts.session_user(flow, session_token)
        if row is not None:
            return _current(flow, row, via="session", session_token=session_token)
    return None


OptionalUserDep = Annotated[CurrentUser | None, Depends(optional_user)]


def current_user(request: Request, user: OptionalUserDep, web: WebAuthDep) -> CurrentUser:
    """The caller; a browser session changing something through the API must also send
    the session's CSRF token in the X-CSRF-Token header."""
    if user is None:
        raise NotSignedIn(reason="sign in, or send 'Authorization: Bearer <token>'")
    if (
        user.via == "session"
        and request.method not in SAFE_METHODS
        and request.url.path.startswith("/api/")
    ):
        sent = request.headers.get(CSRF_HEADER, "")
        if not hmac.compare_digest(sent, web.csrf_for(user.session_token or "")):
            raise CsrfFailed()
    return user


CurrentUserDep = Annotated[CurrentUser, Depends(current_user)]


def require_roles(*roles: str) -> Callable[[CurrentUser], CurrentUser]:
    """A dependency: the caller, if their role is one of these; otherwise a 403."""

    def check(user: CurrentUserDep, request: Request) -> CurrentUser:
        if user.role not in roles:
            raise Forbidden(
                actor=user.email,
                role=user.role,
                action=f"{request.method} {request.url.path}",
                allowed=", ".join(roles),
            )
        return user

    return check  # type: ignore[return-value]


def forbid_unless(user: CurrentUser, roles: tuple[str, ...], action: str) -> None:
    if user.role not in roles:
        raise Forbidden(actor=user.email, role=user.role, action=action, allowed=", ".join(roles))


# -- CSRF for browser forms ------------------------------------------------------------


def queue_cookie(
    request: Request, name: str, value: str, *, secure: bool, max_age: int | None = None
) -> None:
    """Set a cookie on whatever response the handler returns (see QueuedCookies)."""
    holder = Response()
    holder.set_cookie(
        name, value, max_age=max_age, httponly=True, secure=secure, samesite="lax", path="/"
    )
    queued = request.scope.setdefault("state", {}).setdefault(_QUEUE, [])
    queued.extend((k, v) for k, v in holder.raw_headers if k == b"set-cookie")


def csrf_token(request: Request, web: WebAuthDep, user: OptionalUserDep) -> str:
    """The token for a form's hidden `csrf_token` field: bound to the session when
    signed in, otherwise to a signed cookie set now (the sign-in form)."""
    if user is not None and user.session_token:
        return web.csrf_for(user.session_token)
    anonymous = web.unsign(request.cookies.get(CSRF_COOKIE))
    if anonymous is None:
        anonymous = secrets.token_urlsafe(24)
        queue_cookie(request, CSRF_COOKIE, web.sign(anonymous), secure=web.cookie_secure)
    return web.csrf_for("anonymous:" + anonymous)


CsrfTokenDep = Annotated[str, Depends(csrf_token)]


async def verify_csrf(request: Request, web: WebAuthDep, user: OptionalUserDep) -> None:
    """For every browser form post: the `csrf_token` field must be the one we issued."""
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    if not isinstance(sent, str) or not sent:
        raise CsrfFailed()
    expected = []
    if user is not None and user.session_token:
        expected.append(web.csrf_for(user.session_token))
    anonymous = web.unsign(request.cookies.get(CSRF_COOKIE))
    if anonymous:
        expected.append(web.csrf_for("anonymous:" + anonymous))
    if not any(hmac.compare_digest(sent, token) for token in expected):
        raise CsrfFailed()


class QueuedCookies:
    """ASGI middleware: adds the cookies queued by `queue_cookie` to the response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})

        async def send_with_cookies(message: Message) -> None:
            if message["type"] == "http.response.start" and state.get(_QUEUE):
                message = {**message, "headers": [*message.get("headers", []), *state.pop(_QUEUE)]}
            await send(message)

        await self.app(scope, receive, send_with_cookies)
