"""The register's use cases (PAR-11 to PAR-14): record a session once it has
started, and undo a record within the undo window (FAMILYFLOW_SMS_UNDO_MINUTES).

A miss texts the parent (PAR-12), and the text waits out the window so that an
undo leaves nothing sent; the third miss closes the place (PAR-14) and is undone
the same way, which opens the place again. Recording and undoing are one
transaction each, with the case's audit rows; the engine refuses a session that
has not started from every entrance (API, CLI), and this module says so first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from engine.clock import describe
from engine.errors import InputError
from engine.service import FamilyFlow
from engine.store import CaseRow
from engine.undo import minutes
from familyflow.db import work as work_db
from familyflow.services.cases import event_guard
from familyflow.services.principal import Principal

__all__ = ["minutes", "record_session", "undo_offers", "undo_session"]

TRIGGER = "record_session"
REASON_CHARS = 500


def _session(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InputError(field="session", reason="choose a session on the register") from None
    if moment.tzinfo is None:
        raise InputError(field="session", reason="choose a session on the register")
    return moment


def check_started(flow: FamilyFlow, session: datetime) -> None:
    """A session can be marked only once it has started."""
    now = flow.clock.now()
    if session > now:
        raise InputError(
            field="session",
            reason=f"the session on {describe(session)} has not started yet: "
            "record attendance once it has started",
        )


def record_session(
    flow: FamilyFlow,
    *,
    principal: Principal,
    case_id: int,
    session: str,
    attended: bool,
    reason: str | None = None,
) -> CaseRow:
    """Mark one session attended or missed (with an optional reason for a miss)."""
    moment = _session(session)
    check_started(flow, moment)
    reason = (reason or "").strip() or None
    if reason is not None and len(reason) > REASON_CHARS:
        raise InputError(
            field="reason",
            reason=f"must be {REASON_CHARS} characters or fewer; it has {len(reason):,}",
        )
    return flow.fire(
        case_id,
        TRIGGER,
        {"session": session, "attended": attended, "reason": reason},
        actor=principal.actor,
        guard=event_guard(principal, case_id),
    )


def undo_session(flow: FamilyFlow, *, principal: Principal, case_id: int) -> CaseRow:
    """Take back the last session recorded on the case, within the undo window: the
    attendance, counters, closure and deadlines as they were; its text cancelled."""
    return flow.undo_last(
        case_id,
        trigger=TRIGGER,
        actor=principal.actor,
        guard=event_guard(principal, case_id),
    )


@dataclass(frozen=True)
class UndoOffer:
    session: str
    attended: bool
    until: datetime


def undo_offers(
    flow: FamilyFlow, *, principal: Principal, cases: dict[int, CaseRow]
) -> dict[int, UndoOffer]:
    """The cases (already read, so visible) whose last record can still be undone now."""
    window = flow.services.undo_window
    now = flow.clock.now()
    with flow.db.connect() as conn:
        latest = work_db.recent_changes(conn, case_ids=list(cases), since=now - window)
    offers = {}
    for case_id, row in latest.items():
        journal = row["detail"].get("undo")
        data = row["detail"].get("data") or {}
        if (
            row["kind"] == "transition"
            and row["trigger"] == TRIGGER
            and journal is not None
            and journal["version_after"] == cases[case_id].version
            and now <= row["recorded_at"] + window
        ):
            offers[case_id] = UndoOffer(
                session=str(data.get("session")),
                attended=bool(data.get("attended")),
                until=row["recorded_at"] + window,
            )
    return offers
