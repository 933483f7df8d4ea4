"""Messages: list them (bodies are personal data, so reads are audited), read one,
and send a failed one again (admins)."""

from __future__ import annotations

from typing import Any

from engine.errors import InvalidState, NotFound
from engine.service import FamilyFlow
from familyflow.db import admin as admin_db
from familyflow.db import read_models, records
from familyflow.services import audit
from familyflow.services.principal import Principal

RETRIERS = ("admin",)


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


def delivery_receipt(
    flow: FamilyFlow,
    *,
    message_id: int,
    status: str,
    new_status: str,
    notify_id: str | None,
) -> None:
    """A GOV.UK Notify receipt: the message's status; a permanent failure flags the
    contact detail so that business support can correct it. Audited."""
    now = flow.clock.now()
    with flow.db.begin() as conn:
        row = admin_db.message(conn, message_id)
        if row is None:
            raise NotFound(what="message", key=message_id)
        failed = status != "delivered"
        admin_db.record_delivery(
            conn,
            message_id,
            status=new_status,
            delivery_status=status,
            error=f"Notify: {status}" if failed else None,
        )
        detail: dict[str, Any] = {
            "message_id": message_id,
            "status": status,
            "notify_id": notify_id,
        }
        if status == "permanent-failure" and row["case_id"] is not None:
            detail["flagged"] = admin_db.flag_contacts(
                conn,
                case_id=row["case_id"],
                address=row["to_address"],
                reason=f"{row['medium']} to {row['to_address']} could not be delivered "
                f"(permanent failure, {now.date().isoformat()}); check the detail",
            )
        records.record(
            conn,
            audit.row(
                kind="delivery",
                principal=NOTIFY,
                at=now,
                case_id=row["case_id"],
                rule=row["rule"],
                reason=f"{row['medium']} {status}",
                detail=detail,
            ),
        )
