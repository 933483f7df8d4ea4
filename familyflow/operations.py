"""What an operator watches, read from our tables: the figures behind /readyz and /metrics.

Every figure is a count grouped by process, rule, channel or status; nothing here reads a
name, an address or a message body, so no personal data can reach a metric label."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from engine.db import migrations_at_head
from engine.models import Deadline, OutboxMessage
from engine.service import FamilyFlow

deadlines = Deadline.__table__  # type: ignore[attr-defined]
outbox = OutboxMessage.__table__  # type: ignore[attr-defined]

# Firing lateness is shown over a recent window: how late deadlines fire now, not ever.
LATENESS_WINDOW = timedelta(minutes=15)


@dataclass(frozen=True)
class Figures:
    overdue: list[tuple[str, str, int]]  # process, rule, open deadlines past due
    outbox: list[tuple[str, str, int]]  # channel, status, messages
    sent: list[tuple[str, int]]  # channel, messages ever sent
    lateness: list[float]  # seconds late of each deadline fired in the window


def figures(conn: Connection, *, now: datetime) -> Figures:
    overdue = conn.execute(
        sa.select(deadlines.c.process, deadlines.c.rule, sa.func.count())
        .where(deadlines.c.status == "open", deadlines.c.due_at <= now)
        .group_by(deadlines.c.process, deadlines.c.rule)
        .order_by(deadlines.c.process, deadlines.c.rule)
    ).all()
    by_status = conn.execute(
        sa.select(outbox.c.medium, outbox.c.status, sa.func.count())
        .group_by(outbox.c.medium, outbox.c.status)
        .order_by(outbox.c.medium, outbox.c.status)
    ).all()
    fired = conn.execute(
        sa.select(deadlines.c.due_at, deadlines.c.fired_at).where(
            deadlines.c.status == "fired", deadlines.c.fired_at >= now - LATENESS_WINDOW
        )
    ).all()
    sent_statuses = ("sent", "delivered")
    return Figures(
        overdue=[(p, r, n) for p, r, n in overdue],
        outbox=[(m, s, n) for m, s, n in by_status if s not in sent_statuses],
        sent=_sum_by_channel([(m, n) for m, s, n in by_status if s in sent_statuses]),
        lateness=[max((f - d).total_seconds(), 0.0) for d, f in fired],
    )


def _sum_by_channel(rows: list[tuple[str, int]]) -> list[tuple[str, int]]:
    totals: dict[str, int] = {}
    for channel, count in rows:
        totals[channel] = totals.get(channel, 0) + count
    return sorted(totals.items())


def read_figures(flow: FamilyFlow) -> Figures:
    with flow.db.connect() as conn:
        return figures(conn, now=flow.clock.now())


def database_checks(flow: FamilyFlow) -> dict[str, str]:
    """Whether the database answers and carries every migration this code knows of."""
    try:
        with flow.db.connect() as conn:
            at_head = migrations_at_head(conn)
    except SQLAlchemyError:
        return {"database": "unreachable", "migrations": "unreachable"}
    return {"database": "ok", "migrations": "ok" if at_head else "behind"}
