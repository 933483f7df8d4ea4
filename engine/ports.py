"""The engine's port to messaging: what it asks for, not how it is sent.

A case event or an agenda says which message goes to whom (`MessageIntent`);
a `MessageSink` turns intents into queued messages inside the same
transaction (notifications/ renders and stores them), and `MessageDelivery`
sends what is due. The engine never imports notifications/: bootstrap()
wires the two together.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.engine import Connection


@dataclass(frozen=True, kw_only=True)
class Recipient:
    role: str | None
    name: str | None
    address: str  # an email address or an E.164 mobile, by the message's medium


@dataclass(frozen=True, kw_only=True)
class MessageIntent:
    """One message: `to` gets it, each of `cc` gets its own copy (its own row)."""

    case_id: int | None
    template: str
    medium: str  # email or sms
    rule: str
    to: Recipient
    cc: tuple[Recipient, ...] = ()
    context: Mapping[str, Any]
    dedupe_key: str  # the main recipient's key; each copy's is derived from it
    automatic: bool = False  # sent on the service's own initiative (a chase, a digest)
    reply_to: str | None = None  # the owning team's mailbox, for emails
    # Not to be sent before this (an undoable event's messages wait out the undo
    # window); quiet hours still apply from then on.
    hold_until: datetime | None = None


class MessageSink(Protocol):
    def queue(
        self, conn: Connection, intents: Sequence[MessageIntent], *, now: datetime
    ) -> None: ...


class MessageDelivery(Protocol):
    def deliver_due(self) -> object: ...

    def next_ready(self) -> datetime | None: ...


@dataclass(frozen=True, kw_only=True)
class ReceivedText:
    """A text a parent sent to the service (a provider's received text)."""

    id: str  # the provider's id, unique
    user_number: str  # the sender's number as the provider gives it (447700900123)
    content: str
    created_at: datetime


class Inbox(Protocol):
    """Where parents' replies arrive; notifications/ implements it for Notify."""

    name: str

    def newer_than(self, last_id: str | None) -> list[ReceivedText]:
        """Texts received after the one with `last_id` (all it holds if None), oldest first."""
        ...
