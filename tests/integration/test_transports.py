"""The transports against real counterparts.

SMTP goes to an in-process aiosmtpd server, Notify through the real
notifications_python_client to a local fake of Notify's API (tests/support),
files to pytest's tmp_path. Nothing here sleeps.
"""

from __future__ import annotations

import email
import email.policy
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import jwt
import pytest
import requests
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from engine.clock import SimulatedClock
from engine.errors import ConfigError, PermanentDeliveryError, TemporaryDeliveryError
from notifications.channels.base import Envelope
from notifications.channels.file import FileTransport
from notifications.channels.notify import NotifyTransport
from notifications.channels.smtp import SmtpTransport, message_id_for
from tests.support.fake_notify import FakeNotify

SOCIAL_WORKER = "sam.social-worker@example.gov.uk"
TEAM_MANAGER = "terry.manager@example.gov.uk"
PARENT_MOBILE = "07700900123"


def an_email(**changes: Any) -> Envelope:
    envelope = Envelope(
        message_id=41,
        medium="email",
        to_address=SOCIAL_WORKER,
        to_name="Sam Worker",
        cc=(TEAM_MANAGER,),
        subject="Second missed session for case 1234",
        body="The family missed a second session on 3 March.\nPlease review the plan.",
        dedupe_key="case:1234:PAR-13:second_miss",
        rule="PAR-13",
    )
    return replace(envelope, **changes)


def a_text(**changes: Any) -> Envelope:
    envelope = Envelope(
        message_id=42,
        medium="sms",
        to_address=PARENT_MOBILE,
        to_name=None,
        cc=(),
        subject=None,
        body="Reminder: your parenting session is tomorrow at 10am.",
        dedupe_key="case:1234:PAR-07:reminder",
        rule="PAR-07",
    )
    return replace(envelope, **changes)


# -- file --------------------------------------------------------------------------------


def test_the_file_transport_writes_headers_a_blank_line_and_the_body(tmp_path: Path) -> None:
    clock = SimulatedClock(datetime(2025, 3, 4, 9, 30, tzinfo=UTC))
    transport = FileTransport(directory=tmp_path / "outbox", clock=clock)

    reference = transport.send(an_email())

    path = tmp_path / "outbox" / "20250304" / "41-email.txt"
    assert reference == "file:41-email.txt"
    assert path.read_text(encoding="utf-8") == (
        f"To: Sam Worker <{SOCIAL_WORKER}>\n"
        f"Cc: {TEAM_MANAGER}\n"
        "Subject: Second missed session for case 1234\n"
        "Medium: email\n"
        "Rule: PAR-13\n"
        "Dedupe-Key: case:1234:PAR-13:second_miss\n"
        "\n"
        "The family missed a second session on 3 March.\nPlease review the plan.\n"
    )
    assert [p.name for p in path.parent.iterdir()] == ["41-email.txt"]  # no temporary left


def test_writing_the_same_message_again_overwrites_its_file_even_on_a_later_day(
    tmp_path: Path,
) -> None:
    clock = SimulatedClock(datetime(2025, 3, 4, 9, 30, tzinfo=UTC))
    transport = FileTransport(directory=tmp_path, clock=clock)
    transport.send(an_email(body="first attempt"))

    clock.advance_to(datetime(2025, 3, 5, 9, 30, tzinfo=UTC))
    reference = transport.send(an_email(body="second attempt"))

    files = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert files == ["20250304/41-email.txt"]
    assert reference == "file:41-email.txt"
    assert (tmp_path / files[0]).read_text(encoding="utf-8").endswith("\n\nsecond attempt\n")


def test_a_text_message_file_has_an_empty_subject_and_no_copies(tmp_path: Path) -> None:
    clock = SimulatedClock(datetime(2025, 6, 30, 23, 30, tzinfo=UTC))  # 00:30 in London
    transport = FileTransport(directory=tmp_path, clock=clock)

    transport.send(a_text())

    text = (tmp_path / "20250701" / "42-sms.txt").read_text(encoding="utf-8")
    assert text.startswith(f"To: {PARENT_MOBILE}\nCc:\nSubject:\nMedium: sms\n")


def test_a_line_break_in_a_subject_cannot_end_the_file_headers_early(tmp_path: Path) -> None:
    transport = FileTransport(directory=tmp_path)

    transport.send(an_email(subject="Late\nDedupe-Key: forged"))

    (path,) = tmp_path.rglob("41-email.txt")
    headers = path.read_text(encoding="utf-8").split("\n\n", 1)[0].splitlines()
    assert "Subject: Late Dedupe-Key: forged" in headers
    assert [h for h in headers if h.startswith("Dedupe-Key:")] == [
        "Dedupe-Key: case:1234:PAR-13:second_miss"
    ]


# -- smtp --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


@dataclass
class MailSink:
    """An aiosmtpd handler that keeps what it accepts and refuses what it is told to."""

    received: list[Received] = field(default_factory=list)
    refuse_recipients: dict[str, str] = field(default_factory=dict)
    data_reply: str | None = None

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if address in self.refuse_recipients:
            return self.refuse_recipients[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.data_reply is not None:
            return self.data_reply
        # Store with local line endings, as a mailbox would.
        raw = envelope.original_content.replace(b"\r\n", b"\n")
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


@dataclass
class SmtpServer:
    sink: MailSink
    host: str
    port: int

    def transport(self, **options: Any) -> SmtpTransport:
        return SmtpTransport(
            host=self.host,
            port=self.port,
            sender="familyflow@example.gov.uk",
            timeout=5.0,
            **options,
        )


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    sink = MailSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield SmtpServer(sink, "127.0.0.1", controller.port)
    finally:
        controller.stop()


def authenticate_familyflow(
    server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and auth_data == (b"familyflow", b"s3cret")
    return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd replies 535


@pytest.fixture
def smtp_server_with_login() -> Iterator[SmtpServer]:
    sink = MailSink()
    controller = Controller(
        sink,
        hostname="127.0.0.1",
        port=free_port(),
        authenticator=authenticate_familyflow,
        auth_require_tls=False,  # test only: plain AUTH on loopback
    )
    controller.start()
    try:
        yield SmtpServer(sink, "127.0.0.1", controller.port)
    finally:
        controller.stop()


def test_an_email_sent_through_smtp_arrives_with_its_subject_body_and_cc(
    smtp_server: SmtpServer,
) -> None:
    reference = smtp_server.transport().send(an_email())

    (received,) = smtp_server.sink.received
    message = received.message
    assert received.mail_from == "familyflow@example.gov.uk"
    assert received.rcpt_tos == [SOCIAL_WORKER, TEAM_MANAGER]
    assert message["To"] == f"Sam Worker <{SOCIAL_WORKER}>"
    assert message["Cc"] == TEAM_MANAGER
    assert message["Subject"] == "Second missed session for case 1234"
    assert message["Auto-Submitted"] == "auto-generated"
    body = message.get_body(("plain",))
    assert body is not None
    assert body.get_content() == (
        "The family missed a second session on 3 March.\nPlease review the plan.\n"
    )
    assert message["Message-ID"] == reference


def test_the_smtp_message_id_is_derived_from_the_dedupe_key_so_a_resend_is_recognisable(
    smtp_server: SmtpServer,
) -> None:
    transport = smtp_server.transport()

    first = transport.send(an_email())
    again = transport.send(an_email(message_id=99))
    other = transport.send(an_email(dedupe_key="case:1234:PAR-13:another"))

    assert first == again == message_id_for("case:1234:PAR-13:second_miss")
    assert other != first
    assert first.startswith("<") and first.endswith("@familyflow>")
    ids = [r.message["Message-ID"] for r in smtp_server.sink.received]
    assert ids == [first, first, other]


def test_non_ascii_subject_and_body_survive_smtp(smtp_server: SmtpServer) -> None:
    smtp_server.transport().send(
        an_email(
            subject="Séance manquée \u2013 Zoë",
            body="Chère famille,\nà bientôt — Zoë 👋",
        )
    )

    message = smtp_server.sink.received[0].message
    assert message["Subject"] == "Séance manquée \u2013 Zoë"
    body = message.get_body(("plain",))
    assert body is not None
    assert body.get_content() == "Chère famille,\nà bientôt — Zoë 👋\n"


def test_a_refused_recipient_is_a_permanent_failure_that_names_no_address(
    smtp_server: SmtpServer,
) -> None:
    smtp_server.sink.refuse_recipients[SOCIAL_WORKER] = "550 5.1.1 Mailbox unavailable"

    with pytest.raises(PermanentDeliveryError) as caught:
        smtp_server.transport().send(an_email(cc=()))

    assert caught.value.fields["reason"] == "smtp 550 recipient refused"
    assert SOCIAL_WORKER not in str(caught.value)
    assert smtp_server.sink.received == []


def test_a_refused_main_recipient_is_permanent_even_when_the_copy_was_accepted(
    smtp_server: SmtpServer,
) -> None:
    smtp_server.sink.refuse_recipients[SOCIAL_WORKER] = "550 5.1.1 Mailbox unavailable"

    with pytest.raises(PermanentDeliveryError, match="smtp 550 recipient refused"):
        smtp_server.transport().send(an_email())


def test_a_refused_copy_recipient_does_not_stop_the_message(smtp_server: SmtpServer) -> None:
    smtp_server.sink.refuse_recipients[TEAM_MANAGER] = "550 5.1.1 Mailbox unavailable"

    smtp_server.transport().send(an_email())

    assert smtp_server.sink.received[0].rcpt_tos == [SOCIAL_WORKER]


def test_a_greylisted_recipient_is_a_temporary_failure(smtp_server: SmtpServer) -> None:
    smtp_server.sink.refuse_recipients[SOCIAL_WORKER] = "450 4.2.0 Greylisted, try later"

    with pytest.raises(TemporaryDeliveryError, match="smtp 450 recipient refused"):
        smtp_server.transport().send(an_email(cc=()))


def test_a_4xx_reply_to_the_message_is_temporary_and_a_5xx_is_permanent(
    smtp_server: SmtpServer,
) -> None:
    transport = smtp_server.transport()

    smtp_server.sink.data_reply = "451 4.3.0 Local error in processing"
    with pytest.raises(TemporaryDeliveryError) as temporary:
        transport.send(an_email())
    smtp_server.sink.data_reply = "554 5.6.0 Message content rejected"
    with pytest.raises(PermanentDeliveryError) as permanent:
        transport.send(an_email())

    assert temporary.value.fields["reason"] == "smtp 451 message refused"
    assert permanent.value.fields["reason"] == "smtp 554 message refused"


def test_starttls_against_a_server_without_it_is_a_temporary_failure(
    smtp_server: SmtpServer,
) -> None:
    with pytest.raises(TemporaryDeliveryError, match="smtp starttls not supported by server"):
        smtp_server.transport(starttls=True).send(an_email())

    assert smtp_server.sink.received == []


def test_an_unreachable_smtp_server_is_a_temporary_failure() -> None:
    transport = SmtpTransport(
        host="127.0.0.1", port=free_port(), sender="familyflow@example.gov.uk", timeout=2.0
    )

    with pytest.raises(TemporaryDeliveryError) as caught:
        transport.send(an_email())

    assert caught.value.fields["reason"].startswith("smtp connect failed")
    assert caught.value.fields["message_id"] == 41


def test_the_smtp_transport_refuses_a_text_message_without_connecting() -> None:
    transport = SmtpTransport(host="127.0.0.1", port=free_port(), sender="ff@example.gov.uk")

    with pytest.raises(PermanentDeliveryError, match="cannot send sms"):
        transport.send(a_text())


def test_a_header_injection_attempt_is_refused_without_echoing_it(smtp_server: SmtpServer) -> None:
    with pytest.raises(PermanentDeliveryError) as caught:
        smtp_server.transport().send(an_email(subject="Hello\r\nBcc: someone@example.com"))

    assert "someone@example.com" not in str(caught.value)
    assert smtp_server.sink.received == []


def test_smtp_logs_in_when_given_credentials(smtp_server_with_login: SmtpServer) -> None:
    transport = smtp_server_with_login.transport(username="familyflow", password="s3cret")

    transport.send(an_email())

    assert len(smtp_server_with_login.sink.received) == 1
    assert "s3cret" not in repr(transport)


def test_a_rejected_smtp_login_is_temporary_so_messages_wait_for_the_fix(
    smtp_server_with_login: SmtpServer,
) -> None:
    transport = smtp_server_with_login.transport(username="familyflow", password="wrong")

    with pytest.raises(TemporaryDeliveryError, match="smtp 535 authentication failed"):
        transport.send(an_email())

    assert smtp_server_with_login.sink.received == []


# -- notify ------------------------------------------------------------------------------


@pytest.fixture
def notify() -> Iterator[FakeNotify]:
    with FakeNotify() as fake:
        yield fake


def notify_transport(notify: FakeNotify, **changes: Any) -> NotifyTransport:
    options: dict[str, Any] = {
        "api_key": notify.api_key,
        "email_template_id": notify.email_template_id,
        "sms_template_id": notify.sms_template_id,
        "base_url": notify.base_url,
    }
    options.update(changes)
    return NotifyTransport(**options)


def test_an_email_sent_through_notify_arrives_with_subject_and_body_and_no_personal_reference(
    notify: FakeNotify,
) -> None:
    reference = notify_transport(notify).send(an_email(cc=()))

    (sent,) = notify.sent
    assert sent["type"] == "email"
    assert sent["email_address"] == SOCIAL_WORKER
    assert sent["template_id"] == notify.email_template_id
    assert sent["personalisation"] == {
        "subject": "Second missed session for case 1234",
        "body": "The family missed a second session on 3 March.\nPlease review the plan.",
    }
    assert sent["content"]["subject"] == "Second missed session for case 1234"
    assert sent["reference"] == "familyflow-41"
    assert SOCIAL_WORKER not in sent["reference"]
    assert "sam" not in sent["reference"].lower()
    assert reference == sent["id"]


def test_each_copy_recipient_gets_its_own_notify_email_with_the_same_reference(
    notify: FakeNotify,
) -> None:
    reference = notify_transport(notify).send(an_email())

    assert [s["email_address"] for s in notify.sent] == [SOCIAL_WORKER, TEAM_MANAGER]
    assert {s["reference"] for s in notify.sent} == {"familyflow-41"}
    assert reference == notify.sent[0]["id"]


def test_a_text_sent_through_notify_arrives_with_its_body_and_no_personal_reference(
    notify: FakeNotify,
) -> None:
    reference = notify_transport(notify).send(a_text())

    (sent,) = notify.sent
    assert sent["type"] == "sms"
    assert sent["phone_number"] == PARENT_MOBILE
    assert sent["template_id"] == notify.sms_template_id
    assert sent["personalisation"] == {
        "body": "Reminder: your parenting session is tomorrow at 10am."
    }
    assert sent["content"]["body"] == "Reminder: your parenting session is tomorrow at 10am."
    assert sent["reference"] == "familyflow-42"
    assert PARENT_MOBILE not in sent["reference"]
    assert PARENT_MOBILE[1:] not in sent["reference"]
    assert reference == sent["id"]


def test_notify_sms_sender_id_is_passed_on(notify: FakeNotify) -> None:
    sender_id = "5a1b2c3d-0000-4000-8000-000000000001"

    notify_transport(notify, sms_sender_id=sender_id).send(a_text())

    assert notify.sent[0]["sms_sender_id"] == sender_id


def test_a_notify_server_error_is_temporary_and_the_retry_then_succeeds(
    notify: FakeNotify,
) -> None:
    transport = notify_transport(notify)
    notify.fail_next(500)

    with pytest.raises(TemporaryDeliveryError) as caught:
        transport.send(an_email(cc=()))
    reference = transport.send(an_email(cc=()))

    assert caught.value.fields["reason"] == "notify 500 Exception: Internal server error"
    assert [s["id"] for s in notify.sent] == [reference]


def test_a_notify_rate_limit_is_temporary(notify: FakeNotify) -> None:
    notify.fail_next(429)

    with pytest.raises(TemporaryDeliveryError, match="notify 429 RateLimitError"):
        notify_transport(notify).send(a_text())


def test_a_notify_bad_request_is_permanent(notify: FakeNotify) -> None:
    notify.fail_next(400)

    with pytest.raises(PermanentDeliveryError, match="notify 400 BadRequestError"):
        notify_transport(notify).send(an_email())

    assert notify.sent == []


def test_an_unknown_notify_template_is_permanent(notify: FakeNotify) -> None:
    transport = notify_transport(notify, email_template_id="00000000-0000-4000-8000-000000000000")

    with pytest.raises(PermanentDeliveryError) as caught:
        transport.send(an_email())

    assert caught.value.fields["reason"] == "notify 400 BadRequestError: Template not found"


def test_an_address_notify_rejects_is_permanent_and_the_reason_does_not_quote_it(
    notify: FakeNotify,
) -> None:
    with pytest.raises(PermanentDeliveryError) as caught:
        notify_transport(notify).send(a_text(to_address="07700 900123 ext 4"))

    reason = caught.value.fields["reason"]
    assert reason.startswith("notify 400 ValidationError: phone_number ")
    assert "900123" not in str(caught.value)


def test_a_recipient_quoted_in_a_notify_error_is_masked_in_the_reason(notify: FakeNotify) -> None:
    notify.fail_next(400, message=f"Can't send to {SOCIAL_WORKER} or {TEAM_MANAGER}")

    with pytest.raises(PermanentDeliveryError) as caught:
        notify_transport(notify).send(an_email())

    assert caught.value.fields["reason"] == (
        "notify 400 BadRequestError: Can't send to <recipient> or <recipient>"
    )


def test_a_bad_notify_api_key_is_refused_with_403_and_is_permanent(notify: FakeNotify) -> None:
    wrong_secret = notify.api_key[:-36] + "11111111-2222-4333-8444-555555555555"

    with pytest.raises(PermanentDeliveryError) as caught:
        notify_transport(notify, api_key=wrong_secret).send(an_email())

    assert caught.value.fields["reason"] == (
        "notify 403 AuthError: Invalid token: signature, api token is not valid"
    )
    assert notify.sent == []


def test_an_api_key_for_another_service_is_refused(notify: FakeNotify) -> None:
    other = "familyflow_test-6f1e5b8e-8f0e-4c33-9a59-2c1c7c1d0e11-" + notify.api_key[-36:]

    with pytest.raises(PermanentDeliveryError, match="notify 403 AuthError: Invalid token"):
        notify_transport(notify, api_key=other).send(an_email())


def test_an_unreachable_notify_is_a_temporary_failure() -> None:
    with FakeNotify() as stopped:
        base_url, key = stopped.base_url, stopped.api_key
        email_id, sms_id = stopped.email_template_id, stopped.sms_template_id
    transport = NotifyTransport(
        api_key=key, email_template_id=email_id, sms_template_id=sms_id, base_url=base_url
    )

    with pytest.raises(TemporaryDeliveryError, match="notify request failed: ConnectionError"):
        transport.send(an_email())


def test_a_malformed_notify_api_key_is_a_configuration_error_that_hides_the_key() -> None:
    with pytest.raises(ConfigError) as caught:
        NotifyTransport(
            api_key="not-a-real-key-s3cret",
            email_template_id="00000000-0000-4000-8000-000000000000",
            sms_template_id="00000000-0000-4000-8000-000000000001",
        )

    assert "s3cret" not in str(caught.value)


# -- the fake itself ---------------------------------------------------------------------


def post_to_fake(notify: FakeNotify, headers: dict[str, str]) -> requests.Response:
    body: dict[str, Any] = {
        "email_address": SOCIAL_WORKER,
        "template_id": notify.email_template_id,
        "personalisation": {"subject": "s", "body": "b"},
    }
    with requests.Session() as session:
        return session.post(
            f"{notify.base_url}/v2/notifications/email", json=body, headers=headers, timeout=5
        )


def test_the_fake_notify_refuses_a_token_issued_more_than_30_seconds_ago(
    notify: FakeNotify,
) -> None:
    stale = jwt.encode(
        {"iss": notify.service_id, "iat": int(time.time()) - 31},
        notify.secret,
        algorithm="HS256",
    )

    response = post_to_fake(notify, {"Authorization": f"Bearer {stale}"})

    assert response.status_code == 403
    assert response.json()["errors"][0]["error"] == "AuthError"
    assert notify.sent == []


def test_the_fake_notify_refuses_a_request_without_a_token(notify: FakeNotify) -> None:
    response = post_to_fake(notify, {})

    assert response.status_code == 401
    assert response.json() == {
        "status_code": 401,
        "errors": [
            {
                "error": "AuthError",
                "message": "Unauthorized, authentication token must be provided",
            }
        ],
    }
