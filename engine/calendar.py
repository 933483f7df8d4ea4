"""Working days and due instants, by the conventions in RULES.md.

Day 0 is the date the thing happened; "within N days" is due at the end of
day N (23:59:59 local); "within N hours" is exactly N hours later.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from functools import lru_cache

import holidays

from engine.clock import LONDON, aware, local
from engine.errors import ConfigError
from workflows.spec import Duration

NATIONS = {"england": "ENG", "wales": "WLS", "scotland": "SCT", "northern_ireland": "NIR"}
END_OF_DAY = time(23, 59, 59)


@lru_cache(maxsize=8)
def _bank_holidays(subdivision: str, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("GB", subdiv=subdivision, years=year))


class WorkingCalendar:
    """Weekdays less the nation's bank holidays and the local closure days."""

    def __init__(self, *, nation: str = "england", closures: Iterable[date] = ()) -> None:
        if nation not in NATIONS:
            raise ConfigError(field="nation", reason=f"{nation!r} is not one of {sorted(NATIONS)}")
        self.nation = nation
        self.subdivision = NATIONS[nation]
        self.closures = frozenset(closures)

    def bank_holidays(self, year: int) -> frozenset[date]:
        return _bank_holidays(self.subdivision, year)

    def is_working_day(self, day: date) -> bool:
        return (
            day.weekday() < 5
            and day not in self.closures
            and day not in self.bank_holidays(day.year)
        )

    def add_working_days(self, day: date, count: int) -> date:
        """The `count`th working day after `day` (negative counts go back)."""
        step = 1 if count >= 0 else -1
        remaining = abs(count)
        while remaining:
            day += timedelta(days=step)
            if self.is_working_day(day):
                remaining -= 1
        return day

    def due_at(self, start: datetime, within: Duration) -> datetime:
        start = aware(start)
        if within.unit == "hours":
            return start + timedelta(hours=within.amount)
        day0 = local(start).date()
        if within.unit == "working_days":
            due_day = self.add_working_days(day0, within.amount)
        else:
            days = within.amount * (7 if within.unit == "weeks" else 1)
            due_day = day0 + timedelta(days=days)
        return end_of_day(due_day)

    def reminder_at(self, due: datetime, before: Duration, *, day_starts: time) -> datetime:
        """When to remind: the start of the working day `before` ahead of the due day."""
        if before.unit == "hours":
            return aware(due) - timedelta(hours=before.amount)
        due_day = local(due).date()
        if before.unit == "working_days":
            day = self.add_working_days(due_day, -before.amount)
        else:
            day = due_day - timedelta(days=before.amount * (7 if before.unit == "weeks" else 1))
        return aware(datetime.combine(day, day_starts, tzinfo=LONDON))


def end_of_day(day: date) -> datetime:
    return aware(datetime.combine(day, END_OF_DAY, tzinfo=LONDON))
