"""Delivery receipts from GOV.UK Notify."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Depends, Request, Response, status

from engine.errors import NotSignedIn
from familyflow.api.schemas import NotifyReceipt
from familyflow.http.auth import FlowDep, SettingsDep
from familyflow.services import messages

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
        becomes the status of the message Notify's id belongs to (each recipient,
        copies included, is a message of its own); a permanent failure flags that
        recipient's contact detail so that business support can correct it."""
        messages.delivery_receipt(
            flow,
            notify_id=receipt.id,
            reference=receipt.reference,
            status=receipt.status,
            new_status=STATUS[receipt.status],
        )
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    return api
