"""Working days and due instants, by the conventions in RULES.md.

Day 0 is the date the thing happened; "within N days" is due at the end of
day N (23:59:59 local); "within N calendar months" at the end of the same day of
the month N months on, or of that month's last day when it is shorter (31 January
+ 1 month = 28 or 29 February); "within N hours" is exactly N hours later.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from functools import lru_cache

import holidays
from dateutil.relativedelta import relativedelta

from engine.clock import LONDON, aware, local
from engine.errors import ConfigError
from workflows.spec import Duration

NATIONS = {"england": "ENG", "wales": "WLS", "scotland": "SCT", "northern_ireland": "NIR"}
END_OF_DAY = time(23, 59, 59)


@lru_cache(maxsize=8)
def _bank_holidays(subdivision: str, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("GB", subdiv=subdivision, years=year))


@lru_cache(maxsize=8)
def _holiday_names(subdivision: str, year: int) -> dict[date, str]:
    return dict(holidays.country_holidays("GB", subdiv=subdivision, years=year).items())


def shift(day: date, *, amount: int, unit: str) -> date:
    """`day` moved by whole calendar units (negative goes back). relativedelta clamps a
    month that is too short to its last day, as RULES.md's calendar months need."""
    if unit == "calendar_months":
        return day + relativedelta(months=amount)
    return day + timedelta(days=amount * (7 if unit == "weeks" else 1))


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

    def why_not_working(self, day: date) -> str | None:
        """Why `day` is not a working day, in words for the history (None if it is one)."""
        if day in self.closures:
            return "a local closure day"
        name = _holiday_names(self.subdivision, day.year).get(day)
        if name:
            return f"a bank holiday ({name})"
        return f"a {day:%A}" if day.weekday() >= 5 else None

    def next_working_day(self, day: date) -> date:
        """`day` itself when it is a working day, else the first one after it."""
        return day if self.is_working_day(day) else self.add_working_days(day, 1)

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
            due_day = shift(day0, amount=within.amount, unit=within.unit)
        return end_of_day(due_day)

    def reminder_at(self, due: datetime, before: Duration, *, day_starts: time) -> datetime:
        """When to remind: the start of the working day `before` ahead of the due day."""
        if before.unit == "hours":
            return aware(due) - timedelta(hours=before.amount)
        due_day = local(due).date()
        if before.unit == "working_days":
            day = self.add_working_days(due_day, -before.amount)
        else:
            day = shift(due_day, amount=-before.amount, unit=before.unit)
        return aware(datetime.combine(day, day_starts, tzinfo=LONDON))


def end_of_day(day: date) -> datetime:
    return aware(datetime.combine(day, END_OF_DAY, tzinfo=LONDON))
