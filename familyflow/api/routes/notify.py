"""Delivery receipts from GOV.UK Notify."""

from __future__ import annotations

import hmac
import re

from fastapi import APIRouter, Depends, Request, Response, status

from engine.errors import NotFound, NotSignedIn
from familyflow.api.schemas import NotifyReceipt
from familyflow.http.auth import FlowDep, SettingsDep
from familyflow.services import messages

_REFERENCE = re.compile(r"^familyflow-(\d{1,10})$")
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
        messages.delivery_receipt(
            flow,
            message_id=message_id,
            status=receipt.status,
            new_status=STATUS[receipt.status],
            notify_id=receipt.id,
        )
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    return api
