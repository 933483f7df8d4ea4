"""Plausible times, checked by the engine so that every entrance gets them (issue 7):
nothing before 1900 or in the future (a minute of clock skew allowed, by the
engine's clock), no event before its referral, late entries kept and marked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from engine.cases import Actor
from engine.clock import SimulatedClock
from engine.errors import InputError
from tests.conftest import AppFactory
from tests.support.journeys import CONTACTS, at, case_state, history, outbox_rows, step

TM = CONTACTS["team_manager"]["email"]
SW = CONTACTS["social_worker"]["email"]


def _create(flow: Any, received: datetime) -> int:
    return int(
        flow.create_case(process="parenting", received_at=received, data={}, contacts=CONTACTS)
    )


def test_a_referral_received_in_the_future_or_before_1900_is_refused_naming_received_at(
    make_app: AppFactory,
) -> None:
    flow = make_app(start="2026-12-14T09:00")
    refused = {
        "year 1": (datetime(1, 1, 1, tzinfo=UTC), "is before 1900"),
        "1899": (at("1899-12-31T23:59"), "is before 1900"),
        "tomorrow": (at("2026-12-15T09:00"), "is in the future (it is now 14 Dec 2026 09:00)"),
        "two minutes ahead": (at("2026-12-14T09:02"), "is in the future"),
    }
    for label, (received, reason) in refused.items():
        with pytest.raises(InputError) as error:
            _create(flow, received)
        assert error.value.fields["field"] == "received_at", label
        assert reason in str(error.value), label
        assert error.value.exit_code == 2 and error.value.http_status == 422
    with flow.db.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM cases").scalar() == 0
    # A device's clock a minute ahead of the server's is not lying.
    assert _create(flow, at("2026-12-14T09:01")) == 1
    assert _create(flow, at("1900-01-01T00:00")) == 2


def test_a_backdated_event_before_the_referral_is_refused_and_does_not_close_the_case(
    make_app: AppFactory, new_referral: Any
) -> None:
    flow = make_app()
    case_id = new_referral(flow, "2026-12-14T10:00")
    step(flow, case_id, "2026-12-15T09:00", "request_confirmation", by=TM)
    for when in ("1900-01-01T00:00", "2026-12-14T09:59"):
        with pytest.raises(InputError) as error:
            flow.fire(case_id, "confirm_attendance", actor=Actor(SW, "social_worker"), at=at(when))
        assert error.value.fields["field"] == "at"
        assert "is before the referral was received (14 Dec 2026 10:00)" in str(error.value)
    flow.tick()  # the old code auto-closed the case as no_response within one tick
    assert case_state(flow, case_id).state == "awaiting_confirmation"
    assert [m["template"] for m in outbox_rows(flow, case_id=case_id)] == [
        "parenting/referral_received",
        "parenting/confirmation_request",
    ]


def test_an_event_or_note_in_the_future_is_refused_and_simulated_time_is_the_clock(
    make_app: AppFactory, new_referral: Any
) -> None:
    flow = make_app()
    case_id = new_referral(flow, "2026-12-14T10:00")  # the simulated clock is now 10:00
    with pytest.raises(InputError, match="at: 14 Dec 2026 10:05 is in the future"):
        flow.fire(
            case_id,
            "request_confirmation",
            actor=Actor(TM, "team_manager"),
            at=at("2026-12-14T10:05"),
        )
    with pytest.raises(InputError, match="at: 15 Dec 2026 10:00 is in the future"):
        flow.add_note(
            case_id, text="tomorrow", actor=Actor(TM, "team_manager"), at=at("2026-12-15T10:00")
        )
    with pytest.raises(InputError, match="at: 1 Jan 1900 00:00 is before the referral"):
        flow.add_note(
            case_id, text="long ago", actor=Actor(TM, "team_manager"), at=at("1900-01-01T00:00")
        )
    flow.fire(
        case_id, "request_confirmation", actor=Actor(TM, "team_manager"), at=at("2026-12-14T10:01")
    )
    assert case_state(flow, case_id).state == "awaiting_confirmation"


def test_an_event_recorded_more_than_a_day_late_keeps_both_times_and_shows_as_recorded_late(
    make_app: AppFactory, new_referral: Any
) -> None:
    flow = make_app()
    case_id = new_referral(flow, "2026-12-14T10:00")
    flow.advance(at("2026-12-16T12:00"))
    flow.fire(
        case_id, "request_confirmation", actor=Actor(TM, "team_manager"), at=at("2026-12-15T09:00")
    )
    flow.add_note(
        case_id, text="phoned the SW", actor=Actor(TM, "team_manager"), at=at("2026-12-15T11:00")
    )
    flow.add_note(
        case_id, text="same day", actor=Actor(TM, "team_manager"), at=at("2026-12-16T09:00")
    )
    entries = {
        e.get("trigger") or e["reason"]: e
        for e in history(flow, case_id)
        if e["kind"] in ("transition", "note")
    }
    late = entries["request_confirmation"]
    assert (late["at"], late["recorded_at"]) == (
        "2026-12-15T09:00:00+00:00",
        "2026-12-16T12:00:00+00:00",
    )
    assert late["recorded_late"] is True
    assert entries["phoned the SW"]["recorded_late"] is True
    assert "recorded_late" not in entries["same day"]  # three hours is not late
    assert "recorded_late" not in entries["create"]  # a referral is often entered later


def test_a_stored_year_one_date_reads_back_without_an_error(
    make_app: AppFactory, new_referral: Any
) -> None:
    """Rows written before times were checked must still read: history, not a 500."""
    flow = make_app()
    case_id = new_referral(flow, "2026-12-14T10:00")
    with flow.db.begin() as conn:
        conn.exec_driver_sql(
            "UPDATE cases SET received_at = '0001-01-01 00:00:00.000000' WHERE id = 1"
            if flow.db.dialect.name == "sqlite"
            else "UPDATE cases SET received_at = '0001-01-01 00:00:00+00' WHERE id = 1"
        )
    assert case_state(flow, case_id).received_at == datetime(1, 1, 1, tzinfo=UTC)
    assert history(flow, case_id)[0]["kind"] == "transition"
    clock = SimulatedClock(at("2026-12-14T10:00") + timedelta(hours=1))
    flow.clock = clock
    flow.add_note(case_id, text="still works", actor=Actor(TM, "team_manager"))
