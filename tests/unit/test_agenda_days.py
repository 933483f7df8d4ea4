"""Agendas on non-working days (RULES.md time conventions): weekly and monthly meetings move to
the next working day, daily lists skip the day; a run missed while stopped runs once. No DB."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

from engine.agendas import latest_slot, next_slot, place
from engine.calendar import WorkingCalendar
from engine.clock import LONDON
from familyflow.settings import Settings
from workflows.early_help import PROCESS as EARLY_HELP
from workflows.family_therapy import PROCESS as FAMILY_THERAPY
from workflows.spec import Duration

ENGLAND = WorkingCalendar(nation="england")
PANEL = FAMILY_THERAPY.agendas[0]
SCREENING = EARLY_HELP.agendas[0]
OVERSIGHT = next(a for a in EARLY_HELP.agendas if a.key == "early_help_oversight")


def london(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=LONDON)


def iso(moment: datetime | None) -> str | None:
    return moment.astimezone(LONDON).isoformat() if moment else None


def test_daily_lists_skip_and_weekly_and_monthly_meetings_move_by_default() -> None:
    assert (PANEL.on_non_working_day, SCREENING.on_non_working_day) == ("next_working_day", "skip")
    assert OVERSIGHT.on_non_working_day == "next_working_day"
    assert replace(SCREENING, non_working_day="next_working_day").on_non_working_day == (
        "next_working_day"
    )


def test_the_tuesday_panel_of_28_december_2027_goes_on_wednesday_29_december() -> None:
    run = place(PANEL, london("2027-12-28T09:00"), ENGLAND)
    assert (iso(run.run_at), run.why) == (
        "2027-12-29T09:00:00+00:00",
        "a bank holiday (Boxing Day (observed))",
    )
    assert iso(next_slot(PANEL, london("2027-12-21T09:00"), ENGLAND)) == (
        "2027-12-29T09:00:00+00:00"
    )


def test_the_first_monday_meeting_of_may_2027_goes_on_tuesday_4_may() -> None:
    assert iso(next_slot(OVERSIGHT, london("2027-04-05T09:00"), ENGLAND)) == (
        "2027-05-04T09:00:00+01:00"
    )


def test_the_screening_list_skips_good_friday_and_easter_monday_2027() -> None:
    assert place(SCREENING, london("2027-03-26T09:00"), ENGLAND).run_at is None
    assert iso(next_slot(SCREENING, london("2027-03-25T09:00"), ENGLAND)) == (
        "2027-03-30T09:00:00+01:00"
    )


def test_a_closure_day_is_not_a_working_day_for_agendas_either() -> None:
    closed = WorkingCalendar(nation="england", closures=[date(2027, 6, 8)])
    run = place(PANEL, london("2027-06-08T09:00"), closed)
    assert (iso(run.run_at), run.why) == ("2027-06-09T09:00:00+01:00", "a local closure day")


def test_after_downtime_the_latest_missed_run_runs_once_with_the_skips_before_it() -> None:
    run, skipped = latest_slot(
        SCREENING, london("2027-03-25T09:00"), london("2027-03-31T12:00"), ENGLAND
    )
    assert run is not None
    assert iso(run.run_at) == "2027-03-31T09:00:00+01:00"
    assert [iso(s.slot) for s in skipped] == [
        "2027-03-26T09:00:00+00:00",
        "2027-03-29T09:00:00+01:00",
    ]


def test_a_moved_run_is_not_due_before_its_new_day() -> None:
    run, skipped = latest_slot(
        PANEL, london("2027-12-21T09:00"), london("2027-12-28T12:00"), ENGLAND
    )
    assert (run, skipped) == (None, [])


def test_a_council_can_set_a_timescale_in_calendar_months() -> None:
    settings = Settings(timescales={"VIS-04": "4 calendar_months"})
    assert settings.timescale_overrides() == {"VIS-04": Duration(amount=4, unit="calendar_months")}
