"""Taking back the last event on a case, within the undo window.

An undoable event (a transition declared `undoable`, such as recording a missed
session) keeps in its transition's audit row what it changed: the data keys with
their old values, the state and closure it moved from, the deadlines it closed and
the first deadline row it did not open, and the messages it queued, which wait out
the window (`Services.undo_window`) before they may be sent. Undo puts each back in
one transaction: the case's state, data, counters and closure as they were; the
deadlines it closed open again and those it opened removed; its messages cancelled,
never sent. The audit trail keeps both the event and its undoing (kind `undo`, with
the event's rule), and each cancelled message is recorded against its rule.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from engine import store
from engine.cases import Actor, CaseWork
from engine.clock import describe
from engine.errors import ConflictError, UndoRefused
from engine.store import CaseRow


def minutes(window: timedelta) -> str:
    count = int(window.total_seconds() // 60)
    return f"{count} minute{'' if count == 1 else 's'}"


def undoable(work: CaseWork, case_id: int) -> dict[str, Any] | None:
    """The case's last event, if it can still be undone now: its audit row."""
    try:
        return _last_undoable(work, work.case(case_id))
    except UndoRefused:
        return None


def undo_until(row: dict[str, Any], window: timedelta) -> datetime:
    recorded: datetime = row["recorded_at"]
    return recorded + window


def _last_undoable(work: CaseWork, case: CaseRow) -> dict[str, Any]:
    row = store.last_change(work.conn, case_id=case.id)
    journal = row["detail"].get("undo") if row is not None else None
    if row is None or row["kind"] != "transition" or journal is None:
        raise UndoRefused(reason="There is nothing on this case that can be undone")
    window = work.services.undo_window
    if work.now > undo_until(row, window):
        raise UndoRefused(
            reason=f"It is too late to undo this: it was recorded at "
            f"{describe(row['recorded_at'])} and can be undone for {minutes(window)} only"
        )
    if journal["version_after"] != case.version:
        raise UndoRefused(reason="Something else has been recorded on this case since")
    return row


def undo_last(work: CaseWork, case_id: int, *, trigger: str, actor: Actor) -> CaseRow:
    """Undo the case's last event, which must be `trigger`, by someone allowed to fire it."""
    case = work.case(case_id)
    process = work.process(case.process)
    row = _last_undoable(work, case)
    if row["trigger"] != trigger:
        raise UndoRefused(reason=f"The last thing recorded on this case was not {trigger}")
    candidates = list(process.transitions_for(trigger))
    role = work._authorise(process, case, candidates, trigger, actor)
    journal = row["detail"]["undo"]
    messages = store.messages_by_keys(work.conn, journal["messages"])
    waiting = [m for m in messages if m["status"] in ("queued", "needs_review")]
    if len(waiting) != len(messages):
        raise UndoRefused(reason="A message it sent has already gone, so it cannot be undone")
    reason = f"cancelled: {trigger.replace('_', ' ')} was undone"
    if store.cancel_messages(work.conn, ids=[m["id"] for m in waiting], reason=reason) != len(
        waiting
    ):
        raise UndoRefused(reason="A message it sent has already gone, so it cannot be undone")
    removed = store.remove_deadlines_after(
        work.conn, case_id=case.id, after_id=journal["last_deadline_id"]
    )
    store.reopen_deadlines(work.conn, rows=journal["closed"])
    from_state = case.state
    data = {k: v for k, v in case.data.items() if k not in journal["added"]}
    case.data = {**data, **journal["data"]}
    case.state = journal["state"]
    closed_at = journal["closed_at"]
    case.closed_at = datetime.fromisoformat(closed_at) if closed_at else None
    case.version += 1
    if not store.update_case(work.conn, case):
        raise ConflictError(case_id=case.id, expected=case.loaded_version)
    work.audit(
        case,
        kind="undo",
        actor=Actor(actor.email, role),
        at=work.now,
        rule=row["rule"],
        trigger=trigger,
        reason=f"Undone within {minutes(work.services.undo_window)}: {row['reason']}",
        from_state=from_state,
        to_state=case.state,
        detail={
            "undoes": row["id"],
            "data": row["detail"].get("data"),
            "messages_cancelled": [m["id"] for m in waiting],
            "deadlines_removed": removed,
            "deadlines_reopened": [d["id"] for d in journal["closed"]],
        },
    )
    for message in waiting:
        what = "text" if message["medium"] == "sms" else "email"
        work.audit(
            case,
            kind="message",
            actor=Actor(actor.email, role),
            at=work.now,
            rule=message["rule"],
            reason=f"{what} to {message['to_role'] or 'recipient'} cancelled before it was "
            "sent: the event was undone",
            detail={"message_id": message["id"], "status": "cancelled"},
        )
    return case
