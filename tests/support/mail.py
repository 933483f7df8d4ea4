"""An in-process SMTP server (aiosmtpd) that keeps what it accepts and can be told
to refuse: the next DATA commands with scripted replies (a 451 that clears up,
a 554), or given recipients at RCPT (a 550 mailbox). It counts every attempt, so
a test can show a message was tried exactly as often as it should have been
(by its Message-ID, which FamilyFlow derives from the dedupe key)."""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from notifications.channels.smtp import SmtpTransport

SENDER = "familyflow@example.gov.uk"


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


@dataclass
class MailSink:
    received: list[Received] = field(default_factory=list)
    data_replies: list[str] = field(default_factory=list)  # answered in turn, then accept
    refuse_recipients: dict[str, str] = field(default_factory=dict)
    attempts: list[str] = field(default_factory=list)  # Message-ID of every DATA offered
    delay: float = 0.0  # seconds the server takes to answer DATA: a slow relay

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if address in self.refuse_recipients:
            return self.refuse_recipients[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content.replace(b"\r\n", b"\n")
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.attempts.append(str(message["Message-ID"]))
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.data_replies:
            return self.data_replies.pop(0)
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


@dataclass
class SmtpServer:
    sink: MailSink
    host: str
    port: int

    def transport(self, *, timeout: float = 5.0) -> SmtpTransport:
        return SmtpTransport(host=self.host, port=self.port, sender=SENDER, timeout=timeout)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def smtp_server() -> Iterator[SmtpServer]:
    sink = MailSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield SmtpServer(sink, "127.0.0.1", controller.port)
    finally:
        controller.stop()


def plain_body(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    content: str = part.get_content()
    return content
