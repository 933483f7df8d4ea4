"""The outbox: messages are rows first, deliveries second.

A message is queued in the same transaction as the change that caused it, with
a dedupe key, so a retry or a crash never queues it twice; each recipient,
copies included, is its own row. Delivery claims rows with a lease and a claim
token, sends them outside any transaction, and records the result only while
it still holds the claim (the token is checked in the UPDATE), so an instance
that lost its claim never records over the one that took it over. The lease is
renewed before each send. Failures are retried with exponential backoff; a
message that gives up is failed loudly (log line, audit record, My work).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
import structlog
from sqlalchemy.engine import Connection, Engine

from engine import store
from engine.clock import LONDON, Clock, aware, local
from engine.errors import (
    DeliveryError,
    DeliveryGaveUp,
    PermanentDeliveryError,
    TemporaryDeliveryError,
)
from engine.ports import MessageIntent, Recipient
from engine.store import outbox
from notifications.channels.base import Envelope, Sent, Transport
from notifications.render import Rendered, Renderer

log = structlog.get_logger("familyflow.outbox")


@dataclass(frozen=True, kw_only=True)
class DeliveryPolicy:
    quiet_start: time = time(20, 0)
    quiet_end: time = time(8, 0)
    max_attempts: int = 8
    backoff: timedelta = timedelta(minutes=1)
    backoff_cap: timedelta = timedelta(hours=2)
    lease: timedelta = timedelta(minutes=5)
    claim_size: int = 200  # at most what can be sent within one lease

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


def outbox_rows(
    intent: MessageIntent,
    *,
    rendered: Rendered,
    now: datetime,
    policy: DeliveryPolicy,
) -> list[dict[str, Any]]:
    """The main recipient's row, then one row per copy, each with its own dedupe key."""
    # Held (an undoable event's messages wait out the undo window), then quiet hours.
    ready = max(now, intent.hold_until) if intent.hold_until is not None else now
    not_before = policy.not_before(now=ready, medium=intent.medium, automatic=intent.automatic)
    copies = [c for c in intent.cc if c.address != intent.to.address]

    def row(recipient: Recipient, dedupe_key: str, cc: list[str]) -> dict[str, Any]:
        return {
            "case_id": intent.case_id,
            "dedupe_key": dedupe_key,
            "medium": intent.medium,
            "template": intent.template,
            "rule": intent.rule,
            "to_role": recipient.role,
            "to_name": recipient.name,
            "to_address": recipient.address,
            "cc": cc,  # on the main row: who was copied (each copy is its own row)
            "subject": rendered.subject,
            "body": rendered.body,
            # A text too long even in its short form waits for a person (Messages page).
            "status": "needs_review" if rendered.needs_review else "queued",
            "last_error": rendered.needs_review,
            "attempts": 0,
            "created_at": now,
            "not_before": not_before,
            "next_attempt_at": not_before,
            "reply_to": intent.reply_to,
        }

    main = row(intent.to, intent.dedupe_key, [c.address for c in copies])
    return [main] + [
        row(copy, f"{intent.dedupe_key}:cc{number}", []) for number, copy in enumerate(copies, 1)
    ]


@dataclass(frozen=True, kw_only=True)
class MessageQueue:
    """The engine's MessageSink: renders each intent when queued and stores its rows."""

    renderer: Renderer
    policy: DeliveryPolicy

    def queue(self, conn: Connection, intents: Sequence[MessageIntent], *, now: datetime) -> None:
        rows: list[dict[str, Any]] = []
        for intent in intents:
            rendered = self.renderer.render(
                template=intent.template, medium=intent.medium, context=intent.context
            )
            rows += outbox_rows(intent, rendered=rendered, now=now, policy=self.policy)
        store.insert_outbox(conn, rows)


def envelope_for(row: Mapping[str, Any]) -> Envelope:
    return Envelope(
        message_id=row["id"],
        medium=row["medium"],
        to_address=row["to_address"],
        to_name=row["to_name"],
        cc=(),  # copies are rows of their own
        subject=row["subject"],
        body=row["body"],
        dedupe_key=row["dedupe_key"],
        rule=row["rule"],
        reply_to=row.get("reply_to"),
    )


def _send(transport: Transport, envelope: Envelope) -> str:
    try:
        return transport.send(envelope)
    except (PermanentDeliveryError, TemporaryDeliveryError):
        raise
    except Exception as error:  # a transport bug must not jam the messages behind it
        reason = f"unexpected {type(error).__name__}"  # its text may quote the recipient
        raise TemporaryDeliveryError(message_id=envelope.message_id, reason=reason) from None


def _find(transport: Transport, envelope: Envelope) -> Sent | None:
    """What the provider already holds for this message, if it can tell (Notify can)."""
    find = getattr(transport, "find_sent", None)
    if find is None:
        return None
    try:
        found: Sent | None = find(envelope)
    except DeliveryError:
        raise
    except Exception as error:
        reason = f"unexpected {type(error).__name__} asking what was sent"
        raise TemporaryDeliveryError(message_id=envelope.message_id, reason=reason) from None
    return found


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    lost: int = 0  # claims another instance took over; that instance records the outcome


@dataclass(frozen=True)
class Claim:
    token: str
    rows: list[dict[str, Any]]


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
        self.new_token: Callable[[], str] = lambda: uuid.uuid4().hex  # one per claim

    def deliver_due(self, *, limit: int = 200) -> DeliveryReport:
        report = DeliveryReport()
        size = max(1, min(limit, self.policy.claim_size))
        while True:
            claim = self._claim(limit=size)
            for row in claim.rows:
                if not self._renew(claim, row):  # the lease ran out and another took it
                    report.lost += 1
                    continue
                if row["attempts"] >= self.policy.max_attempts:  # died mid-send too often
                    reason = row["last_error"] or "no answer"
                    self._give_up(
                        claim, row, attempts=row["attempts"], reason=reason, report=report
                    )
                    continue
                self._deliver(claim, row, report)
            if len(claim.rows) < size:
                return report

    def next_ready(self) -> datetime | None:
        with self.db.connect() as conn:
            query = sa.select(sa.func.min(outbox.c.next_attempt_at)).where(
                outbox.c.status == "queued"
            )
            return conn.execute(query).scalar()

    def _claim(self, *, limit: int) -> Claim:
        now = self.clock.now()
        token = self.new_token()
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
                    .where(outbox.c.id.in_([r["id"] for r in rows]), ready)
                    .values(
                        status="sending",
                        claim_token=token,
                        claimed_until=now + self.policy.lease,
                        attempts=outbox.c.attempts + 1,
                    )
                )
        return Claim(token=token, rows=rows)

    def _renew(self, claim: Claim, row: dict[str, Any]) -> bool:
        """Extend the lease of this row and of the rest of the batch before a send;
        False if this row is no longer ours."""
        until = self.clock.now() + self.policy.lease
        held = sa.and_(outbox.c.claim_token == claim.token, outbox.c.status == "sending")
        with self.db.begin() as conn:
            conn.execute(sa.update(outbox).where(held).values(claimed_until=until))
            mine = conn.execute(
                sa.select(outbox.c.id).where(outbox.c.id == row["id"], held)
            ).first()
        if mine is None:
            log.warning("message_claim_lost", message_id=row["id"], rule=row["rule"])
        return mine is not None

    def _deliver(self, claim: Claim, row: dict[str, Any], report: DeliveryReport) -> None:
        envelope = envelope_for(row)
        transport = self.transports[row["medium"]]
        attempts = row["attempts"] + 1
        try:
            # Tried before, and perhaps sent before the result was recorded (a crash,
            # a lost connection, a timeout): ask the provider first, never send twice.
            found = _find(transport, envelope) if row["attempts"] else None
            if found is not None:
                log.info("message_found_sent", message_id=row["id"], transport=transport.name)
                reference, receipt = found.provider_ref, found.status
            else:
                reference, receipt = _send(transport, envelope), None
        except PermanentDeliveryError as error:
            self._fail(claim, row, error=error, transport=transport.name, report=report)
        except TemporaryDeliveryError as error:
            if attempts >= self.policy.max_attempts:
                self._give_up(
                    claim, row, attempts=attempts, reason=error.fields["reason"], report=report
                )
                return
            retry = self.policy.retry_at(now=self.clock.now(), attempts=attempts)
            if self._finish(
                claim, row, status="queued", last_error=str(error), next_attempt_at=retry
            ):
                log.warning(
                    "message_retry",
                    message_id=row["id"],
                    rule=row["rule"],
                    transport=transport.name,
                    attempts=attempts,
                )
                report.retried += 1
            else:
                report.lost += 1
        else:
            values: dict[str, Any] = {"provider_ref": reference, "last_error": None}
            if receipt is not None:
                values["delivery_status"] = receipt
            status = "delivered" if receipt == "delivered" else "sent"
            if self._finish(claim, row, status=status, sent_at=self.clock.now(), **values):
                log.info(
                    "message_sent",
                    message_id=row["id"],
                    rule=row["rule"],
                    transport=transport.name,
                )
                report.sent += 1
            else:
                report.lost += 1

    def _give_up(
        self,
        claim: Claim,
        row: dict[str, Any],
        *,
        attempts: int,
        reason: str,
        report: DeliveryReport,
    ) -> None:
        error = DeliveryGaveUp(message_id=row["id"], attempts=attempts, reason=_bare(reason))
        self._fail(
            claim, row, error=error, transport=self.transports[row["medium"]].name, report=report
        )

    def _fail(
        self,
        claim: Claim,
        row: dict[str, Any],
        *,
        error: DeliveryError,
        transport: str,
        report: DeliveryReport,
    ) -> None:
        reason = _bare(str(error.fields.get("reason", error)))
        audit = failure_audit(row, reason=reason, at=self.clock.now())
        if not self._finish(claim, row, status="failed", last_error=str(error), audit=audit):
            report.lost += 1
            return
        log.warning(
            "message_failed",
            message_id=row["id"],
            case_id=row["case_id"],
            rule=row["rule"],
            transport=transport,
            attempts=error.fields.get("attempts", row["attempts"] + 1),
            permanent=isinstance(error, PermanentDeliveryError),
        )
        report.failed += 1

    def _finish(
        self,
        claim: Claim,
        row: dict[str, Any],
        *,
        audit: dict[str, Any] | None = None,
        **values: Any,
    ) -> bool:
        """Record the outcome, only while this claim still holds the row."""
        with self.db.begin() as conn:
            done = conn.execute(
                sa.update(outbox)
                .where(
                    outbox.c.id == row["id"],
                    outbox.c.claim_token == claim.token,
                    outbox.c.status == "sending",
                )
                .values(claimed_until=None, claim_token=None, **values)
            ).rowcount
            if done and audit is not None:
                store.insert_rows(conn, store.audit, [audit])
        if not done:
            log.warning("message_claim_lost", message_id=row["id"], rule=row["rule"])
        return bool(done)


def _bare(reason: str) -> str:
    """A reason without our own wrapping ("delivery of message 7 failed ...: ")."""
    return reason.split(": ", 1)[-1] if reason.startswith("delivery of message") else reason


def failure_audit(row: Mapping[str, Any], *, reason: str, at: datetime) -> dict[str, Any]:
    """The audit record of a message that will not arrive, for the case's timeline."""
    what = "text" if row["medium"] == "sms" else "email"
    return {
        "case_id": row["case_id"],
        "kind": "delivery",
        "actor": "system",
        "actor_role": None,
        "occurred_at": at,
        "recorded_at": at,
        "rule": row["rule"],
        "reason": f"{what} to {row['to_role'] or 'recipient'} failed: {reason}",
        "trigger": None,
        "from_state": None,
        "to_state": None,
        "detail": {
            "message_id": row["id"],
            "dedupe_key": row["dedupe_key"],
            "status": "failed",
            "problem": True,
        },
    }
