"""Take a parenting referral all the way onto the register (PAR-02 to PAR-11).

Unlike `journeys.to_planning`, the dates follow from the day the referral was
received, so a journey can run in summer time as well as in winter.
"""

from __future__ import annotations

from datetime import date, timedelta

from engine.service import FamilyFlow
from tests.support.journeys import WORKER, at, step

TEAM_MANAGER = "ade.bello@example.org"
VENUE = "Riverside Family Centre"


def to_attending(flow: FamilyFlow, case_id: int, *, received: date, sessions: list[str]) -> None:
    """From a referral received on `received` to `attending`, registered for `sessions`
    (local start times such as "2027-01-05T10:00"), one step a day."""

    def on(days: int, clock: str) -> str:
        return f"{received + timedelta(days=days)}T{clock}"

    step(flow, case_id, on(1, "09:00"), "request_confirmation", by=TEAM_MANAGER)
    step(flow, case_id, on(2, "11:00"), "confirm_attendance")
    step(flow, case_id, on(3, "14:00"), "choose_sessions", {"sessions": [1, 2, 3, 4]})
    step(flow, case_id, on(7, "10:00"), "allocate_worker", {"worker": WORKER}, by=TEAM_MANAGER)
    step(flow, case_id, on(8, "10:00"), "hold_planning_meeting")
    step(
        flow,
        case_id,
        on(9, "10:00"),
        "register",
        {"venue": VENUE, "sessions": [at(s).isoformat() for s in sessions]},
    )
