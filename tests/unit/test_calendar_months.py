"""The calendar_months unit (RULES.md time conventions): the end of the same day of the month
N months on, or of that month's last day when it is shorter; no database."""

from __future__ import annotations

from datetime import datetime

import pytest

from engine.calendar import WorkingCalendar
from engine.clock import LONDON
from workflows.spec import Duration

CALENDAR = WorkingCalendar(nation="england")
NINE = datetime(2027, 1, 1, 9).time()


def months(amount: int) -> Duration:
    return Duration(amount=amount, unit="calendar_months")


def due(start: str, amount: int) -> str:
    moment = datetime.fromisoformat(start).replace(tzinfo=LONDON)
    return CALENDAR.due_at(moment, months(amount)).astimezone(LONDON).isoformat()


@pytest.mark.parametrize(
    ("start", "amount", "expected"),
    [
        ("2027-02-15T10:00", 3, "2027-05-15T23:59:59+01:00"),  # VIS-04: not 90 days (16 May)
        ("2027-01-31T10:00", 1, "2027-02-28T23:59:59+00:00"),  # a short month: its last day
        ("2027-01-31T10:00", 3, "2027-04-30T23:59:59+01:00"),
        ("2027-04-28T10:00", 1, "2027-05-28T23:59:59+01:00"),  # EH-11.1: not 31 days (29 May)
        ("2027-12-31T10:00", 2, "2028-02-29T23:59:59+00:00"),  # across a year
    ],
)
def test_a_calendar_month_ends_on_the_same_day_of_the_month_or_the_months_last_day(
    start: str, amount: int, expected: str
) -> None:
    assert due(start, amount) == expected


def test_31_january_plus_one_month_is_29_february_in_a_leap_year_and_28_otherwise() -> None:
    assert due("2028-01-31T10:00", 1) == "2028-02-29T23:59:59+00:00"
    assert due("2027-01-31T10:00", 1) == "2027-02-28T23:59:59+00:00"
    assert due("2028-02-29T10:00", 12) == "2029-02-28T23:59:59+00:00"


def test_the_due_instant_is_the_end_of_the_local_day_in_gmt_and_in_bst() -> None:
    assert due("2027-01-04T10:00", 3) == "2027-04-04T23:59:59+01:00"  # GMT start, BST end
    assert due("2027-08-31T10:00", 3) == "2027-11-30T23:59:59+00:00"  # BST start, GMT end
    # 00:30 BST on 1 April is 23:30 GMT on 31 March: the local day counts, not the UTC one.
    start = datetime(2027, 4, 1, 0, 30, tzinfo=LONDON)
    assert CALENDAR.due_at(start, months(1)).astimezone(LONDON).isoformat() == (
        "2027-05-01T23:59:59+01:00"
    )


def test_zero_calendar_months_is_due_at_the_end_of_day_0() -> None:
    assert due("2027-03-15T10:00", 0) == "2027-03-15T23:59:59+00:00"


def test_a_reminder_before_a_calendar_month_deadline_works_in_each_unit() -> None:
    deadline = CALENDAR.due_at(datetime(2027, 1, 29, 10, tzinfo=LONDON), months(1))
    assert deadline.astimezone(LONDON).isoformat() == "2027-02-28T23:59:59+00:00"

    def remind(amount: int, unit: str) -> str:
        before = Duration(amount=amount, unit=unit)  # type: ignore[arg-type]
        return (
            CALENDAR.reminder_at(deadline, before, day_starts=NINE).astimezone(LONDON).isoformat()
        )

    assert remind(3, "working_days") == "2027-02-24T09:00:00+00:00"  # EH-11.1's reminder
    assert remind(14, "calendar_days") == "2027-02-14T09:00:00+00:00"
    assert remind(1, "weeks") == "2027-02-21T09:00:00+00:00"
    assert remind(1, "calendar_months") == "2027-01-28T09:00:00+00:00"
    assert remind(2, "hours") == "2027-02-28T21:59:59+00:00"


def test_a_calendar_month_is_described_in_words() -> None:
    assert months(1).describe() == "1 calendar month"
    assert months(3).describe() == "3 calendar months"
