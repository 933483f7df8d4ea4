"""When a timescale starts and falls due, from the case's data and the calendar.

Kept apart from the unit of work (engine/cases.py) so that the time conventions in
docs/RULES.md can be read, and tested, in one place.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from engine.calendar import WorkingCalendar
from engine.clock import aware
from workflows.spec import Timescale


def field_value(data: Mapping[str, Any], path: str) -> Any:
    """A value in the case's data; a dotted path reads nested data ("review.meeting_at")."""
    value: Any = data
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _instant(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return aware(value)
    if isinstance(value, str) and value:
        return aware(datetime.fromisoformat(value))
    return None


def start_and_due(
    *, timescale: Timescale, data: Mapping[str, Any], at: datetime, calendar: WorkingCalendar
) -> tuple[datetime, datetime]:
    """The clock's start (the event, or the instant in `anchor_field`) and its due instant:
    the instant in `due_field` when the case holds one (FT-09: the meeting's start), else
    `within` counted from the start by the calendar."""
    start = at
    if timescale.anchor_field:
        start = _instant(field_value(data, timescale.anchor_field)) or at
    if timescale.due_field:
        due = _instant(field_value(data, timescale.due_field))
        if due is not None:
            return start, due
    return start, calendar.due_at(start, timescale.within)
