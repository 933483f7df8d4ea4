"""What an inbox (a provider's received texts) gives the service: parents' replies.
The types are the engine's port (engine/ports.py); notifications/ implements it."""

from engine.ports import Inbox, ReceivedText

__all__ = ["Inbox", "ReceivedText"]
