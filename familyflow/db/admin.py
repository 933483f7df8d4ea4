"""Administrative writes on engine tables: retrying a message, delivery receipts,
flagging undeliverable contacts, local closure days."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from familyflow.db.tables import closure_days, contacts, outbox


def message(conn: Connection, message_id: int) -> dict[str, Any] | None:
    row = conn.execute(sa.select(outbox).where(outbox.c.id == message_id)).mappings().first()
    return dict(row) if row else None


def retry_message(conn: Connection, message_id: int, *, now: datetime) -> bool:
    """Queue a failed message again, with a fresh set of attempts."""
    statement = (
        sa.update(outbox)
        .where(outbox.c.id == message_id, outbox.c.status == "failed")
        .values(
            status="queued",
            attempts=0,
            next_attempt_at=now,
            claimed_until=None,
            claim_token=None,
            delivery_status=None,
        )
    )
    return conn.execute(statement).rowcount == 1


def message_by_provider_ref(conn: Connection, provider_ref: str) -> dict[str, Any] | None:
    query = sa.select(outbox).where(outbox.c.provider_ref == provider_ref).order_by(outbox.c.id)
    row = conn.execute(query).mappings().first()
    return dict(row) if row else None


def record_delivery(
    conn: Connection,
    message_id: int,
    *,
    status: str,
    delivery_status: str,
    error: str | None,
    provider_ref: str | None = None,
) -> None:
    values: dict[str, Any] = {"status": status, "delivery_status": delivery_status}
    if error is not None:
        values["last_error"] = error
    if provider_ref is not None:
        values["provider_ref"] = provider_ref
    conn.execute(sa.update(outbox).where(outbox.c.id == message_id).values(**values))


def flag_contacts(conn: Connection, *, case_id: int, address: str, reason: str) -> int:
    """Mark the case's contacts with this email or mobile as undeliverable."""
    statement = (
        sa.update(contacts)
        .where(
            contacts.c.case_id == case_id,
            sa.or_(
                sa.func.lower(contacts.c.email) == address.lower(), contacts.c.mobile == address
            ),
        )
        .values(flagged=reason)
    )
    return int(conn.execute(statement).rowcount)


def closure_day_rows(conn: Connection) -> list[dict[str, Any]]:
    query = sa.select(closure_days).order_by(closure_days.c.day)
    return [dict(row) for row in conn.execute(query).mappings()]


def add_closure_day(conn: Connection, *, day: date, description: str) -> bool:
    """False when the day is already a closure day."""
    if conn.execute(sa.select(closure_days.c.day).where(closure_days.c.day == day)).first():
        return False
    conn.execute(sa.insert(closure_days).values(day=day, description=description))
    return True


def remove_closure_day(conn: Connection, *, day: date) -> bool:
    return conn.execute(sa.delete(closure_days).where(closure_days.c.day == day)).rowcount == 1
