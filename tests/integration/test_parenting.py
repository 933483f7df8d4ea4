"""The parenting programme, rule by rule (PAR-01 to PAR-19), on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from engine.cases import AS_NAMED, Actor
from engine.errors import GuardFailed, InputError, RoleNotAllowed, TriggerNotAllowed
from tests.support.journeys import (
    WORKER,
    at,
    case_state,
    history,
    outbox_rows,
    step,
    to_planning,
)

SESSIONS = [f"2027-01-{day:02d}T10:00:00+00:00" for day in (5, 12, 19, 26)]


def _attending(flow, case_id):
    to_planning(flow, case_id, allocated="2026-12-21T10:00")
    step(flow, case_id, "2026-12-23T10:00", "hold_planning_meeting", by=WORKER["email"])
    step(
        flow,
        case_id,
        "2026-12-24T10:00",
        "register",
        {"venue": "Riverside Family Centre", "sessions": SESSIONS},
    )


def _miss(flow, case_id, session, when):
    return step(
        flow,
        case_id,
        when,
        "record_session",
        {"session": session, "attended": False},
        by=WORKER["email"],
    )


def _due(flow, case_id, timescale):
    return [
        e["due_at"]
        for e in history(flow, case_id)
        if e["kind"] == "deadline_set" and timescale in e.get("reason", "")
    ]


def test_PAR_01_a_referral_is_created_in_referred_and_emails_the_tm_copying_bs(
    make_app, new_referral
):
    flow = make_app()
    case_id = new_referral(flow)

    assert case_state(flow, case_id).state == "referred"
    [email] = outbox_rows(flow, case_id=case_id)
    assert email["to_address"] == "ade.bello@example.org"
    assert email["cc"] == ["bs@example.org"]
    assert email["subject"] == f"New parenting referral PAR-{case_id:06d}"
    assert "received on Monday 14 December 2026" in email["body"]
    assert "Sent under rule PAR-01." in email["body"]
    assert email["status"] == "sent"


def test_PAR_02_only_the_team_manager_may_request_confirmation_from_the_sw(make_app, new_referral):
    flow = make_app()
    case_id = new_referral(flow)

    with pytest.raises(RoleNotAllowed, match="needs one of: team_manager"):
        flow.fire(case_id, "request_confirmation", actor=Actor("sam.jones@example.org", AS_NAMED))
    step(
        flow,
        case_id,
        "2026-12-15T09:00",
        "request_confirmation",
        {"programme": "Tuesdays 10:00-12:00 from 5 January", "venue": "Riverside"},
        by="ade.bello@example.org",
    )

    assert case_state(flow, case_id).state == "awaiting_confirmation"
    [email] = outbox_rows(flow, case_id=case_id, template="parenting/confirmation_request")
    assert email["to_address"] == "sam.jones@example.org"
    assert "Programme dates and times: Tuesdays 10:00-12:00 from 5 January" in email["body"]
    assert "Venue: Riverside" in email["body"]


def test_PAR_03_confirmation_sends_course_content_and_sessions_are_chosen(make_app, new_referral):
    flow = make_app()
    case_id = new_referral(flow)
    step(flow, case_id, "2026-12-15T09:00", "request_confirmation", by="ade.bello@example.org")
    step(flow, case_id, "2026-12-16T11:00", "confirm_attendance", by="sam.jones@example.org")
    [email] = outbox_rows(flow, case_id=case_id, template="parenting/course_content")
    assert email["to_address"] == "sam.jones@example.org"

    with pytest.raises(InputError, match=r"data\.sessions"):
        flow.fire(
            case_id, "choose_sessions", {"sessions": []}, actor=Actor("bs@example.org", AS_NAMED)
        )
    step(flow, case_id, "2026-12-17T14:00", "choose_sessions", {"sessions": [1, 3, 5]})

    case = case_state(flow, case_id)
    assert (case.state, case.data["sessions"]) == ("awaiting_allocation", [1, 3, 5])


def test_PAR_04_silence_after_confirmation_is_chased_at_7_days_and_closed_at_14(
    make_app, new_referral
):
    flow = make_app()
    case_id = new_referral(flow)
    step(flow, case_id, "2026-12-15T09:00", "request_confirmation", by="ade.bello@example.org")
    step(flow, case_id, "2026-12-16T11:00", "confirm_attendance")
    assert _due(flow, case_id, "within 1 week") == ["2026-12-23T23:59:59+00:00"]

    flow.advance(at("2026-12-23T23:59:58"))
    assert outbox_rows(flow, case_id=case_id, template="parenting/chase_session_choice") == []
    flow.advance(at("2026-12-23T23:59:59"))
    [chase] = outbox_rows(flow, case_id=case_id, template="parenting/chase_session_choice")
    assert (chase["to_address"], chase["cc"]) == (
        "sam.jones@example.org",
        ["ade.bello@example.org"],
    )
    assert case_state(flow, case_id).state == "awaiting_session_choice"

    flow.advance(at("2027-01-08T00:00"))
    case = case_state(flow, case_id)
    assert (case.state, case.data["closure_reason"]) == ("closed", "no_response")
    [final] = outbox_rows(flow, case_id=case_id, template="parenting/no_response_closure")
    assert final["subject"] == f"Referral closed: no response (PAR-{case_id:06d})"
    closing = [e for e in history(flow, case_id) if e["kind"] == "transition"][-1]
    assert (closing["trigger"], closing["at"]) == ("close", "2026-12-30T23:59:59+00:00")


def test_PAR_04_choosing_sessions_in_time_meets_both_deadlines_and_nothing_is_sent(
    make_app, new_referral
):
    flow = make_app()
    case_id = new_referral(flow)
    to_planning(flow, case_id, allocated="2026-12-21T10:00")
    flow.advance(at("2027-01-15T00:00"))

    met = [e for e in history(flow, case_id) if e["kind"] == "deadline_met"]
    assert [(e["rule"], e["reason"]) for e in met] == [("PAR-04", "met on time")] * 2
    assert outbox_rows(flow, case_id=case_id, template="parenting/chase_session_choice") == []


def test_PAR_05_planning_is_due_5_working_days_after_allocation_across_christmas(
    make_app, new_referral
):
    flow = make_app()
    case_id = new_referral(flow)
    to_planning(flow, case_id, allocated="2026-12-21T10:00")
    assert _due(flow, case_id, "planning meeting") == ["2026-12-30T23:59:59+00:00"]

    flow.advance(at("2026-12-31T09:00"))
    [reminder] = outbox_rows(flow, case_id=case_id, template="parenting/planning_reminder")
    assert reminder["to_address"] == WORKER["email"]
    assert reminder["sent_at"] == at("2026-12-29T09:00")
    assert "due by Wednesday 30 December 2026 at 23:59" in reminder["body"]
    [overdue] = outbox_rows(flow, case_id=case_id, template="parenting/planning_overdue")
    assert overdue["to_address"] == "ade.bello@example.org"
    assert overdue["sent_at"] == at("2026-12-31T08:00")  # breached at night: sent at 08:00
    missed = [e for e in history(flow, case_id) if e["kind"] == "deadline_missed"]
    assert ("PAR-05", "2026-12-30T23:59:59+00:00") in [(e["rule"], e["at"]) for e in missed]


def test_PAR_05_a_meeting_held_in_time_stops_the_reminder_and_the_escalation(
    make_app, new_referral
):
    flow = make_app()
    case_id = new_referral(flow)
    to_planning(flow, case_id, allocated="2026-12-21T10:00")
    step(flow, case_id, "2026-12-23T15:00", "hold_planning_meeting", by=WORKER["email"])
    flow.advance(at("2027-01-05T00:00"))

    assert outbox_rows(flow, case_id=case_id, template="parenting/planning_reminder") == []
    assert outbox_rows(flow, case_id=case_id, template="parenting/planning_overdue") == []


def test_PAR_05_a_local_closure_day_moves_the_planning_deadline(make_app, new_referral):
    from engine import store

    flow = make_app()
    with flow.db.begin() as conn:
        conn.execute(
            store.closure_days.insert(),
            {"day": at("2026-12-29T12:00").date(), "description": "Staff training day"},
        )
    case_id = new_referral(flow)
    to_planning(flow, case_id, allocated="2026-12-21T10:00")

    assert _due(flow, case_id, "planning meeting") == ["2026-12-31T23:59:59+00:00"]


def test_PAR_06_a_missing_oversight_note_reminds_the_tm_and_a_note_meets_it(make_app, new_referral):
    flow = make_app()
    noted, forgotten = new_referral(flow), new_referral(flow)
    for case_id in (noted, forgotten):
        flow.fire(case_id, "request_confirmation", actor=Actor("ade.bello@example.org", AS_NAMED))
        flow.fire(case_id, "confirm_attendance", actor=Actor("sam.jones@example.org", AS_NAMED))
        flow.fire(
            case_id, "choose_sessions", {"sessions": [1]}, actor=Actor("bs@example.org", AS_NAMED)
        )
    step(flow, noted, "2026-12-21T10:00", "allocate_worker", {"worker": WORKER})
    step(flow, forgotten, "2026-12-21T10:00", "allocate_worker", {"worker": WORKER})
    flow.advance(at("2026-12-21T11:00"))
    flow.add_note(
        noted,
        text="Allocated to Kim; focus on routines.",
        kind="manager_oversight",
        actor=Actor("ade.bello@example.org", AS_NAMED),
    )
    flow.advance(at("2026-12-23T09:00"))

    assert outbox_rows(flow, case_id=noted, template="parenting/oversight_note_missing") == []
    [reminder] = outbox_rows(flow, case_id=forgotten, template="parenting/oversight_note_missing")
    assert reminder["to_address"] == "ade.bello@example.org"
    assert reminder["sent_at"] == at("2026-12-23T08:00")


def test_PAR_10_PAR_11_registering_moves_the_family_to_attending_and_sends_the_schedule(
    make_app, new_referral
):
    flow = make_app()
    case_id = new_referral(flow)
    _attending(flow, case_id)

    assert case_state(flow, case_id).state == "attending"
    [schedule] = outbox_rows(flow, case_id=case_id, template="parenting/session_schedule")
    assert schedule["to_address"] == "sam.jones@example.org"
    assert "Venue: Riverside Family Centre" in schedule["body"]
    assert "- Tuesday 5 January 2027 at 10:00" in schedule["body"]


def test_PAR_12_a_missed_session_texts_the_parent_the_next_session_and_writes_a_note(
    make_app, new_referral
):
    flow = make_app()
    case_id = new_referral(flow)
    _attending(flow, case_id)
    _miss(flow, case_id, SESSIONS[0], "2027-01-05T14:00")

    [text] = outbox_rows(flow, case_id=case_id, template="parenting/missed_session")
    assert (text["medium"], text["to_address"]) == ("sms", "+447700900123")
    assert text["body"] == (
        "Hello Jo Parent, we missed you at the parenting session on Tuesday 5 January 2027 at "
        "10:00. The next session is on Tuesday 12 January 2027 at 10:00 at Riverside Family "
        "Centre. Please reply if you cannot attend. Children's Services"
    )
    notes = [e for e in history(flow, case_id) if e["kind"] == "note"]
    assert [n["rule"] for n in notes] == ["PAR-12"]


def test_PAR_12_the_same_session_cannot_be_recorded_twice(make_app, new_referral):
    flow = make_app()
    case_id = new_referral(flow)
    _attending(flow, case_id)
    _miss(flow, case_id, SESSIONS[0], "2027-01-05T14:00")

    with pytest.raises(GuardFailed, match="already recorded"):
        _miss(flow, case_id, SESSIONS[0], "2027-01-05T15:00")
    with pytest.raises(GuardFailed, match="not one of this case's registered sessions"):
        _miss(flow, case_id, "2027-01-06T10:00:00+00:00", "2027-01-06T15:00")
    assert len(outbox_rows(flow, case_id=case_id, template="parenting/missed_session")) == 1


def test_PAR_13_the_second_miss_emails_the_sw_and_lists_the_case_on_tuesdays_agenda(
    make_app, new_referral
):
    flow = make_app()
    case_id = new_referral(flow)
    _attending(flow, case_id)
    _miss(flow, case_id, SESSIONS[0], "2027-01-05T14:00")
    _miss(flow, case_id, SESSIONS[1], "2027-01-12T14:00")

    [email] = outbox_rows(flow, case_id=case_id, template="parenting/second_miss")
    assert (email["to_address"], email["cc"]) == (
        "sam.jones@example.org",
        ["ade.bello@example.org"],
    )
    flow.advance(at("2027-01-19T08:00"))
    agenda = [
        m
        for m in outbox_rows(flow, template="parenting/tuesday_agenda")
        if "19 January" in m["subject"]
    ]
    assert [m["to_address"] for m in agenda] == ["ade.bello@example.org"]
    two_misses = agenda[0]["body"].split("Parents who have missed two sessions:")[1]
    assert f"PAR-{case_id:06d} (attending): Jo Parent" in two_misses.split("Closed since")[0]


def test_PAR_14_the_third_miss_closes_the_place_and_emails_the_sw(make_app, new_referral):
    flow = make_app()
    case_id = new_referral(flow)
    _attending(flow, case_id)
    for session, when in zip(
        SESSIONS[:3], ("2027-01-05T14:00", "2027-01-12T14:00", "2027-01-19T14:00"), strict=True
    ):
        _miss(flow, case_id, session, when)

    case = case_state(flow, case_id)
    assert (case.state, case.data["closure_reason"]) == ("closed", "withdrawn_missed_sessions")
    [email] = outbox_rows(flow, case_id=case_id, template="parenting/withdrawn_missed_sessions")
    assert email["to_address"] == "sam.jones@example.org"
    assert len(outbox_rows(flow, case_id=case_id, template="parenting/missed_session")) == 2
    with pytest.raises(TriggerNotAllowed, match="allowed here: none"):
        _miss(flow, case_id, SESSIONS[3], "2027-01-26T14:00")


def test_PAR_15_the_worker_is_reminded_when_the_session_note_is_missing(make_app, new_referral):
    flow = make_app()
    case_id = new_referral(flow)
    _attending(flow, case_id)
    step(
        flow,
        case_id,
        "2027-01-05T13:00",
        "record_session",
        {"session": SESSIONS[0], "attended": True},
        by=WORKER["email"],
    )
    flow.advance(at("2027-01-08T09:00"))

    [reminder] = outbox_rows(flow, case_id=case_id, template="parenting/session_note_missing")
    assert reminder["to_address"] == WORKER["email"]
    assert reminder["sent_at"] == at("2027-01-08T08:00")


def test_PAR_17_the_tuesday_agenda_lists_cases_closed_since_last_week(make_app, new_referral):
    flow = make_app()
    case_id = new_referral(flow)
    step(
        flow,
        case_id,
        "2026-12-16T10:00",
        "close",
        {"reason": "family moved away"},
        by="ade.bello@example.org",
    )
    flow.advance(at("2026-12-22T08:00"))

    [agenda] = [
        m
        for m in outbox_rows(flow, template="parenting/tuesday_agenda")
        if "22 December" in m["subject"]
    ]
    closed_section = agenda["body"].split("Closed since last week")[1]
    assert f"PAR-{case_id:06d} (closed)" in closed_section
    assert agenda["rule"] == "PAR-13, PAR-17"
    jobs = [e for e in history(flow) if e["kind"] == "job"]
    assert jobs[-1]["at"] == "2026-12-22T08:00:00+00:00"


def test_PAR_18_close_works_from_any_open_state_with_a_reason_and_emails_bs_and_tm(
    make_app, new_referral
):
    flow = make_app()
    case_id = new_referral(flow)
    with pytest.raises(InputError, match=r"data\.reason"):
        flow.fire(case_id, "close", {}, actor=Actor("ade.bello@example.org", AS_NAMED))
    step(
        flow,
        case_id,
        "2026-12-15T10:00",
        "close",
        {"reason": "objectives met elsewhere", "objectives_met": True},
        by="ade.bello@example.org",
    )

    [email] = outbox_rows(flow, case_id=case_id, template="parenting/closed")
    assert (email["to_address"], email["cc"]) == ("bs@example.org", ["ade.bello@example.org"])
    assert "Reason: objectives met elsewhere" in email["body"]
    assert "Objectives met: yes" in email["body"]


def test_PAR_19_completing_the_course_asks_bs_for_the_certificate(make_app, new_referral):
    flow = make_app()
    case_id = new_referral(flow)
    _attending(flow, case_id)
    step(flow, case_id, "2027-01-27T10:00", "complete", by=WORKER["email"])

    assert case_state(flow, case_id).state == "completed"
    [email] = outbox_rows(flow, case_id=case_id, template="parenting/completed")
    assert email["to_address"] == "bs@example.org"


def test_an_event_recorded_late_runs_its_timescale_from_when_it_happened(make_app, new_referral):
    flow = make_app()
    case_id = new_referral(flow)
    step(flow, case_id, "2026-12-15T09:00", "request_confirmation", by="ade.bello@example.org")
    flow.advance(at("2026-12-18T12:00"))
    flow.fire(
        case_id,
        "confirm_attendance",
        actor=Actor("bs@example.org", AS_NAMED),
        at=at("2026-12-16T11:00"),
    )

    [entry] = [e for e in history(flow, case_id) if e.get("trigger") == "confirm_attendance"]
    assert (entry["at"], entry["recorded_at"]) == (
        "2026-12-16T11:00:00+00:00",
        "2026-12-18T12:00:00+00:00",
    )
    assert _due(flow, case_id, "within 1 week") == ["2026-12-23T23:59:59+00:00"]


def test_a_trigger_from_the_wrong_state_names_the_triggers_allowed_there(make_app, new_referral):
    flow = make_app()
    case_id = new_referral(flow)

    with pytest.raises(TriggerNotAllowed) as refused:
        flow.fire(case_id, "register", {}, actor=Actor("bs@example.org", AS_NAMED))
    assert str(refused.value) == (
        "trigger 'register' is not allowed in state 'referred'; "
        "allowed here: request_confirmation, close"
    )


def test_being_named_on_a_case_grants_the_engine_no_role_the_actor_does_not_hold(
    make_app, new_referral
):
    """The engine never reads users and never counts contact roles: the application
    resolves the actor's role from their account (issue 7)."""
    flow = make_app()
    case_id = new_referral(flow)  # Ade is named as the team manager

    with pytest.raises(RoleNotAllowed, match="role unknown"):
        flow.fire(case_id, "request_confirmation", actor=Actor("ade.bello@example.org"))
    with pytest.raises(RoleNotAllowed, match="role business_support"):
        flow.fire(
            case_id,
            "request_confirmation",
            actor=Actor("ade.bello@example.org", "business_support"),
        )
    moved = flow.fire(
        case_id, "request_confirmation", actor=Actor("ade.bello@example.org", "team_manager")
    )
    assert moved.state == "awaiting_confirmation"
