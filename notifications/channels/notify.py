"""A transport that sends e-mail and text messages through GOV.UK Notify.

FamilyFlow renders its own text, so Notify holds one generic template per
medium: the email template's subject is `((subject))` and its body `((body))`;
the sms template's body is `((body))`.

Notify has no copy (Cc) field: each Cc address gets its own notification of
the same medium, sent after the main one and with the same reference. The
reference is `familyflow-<message id>` and never carries personal data. The
outbox gives each copy its own message (and so its own reference).

`find_sent` asks Notify for a notification with a message's reference
(GET /v2/notifications?reference=...); the outbox calls it before sending a
message again, so a crash between Notify accepting and the outbox recording
never sends a second copy.

Replies: Notify sends an email's Reply-To only as one of the service's
registered reply-to addresses, named by its id; `email_reply_to_ids` maps each
team's mailbox (the envelope's `reply_to`) to that id.

Failures: Notify's 400/401/403/404 (bad request, bad key) are permanent; 429
(rate limit), 5xx and connection errors are temporary. Error reasons carry the
status code and Notify's error class and message, with any recipient address
masked, never the recipient. The client library logs the same error text at
WARNING; a filter masks the recipients there too.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Mapping
from contextvars import ContextVar
from typing import Any

import requests
from notifications_python_client.errors import APIError, HTTPError, InvalidResponse
from notifications_python_client.notifications import NotificationsAPIClient

from engine.errors import (
    ConfigError,
    DeliveryError,
    PermanentDeliveryError,
    TemporaryDeliveryError,
)
from notifications.channels.base import Envelope, Sent

DEFAULT_BASE_URL = "https://api.notifications.service.gov.uk"
_REASON_LIMIT = 300
_FINAL = frozenset({"delivered", "permanent-failure", "temporary-failure", "technical-failure"})
_sending_to: ContextVar[tuple[str, ...]] = ContextVar("notify_sending_to", default=())


class _MaskRecipients(logging.Filter):
    """The client logs a failed request with Notify's error text, which can quote the
    recipient; mask the recipients of the message being sent, as in our reasons."""

    def filter(self, record: logging.LogRecord) -> bool:
        recipients = _sending_to.get()
        if recipients and isinstance(record.args, tuple):
            record.args = tuple(
                _mask(str(arg), recipients) if any(r and r in str(arg) for r in recipients) else arg
                for arg in record.args
            )
        return True


logging.getLogger("notifications_python_client.base").addFilter(_MaskRecipients())


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def check_api_key(api_key: str) -> None:
    """Notify keys look like `{key_name}-{service_id}-{secret}`; both ids are UUIDs."""
    service_id, secret = api_key[-73:-37], api_key[-36:]
    if len(api_key) < 73 or api_key[-37] != "-" or not (_is_uuid(service_id) and _is_uuid(secret)):
        raise ConfigError(
            field="notify api_key",
            reason="expected {key_name}-{service_id}-{secret key}, as copied from Notify",
        )


class NotifyTransport:
    name = "notify"

    def __init__(
        self,
        *,
        api_key: str,
        email_template_id: str,
        sms_template_id: str,
        base_url: str = DEFAULT_BASE_URL,
        sms_sender_id: str | None = None,
        email_reply_to_ids: Mapping[str, str] | None = None,
        timeout: float = 30.0,
    ) -> None:
        check_api_key(api_key)
        for field, value in (
            ("notify email_template_id", email_template_id),
            ("notify sms_template_id", sms_template_id),
        ):
            if not _is_uuid(value):
                raise ConfigError(field=field, reason=f"{value!r} is not a template id (a UUID)")
        self._api_key = api_key
        self.email_template_id = email_template_id
        self.sms_template_id = sms_template_id
        self.base_url = base_url
        self.sms_sender_id = sms_sender_id
        self.email_reply_to_ids = dict(email_reply_to_ids or {})
        self.timeout = timeout

    def __repr__(self) -> str:  # never show the key
        return f"NotifyTransport(base_url={self.base_url!r})"

    @staticmethod
    def reference_for(envelope: Envelope) -> str:
        return f"familyflow-{envelope.message_id}"

    def send(self, envelope: Envelope) -> str:
        if envelope.medium == "email" and envelope.subject is None:
            raise PermanentDeliveryError(
                message_id=envelope.message_id, reason="an email needs a subject"
            )
        if envelope.medium not in ("email", "sms"):
            raise PermanentDeliveryError(
                message_id=envelope.message_id,
                reason=f"the notify transport cannot send {envelope.medium} messages",
            )
        # The client's requests.Session is not thread-safe, so each send has its own
        # client, closed afterwards so that no socket outlives the call.
        client = self._client()
        sending = _sending_to.set((envelope.to_address, *envelope.cc))
        try:
            notification_id = self._send_one(client, envelope, envelope.to_address)
            for copy_to in envelope.cc:
                self._send_one(client, envelope, copy_to)
        finally:
            _sending_to.reset(sending)
            client.request_session.close()
        return notification_id

    def _client(self) -> NotificationsAPIClient:
        return NotificationsAPIClient(self._api_key, base_url=self.base_url, timeout=self.timeout)

    def find_sent(self, envelope: Envelope) -> Sent | None:
        """The notification Notify already holds with this message's reference, if any."""
        client = self._client()
        try:
            found = client.get_all_notifications(reference=self.reference_for(envelope))
        except HTTPError as error:
            # Never send blind: whatever the lookup's trouble, the message waits.
            reason = _classify(envelope, error).fields["reason"]
            raise TemporaryDeliveryError(
                message_id=envelope.message_id, reason=f"lookup: {reason}"
            ) from error
        except (APIError, InvalidResponse, requests.RequestException) as error:
            raise TemporaryDeliveryError(
                message_id=envelope.message_id,
                reason=f"notify lookup failed: {type(error).__name__}",
            ) from error
        finally:
            client.request_session.close()
        notifications = found.get("notifications") if isinstance(found, dict) else None
        for notification in notifications or []:
            if isinstance(notification, dict) and isinstance(notification.get("id"), str):
                status = notification.get("status")
                final = status if status in _FINAL else None
                return Sent(provider_ref=notification["id"], status=final)
        return None

    def _send_one(self, client: NotificationsAPIClient, envelope: Envelope, recipient: str) -> str:
        reference = self.reference_for(envelope)
        try:
            if envelope.medium == "email":
                response = client.send_email_notification(
                    email_address=recipient,
                    template_id=self.email_template_id,
                    personalisation={"subject": envelope.subject, "body": envelope.body},
                    reference=reference,
                    email_reply_to_id=self.email_reply_to_ids.get(envelope.reply_to or ""),
                )
            else:
                response = client.send_sms_notification(
                    phone_number=recipient,
                    template_id=self.sms_template_id,
                    personalisation={"body": envelope.body},
                    reference=reference,
                    sms_sender_id=self.sms_sender_id,
                )
        except InvalidResponse as error:
            # Notify answered 2xx without JSON: it may have accepted the message.
            raise TemporaryDeliveryError(
                message_id=envelope.message_id,
                reason=f"notify {error.status_code} response was not JSON",
            ) from error
        except HTTPError as error:
            raise _classify(envelope, error) from error
        except (APIError, requests.RequestException) as error:
            raise TemporaryDeliveryError(
                message_id=envelope.message_id,
                reason=f"notify request failed: {type(error).__name__}",
            ) from error
        notification_id = response.get("id") if isinstance(response, dict) else None
        if not isinstance(notification_id, str) or not notification_id:
            raise TemporaryDeliveryError(
                message_id=envelope.message_id, reason="notify response had no notification id"
            )
        return notification_id


def _classify(envelope: Envelope, error: HTTPError) -> DeliveryError:
    message_id = envelope.message_id
    if error.response is None:
        # No answer at all: connection refused, DNS failure, timeout.
        cause = error.__cause__
        what = type(cause).__name__ if cause is not None else "no response"
        return TemporaryDeliveryError(
            message_id=message_id, reason=f"notify request failed: {what}"
        )
    status = error.status_code
    detail = _mask(_describe_errors(error.response), [envelope.to_address, *envelope.cc])
    reason = f"notify {status} {detail}".strip()[:_REASON_LIMIT]
    if status == 429 or status == 408 or status >= 500:
        return TemporaryDeliveryError(message_id=message_id, reason=reason)
    return PermanentDeliveryError(message_id=message_id, reason=reason)


def _describe_errors(response: requests.Response) -> str:
    """`Class: message; Class: message` from Notify's error JSON, or '' if there is none."""
    try:
        payload: Any = response.json()
    except ValueError:
        return ""
    errors = payload.get("errors") if isinstance(payload, dict) else None
    if not isinstance(errors, list):
        return ""
    parts = []
    for item in errors:
        if isinstance(item, dict):
            parts.append(f"{item.get('error', 'Error')}: {item.get('message', '')}".strip())
    return "; ".join(parts)


def _mask(text: str, recipients: Iterable[str]) -> str:
    """Notify's validation messages can quote the value they reject; hide recipients."""
    for recipient in recipients:
        if recipient:
            text = text.replace(recipient, "<recipient>")
    return text
