"""A text too long to send, even in its short form, waits as `needs_review`; business
support shortens it on the Messages page and it is queued like any other (PAR-12).
The case event that queued it went through long before."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from engine.errors import InputError, InvalidState, NotFound
from engine.store import outbox
from notifications import sms
from notifications.outbox import DeliveryPolicy

NEEDS_REVIEW = "needs_review"


def release(
    conn: Connection, *, message_id: int, body: str, now: datetime, policy: DeliveryPolicy
) -> sms.SmsText:
    """Store the shortened text as Notify will send it and queue it (not at night)."""
    row = conn.execute(sa.select(outbox).where(outbox.c.id == message_id)).mappings().first()
    if row is None:
        raise NotFound(what="message", key=message_id)
    if row["status"] != NEEDS_REVIEW:
        raise InvalidState(
            what=f"message {message_id}",
            state=row["status"],
            reason="only a text waiting for review can be shortened and sent",
        )
    text = sms.measure(body)
    if not text.text:
        raise InputError(field="body", reason="the text is empty")
    if not text.fits:
        raise InputError(
            field="body",
            reason=f"the text needs {text.fragments} SMS fragments ({text.encoding}); at most "
            f"{sms.MAX_FRAGMENTS} are allowed",
        )
    not_before = policy.not_before(now=now, medium=row["medium"])
    changed = conn.execute(
        sa.update(outbox)
        .where(outbox.c.id == message_id, outbox.c.status == NEEDS_REVIEW)
        .values(
            body=text.text,
            status="queued",
            last_error=None,
            attempts=0,
            not_before=not_before,
            next_attempt_at=not_before,
        )
    ).rowcount
    if changed != 1:  # someone sent it a moment ago
        raise InvalidState(
            what=f"message {message_id}", state="queued", reason="it was sent already"
        )
    return text
