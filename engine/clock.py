"""The one clock. Every instant in FamilyFlow is timezone-aware UTC.

`now()` reads the system time (freezegun can move it in tests); a simulated
clock replaces it where time must be driven step by step.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from typing import Protocol
from zoneinfo import ZoneInfo

LONDON: tzinfo = ZoneInfo("Europe/London")


class Clock(Protocol):
    def now(self) -> datetime: ...


def aware(moment: datetime, *, field: str = "datetime") -> datetime:
    """Return `moment` in UTC; refuse naive datetimes, which have no meaning here."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        from engine.errors import InputError

        raise InputError(field=field, reason=f"naive datetime {moment.isoformat()} has no timezone")
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        from engine.errors import InputError

        raise InputError(field=field, reason=f"{moment.isoformat()} is out of range") from None


def now() -> datetime:
    return datetime.now(UTC)


class SystemClock:
    def now(self) -> datetime:
        return now()


class SimulatedClock:
    """A clock that only moves when told to: scenarios and `run-due --until`."""

    def __init__(self, start: datetime) -> None:
        self._now = aware(start)

    def now(self) -> datetime:
        return self._now

    def advance_to(self, moment: datetime) -> None:
        moment = aware(moment)
        if moment > self._now:
            self._now = moment


def parse_instant(text: str, *, field: str, tz: tzinfo = LONDON) -> datetime:
    """Parse ISO 8601; a time without an offset is local (Europe/London)."""
    from engine.errors import InputError

    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        reason = f"{text!r} is not an ISO 8601 date or date-time"
        raise InputError(field=field, reason=reason) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return aware(parsed, field=field)


def local(moment: datetime) -> datetime:
    """London time; a stored instant too early or late to convert (year 1, say,
    written before times were checked) stays in UTC rather than failing a page."""
    try:
        return aware(moment).astimezone(LONDON)
    except (OverflowError, ValueError):
        return moment


def describe(moment: datetime) -> str:
    """An instant for a message people read: London time, to the minute."""
    return local(moment).strftime("%d %b %Y %H:%M").lstrip("0")
