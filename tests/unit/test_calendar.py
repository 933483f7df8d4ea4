"""Working days and due instants by RULES.md's time conventions."""

from datetime import date, time

import pytest

from engine.calendar import WorkingCalendar
from engine.clock import local, parse_instant
from engine.errors import ConfigError, InputError
from workflows.spec import Duration


def due(start: str, amount: int, unit: str, calendar: WorkingCalendar | None = None) -> str:
    moment = parse_instant(start, field="start")
    result = (calendar or WorkingCalendar()).due_at(moment, Duration(amount=amount, unit=unit))
    return local(result).isoformat()


def test_within_n_days_is_due_at_the_end_of_day_n_counting_the_day_itself_as_day_0():
    assert due("2026-12-16T11:00", 7, "calendar_days") == "2026-12-23T23:59:59+00:00"


def test_working_days_skip_christmas_and_the_boxing_day_substitute_in_england():
    assert due("2026-12-21T10:00", 5, "working_days") == "2026-12-30T23:59:59+00:00"


def test_working_days_skip_good_friday_and_easter_monday():
    # Wed 24: Thu 25 is day 1; Good Friday and Easter Monday are skipped; Tue 30 is day 2
    assert due("2027-03-24T10:00", 3, "working_days") == "2027-03-31T23:59:59+01:00"


def test_scotland_keeps_2_january_as_a_bank_holiday_and_england_does_not():
    scotland = WorkingCalendar(nation="scotland")
    assert due("2026-12-31T10:00", 1, "working_days") == "2027-01-04T23:59:59+00:00"
    assert due("2026-12-31T10:00", 1, "working_days", scotland) == "2027-01-05T23:59:59+00:00"


def test_a_local_closure_day_is_not_a_working_day():
    closed = WorkingCalendar(closures=[date(2026, 12, 22)])
    assert due("2026-12-21T10:00", 1, "working_days", closed) == "2026-12-23T23:59:59+00:00"


def test_an_event_on_a_saturday_counts_monday_as_working_day_1():
    assert due("2026-11-28T10:00", 1, "working_days") == "2026-11-30T23:59:59+00:00"


def test_calendar_days_across_the_clock_change_end_at_local_midnight():
    assert due("2027-03-25T10:00", 7, "calendar_days") == "2027-04-01T23:59:59+01:00"


def test_hours_are_exact_hours_even_across_the_clock_change():
    assert due("2027-03-27T22:00", 24, "hours") == "2027-03-28T23:00:00+01:00"


def test_weeks_are_seven_calendar_days_each():
    assert due("2026-12-14T10:00", 4, "weeks") == "2027-01-11T23:59:59+00:00"


def test_a_reminder_one_working_day_before_is_at_the_start_of_that_working_day():
    calendar = WorkingCalendar()
    deadline = calendar.due_at(
        parse_instant("2026-12-21T10:00", field="x"), Duration(amount=5, unit="working_days")
    )
    remind = calendar.reminder_at(
        deadline, Duration(amount=1, unit="working_days"), day_starts=time(9, 0)
    )
    assert local(remind).isoformat() == "2026-12-29T09:00:00+00:00"


def test_an_unknown_nation_is_refused_by_name():
    with pytest.raises(ConfigError, match="nation: 'wessex' is not one of"):
        WorkingCalendar(nation="wessex")


def test_a_date_without_an_offset_is_london_time_and_a_naive_datetime_is_refused():
    assert parse_instant("2026-07-01T10:00", field="x").isoformat() == "2026-07-01T09:00:00+00:00"
    with pytest.raises(InputError, match="at: '2026-13-45' is not an ISO 8601"):
        parse_instant("2026-13-45", field="at")
