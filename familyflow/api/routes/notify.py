"""Delivery receipts from GOV.UK Notify."""

from __future__ import annotations

import hmac
import re
from typing import Any

from fastapi import APIRouter, Depends, Request, Response, status

from engine.cases import Actor
from engine.errors import NotFound, NotSignedIn
from familyflow.accounts import audit_row
from familyflow.api.auth import FlowDep, SettingsDep
from familyflow.api.schemas import NotifyReceipt
from familyflow.db import admin as admin_db
from familyflow.db import records

_REFERENCE = re.compile(r"^familyflow-(\d{1,10})$")
NOTIFY = Actor("gov.uk-notify", "system")
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
        becomes the message's status; a permanent failure flags the contact detail
        so that business support can correct it."""
        match = _REFERENCE.match(receipt.reference or "")
        if match is None:
            raise NotFound(what="message with reference", key=receipt.reference)
        message_id = int(match[1])
        now = flow.clock.now()
        with flow.db.begin() as conn:
            row = admin_db.message(conn, message_id)
            if row is None:
                raise NotFound(what="message", key=message_id)
            failed = receipt.status != "delivered"
            admin_db.record_delivery(
                conn,
                message_id,
                status=STATUS[receipt.status],
                delivery_status=receipt.status,
                error=f"Notify: {receipt.status}" if failed else None,
            )
            detail: dict[str, Any] = {
                "message_id": message_id,
                "status": receipt.status,
                "notify_id": receipt.id,
            }
            if receipt.status == "permanent-failure" and row["case_id"] is not None:
                detail["flagged"] = admin_db.flag_contacts(
                    conn,
                    case_id=row["case_id"],
                    address=row["to_address"],
                    reason=f"{row['medium']} to {row['to_address']} could not be delivered "
                    f"(permanent failure, {now.date().isoformat()}); check the detail",
                )
            records.record(
                conn,
                audit_row(
                    kind="delivery",
                    actor=NOTIFY,
                    at=now,
                    case_id=row["case_id"],
                    rule=row["rule"],
                    reason=f"{row['medium']} {receipt.status}",
                    detail=detail,
                ),
            )
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    return api
