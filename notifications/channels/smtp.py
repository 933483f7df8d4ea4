"""A transport that sends e-mail through an SMTP server (stdlib smtplib).

The Message-ID is derived from the dedupe key, so if the service crashes after
the server accepted a message but before the outbox recorded it, the re-sent
copy carries the same Message-ID and mail clients and audits can recognise it
as the same message.

Failures are classified by SMTP reply code: 4xx, dropped connections and
timeouts are temporary; 5xx replies about this message (recipient, sender,
content) are permanent. Refusals before the message is offered (greeting,
EHLO, STARTTLS, login) are the server's or the configuration's fault, so they
are temporary: the message waits for an operator rather than being dropped.
Error reasons carry the reply code and what was refused, never an address or
any of the message text.
"""

from __future__ import annotations

import contextlib
import hashlib
import smtplib
import ssl
import time
from email.message import EmailMessage
from email.utils import formataddr, formatdate
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

from engine.errors import DeliveryError, PermanentDeliveryError, TemporaryDeliveryError
from notifications.channels.base import Envelope


def message_id_for(dedupe_key: str) -> str:
    """The Message-ID header for a message: the same key always gives the same id."""
    digest = hashlib.sha256(dedupe_key.encode("utf-8")).hexdigest()[:32]
    return f"<{digest}@familyflow>"


class _DeadlineSMTP(smtplib.SMTP):
    """smtplib's timeout bounds each socket operation; this bounds the whole send,
    so that a server that answers slowly never keeps a message past its lease."""

    def __init__(self, *, timeout: float) -> None:
        self.deadline = time.monotonic() + timeout
        super().__init__(timeout=timeout)

    def _arm(self) -> None:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("smtp send took longer than its timeout")
        if self.sock is not None:
            self.sock.settimeout(remaining)

    def send(self, s: ReadableBuffer | str) -> None:
        self._arm()
        super().send(s)

    def getreply(self) -> tuple[int, bytes]:
        self._arm()
        return super().getreply()


class SmtpTransport:
    name = "smtp"

    def __init__(
        self,
        *,
        host: str,
        port: int,
        sender: str,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = False,
        timeout: float = 10.0,
    ) -> None:
        self.host = host
        self.port = port
        self.sender = sender
        self.username = username
        self._password = password
        self.starttls = starttls
        self.timeout = timeout

    def __repr__(self) -> str:  # never show the password
        return f"SmtpTransport(host={self.host!r}, port={self.port}, starttls={self.starttls})"

    def build_message(self, envelope: Envelope) -> EmailMessage:
        """The e-mail for an envelope; PermanentDeliveryError if it cannot be one."""
        if envelope.medium != "email":
            raise PermanentDeliveryError(
                message_id=envelope.message_id,
                reason=f"the smtp transport cannot send {envelope.medium} messages",
            )
        if envelope.subject is None:
            raise PermanentDeliveryError(
                message_id=envelope.message_id, reason="an email needs a subject"
            )
        message = EmailMessage()
        try:
            message["From"] = self.sender
            message["To"] = (
                formataddr((envelope.to_name, envelope.to_address))
                if envelope.to_name
                else envelope.to_address
            )
            if envelope.cc:
                message["Cc"] = ", ".join(envelope.cc)
            if envelope.reply_to:  # replies reach the team that owns the case
                message["Reply-To"] = envelope.reply_to
            message["Subject"] = envelope.subject
            message["Date"] = formatdate(usegmt=True)
            message["Message-ID"] = message_id_for(envelope.dedupe_key)
            message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies
            message.set_content(envelope.body)
        except (ValueError, TypeError) as error:
            # e.g. a line break in a header value; the value itself stays out of the reason
            raise PermanentDeliveryError(
                message_id=envelope.message_id,
                reason=f"cannot build the email: {type(error).__name__}",
            ) from error
        return message

    def send(self, envelope: Envelope) -> str:
        message = self.build_message(envelope)
        recipients = [envelope.to_address, *envelope.cc]
        message_id = envelope.message_id
        client = _DeadlineSMTP(timeout=self.timeout)
        try:
            stage = "connect"
            code, _ = client.connect(self.host, self.port)
            if code != 220:  # the server's trouble, not this message's
                raise TemporaryDeliveryError(
                    message_id=message_id, reason=f"smtp {code} connection refused by server"
                )
            stage = "ehlo"
            client.ehlo_or_helo_if_needed()
            if self.starttls:
                stage = "starttls"
                client.starttls(context=ssl.create_default_context())
                client.ehlo()
            if self.username is not None:
                stage = "login"
                client.login(self.username, self._password or "")
            stage = "send"
            refused = client.send_message(message, from_addr=self.sender, to_addrs=recipients)
            if envelope.to_address in refused:  # only some recipients refused
                code = refused[envelope.to_address][0]
                raise _by_code(message_id, code, "recipient refused")
            # The message was accepted; a failed goodbye changes nothing.
            with contextlib.suppress(smtplib.SMTPException, OSError):
                client.quit()
        except DeliveryError:
            raise
        except smtplib.SMTPRecipientsRefused as error:
            # Every recipient was refused; the main recipient's reply decides.
            replies = error.recipients
            reply = replies.get(envelope.to_address) or next(iter(replies.values()), (550, b""))
            raise _by_code(message_id, reply[0], "recipient refused") from error
        except smtplib.SMTPSenderRefused as error:
            raise _by_code(message_id, error.smtp_code, "sender refused") from error
        except smtplib.SMTPDataError as error:
            raise _by_code(message_id, error.smtp_code, "message refused") from error
        except smtplib.SMTPAuthenticationError as error:
            # A wrong password is the service's configuration, not this message:
            # keep the message queued until an operator fixes it.
            raise TemporaryDeliveryError(
                message_id=message_id, reason=f"smtp {error.smtp_code} authentication failed"
            ) from error
        except smtplib.SMTPResponseException as error:
            if stage == "send":
                raise _by_code(message_id, error.smtp_code, "send failed") from error
            # Refused before the message was offered (greeting, EHLO, STARTTLS): the
            # server or its configuration is at fault, so the message waits.
            raise TemporaryDeliveryError(
                message_id=message_id, reason=f"smtp {error.smtp_code} {stage} failed"
            ) from error
        except smtplib.SMTPNotSupportedError as error:
            if stage == "send":  # e.g. a non-ASCII address and no SMTPUTF8
                raise PermanentDeliveryError(
                    message_id=message_id, reason="smtp server cannot accept this message"
                ) from error
            raise TemporaryDeliveryError(
                message_id=message_id, reason=f"smtp {stage} not supported by server"
            ) from error
        except smtplib.SMTPServerDisconnected as error:
            raise TemporaryDeliveryError(
                message_id=message_id, reason=f"smtp connection lost during {stage}"
            ) from error
        except smtplib.SMTPException as error:
            raise TemporaryDeliveryError(
                message_id=message_id, reason=f"smtp {stage} failed: {type(error).__name__}"
            ) from error
        except TimeoutError as error:
            raise TemporaryDeliveryError(
                message_id=message_id, reason=f"smtp timed out during {stage}"
            ) from error
        except OSError as error:  # refused connection, DNS failure, TLS failure
            raise TemporaryDeliveryError(
                message_id=message_id,
                reason=f"smtp {stage} failed: {error.strerror or type(error).__name__}",
            ) from error
        finally:
            client.close()
        return message_id_for(envelope.dedupe_key)


def _by_code(message_id: int, code: int, what: str) -> DeliveryError:
    """4xx (and anything unexpected) is worth retrying; 5xx is not."""
    reason = f"smtp {code} {what}"
    if 500 <= code < 600:
        return PermanentDeliveryError(message_id=message_id, reason=reason)
    return TemporaryDeliveryError(message_id=message_id, reason=reason)
