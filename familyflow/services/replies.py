"""Parents' replies by text waiting to be put on a case, and texts too long to send that
business support shortens (PAR-12). Each use case checks the role, runs one transaction
and writes the audit, reads included."""

from __future__ import annotations

from typing import Any

from engine import replies, store
from engine.service import FamilyFlow
from engine.store import CaseRow
from familyflow.accounts import audit_row
from familyflow.db import admin as admin_db
from familyflow.db import records
from familyflow.services import audit
from familyflow.services.principal import Principal
from notifications import review
from notifications.outbox import Outbox

ASSIGNERS = ("business_support", "admin")


def waiting(
    flow: FamilyFlow, *, principal: Principal
) -> tuple[list[dict[str, Any]], dict[int, CaseRow]]:
    """Replies that matched no open case, or several, with the candidate cases."""
    principal.require(ASSIGNERS, action="see replies waiting to be assigned")
    with flow.db.begin() as conn:
        rows = replies.waiting(conn)
        ids = sorted({c for r in rows for c in r["candidates"]})
        cases = store.load_cases(conn, ids)
        audit.read(conn, principal=principal, at=flow.clock.now(), what="replies", case_ids=ids)
    return rows, cases


def assign(flow: FamilyFlow, *, principal: Principal, reply_id: int, case_id: int) -> None:
    principal.require(ASSIGNERS, action="assign a reply to a case")
    flow.assign_reply(reply_id, case_id=case_id, actor=principal.actor)


def shorten_and_send(flow: FamilyFlow, *, principal: Principal, message_id: int, body: str) -> None:
    """Replace a text that needs review with a shorter one and queue it, audited."""
    principal.require(ASSIGNERS, action="shorten and send a text")
    now = flow.clock.now()
    outbox = flow.outbox  # the engine knows it as a port; the application wired an Outbox
    assert isinstance(outbox, Outbox)
    with flow.db.begin() as conn:
        text = review.release(conn, message_id=message_id, body=body, now=now, policy=outbox.policy)
        row = admin_db.message(conn, message_id)
        assert row is not None
        records.record(
            conn,
            audit_row(
                kind="change",
                actor=principal.actor,
                at=now,
                case_id=row["case_id"],
                rule=row["rule"],
                reason=f"text {message_id} shortened to {text.fragments} SMS fragment(s), queued",
                detail={"message_id": message_id, "dedupe_key": row["dedupe_key"]},
            ),
        )
