"""A local stand-in for the GOV.UK Notify API, for tests.

It speaks the parts of Notify's v2 API that FamilyFlow uses,
`POST /v2/notifications/email` and `POST /v2/notifications/sms`, over real
HTTP on 127.0.0.1, so the real `notifications_python_client` can talk to it.

Like Notify it checks the `Authorization: Bearer <jwt>` header (HS256 signed
with the API key's secret, `iss` the service id, `iat` within 30 seconds of
now), validates the request body, renders its templates (`((placeholder))`)
and answers with Notify's response and error shapes and status codes.

    with FakeNotify() as notify:
        transport = NotifyTransport(api_key=notify.api_key, base_url=notify.base_url,
                                    email_template_id=notify.email_template_id,
                                    sms_template_id=notify.sms_template_id)
        ...
        assert notify.sent[0]["email_address"] == "..."

`fail_next(status, count)` makes the next `count` notification requests fail
with that status (after authentication, like an upstream failure would).

Parents' replies: `receive_text(user_number, content)` puts a text in the
service's inbox, read back as Notify serves it by `GET /v2/received-text-messages`
(newest first, `RECEIVED_PAGE_SIZE` a page, `older_than=<id>` for the next).
Reply-to addresses: `add_reply_to(address)` registers one and returns its id,
which an email may name as `email_reply_to_id`.
`fail_to(recipient, status)` fails the next request to that address only.
`GET /v2/notifications?reference=...` lists the notifications sent with that
reference, newest first, as Notify does (see `list_notifications`).
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs

import jwt

TOKEN_BOUND_SECONDS = 30
RECEIVED_PAGE_SIZE = 250
REFERENCE_MAX_LENGTH = 1000
# The properties Notify's POST schemas define; any other is refused.
_PROPERTIES = {
    "email": {
        "email_address",
        "template_id",
        "personalisation",
        "reference",
        "scheduled_for",
        "email_reply_to_id",
        "one_click_unsubscribe_url",
    },
    "sms": {
        "phone_number",
        "template_id",
        "personalisation",
        "reference",
        "scheduled_for",
        "sms_sender_id",
    },
}
_UUID = re.compile(r"^[a-fA-F0-9]{8}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{12}$")
_EMAIL = re.compile(r"^[^\s@\"(),:;<>\[\]\\]+@[^\s@\"(),:;<>\[\]\\]+\.[^\s@\"(),:;<>\[\]\\]+$")
_PLACEHOLDER = re.compile(r"\(\(([^()]+)\)\)")
_NOT_UK_MOBILE = (
    "This does not look like a UK mobile number - double check the mobile number you entered"
)

# What Notify says for a status, when told to fail.
_FAILURES: dict[int, tuple[str, str]] = {
    400: ("BadRequestError", "Bad request"),
    401: ("AuthError", "Unauthorized, authentication token must be provided"),
    403: ("AuthError", "Invalid token: API key revoked"),
    404: ("NoResultFound", "No result found"),
    429: (
        "RateLimitError",
        "Exceeded rate limit for key type LIVE of 3000 requests per 60 seconds",
    ),
    500: ("Exception", "Internal server error"),
    502: ("Exception", "Bad gateway"),
    503: ("Exception", "Service unavailable"),
}


class NotifyError(Exception):
    def __init__(self, status: int, error: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.body = {"status_code": status, "errors": [{"error": error, "message": message}]}


class FakeTemplate:
    def __init__(self, *, kind: str, body: str, subject: str | None = None) -> None:
        self.id = str(uuid.uuid4())
        self.kind = kind
        self.version = 1
        self.body = body
        self.subject = subject

    def placeholders(self) -> list[str]:
        found = _PLACEHOLDER.findall((self.subject or "") + "\n" + self.body)
        return list(dict.fromkeys(name.strip() for name in found))

    def render(self, personalisation: dict[str, Any]) -> tuple[str, str | None]:
        values = {key.lower(): value for key, value in personalisation.items()}

        def fill(text: str) -> str:
            return _PLACEHOLDER.sub(lambda m: str(values[m.group(1).strip().lower()]), text)

        return fill(self.body), (fill(self.subject) if self.subject is not None else None)


class FakeNotify:
    """A running fake Notify service; use as a context manager or call close()."""

    def __init__(self, *, key_name: str = "familyflow_test") -> None:
        self.service_id = str(uuid.uuid4())
        self.secret = str(uuid.uuid4())
        self.api_key = f"{key_name}-{self.service_id}-{self.secret}"
        self.from_email = "familyflow.test@notifications.service.gov.uk"
        self.from_number = "GOVUK"
        email = FakeTemplate(kind="email", subject="((subject))", body="((body))")
        sms = FakeTemplate(kind="sms", body="((body))")
        self.templates: dict[str, FakeTemplate] = {email.id: email, sms.id: sms}
        self.email_template_id = email.id
        self.sms_template_id = sms.id
        self.sent: list[dict[str, Any]] = []
        self.requests: list[dict[str, Any]] = []  # every request, accepted or not
        self._failures: list[NotifyError] = []
        self._failures_to: dict[str, NotifyError] = {}
        self._lock = threading.Lock()
        self.received: list[dict[str, Any]] = []  # the inbox, oldest first
        self.received_page_size = RECEIVED_PAGE_SIZE
        self.reply_to_ids: dict[str, str] = {}  # id -> address

        fake = self

        class Handler(_NotifyHandler):
            notify = fake

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = False  # server_close() then joins handler threads
        host, port = self._server.server_address[:2]
        self.base_url = f"http://{host!s}:{port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fake-notify",
            daemon=True,
        )
        self._thread.start()
        self._closed = False

    def fail_next(
        self, status: int, count: int = 1, *, error: str | None = None, message: str | None = None
    ) -> None:
        """Answer the next `count` notification requests with `status` and Notify's error JSON.

        `error` and `message` replace the error class and text Notify uses for that status.
        """
        default_error, default_message = _FAILURES.get(
            status, ("Exception", HTTPStatus(status).phrase)
        )
        failure = NotifyError(status, error or default_error, message or default_message)
        with self._lock:
            self._failures.extend([failure] * count)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def __enter__(self) -> FakeNotify:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- what the handler calls -------------------------------------------------

    def authenticate(self, authorization: str | None) -> None:
        """Raise NotifyError as Notify's API does for a missing or bad token."""
        if not authorization:
            raise NotifyError(
                401, "AuthError", "Unauthorized, authentication token must be provided"
            )
        if authorization[:7].title() != "Bearer ":
            raise NotifyError(
                401, "AuthError", "Unauthorized, authentication bearer scheme must be used"
            )
        token = authorization[7:]
        try:
            unverified = jwt.decode(
                token, options={"verify_signature": False}, algorithms=["HS256"]
            )
        except jwt.PyJWTError:
            raise NotifyError(
                403, "AuthError", "Invalid token: signature, api token is not valid"
            ) from None
        issuer = unverified.get("iss") if isinstance(unverified, dict) else None
        if issuer is None:
            raise NotifyError(403, "AuthError", "Invalid token: iss field not provided")
        if not isinstance(issuer, str) or not _UUID.match(issuer):
            raise NotifyError(
                403, "AuthError", "Invalid token: service id is not the right data type"
            )
        if issuer != self.service_id:
            raise NotifyError(403, "AuthError", "Invalid token: service not found")
        try:
            claims = jwt.decode(
                token,
                key=self.secret,
                algorithms=["HS256"],
                options={"verify_signature": True, "verify_iat": False},
            )
        except jwt.InvalidAlgorithmError:
            raise NotifyError(
                403, "AuthError", "Invalid token: algorithm used is not HS256"
            ) from None
        except jwt.PyJWTError:
            raise NotifyError(
                403, "AuthError", "Invalid token: signature, api token is not valid"
            ) from None
        if "iat" not in claims:
            raise NotifyError(403, "AuthError", "Invalid token: iat field not provided")
        try:
            issued_at = int(claims["iat"])
        except (TypeError, ValueError):
            raise NotifyError(403, "AuthError", "Invalid token: iat field not provided") from None
        now = int(time.time())
        if now > issued_at + TOKEN_BOUND_SECONDS or issued_at > now + TOKEN_BOUND_SECONDS:
            raise NotifyError(
                403, "AuthError", "Error: Your system clock must be accurate to within 30 seconds"
            )

    def list_notifications(self, query: dict[str, list[str]]) -> dict[str, Any]:
        """GET /v2/notifications: filtered by reference when one is given; newest first."""
        reference = query.get("reference", [None])[0]
        with self._lock:
            found = [r for r in self.sent if reference is None or r.get("reference") == reference]
        listed = [_listed(record) for record in reversed(found)]
        return {"notifications": listed, "links": {"current": f"{self.base_url}/v2/notifications"}}

    def fail_to(self, recipient: str, status: int) -> None:
        """Answer the next notification request to `recipient` with `status`."""
        error, message = _FAILURES.get(status, ("Exception", HTTPStatus(status).phrase))
        with self._lock:
            self._failures_to[recipient] = NotifyError(status, error, message)

    def take_failure(self, data: Any = None) -> NotifyError | None:
        fields = data if isinstance(data, dict) else {}
        recipient = fields.get("email_address") or fields.get("phone_number")
        with self._lock:
            if recipient in self._failures_to:
                return self._failures_to.pop(recipient)
            return self._failures.pop(0) if self._failures else None

    def create_notification(self, kind: str, data: Any) -> dict[str, Any]:
        """Validate a POST body as Notify does, record it and return the 201 body."""
        recipient_field = "email_address" if kind == "email" else "phone_number"
        if not isinstance(data, dict):
            raise _validation_error([f"{data} is not of type object"])
        errors: list[str] = []
        for required in (recipient_field, "template_id"):
            if required not in data:
                errors.append(f"{required} is a required property")
        recipient = data.get(recipient_field)
        if recipient is not None:
            if not isinstance(recipient, str):
                errors.append(f"{recipient_field} {recipient} is not of type string")
            elif kind == "email" and not _valid_email(recipient):
                errors.append("email_address Not a valid email address")
            elif kind == "sms":
                problem = _phone_problem(recipient)
                if problem:
                    errors.append(f"phone_number {problem}")
        template_id = data.get("template_id")
        if template_id is not None and not (
            isinstance(template_id, str) and _UUID.match(template_id)
        ):
            errors.append("template_id is not a valid UUID")
        personalisation = data.get("personalisation", {})
        if not isinstance(personalisation, dict):
            errors.append("personalisation should contain key value pairs")
        reference = data.get("reference")
        if reference is not None and not isinstance(reference, str):
            errors.append(f"reference {reference} is not of type string")
        if kind == "sms" and data.get("sms_sender_id") is not None:
            sender = data["sms_sender_id"]
            if not (isinstance(sender, str) and _UUID.match(sender)):
                errors.append("sms_sender_id is not a valid UUID")
        errors.extend(self.body_problems(kind, data))
        if errors:
            raise _validation_error(errors)

        template = self.templates.get(str(template_id))
        if template is None:
            raise NotifyError(400, "BadRequestError", "Template not found")
        if template.kind != kind:
            raise NotifyError(
                400,
                "BadRequestError",
                f"{template.kind} template is not suitable for {kind} notification",
            )
        supplied = {key.lower() for key in personalisation}
        missing = [name for name in template.placeholders() if name.lower() not in supplied]
        if missing:
            raise NotifyError(
                400, "BadRequestError", f"Missing personalisation: {', '.join(missing)}"
            )
        body, subject = template.render(personalisation)

        notification_id = str(uuid.uuid4())
        content: dict[str, Any] = {"body": body}
        if kind == "email":
            content.update({"subject": subject, "from_email": self.from_email})
        else:
            content["from_number"] = self.from_number
        response = {
            "id": notification_id,
            "reference": reference,
            "content": content,
            "uri": f"{self.base_url}/v2/notifications/{notification_id}",
            "template": {
                "id": template.id,
                "version": template.version,
                "uri": f"{self.base_url}/services/{self.service_id}/templates/{template.id}",
            },
            "scheduled_for": None,
        }
        record = dict(data)
        record.update({"id": notification_id, "type": kind, "content": content})
        with self._lock:
            self.sent.append(record)
        return response

    # -- request bodies, reply-to addresses and received texts -----------------

    def body_problems(self, kind: str, data: dict[str, Any]) -> list[str]:
        """What Notify's JSON schema refuses beyond the fields checked above: unknown
        properties, an over-long reference, a reply-to id the service does not have."""
        problems = [
            f"Additional properties are not allowed ({name} was unexpected)"
            for name in sorted(set(data) - _PROPERTIES[kind])
        ]
        reference = data.get("reference")
        if isinstance(reference, str) and len(reference) > REFERENCE_MAX_LENGTH:
            problems.append(f"reference {reference[:20]}... is too long")
        reply_to_id = data.get("email_reply_to_id")
        if kind == "email" and reply_to_id is not None:
            if not (isinstance(reply_to_id, str) and _UUID.match(reply_to_id)):
                problems.append("email_reply_to_id is not a valid UUID")
            elif reply_to_id not in self.reply_to_ids:
                problems.append(
                    f"email_reply_to_id {reply_to_id} does not exist in database for "
                    f"service id {self.service_id}"
                )
        return problems

    def add_reply_to(self, address: str) -> str:
        """Register a reply-to email address, as a service does in Notify's settings."""
        reply_to_id = str(uuid.uuid4())
        with self._lock:
            self.reply_to_ids[reply_to_id] = address
        return reply_to_id

    def receive_text(
        self, user_number: str, content: str, *, created_at: datetime | None = None
    ) -> str:
        """A text a person sent to the service's inbound number (now, unless told
        when); returns its id."""
        moment = (created_at or datetime.now(UTC)).astimezone(UTC)
        message = {
            "id": str(uuid.uuid4()),
            "notify_number": "07700900000",
            "user_number": user_number,
            "service_id": self.service_id,
            "content": content,
            "created_at": moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        }
        with self._lock:
            self.received.append(message)
        return str(message["id"])

    def received_page(self, query: str) -> dict[str, Any]:
        """GET /v2/received-text-messages: newest first, a page at a time."""
        params = dict(part.split("=", 1) for part in query.split("&") if "=" in part)
        unknown = sorted(set(params) - {"older_than"})
        if unknown:
            raise _validation_error(
                [f"Additional properties are not allowed ({unknown[0]} was unexpected)"]
            )
        older_than = params.get("older_than")
        with self._lock:
            newest_first = self.received[::-1]
        if older_than is not None:
            if not _UUID.match(older_than):
                raise _validation_error(["older_than is not a valid UUID"])
            ids = [m["id"] for m in newest_first]
            newest_first = newest_first[ids.index(older_than) + 1 :] if older_than in ids else []
        page = newest_first[: self.received_page_size]
        base = f"{self.base_url}/v2/received-text-messages"
        links = {"current": base + (f"?older_than={older_than}" if older_than else "")}
        if len(newest_first) > len(page):
            links["next"] = f"{base}?older_than={page[-1]['id']}"
        return {"received_text_messages": page, "links": links}


def _listed(record: dict[str, Any]) -> dict[str, Any]:
    """A sent notification as Notify's GET /v2/notifications lists it."""
    recipient = "email_address" if record["type"] == "email" else "phone_number"
    return {
        "id": record["id"],
        "reference": record.get("reference"),
        "type": record["type"],
        "status": record.get("status", "sending"),
        recipient: record[recipient],
        "body": record["content"]["body"],
        "subject": record["content"].get("subject"),
    }


def _validation_error(messages: list[str]) -> NotifyError:
    error = NotifyError(400, "ValidationError", messages[0])
    unique = list(dict.fromkeys(messages))
    error.body["errors"] = [{"error": "ValidationError", "message": m} for m in unique]
    return error


def _valid_email(address: str) -> bool:
    if len(address) > 320 or ".." in address:
        return False
    return bool(_EMAIL.match(address.strip()))


def _phone_problem(number: str) -> str | None:
    """Notify's wording for a number it will not text, or None if it is acceptable."""
    stripped = re.sub(r"[\s()\-.]", "", number)
    if stripped.startswith("+"):
        stripped = stripped[1:]
    if not stripped.isdigit():
        return "Mobile numbers can only include: 0 1 2 3 4 5 6 7 8 9 ( ) + -"
    if stripped.startswith("0") and not stripped.startswith("00"):  # UK national format
        if not stripped.startswith("07"):
            return _NOT_UK_MOBILE
        if len(stripped) > 11:
            return "Mobile number is too long"
        if len(stripped) < 11:
            return "Mobile number is too short"
        return None
    stripped = stripped.removeprefix("00")
    if stripped.startswith("44"):
        if not stripped.startswith("447"):
            return _NOT_UK_MOBILE
        if len(stripped) != 12:
            return (
                "Mobile number is too long" if len(stripped) > 12 else "Mobile number is too short"
            )
        return None
    if not 8 <= len(stripped) <= 15:
        return "Not a valid international number"
    return None


class _NotifyHandler(BaseHTTPRequestHandler):
    notify: FakeNotify
    server_version = "FakeNotify/1.0"

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        return

    def do_POST(self) -> None:
        kinds = {"/v2/notifications/email": "email", "/v2/notifications/sms": "sms"}
        path = self.path.split("?", 1)[0]
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            kind = kinds.get(path)
            if kind is None:
                raise NotifyError(404, "ResultNotFound", "No result found")
            self.notify.authenticate(self.headers.get("Authorization"))
            try:
                data = json.loads(raw.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                raise NotifyError(
                    400, "BadRequestError", "Invalid JSON supplied in POST data"
                ) from None
            with self.notify._lock:
                self.notify.requests.append({"path": path, "json": data})
            failure = self.notify.take_failure(data)
            if failure is not None:
                raise failure
            self._reply(201, self.notify.create_notification(kind, data))
        except NotifyError as error:
            self._reply(error.status, error.body)

    def do_GET(self) -> None:
        path, _, query = self.path.partition("?")
        if path == "/v2/received-text-messages":
            self._get_received_texts(query)
            return
        if path == "/v2/notifications":
            try:
                self.notify.authenticate(self.headers.get("Authorization"))
                self._reply(200, self.notify.list_notifications(parse_qs(query)))
            except NotifyError as error:
                self._reply(error.status, error.body)
            return
        self._reply(
            404,
            {
                "status_code": 404,
                "errors": [{"error": "ResultNotFound", "message": "No result found"}],
            },
        )

    def _get_received_texts(self, query: str) -> None:
        try:
            self.notify.authenticate(self.headers.get("Authorization"))
            self._reply(200, self.notify.received_page(query))
        except NotifyError as error:
            self._reply(error.status, error.body)

    def _reply(self, status: int, body: dict[str, Any]) -> None:
        payload = json.dumps(body).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)
