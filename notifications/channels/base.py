"""What a transport receives and what it promises.

A transport delivers one already-rendered message. It returns the provider's
reference for it, or raises TemporaryDeliveryError (retry later) or
PermanentDeliveryError (never retry). It must not log personal data. A
transport that can look a message up (`find_sent`) makes a resend after a
crash harmless: the outbox asks before sending a message a second time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

Medium = Literal["email", "sms"]


@dataclass(frozen=True, kw_only=True)
class Envelope:
    message_id: int
    medium: Medium
    to_address: str
    to_name: str | None
    cc: tuple[str, ...]
    subject: str | None
    body: str
    dedupe_key: str
    rule: str
    reply_to: str | None = None  # the owning team's mailbox; None: the sender's


@dataclass(frozen=True, kw_only=True)
class Sent:
    """What a provider already holds for a message: its id and, if known, its status."""

    provider_ref: str
    status: str | None = None


class Transport(Protocol):
    name: str

    def send(self, envelope: Envelope) -> str: ...


class Findable(Protocol):
    """A transport that can say whether a message was already sent (Notify can, by
    reference; SMTP cannot). The outbox asks before sending a message again."""

    def find_sent(self, envelope: Envelope) -> Sent | None: ...
