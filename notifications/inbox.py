"""What an inbox (a provider's received texts) gives the service: parents' replies."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True, kw_only=True)
class ReceivedText:
    id: str  # the provider's id, unique
    user_number: str  # the sender's number as the provider gives it (447700900123)
    content: str
    created_at: datetime


class Inbox(Protocol):
    name: str

    def newer_than(self, last_id: str | None) -> list[ReceivedText]:
        """Texts received after the one with `last_id` (all it holds if None), oldest first."""
        ...
