"""Delivery receipts from GOV.UK Notify."""

from __future__ import annotations

import hmac
import re
from typing import Any

import structlog
from fastapi import APIRouter, Depends, Request, Response, status
from sqlalchemy.engine import Connection

from engine import store
from engine.cases import Actor
from engine.errors import NotFound, NotSignedIn
from familyflow.accounts import audit_row
from familyflow.api.auth import FlowDep, SettingsDep
from familyflow.api.schemas import NotifyReceipt

_REFERENCE = re.compile(r"^familyflow-(\d{1,10})$")
NOTIFY = Actor("gov.uk-notify", "system")
log = structlog.get_logger("familyflow.notify")
STATUS = {
    "delivered": "delivered",
    "permanent-failure": "failed",
    "temporary-failure": "failed",
    "technical-failure": "failed",
}


def notify_token(request: Request, settings: SettingsDep) -> None:
    """Notify sends the callback bearer token configured on its side."""
    expected = settings.notify_callback_token
    scheme, _, sent = request.headers.get("authorization", "").partition(" ")
    if (
        expected is None
        or scheme.lower() != "bearer"
        or not hmac.compare_digest(sent.strip().encode(), expected.get_secret_value().encode())
    ):
        raise NotSignedIn(reason="the callback bearer token is missing or wrong")


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


def _message_for(conn: Connection, receipt: NotifyReceipt) -> dict[str, Any]:
    """The message a receipt is about: by Notify's notification id, as recorded when
    it was sent; by reference only for a message whose id was never recorded."""
    row = store.message_by_provider_ref(conn, receipt.id)
    if row is not None:
        return row
    match = _REFERENCE.match(receipt.reference or "")
    if match is None:
        raise NotFound(what="message with notification id", key=receipt.id)
    row = store.message(conn, int(match[1]))
    if row is None or row["provider_ref"] not in (None, receipt.id):
        # Another recipient's notification with a shared (old) reference: never theirs.
        raise NotFound(what="message with notification id", key=receipt.id)
    return row


def router() -> APIRouter:
    api = APIRouter(prefix="/notify", tags=["notify"])

    @api.post(
        "/callback",
        status_code=status.HTTP_204_NO_CONTENT,
        dependencies=[Depends(notify_token)],
        summary="A delivery receipt (Notify sends the callback bearer token)",
    )
    def callback(receipt: NotifyReceipt, flow: FlowDep) -> Response:
        """`delivered`, `permanent-failure`, `temporary-failure` or `technical-failure`
        becomes the status of the message Notify's id belongs to (each recipient,
        copies included, is a message of its own); a permanent failure flags that
        recipient's contact detail so that business support can correct it."""
        now = flow.clock.now()
        with flow.db.begin() as conn:
            row = _message_for(conn, receipt)
            message_id = row["id"]
            failed = receipt.status != "delivered"
            reason = plain_reason(row["medium"], receipt.status)
            store.record_delivery(
                conn,
                message_id,
                status=STATUS[receipt.status],
                delivery_status=receipt.status,
                error=reason if failed else None,
                provider_ref=receipt.id,
            )
            detail: dict[str, Any] = {
                "message_id": message_id,
                "status": receipt.status,
                "notify_id": receipt.id,
            }
            if failed:
                detail["problem"] = True
            if receipt.status == "permanent-failure" and row["case_id"] is not None:
                detail["flagged"] = store.flag_contacts(
                    conn,
                    case_id=row["case_id"],
                    address=row["to_address"],
                    reason=f"{row['medium']} to {row['to_address']} could not be delivered "
                    f"(permanent failure, {now.date().isoformat()}); check the detail",
                )
            what = "text" if row["medium"] == "sms" else "email"
            store.record(
                conn,
                audit_row(
                    kind="delivery",
                    actor=NOTIFY,
                    at=now,
                    case_id=row["case_id"],
                    rule=row["rule"],
                    reason=f"{what} to {row['to_role'] or 'recipient'} failed: {reason}"
                    if failed
                    else f"{row['medium']} {receipt.status}",
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
                receipt=receipt.status,
            )
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    return api
