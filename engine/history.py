"""A case's story, read back: the timeline people and scenario tests read."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from engine import store
from engine.clock import local


def _iso(moment: datetime | None) -> str | None:
    return local(moment).isoformat() if moment else None


# Audit kinds kept in the table (and shown by the API's audit endpoint) but left
# out of the story people read: who opened the case is not part of what happened.
NOT_IN_TIMELINE = frozenset({"read"})


def timeline(conn: Connection, *, case_id: int | None) -> list[dict[str, Any]]:
    """Audit records in order, each message joined to what was sent and when."""
    sent = {m["dedupe_key"]: m for m in store.messages(conn, case_id=case_id)}
    entries = []
    for event in store.history(conn, case_id=case_id):
        if event["kind"] in NOT_IN_TIMELINE:
            continue
        entry: dict[str, Any] = {"at": _iso(event["occurred_at"]), "kind": event["kind"]}
        detail = event["detail"]
        optional = {
            "case_id": event["case_id"],
            "rule": event["rule"],
            "trigger": event["trigger"],
            "from": event["from_state"],
            "to": event["to_state"],
            "due_at": _iso(datetime.fromisoformat(detail["due_at"]))
            if "due_at" in detail
            else None,
            "reason": event["reason"],
            "actor": event["actor"],
            "recorded_at": _iso(event["recorded_at"]),
            "late": detail.get("late"),
            # Entered more than a day after it happened: `at` is when it happened,
            # `recorded_at` when it was entered; people see "recorded late".
            "recorded_late": detail.get("recorded_late"),
        }
        if event["kind"] == "contact_changed":
            optional.update(
                contact_role=detail["role"], before=detail["before"], after=detail["after"]
            )
        message = sent.get(detail.get("dedupe_key", ""))
        if message is not None:
            optional.update(
                {
                    "channel": message["medium"],
                    "template": message["template"],
                    "to_address": message["to_address"],
                    "cc": message["cc"] or None,
                    "subject": message["subject"],
                    "body": message["body"],
                    "status": message["status"],
                    "sent_at": _iso(message["sent_at"] or message["not_before"]),
                }
            )
        entry.update({k: v for k, v in optional.items() if v is not None})
        entries.append(entry)
    return entries
