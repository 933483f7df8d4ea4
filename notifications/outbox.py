"""The outbox: messages are rows first, deliveries second.

A message is queued in the same transaction as the change that caused it, with
a dedupe key, so a retry or a crash never queues it twice. Delivery claims rows
with a lease, sends them outside any transaction, and records the result;
failures are retried with exponential backoff.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
import structlog
from sqlalchemy.engine import Engine

from engine.clock import LONDON, Clock, aware, local
from engine.errors import PermanentDeliveryError, TemporaryDeliveryError
from engine.store import outbox
from notifications.channels.base import Envelope, Transport
from notifications.render import Rendered

log = structlog.get_logger("familyflow.outbox")


@dataclass(frozen=True, kw_only=True)
class DeliveryPolicy:
    quiet_start: time = time(20, 0)
    quiet_end: time = time(8, 0)
    max_attempts: int = 8
    backoff: timedelta = timedelta(minutes=1)
    backoff_cap: timedelta = timedelta(hours=2)
    lease: timedelta = timedelta(minutes=5)

    def not_before(self, *, now: datetime, medium: str, automatic: bool = False) -> datetime:
        """Texts, and the emails the service sends on its own (chases, escalations),
        wait for the morning; an email a person's action causes goes at once."""
        if medium != "sms" and not automatic:
            return now
        moment = local(now)
        quiet = (
            moment.time() >= self.quiet_start or moment.time() < self.quiet_end
            if self.quiet_start > self.quiet_end
            else self.quiet_start <= moment.time() < self.quiet_end
        )
        if not quiet:
            return now
        day = moment.date() if moment.time() < self.quiet_end else moment.date() + timedelta(1)
        return aware(datetime.combine(day, self.quiet_end, tzinfo=LONDON))

    def retry_at(self, *, now: datetime, attempts: int) -> datetime:
        return now + min(self.backoff * (2 ** max(attempts - 1, 0)), self.backoff_cap)


def outbox_row(
    *,
    case_id: int | None,
    dedupe_key: str,
    medium: str,
    template: str,
    rule: str,
    recipient: Mapping[str, Any],
    cc: list[str],
    rendered: Rendered,
    now: datetime,
    policy: DeliveryPolicy,
    automatic: bool = False,
    reply_to: str | None = None,
) -> dict[str, Any]:
    address = recipient["mobile"] if medium == "sms" else recipient["email"]
    not_before = policy.not_before(now=now, medium=medium, automatic=automatic)
    return {
        "case_id": case_id,
        "dedupe_key": dedupe_key,
        "medium": medium,
        "template": template,
        "rule": rule,
        "to_role": recipient.get("role"),
        "to_name": recipient.get("name"),
        "to_address": address,
        "cc": cc,
        "subject": rendered.subject,
        "body": rendered.body,
        # A text too long even in its short form waits for a person (Messages page).
        "status": "needs_review" if rendered.needs_review else "queued",
        "last_error": rendered.needs_review,
        "attempts": 0,
        "created_at": now,
        "not_before": not_before,
        "next_attempt_at": not_before,
        "reply_to": reply_to,
    }


def _send(transport: Transport, envelope: Envelope) -> str:
    try:
        return transport.send(envelope)
    except (PermanentDeliveryError, TemporaryDeliveryError):
        raise
    except Exception as error:  # a transport bug must not jam the messages behind it
        reason = f"unexpected {type(error).__name__}"  # its text may quote the recipient
        raise TemporaryDeliveryError(message_id=envelope.message_id, reason=reason) from None


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0


class Outbox:
    def __init__(
        self,
        *,
        db: Engine,
        transports: Mapping[str, Transport],
        policy: DeliveryPolicy,
        clock: Clock,
    ) -> None:
        self.db = db
        self.transports = transports
        self.policy = policy
        self.clock = clock

    def deliver_due(self, *, limit: int = 200) -> DeliveryReport:
        report = DeliveryReport()
        while True:
            claimed = self._claim(limit=limit)
            for row in claimed:
                if row["attempts"] >= self.policy.max_attempts:  # died mid-send too often
                    self._finish(row["id"], status="failed", last_error=row["last_error"])
                    report.failed += 1
                    continue
                self._deliver(row, report)
            if len(claimed) < limit:
                return report

    def next_ready(self) -> datetime | None:
        with self.db.connect() as conn:
            query = sa.select(sa.func.min(outbox.c.next_attempt_at)).where(
                outbox.c.status == "queued"
            )
            return conn.execute(query).scalar()

    def _claim(self, *, limit: int) -> list[dict[str, Any]]:
        now = self.clock.now()
        ready = sa.or_(
            sa.and_(outbox.c.status == "queued", outbox.c.next_attempt_at <= now),
            # A lease that ran out means its instance died mid-send: try again.
            sa.and_(outbox.c.status == "sending", outbox.c.claimed_until < now),
        )
        with self.db.begin() as conn:
            query = sa.select(outbox).where(ready).order_by(outbox.c.id).limit(limit)
            if conn.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            rows = [dict(r) for r in conn.execute(query).mappings()]
            if rows:
                conn.execute(
                    sa.update(outbox)
                    .where(outbox.c.id.in_([r["id"] for r in rows]))
                    .values(
                        status="sending",
                        claimed_until=now + self.policy.lease,
                        attempts=outbox.c.attempts + 1,
                    )
                )
        return rows

    def _deliver(self, row: dict[str, Any], report: DeliveryReport) -> None:
        envelope = Envelope(
            message_id=row["id"],
            medium=row["medium"],
            to_address=row["to_address"],
            to_name=row["to_name"],
            cc=tuple(row["cc"]),
            subject=row["subject"],
            body=row["body"],
            dedupe_key=row["dedupe_key"],
            rule=row["rule"],
            reply_to=row.get("reply_to"),
        )
        transport = self.transports[row["medium"]]
        attempts = row["attempts"] + 1
        try:
            reference = _send(transport, envelope)
        except PermanentDeliveryError as error:
            self._finish(row["id"], status="failed", last_error=str(error))
            log.warning(
                "message_failed",
                message_id=row["id"],
                rule=row["rule"],
                transport=transport.name,
                permanent=True,
            )
            report.failed += 1
        except TemporaryDeliveryError as error:
            if attempts >= self.policy.max_attempts:
                self._finish(row["id"], status="failed", last_error=str(error))
                report.failed += 1
            else:
                retry = self.policy.retry_at(now=self.clock.now(), attempts=attempts)
                self._finish(
                    row["id"], status="queued", last_error=str(error), next_attempt_at=retry
                )
                report.retried += 1
            log.warning(
                "message_retry",
                message_id=row["id"],
                rule=row["rule"],
                transport=transport.name,
                attempts=attempts,
            )
        else:
            self._finish(
                row["id"],
                status="sent",
                sent_at=self.clock.now(),
                provider_ref=reference,
                last_error=None,
            )
            log.info(
                "message_sent", message_id=row["id"], rule=row["rule"], transport=transport.name
            )
            report.sent += 1

    def _finish(self, message_id: int, **values: Any) -> None:
        with self.db.begin() as conn:
            conn.execute(
                sa.update(outbox)
                .where(outbox.c.id == message_id)
                .values(claimed_until=None, **values)
            )
