"""Dates as people type them: the GOV.UK date input (day, month, year, and a time where
the moment matters), read back UK day-first.

People type `5` `1` `2027` into the three boxes, or paste a whole date such as
`05/01/2027 10:00` or `5 Jan 2027` into the first one; both are read (dateutil, with
`dayfirst=True`, because 05/01 is the 5th of January here). What comes back is the
ISO text the trigger models take, in London time; the engine's plausible-time rules
(not in the future, not before the referral) still apply after this.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time

from dateutil import parser as dateutil_parser

PARTS = ("day", "month", "year")
_TIME = re.compile(r"^\s*(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?\s*$", re.IGNORECASE)
_NOT_DIGITS = re.compile(r"[^\d\s]")


class DateProblem(ValueError):
    """What is wrong with a date, in words for the person who typed it."""


@dataclass(frozen=True)
class Typed:
    """What was typed into one date input: kept as typed, to show again after an error."""

    day: str = ""
    month: str = ""
    year: str = ""
    time: str = ""

    @property
    def empty(self) -> bool:
        return not any(part.strip() for part in (self.day, self.month, self.year, self.time))


def parse_time(text: str, *, label: str = "Time") -> time:
    """`10:00`, `10.30`, `9am`, `2:15pm`, `14:30`."""
    match = _TIME.match(text)
    if match is None:
        raise DateProblem(f"{label} must be a real time, like 9:30 or 2:15pm")
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    suffix = (match.group(3) or "").lower().replace(".", "")
    if suffix:
        if not 1 <= hour <= 12:
            raise DateProblem(f"{label} must be a real time, like 9:30 or 2:15pm")
        hour = hour % 12 + (12 if suffix == "pm" else 0)
    if hour > 23 or minute > 59:
        raise DateProblem(f"{label} must be a real time, like 9:30 or 2:15pm")
    return time(hour, minute)


def parse_pasted(text: str, *, label: str = "Date") -> datetime:
    """A whole date (and maybe a time) pasted as one piece, read day-first."""
    iso = re.match(r"^\s*\d{4}-\d{1,2}-\d{1,2}", text) is not None  # 2027-01-05: year first
    try:
        found = dateutil_parser.parse(text, dayfirst=not iso, default=datetime(2000, 1, 1))
    except (ValueError, OverflowError):
        raise DateProblem(f"{label} must be a real date") from None
    return found.replace(tzinfo=None)


def read(
    typed: Typed, *, label: str = "Date", enter: str = "the date", with_time: bool = False
) -> date | datetime:
    """The date (or date and time) typed, or a DateProblem naming what to fix: `label`
    starts a sentence ("Date of birth must be a real date"), `enter` ends one ("Enter the
    date the referral was received")."""
    day, month, year = typed.day.strip(), typed.month.strip(), typed.year.strip()
    pasted = next((p for p in (day, month, year) if _NOT_DIGITS.search(p)), None)
    if pasted is not None:
        # One box holds a whole date: read all the boxes as one text (05/01/2027 10:00).
        whole = " ".join(p for p in (day, month, year) if p)
        found = parse_pasted(whole, label=label)
        if not with_time:
            return found.date()
        if typed.time.strip():  # the time in its own box
            return datetime.combine(found.date(), parse_time(typed.time, label="Time"))
        if not re.search(r"\d[:.]\d\d|\d\s*(am|pm)", whole, re.IGNORECASE):
            raise DateProblem(f"{label} must include a time")
        return found
    missing = [name for name, value in zip(PARTS, (day, month, year), strict=True) if not value]
    if len(missing) == 3:
        raise DateProblem(f"Enter {enter}")
    if missing:
        raise DateProblem(f"{label} must include a {' and '.join(missing)}")
    if len(year) != 4:
        raise DateProblem(f"Year must include 4 numbers, like {date.today().year}")
    try:
        found_day = date(int(year), int(month), int(day))
    except ValueError:
        raise DateProblem(f"{label} must be a real date") from None
    if not with_time:
        return found_day
    if not typed.time.strip():
        raise DateProblem(f"{label} must include a time")
    return datetime.combine(found_day, parse_time(typed.time, label="Time"))


def split(value: str | None) -> Typed:
    """ISO text (a stored or default value) as the boxes show it: 5, 1, 2027, 10:00."""
    if not value:
        return Typed()
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return Typed(day=value)  # not ISO: what the person typed, kept in the first box
    has_time = "T" in value or " " in value.strip()
    return Typed(
        day=str(moment.day),
        month=str(moment.month),
        year=str(moment.year),
        time=f"{moment:%H:%M}" if has_time else "",
    )
