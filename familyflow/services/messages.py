"""Messages: list them (bodies are personal data, so reads are audited), read one,
and send a failed one again (business support, admins); Notify's receipts."""

from __future__ import annotations

import re
from typing import Any

import structlog
from sqlalchemy.engine import Connection

from engine.errors import InvalidState, NotFound
from engine.service import FamilyFlow
from familyflow.db import admin as admin_db
from familyflow.db import read_models, records
from familyflow.services import audit
from familyflow.services.principal import Principal

RETRIERS = ("admin", "business_support")  # business support acts on failed messages
log = structlog.get_logger("familyflow.notify")


def list_messages(
    flow: FamilyFlow,
    *,
    principal: Principal,
    status: str | None = None,
    case_id: int | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[dict[str, Any]]:
    with flow.db.begin() as conn:
        rows = read_models.search_messages(
            conn,
            teams=principal.teams,
            email=principal.email,
            status=status,
            case_id=case_id,
            limit=limit,
            offset=offset,
        )
        audit.read(
            conn,
            principal=principal,
            at=flow.clock.now(),
            what="messages",
            case_ids=sorted({r["case_id"] for r in rows if r["case_id"]}),
            filters={"status": status, "case_id": case_id, "limit": limit, "offset": offset},
        )
    return rows


def read_message(flow: FamilyFlow, *, principal: Principal, message_id: int) -> dict[str, Any]:
    with flow.db.begin() as conn:
        row = admin_db.message(conn, message_id)
        visible = row is not None and (
            principal.teams is None
            or (
                row["case_id"] is not None
                and read_models.case_visible(
                    conn, row["case_id"], teams=principal.teams, email=principal.email
                )
            )
        )
        if row is None or not visible:
            raise NotFound(what="message", key=message_id)
        audit.read(
            conn,
            principal=principal,
            at=flow.clock.now(),
            what=f"message {message_id}",
            case_id=row["case_id"],
        )
    return row


def retry_message(flow: FamilyFlow, *, principal: Principal, message_id: int) -> dict[str, Any]:
    """Queue a failed message again with a fresh set of attempts; audited."""
    principal.require(RETRIERS, action="send a message again")
    now = flow.clock.now()
    with flow.db.begin() as conn:
        row = admin_db.message(conn, message_id)
        if row is None:
            raise NotFound(what="message", key=message_id)
        if not admin_db.retry_message(conn, message_id, now=now):
            raise InvalidState(
                what=f"message {message_id}",
                state=row["status"],
                reason="only a failed message can be retried",
            )
        records.record(
            conn,
            audit.row(
                kind="change",
                principal=principal,
                at=now,
                case_id=row["case_id"],
                rule=row["rule"],
                reason=f"message {message_id} queued again",
                detail={"message_id": message_id, "dedupe_key": row["dedupe_key"]},
            ),
        )
        row = admin_db.message(conn, message_id)
    assert row is not None
    return row


NOTIFY = Principal(email="gov.uk-notify", role="system", teams=None, kind="token")


_REFERENCE = re.compile(r"^familyflow-(\d{1,10})$")


def plain_reason(medium: str, receipt: str) -> str:
    """What a receipt means, in the words business support acts on (Notify's guidance)."""
    if medium == "sms":
        return {
            "permanent-failure": "number not in service",
            "temporary-failure": "phone switched off or inbox full for 72 hours",
            "technical-failure": "Notify could not send it (technical failure)",
        }.get(receipt, receipt)
    return {
        "permanent-failure": "email address does not exist",
        "temporary-failure": "inbox full or out of office for 72 hours",
        "technical-failure": "Notify could not send it (technical failure)",
    }.get(receipt, receipt)


def _message_for(conn: Connection, *, notify_id: str, reference: str | None) -> dict[str, Any]:
    """The message Notify's id belongs to: by the id recorded when it was sent; by
    reference only for a message whose id was never recorded."""
    row = admin_db.message_by_provider_ref(conn, notify_id)
    if row is not None:
        return row
    match = _REFERENCE.match(reference or "")
    if match is None:
        raise NotFound(what="message with notification id", key=notify_id)
    row = admin_db.message(conn, int(match[1]))
    if row is None or row["provider_ref"] not in (None, notify_id):
        # Another recipient's notification with a shared (old) reference: never theirs.
        raise NotFound(what="message with notification id", key=notify_id)
    return row


def delivery_receipt(
    flow: FamilyFlow,
    *,
    notify_id: str,
    reference: str | None,
    status: str,
    new_status: str,
) -> None:
    """A GOV.UK Notify receipt: the status of the message it belongs to; a permanent
    failure flags that recipient's contact detail for business support. Audited."""
    now = flow.clock.now()
    with flow.db.begin() as conn:
        row = _message_for(conn, notify_id=notify_id, reference=reference)
        message_id = row["id"]
        failed = status != "delivered"
        reason = plain_reason(row["medium"], status)
        admin_db.record_delivery(
            conn,
            message_id,
            status=new_status,
            delivery_status=status,
            error=reason if failed else None,
            provider_ref=notify_id,
        )
        detail: dict[str, Any] = {
            "message_id": message_id,
            "status": status,
            "notify_id": notify_id,
        }
        if failed:
            detail["problem"] = True
        if status == "permanent-failure" and row["case_id"] is not None:
            detail["flagged"] = admin_db.flag_contacts(
                conn,
                case_id=row["case_id"],
                address=row["to_address"],
                reason=f"{row['medium']} to {row['to_address']} could not be delivered "
                f"(permanent failure, {now.date().isoformat()}); check the detail",
            )
        what = "text" if row["medium"] == "sms" else "email"
        records.record(
            conn,
            audit.row(
                kind="delivery",
                principal=NOTIFY,
                at=now,
                case_id=row["case_id"],
                rule=row["rule"],
                reason=f"{what} to {row['to_role'] or 'recipient'} failed: {reason}"
                if failed
                else f"{row['medium']} {status}",
                detail=detail,
            ),
        )
    if failed:  # logged once recorded
        log.warning(
            "message_failed",
            message_id=message_id,
            case_id=row["case_id"],
            rule=row["rule"],
            transport="notify",
            receipt=status,
        )
