"""Family Time, rule by rule (FT-01 to FT-10), on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from engine.calendar import WorkingCalendar
from engine.cases import Actor
from engine.clock import local
from engine.errors import GuardFailed, InputError, TriggerNotAllowed
from familyflow.simulate import load, run
from tests.support.journeys import at, case_state, history, outbox_rows, step
from workflows.spec import Duration

SCENARIOS = Path(__file__).resolve().parents[2] / "docs" / "scenarios"

SW, MANAGER, BS = "sam.jones@example.org", "chris.dale@example.org", "familytime.bs@example.org"
OFFICER, CARER = "dee.walsh@example.org", "jan.carter@example.org"
CONTACTS = {
    "social_worker": {"name": "Sam Jones", "email": SW},
    "manager": {"name": "Chris Dale", "email": MANAGER},
    "business_support": {"name": "Family Time Business Support", "email": BS},
}
REFERRAL = {
    "family_time_worker": {"name": "Dee Walsh", "email": OFFICER},
    "carer": {"name": "Jan Carter", "email": CARER},
    "children": ["Ava", "Leo"],
    "documents": ["genogram", "Words and Pictures"],
}
MEETING = {
    "parents_met": True,
    "agreement_signed": True,
    "tour_done": True,
    "contact_type": "fully supervised",
    "red_flags": ["no phones"],
}
SESSIONS = ["2027-01-12T16:00", "2027-01-19T16:00", "2027-01-26T16:00"]


def _referral(flow: Any, referred: str = "2026-12-22T10:00", enquiry: str | None = None) -> int:
    opened = enquiry or referred
    flow.clock.advance_to(at(opened))
    case_id: int = flow.create_case(
        process="family_time",
        received_at=at(opened),
        data={"requirements": "weekly supervised contact"},
        contacts=CONTACTS,
    )
    flow.tick()
    step(flow, case_id, referred, "refer", REFERRAL, by=SW)
    return case_id


def _planned(flow: Any, case_id: int, when: str = "2026-12-24T10:00") -> None:
    step(
        flow,
        case_id,
        when,
        "hold_planning_meeting",
        {**MEETING, "childrens_views": "They want to see mum."},
        by=OFFICER,
    )


def _in_sessions(flow: Any, case_id: int, **extra: Any) -> None:
    _planned(flow, case_id)
    step(
        flow,
        case_id,
        "2027-01-05T15:00",
        "add_sessions",
        {"venue": "the Beach House", "sessions": SESSIONS, "venue_visit_on": "2027-01-08", **extra},
        by=OFFICER,
    )


def _due(flow: Any, case_id: int, rule: str) -> list[str]:
    return [
        e["due_at"]
        for e in history(flow, case_id)
        if e["kind"] == "deadline_set" and e["rule"] == rule
    ]


def _session(flow: Any, case_id: int, session: str, when: str, **extra: Any) -> None:
    step(
        flow,
        case_id,
        when,
        "record_session",
        {"session": session, "took_place": True, "note": "No concerns.", **extra},
        by=OFFICER,
    )


def test_FT_01_an_enquiry_opens_the_case_and_nothing_runs_until_the_referral(make_app):
    flow = make_app(start="2026-12-10T09:00")
    flow.clock.advance_to(at("2026-12-10T14:00"))
    case_id = flow.create_case(
        process="family_time",
        received_at=at("2026-12-10T14:00"),
        data={"requirements": "weekly supervised contact"},
        contacts=CONTACTS,
    )
    flow.advance(at("2027-01-31T12:00"))

    case = case_state(flow, case_id)
    assert (case.state, case.data["requirements"]) == ("enquiry", "weekly supervised contact")
    assert outbox_rows(flow, case_id=case_id) == []
    assert [e["kind"] for e in history(flow, case_id)] == ["transition"]
    step(
        flow,
        case_id,
        "2027-02-01T10:00",
        "close",
        {"reason": "Court did not order supervised contact."},
        by=MANAGER,
    )
    assert case_state(flow, case_id).state == "closing"


def test_FT_02_FT_03_the_referral_emails_the_officer_and_the_brochure_to_the_sw_and_carer(make_app):
    flow = make_app(start="2026-12-10T09:00")
    case_id = _referral(flow, enquiry="2026-12-10T14:00")

    case = case_state(flow, case_id)
    assert case.state == "referred"
    assert case.data["referred_at"] == "2026-12-22T10:00:00+00:00"
    assert case.data["documents"] == ["genogram", "Words and Pictures"]
    [officer] = outbox_rows(flow, case_id=case_id, template="family_time/referral")
    assert (officer["to_address"], officer["cc"]) == (OFFICER, [MANAGER])
    assert officer["subject"] == f"Family Time referral FTS-{case_id:06d}: Ava, Leo"
    assert "Documents attached: genogram, Words and Pictures" in officer["body"]
    [to_sw] = outbox_rows(flow, case_id=case_id, template="family_time/brochure_social_worker")
    assert (to_sw["to_address"], to_sw["rule"]) == (SW, "FT-03")
    assert "section for the children's views" in to_sw["body"]
    assert "before the introduction and planning meeting" in to_sw["body"]
    [to_carer] = outbox_rows(flow, case_id=case_id, template="family_time/brochure_carer")
    assert (to_carer["to_address"], to_carer["rule"]) == (CARER, "FT-03")
    assert "visit the venue" in to_carer["body"]


def test_FT_02_the_referral_needs_the_officer_and_the_carer_with_emails(make_app):
    flow = make_app(start="2026-12-22T09:00")
    flow.clock.advance_to(at("2026-12-22T10:00"))
    case_id = flow.create_case(
        process="family_time", received_at=at("2026-12-22T10:00"), data={}, contacts=CONTACTS
    )

    with pytest.raises(InputError, match=r"data\.carer"):
        flow.fire(case_id, "refer", {**REFERRAL, "carer": {"name": "Jan Carter"}}, actor=Actor(SW))
    with pytest.raises(InputError, match=r"data\.children"):
        flow.fire(case_id, "refer", {**REFERRAL, "children": []}, actor=Actor(SW))


def test_FT_03_the_sw_is_reminded_of_the_childrens_views_and_the_meeting_needs_them(make_app):
    flow = make_app(start="2026-12-22T09:00")
    case_id = _referral(flow)
    flow.advance(at("2026-12-29T12:00"))

    [reminder] = outbox_rows(flow, case_id=case_id, template="family_time/childrens_views_reminder")
    assert (reminder["to_address"], reminder["sent_at"]) == (SW, at("2026-12-29T09:00"))
    assert "due by Thursday 31 December 2026 at 23:59" in reminder["body"]
    with pytest.raises(GuardFailed, match="children's views section is needed"):
        flow.fire(case_id, "hold_planning_meeting", MEETING, actor=Actor(OFFICER))
    step(
        flow,
        case_id,
        "2026-12-29T12:00",
        "record_childrens_views",
        {"views": "Ava wants to bake with mum."},
        by=SW,
    )
    step(flow, case_id, "2026-12-30T10:00", "hold_planning_meeting", MEETING, by=OFFICER)

    case = case_state(flow, case_id)
    assert (case.state, case.data["childrens_views"]) == ("planned", "Ava wants to bake with mum.")
    met = [(e["rule"], e["reason"]) for e in history(flow, case_id) if e["kind"] == "deadline_met"]
    assert met == [("FT-03", "met on time"), ("FT-04", "met on time")]


def test_FT_04_the_planning_meeting_is_due_5_working_days_after_a_referral_over_christmas(make_app):
    # 25 and 28 December 2026 are bank holidays in England; 26/27 December a weekend.
    due = WorkingCalendar(nation="england").due_at(
        at("2026-12-22T10:00"), Duration(amount=5, unit="working_days")
    )
    assert local(due).isoformat() == "2026-12-31T23:59:59+00:00"
    flow = make_app(start="2026-12-22T09:00")
    case_id = _referral(flow)
    assert _due(flow, case_id, "FT-04") == [local(due).isoformat()]

    flow.advance(at("2027-01-04T11:00"))
    [reminder] = outbox_rows(flow, case_id=case_id, template="family_time/planning_reminder")
    assert (reminder["to_address"], reminder["sent_at"]) == (OFFICER, at("2026-12-30T09:00"))
    assert "due by Thursday 31 December 2026 at 23:59" in reminder["body"]
    [overdue] = outbox_rows(flow, case_id=case_id, template="family_time/planning_overdue")
    assert (overdue["to_address"], overdue["cc"]) == (MANAGER, [])
    assert overdue["sent_at"] == at("2027-01-01T08:00")
    assert "Family Time Officer: Dee Walsh" in overdue["body"]
    _planned(flow, case_id, "2027-01-04T11:00")
    met = [(e["rule"], e["reason"]) for e in history(flow, case_id) if e["kind"] == "deadline_met"]
    assert ("FT-04", "met late") in met


def test_FT_06_sessions_are_due_in_the_planner_10_working_days_after_the_referral(make_app):
    due = WorkingCalendar(nation="england").due_at(
        at("2026-12-22T10:00"), Duration(amount=10, unit="working_days")
    )
    assert local(due).isoformat() == "2027-01-08T23:59:59+00:00"  # 1 January is a holiday too
    flow = make_app(start="2026-12-22T09:00")
    case_id = _referral(flow)
    assert _due(flow, case_id, "FT-06") == [local(due).isoformat()]
    _planned(flow, case_id)

    flow.advance(at("2027-01-11T09:00"))
    [reminder] = outbox_rows(flow, case_id=case_id, template="family_time/planner_reminder")
    assert (reminder["to_address"], reminder["sent_at"]) == (OFFICER, at("2027-01-07T09:00"))
    [overdue] = outbox_rows(flow, case_id=case_id, template="family_time/planner_overdue")
    assert (overdue["to_address"], overdue["sent_at"]) == (MANAGER, at("2027-01-09T08:00"))
    assert "due in the planner by Friday 8 January 2027 at 23:59" in overdue["body"]


def test_FT_06_sessions_in_the_planner_in_time_send_no_reminder_or_escalation(make_app):
    flow = make_app(start="2026-12-22T09:00")
    case_id = _referral(flow)
    _in_sessions(flow, case_id)
    flow.advance(at("2027-01-11T09:00"))

    assert outbox_rows(flow, case_id=case_id, template="family_time/planner_reminder") == []
    assert outbox_rows(flow, case_id=case_id, template="family_time/planner_overdue") == []


def test_FT_05_sessions_cannot_begin_before_the_childrens_venue_visit(make_app):
    flow = make_app(start="2026-12-22T09:00")
    case_id = _referral(flow)
    _planned(flow, case_id)
    flow.advance(at("2027-01-05T15:00"))
    planner = {"venue": "the Beach House", "sessions": SESSIONS}

    with pytest.raises(GuardFailed, match="give the date the children will visit the venue"):
        flow.fire(case_id, "add_sessions", planner, actor=Actor(OFFICER))
    with pytest.raises(GuardFailed, match="venue visit must be on a day before the first"):
        flow.fire(
            case_id,
            "add_sessions",
            {**planner, "venue_visit_on": "2027-01-12"},
            actor=Actor(OFFICER),
        )
    step(
        flow,
        case_id,
        "2027-01-05T15:00",
        "record_venue_visit",
        {"notes": "Met the staff."},
        by=OFFICER,
    )
    step(flow, case_id, "2027-01-05T16:00", "add_sessions", planner, by=OFFICER)
    assert case_state(flow, case_id).state == "in_sessions"
    assert _due(flow, case_id, "FT-05") == []  # the visit is already done


def test_FT_05_a_booked_venue_visit_is_reminded_that_day_and_escalated_once_if_unrecorded(make_app):
    flow = make_app(start="2026-12-22T09:00")
    case_id = _referral(flow)
    _in_sessions(flow, case_id)
    assert _due(flow, case_id, "FT-05") == ["2027-01-08T23:59:59+00:00"]

    flow.advance(at("2027-01-11T09:00"))
    [reminder] = outbox_rows(flow, case_id=case_id, template="family_time/venue_visit_reminder")
    assert (reminder["to_address"], reminder["sent_at"]) == (OFFICER, at("2027-01-08T09:00"))
    assert "first session is on Tuesday 12 January 2027 at 16:00" in reminder["body"]
    [overdue] = outbox_rows(flow, case_id=case_id, template="family_time/venue_visit_overdue")
    assert (overdue["to_address"], overdue["sent_at"]) == (MANAGER, at("2027-01-09T08:00"))


def test_FT_07_the_schedule_and_start_date_go_to_the_sw(make_app):
    flow = make_app(start="2026-12-22T09:00")
    case_id = _referral(flow)
    _in_sessions(flow, case_id)

    [email] = outbox_rows(flow, case_id=case_id, template="family_time/schedule")
    assert (email["to_address"], email["cc"]) == (SW, [OFFICER])
    assert (
        email["subject"]
        == f"Family time schedule: starts Tuesday 12 January 2027 (FTS-{case_id:06d})"
    )
    assert "start on Tuesday 12 January 2027 at 16:00 at the Beach House" in email["body"]
    assert "- Tuesday 26 January 2027 at 16:00" in email["body"]


def test_FT_07_a_schedule_already_shared_at_the_meeting_is_not_emailed_again(make_app):
    flow = make_app(start="2026-12-22T09:00")
    case_id = _referral(flow)
    _in_sessions(flow, case_id, shared_at_meeting=True)

    assert outbox_rows(flow, case_id=case_id, template="family_time/schedule") == []
    notes = [e["reason"] for e in history(flow, case_id) if e.get("rule") == "FT-07"]
    assert notes == [
        "Sessions added to the planner; schedule and start date already shared "
        "with the social worker at the planning meeting."
    ]


def test_FT_08_sessions_are_noted_in_order_and_a_missing_note_reminds_the_officer_once(make_app):
    flow = make_app(start="2026-12-22T09:00")
    case_id = _referral(flow)
    _in_sessions(flow, case_id)
    assert _due(flow, case_id, "FT-08") == ["2027-01-13T23:59:59+00:00"]

    flow.advance(at("2027-01-12T18:00"))
    with pytest.raises(GuardFailed, match="record the sessions in order"):
        flow.fire(
            case_id,
            "record_session",
            {"session": SESSIONS[1], "took_place": True, "note": "x"},
            actor=Actor(OFFICER),
        )
    with pytest.raises(GuardFailed, match="not in the planner"):
        flow.fire(
            case_id,
            "record_session",
            {"session": "2027-01-13T16:00", "took_place": True, "note": "x"},
            actor=Actor(OFFICER),
        )
    _session(flow, case_id, SESSIONS[0], "2027-01-12T18:00")
    with pytest.raises(GuardFailed, match="already recorded"):
        flow.fire(
            case_id,
            "record_session",
            {"session": SESSIONS[0], "took_place": True, "note": "x"},
            actor=Actor(OFFICER),
        )
    flow.advance(at("2027-01-25T09:00"))

    [reminder] = outbox_rows(flow, case_id=case_id, template="family_time/session_note_missing")
    assert (reminder["to_address"], reminder["sent_at"]) == (OFFICER, at("2027-01-21T08:00"))
    assert "session on Tuesday 19 January 2027 at 16:00" in reminder["body"]
    notes = [
        e["reason"] for e in history(flow, case_id) if e["kind"] == "note" and e["rule"] == "FT-08"
    ]
    assert notes == ["Family time session 12/01/2027 16:00: No concerns."]
    _session(
        flow, case_id, SESSIONS[1], "2027-01-25T09:00", took_place=False, note="Mother unwell."
    )
    assert _due(flow, case_id, "FT-08")[-1] == "2027-01-27T23:59:59+00:00"
    met = [(e["rule"], e["reason"]) for e in history(flow, case_id) if e["kind"] == "deadline_met"]
    assert met[-1] == ("FT-08", "met late")


def test_FT_08_FT_09_a_schedule_change_does_not_chase_an_overdue_note_twice(make_app):
    flow = make_app(start="2026-12-22T09:00")
    case_id = _referral(flow)
    _in_sessions(flow, case_id)
    _session(flow, case_id, SESSIONS[0], "2027-01-12T18:00")
    flow.advance(at("2027-01-21T12:00"))  # session 2's note is overdue and was chased
    step(
        flow,
        case_id,
        "2027-01-21T12:00",
        "update_arrangements",
        {
            "changes": "Sessions move to Thursdays.",
            "sessions": ["2027-01-28T16:00", "2027-02-04T16:00"],
        },
        by=OFFICER,
    )
    flow.advance(at("2027-02-01T09:00"))

    assert len(outbox_rows(flow, case_id=case_id, template="family_time/session_note_missing")) == 1
    case = case_state(flow, case_id)
    assert case.data["session_times"] == [
        "2027-01-12T16:00:00+00:00",
        "2027-01-19T16:00:00+00:00",  # the past stays
        "2027-01-28T16:00:00+00:00",
        "2027-02-04T16:00:00+00:00",
    ]
    assert case.data["next_session_at"] == "2027-01-19T16:00:00+00:00"
    [updated] = outbox_rows(flow, case_id=case_id, template="family_time/updated_schedule")
    assert (updated["to_address"], updated["rule"]) == (SW, "FT-09")
    assert "have changed: Sessions move to Thursdays." in updated["body"]
    assert updated["body"].count("- ") == 2
    assert "- Thursday 28 January 2027 at 16:00" in updated["body"]
    _session(flow, case_id, SESSIONS[1], "2027-02-01T09:00", took_place=False, note="Ill.")
    assert _due(flow, case_id, "FT-08")[-1] == "2027-01-29T23:59:59+00:00"


def test_FT_09_unable_to_attend_a_review_the_report_is_due_before_the_meeting_starts(make_app):
    flow = make_app(start="2026-12-22T09:00")
    case_id = _referral(flow)
    _in_sessions(flow, case_id)
    step(
        flow,
        case_id,
        "2027-01-14T10:00",
        "invite_to_review",
        {"meeting": "CIOC review", "meeting_at": "2027-01-27T10:00", "attending": False},
        by=SW,
    )
    assert _due(flow, case_id, "FT-09") == ["2027-01-27T10:00:00+00:00"]  # the meeting's start
    [invitation] = outbox_rows(flow, case_id=case_id, template="family_time/review_invitation")
    assert invitation["to_address"] == OFFICER
    assert invitation["subject"] == (
        f"Invitation: CIOC review on Wednesday 27 January 2027 (FTS-{case_id:06d})"
    )
    assert "before the meeting starts at Wednesday 27 January 2027 at 10:00" in invitation["body"]

    flow.advance(at("2027-01-27T10:30"))
    [reminder] = outbox_rows(flow, case_id=case_id, template="family_time/report_reminder")
    assert (reminder["to_address"], reminder["sent_at"]) == (OFFICER, at("2027-01-26T09:00"))
    assert reminder["subject"] == (
        f"Report due before the meeting on Wednesday 27 January 2027: CIOC review "
        f"(FTS-{case_id:06d})"
    )
    assert "by Wednesday 27 January 2027 at 10:00" in reminder["body"]
    [overdue] = outbox_rows(flow, case_id=case_id, template="family_time/report_overdue")
    assert (overdue["to_address"], overdue["sent_at"]) == (MANAGER, at("2027-01-27T10:00"))
    step(
        flow,
        case_id,
        "2027-01-27T10:30",
        "send_review_report",
        {"report": "All sessions attended; warm interaction."},
        by=OFFICER,
    )
    [report] = outbox_rows(flow, case_id=case_id, template="family_time/review_report")
    assert (report["to_address"], report["cc"]) == (SW, [OFFICER])
    assert "All sessions attended; warm interaction." in report["body"]


def test_FT_09_attending_a_review_sets_no_report_deadline(make_app):
    flow = make_app(start="2026-12-22T09:00")
    case_id = _referral(flow)
    _in_sessions(flow, case_id)
    step(
        flow,
        case_id,
        "2027-01-14T10:00",
        "invite_to_review",
        {"meeting_at": "2027-01-27T10:00", "attending": True},
        by=BS,
    )
    flow.advance(at("2027-01-28T09:00"))

    assert _due(flow, case_id, "FT-09") == []
    [invitation] = outbox_rows(flow, case_id=case_id, template="family_time/review_invitation")
    assert "You are recorded as attending." in invitation["body"]
    assert outbox_rows(flow, case_id=case_id, template="family_time/report_overdue") == []


def test_FT_10_closing_asks_bs_to_update_protocol_and_the_tracker_and_bs_closes(make_app):
    flow = make_app(start="2026-12-22T09:00")
    case_id = _referral(flow)
    _in_sessions(flow, case_id)
    flow.advance(at("2027-01-06T10:00"))

    with pytest.raises(GuardFailed, match="update the arrangements form"):
        flow.fire(case_id, "close", {"reason": "Final hearing."}, actor=Actor(OFFICER))
    step(
        flow,
        case_id,
        "2027-01-06T10:00",
        "close",
        {"reason": "Final hearing.", "arrangements_form_updated": True},
        by=OFFICER,
    )
    assert case_state(flow, case_id).state == "closing"
    [email] = outbox_rows(flow, case_id=case_id, template="family_time/closure")
    assert (email["to_address"], email["cc"]) == (BS, [MANAGER])
    assert email["subject"] == f"Family Time closure: FTS-{case_id:06d}"
    assert "please update Protocol and the tracker" in email["body"]
    assert "The arrangements form has been updated" in email["body"]
    with pytest.raises(TriggerNotAllowed):
        flow.fire(
            case_id,
            "record_session",
            {"session": SESSIONS[0], "took_place": True, "note": "x"},
            actor=Actor(OFFICER),
        )
    step(flow, case_id, "2027-01-07T09:00", "confirm_closed", by=BS)
    assert case_state(flow, case_id).state == "closed"


def test_FT_10_closing_stops_every_open_clock(make_app):
    flow = make_app(start="2026-12-22T09:00")
    case_id = _referral(flow)
    _in_sessions(flow, case_id)
    step(
        flow,
        case_id,
        "2027-01-06T10:00",
        "invite_to_review",
        {"meeting_at": "2027-01-27T10:00", "attending": False},
        by=SW,
    )
    step(
        flow,
        case_id,
        "2027-01-06T11:00",
        "close",
        {"reason": "Family moved away.", "arrangements_form_updated": True},
        by=MANAGER,
    )
    flow.advance(at("2027-02-15T09:00"))  # BS has not confirmed yet: still closing

    assert case_state(flow, case_id).state == "closing"
    sent = [m["template"] for m in outbox_rows(flow, case_id=case_id)]
    assert sent[-1] == "family_time/closure"
    assert [e for e in history(flow, case_id) if e["kind"] == "deadline_missed"] == []


# -- the scenarios, replayed in-process, to the minute ----------------------------------------


def _replay(name: str) -> tuple[str, list[dict[str, Any]]]:
    result = run(load(SCENARIOS / f"{name}.yaml"))
    return result["final_state"], [e for e in result["timeline"] if e.get("case_id") == 1]


def _messages(timeline: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [
        (e["at"], e["rule"], e["template"], e["to_address"], e.get("cc"), e["sent_at"])
        for e in timeline
        if e["kind"] == "message"
    ]


def _deadlines(timeline: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [
        (e["kind"], e["rule"], e["at"], e.get("due_at"))
        for e in timeline
        if e["kind"].startswith("deadline_")
    ]


def test_FT_01_to_FT_10_scenario_christmas_referral_replays_to_the_minute():
    final, timeline = _replay("family_time-christmas-referral")
    gmt = "+00:00"

    assert final == "closed"
    assert _messages(timeline) == [
        (
            f"2026-12-22T10:00:00{gmt}",
            "FT-02",
            "family_time/referral",
            OFFICER,
            [MANAGER],
            f"2026-12-22T10:00:00{gmt}",
        ),
        (
            f"2026-12-22T10:00:00{gmt}",
            "FT-03",
            "family_time/brochure_social_worker",
            SW,
            None,
            f"2026-12-22T10:00:00{gmt}",
        ),
        (
            f"2026-12-22T10:00:00{gmt}",
            "FT-03",
            "family_time/brochure_carer",
            CARER,
            None,
            f"2026-12-22T10:00:00{gmt}",
        ),
        (
            f"2026-12-29T09:00:00{gmt}",
            "FT-03",
            "family_time/childrens_views_reminder",
            SW,
            None,
            f"2026-12-29T09:00:00{gmt}",
        ),
        (
            f"2026-12-30T09:00:00{gmt}",
            "FT-04",
            "family_time/planning_reminder",
            OFFICER,
            None,
            f"2026-12-30T09:00:00{gmt}",
        ),
        (
            f"2026-12-31T23:59:59{gmt}",
            "FT-04",
            "family_time/planning_overdue",
            MANAGER,
            None,
            f"2027-01-01T08:00:00{gmt}",
        ),
        (
            f"2027-01-05T15:00:00{gmt}",
            "FT-07",
            "family_time/schedule",
            SW,
            [OFFICER],
            f"2027-01-05T15:00:00{gmt}",
        ),
        (
            f"2027-01-08T09:00:00{gmt}",
            "FT-05",
            "family_time/venue_visit_reminder",
            OFFICER,
            None,
            f"2027-01-08T09:00:00{gmt}",
        ),
        (
            f"2027-01-14T10:00:00{gmt}",
            "FT-09",
            "family_time/review_invitation",
            OFFICER,
            None,
            f"2027-01-14T10:00:00{gmt}",
        ),
        (
            f"2027-01-20T23:59:59{gmt}",
            "FT-08",
            "family_time/session_note_missing",
            OFFICER,
            None,
            f"2027-01-21T08:00:00{gmt}",
        ),
        (
            f"2027-01-26T09:00:00{gmt}",
            "FT-09",
            "family_time/report_reminder",
            OFFICER,
            None,
            f"2027-01-26T09:00:00{gmt}",
        ),
        (
            f"2027-01-27T09:30:00{gmt}",
            "FT-09",
            "family_time/review_report",
            SW,
            [OFFICER],
            f"2027-01-27T09:30:00{gmt}",
        ),
        (
            f"2027-02-01T10:00:00{gmt}",
            "FT-10",
            "family_time/closure",
            BS,
            [MANAGER],
            f"2027-02-01T10:00:00{gmt}",
        ),
    ]
    assert _deadlines(timeline) == [
        ("deadline_set", "FT-03", f"2026-12-22T10:00:00{gmt}", f"2026-12-31T23:59:59{gmt}"),
        ("deadline_set", "FT-04", f"2026-12-22T10:00:00{gmt}", f"2026-12-31T23:59:59{gmt}"),
        ("deadline_set", "FT-06", f"2026-12-22T10:00:00{gmt}", f"2027-01-08T23:59:59{gmt}"),
        ("deadline_met", "FT-03", f"2026-12-30T12:00:00{gmt}", f"2026-12-31T23:59:59{gmt}"),
        ("deadline_missed", "FT-04", f"2026-12-31T23:59:59{gmt}", f"2026-12-31T23:59:59{gmt}"),
        ("deadline_met", "FT-04", f"2027-01-04T11:00:00{gmt}", f"2026-12-31T23:59:59{gmt}"),
        ("deadline_met", "FT-06", f"2027-01-05T15:00:00{gmt}", f"2027-01-08T23:59:59{gmt}"),
        ("deadline_set", "FT-05", f"2027-01-05T15:00:00{gmt}", f"2027-01-08T23:59:59{gmt}"),
        ("deadline_set", "FT-08", f"2027-01-05T15:00:00{gmt}", f"2027-01-13T23:59:59{gmt}"),
        ("deadline_met", "FT-05", f"2027-01-08T11:00:00{gmt}", f"2027-01-08T23:59:59{gmt}"),
        ("deadline_met", "FT-08", f"2027-01-12T18:30:00{gmt}", f"2027-01-13T23:59:59{gmt}"),
        ("deadline_set", "FT-08", f"2027-01-12T18:30:00{gmt}", f"2027-01-20T23:59:59{gmt}"),
        ("deadline_set", "FT-09", f"2027-01-14T10:00:00{gmt}", f"2027-01-27T10:00:00{gmt}"),
        ("deadline_missed", "FT-08", f"2027-01-20T23:59:59{gmt}", f"2027-01-20T23:59:59{gmt}"),
        ("deadline_met", "FT-08", f"2027-01-21T10:30:00{gmt}", f"2027-01-20T23:59:59{gmt}"),
        ("deadline_met", "FT-09", f"2027-01-27T09:30:00{gmt}", f"2027-01-27T10:00:00{gmt}"),
    ]
    state = [(e["at"], e["trigger"], e["to"]) for e in timeline if e["kind"] == "transition"]
    assert state[:2] == [
        (f"2026-12-10T14:00:00{gmt}", "create", "enquiry"),
        (f"2026-12-22T10:00:00{gmt}", "refer", "referred"),
    ]
    assert state[-2:] == [
        (f"2027-02-01T10:00:00{gmt}", "close", "closing"),
        (f"2027-02-02T09:30:00{gmt}", "confirm_closed", "closed"),
    ]


def test_FT_05_FT_06_FT_08_scenario_direct_referral_replays_to_the_minute():
    final, timeline = _replay("family_time-direct-referral")
    bst = "+01:00"

    assert final == "closed"
    assert _messages(timeline) == [
        (
            f"2027-06-07T10:00:00{bst}",
            "FT-02",
            "family_time/referral",
            OFFICER,
            [MANAGER],
            f"2027-06-07T10:00:00{bst}",
        ),
        (
            f"2027-06-07T10:00:00{bst}",
            "FT-03",
            "family_time/brochure_social_worker",
            SW,
            None,
            f"2027-06-07T10:00:00{bst}",
        ),
        (
            f"2027-06-07T10:00:00{bst}",
            "FT-03",
            "family_time/brochure_carer",
            CARER,
            None,
            f"2027-06-07T10:00:00{bst}",
        ),
        (
            f"2027-06-10T09:00:00{bst}",
            "FT-03",
            "family_time/childrens_views_reminder",
            SW,
            None,
            f"2027-06-10T09:00:00{bst}",
        ),
        (
            f"2027-06-18T09:00:00{bst}",
            "FT-06",
            "family_time/planner_reminder",
            OFFICER,
            None,
            f"2027-06-18T09:00:00{bst}",
        ),
        (
            f"2027-06-21T23:59:59{bst}",
            "FT-06",
            "family_time/planner_overdue",
            MANAGER,
            None,
            f"2027-06-22T08:00:00{bst}",
        ),
        (
            f"2027-06-25T09:00:00{bst}",
            "FT-05",
            "family_time/venue_visit_reminder",
            OFFICER,
            None,
            f"2027-06-25T09:00:00{bst}",
        ),
        (
            f"2027-06-25T23:59:59{bst}",
            "FT-05",
            "family_time/venue_visit_overdue",
            MANAGER,
            None,
            f"2027-06-26T08:00:00{bst}",
        ),
        (
            f"2027-07-01T10:00:00{bst}",
            "FT-09",
            "family_time/review_invitation",
            OFFICER,
            None,
            f"2027-07-01T10:00:00{bst}",
        ),
        (
            f"2027-07-07T23:59:59{bst}",
            "FT-08",
            "family_time/session_note_missing",
            OFFICER,
            None,
            f"2027-07-08T08:00:00{bst}",
        ),
        (
            f"2027-07-12T15:00:00{bst}",
            "FT-09",
            "family_time/updated_schedule",
            SW,
            [OFFICER],
            f"2027-07-12T15:00:00{bst}",
        ),
        (
            f"2027-07-20T10:00:00{bst}",
            "FT-10",
            "family_time/closure",
            BS,
            [MANAGER],
            f"2027-07-20T10:00:00{bst}",
        ),
    ]
    sets = [(e["rule"], e["at"], e["due_at"]) for e in timeline if e["kind"] == "deadline_set"]
    assert sets == [
        ("FT-03", f"2027-06-07T10:00:00{bst}", f"2027-06-14T23:59:59{bst}"),
        ("FT-04", f"2027-06-07T10:00:00{bst}", f"2027-06-14T23:59:59{bst}"),
        ("FT-06", f"2027-06-07T10:00:00{bst}", f"2027-06-21T23:59:59{bst}"),
        ("FT-05", f"2027-06-23T10:00:00{bst}", f"2027-06-25T23:59:59{bst}"),
        ("FT-08", f"2027-06-23T10:00:00{bst}", f"2027-06-30T23:59:59{bst}"),
        ("FT-08", f"2027-06-29T19:00:00{bst}", f"2027-07-07T23:59:59{bst}"),
        ("FT-08", f"2027-07-13T10:00:00{bst}", f"2027-07-16T23:59:59{bst}"),
        ("FT-08", f"2027-07-15T19:00:00{bst}", f"2027-07-23T23:59:59{bst}"),
    ]
    missed = [(e["rule"], e["at"]) for e in timeline if e["kind"] == "deadline_missed"]
    assert missed == [
        ("FT-06", f"2027-06-21T23:59:59{bst}"),
        ("FT-05", f"2027-06-25T23:59:59{bst}"),
        ("FT-08", f"2027-07-07T23:59:59{bst}"),
    ]
    [updated] = [e for e in timeline if e.get("template") == "family_time/updated_schedule"]
    assert "- Thursday 15 July 2027 at 17:00\n- Thursday 22 July 2027 at 17:00" in updated["body"]
