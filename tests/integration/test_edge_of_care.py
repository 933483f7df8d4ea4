"""Edge of Care (Families Together), rule by rule (EOC-01 to EOC-07), on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from engine.cases import AS_NAMED, Actor
from engine.errors import GuardFailed, InputError, RoleNotAllowed, TriggerNotAllowed
from familyflow.simulate import load, run
from tests.support.journeys import at, case_state, history, outbox_rows, step

SCENARIOS = Path(__file__).resolve().parents[2] / "docs" / "scenarios"

SW, MANAGER, BS = "sam.jones@example.org", "pat.morgan@example.org", "ft.bs@example.org"
LEAD, CO = "lee.harper@example.org", "mo.khan@example.org"
CONTACTS = {
    "social_worker": {"name": "Sam Jones", "email": SW},
    "manager": {"name": "Pat Morgan", "email": MANAGER},
    "business_support": {"name": "Families Together Business Support", "email": BS},
    "young_person": {"name": "Riley Smith"},
}
OFFICERS = [{"name": "Lee Harper", "email": LEAD}, {"name": "Mo Khan", "email": CO}]
OBJECTIVES = [
    {"objective": "Riley attends school every day", "sw_score": 3},
    {"objective": "Fewer arguments at home in the evenings", "sw_score": 2},
]
PLANNING = {
    "staff_present": ["Lee Harper", "Sam Jones"],
    "objectives": OBJECTIVES,
    "review_date": "2027-04-29",
    "signed_by_officer": True,
    "signed_by_social_worker": True,
}
VISIT = {
    "working_well": "Riley and mum both want things to change.",
    "worried": "Riley missed 6 days of school in March.",
    "needs_to_happen": "A morning routine.",
    "family_scores": [5, 4],
    "scored_by": "young person",
    "agrees_with_plan": True,
    "voice_of_child": "Riley says mornings are the hardest part.",
    "next_visit": "2027-04-09T10:00",
}
CLOSE = {
    "support_completed": True,
    "reason": "All objectives completed.",
    "final_review_uploaded": True,
    "closure_form_completed": True,
}


def _referral(flow: Any, received: str = "2027-03-25T10:00") -> int:
    flow.clock.advance_to(at(received))
    case_id: int = flow.create_case(
        process="edge_of_care", received_at=at(received), data={}, contacts=CONTACTS
    )
    flow.tick()
    return case_id


def _allocate(
    flow: Any,
    case_id: int,
    when: str = "2027-03-25T11:00",
    officers: list[dict[str, str]] | None = None,
) -> None:
    step(
        flow,
        case_id,
        when,
        "allocate",
        {"officer": officers or OFFICERS, "direction": "Focus on school attendance."},
        by=MANAGER,
    )


def _planned(flow: Any, case_id: int) -> None:
    _allocate(flow, case_id)
    step(
        flow,
        case_id,
        "2027-03-25T15:00",
        "contact_social_worker",
        {"involvement_added": True},
        by=LEAD,
    )
    step(flow, case_id, "2027-03-30T10:00", "hold_planning_meeting", PLANNING, by=LEAD)


def _due(flow: Any, case_id: int, rule: str) -> list[str]:
    return [
        e["due_at"]
        for e in history(flow, case_id)
        if e["kind"] == "deadline_set" and e["rule"] == rule
    ]


def _notes(flow: Any, case_id: int, rule: str) -> list[str]:
    return [
        e["reason"] for e in history(flow, case_id) if e["kind"] == "note" and e["rule"] == rule
    ]


def test_EOC_01_a_referral_opens_the_case_and_emails_the_manager_copying_bs(make_app):
    flow = make_app(start="2027-03-25T09:00")
    case_id = _referral(flow)

    assert case_state(flow, case_id).state == "referred"
    [email] = outbox_rows(flow, case_id=case_id)
    assert (email["to_address"], email["cc"]) == (MANAGER, [BS])
    assert email["subject"] == f"New Edge of Care referral EOC-{case_id:06d}"
    assert "received on Thursday 25 March 2027 at 10:00" in email["body"]
    assert "Young person: Riley Smith" in email["body"]
    assert "Sent under rule EOC-01." in email["body"]


def test_EOC_02_allocation_to_two_officers_emails_the_lead_bs_and_notes_the_direction(make_app):
    flow = make_app(start="2027-03-25T09:00")
    case_id = _referral(flow)
    _allocate(flow, case_id)

    case = case_state(flow, case_id)
    assert case.state == "allocated"
    assert [(c["role"], c["email"]) for c in case.contacts if c["role"] == "officer"] == [
        ("officer", LEAD),
        ("officer", CO),
    ]
    assert case.data["officers"] == ["Lee Harper", "Mo Khan"]
    [allocated] = outbox_rows(flow, case_id=case_id, template="edge_of_care/allocated")
    assert allocated["to_address"] == LEAD
    assert "allocated to you as lead officer, with Mo Khan" in allocated["body"]
    assert "Direction: Focus on school attendance." in allocated["body"]
    assert '"Families Together Referral received on 25/03/2027"' in allocated["body"]
    [tracker] = outbox_rows(flow, case_id=case_id, template="edge_of_care/tracker")
    assert tracker["to_address"] == BS
    assert tracker["subject"] == f"Add to the EoC tracker: EOC-{case_id:06d}"
    assert "Allocated to: Lee Harper, Mo Khan" in tracker["body"]
    [note] = [e for e in history(flow, case_id) if e["kind"] == "note"]
    assert note["reason"] == (
        "Allocated to Lee Harper, Mo Khan (lead: Lee Harper). "
        "Direction: Focus on school attendance."
    )
    assert note["rule"] == "EOC-02"


def test_EOC_02_reallocation_emails_the_new_lead_officer_and_keeps_the_clocks(make_app):
    flow = make_app(start="2027-03-25T09:00")
    case_id = _referral(flow)
    _planned(flow, case_id)
    step(
        flow,
        case_id,
        "2027-03-31T10:00",
        "reallocate",
        {"officer": [OFFICERS[1]], "direction": "Mo takes over while Lee is on leave."},
        by=MANAGER,
    )

    case = case_state(flow, case_id)
    assert case.state == "planned"
    assert [c["email"] for c in case.contacts if c["role"] == "officer"] == [CO]
    [email] = outbox_rows(flow, case_id=case_id, template="edge_of_care/allocated", to_address=CO)
    assert "The case is at the planned stage" in email["body"]
    assert "The next review is due on Thursday 29 April 2027" in email["body"]
    assert _due(flow, case_id, "EOC-05") == ["2027-04-01T23:59:59+01:00"]
    flow.advance(at("2027-04-02T09:00"))
    [overdue] = outbox_rows(flow, case_id=case_id, template="edge_of_care/initial_visit_overdue")
    assert "Allocated: Mo Khan" in overdue["body"]


def test_EOC_02_only_the_manager_allocates_and_each_officer_needs_an_email(make_app):
    flow = make_app(start="2027-03-25T09:00")
    case_id = _referral(flow)

    with pytest.raises(RoleNotAllowed, match="needs one of: manager"):
        flow.fire(
            case_id, "allocate", {"officer": OFFICERS, "direction": "x"}, actor=Actor(SW, AS_NAMED)
        )
    with pytest.raises(InputError, match=r"data\.officer"):
        flow.fire(
            case_id,
            "allocate",
            {"officer": [{"name": "No Email"}], "direction": "x"},
            actor=Actor(MANAGER, AS_NAMED),
        )
    with pytest.raises(InputError, match=r"data\.direction"):
        flow.fire(case_id, "allocate", {"officer": OFFICERS}, actor=Actor(MANAGER, AS_NAMED))


def test_EOC_02_an_unallocated_referral_reminds_the_manager_once_after_a_working_day(make_app):
    flow = make_app(start="2027-01-11T09:00")
    case_id = _referral(flow, "2027-01-11T10:00")
    assert _due(flow, case_id, "EOC-02") == ["2027-01-12T23:59:59+00:00"]

    flow.advance(at("2027-01-20T12:00"))
    [reminder] = outbox_rows(flow, case_id=case_id, template="edge_of_care/allocation_overdue")
    assert reminder["to_address"] == MANAGER
    assert reminder["sent_at"] == at("2027-01-13T08:00")
    assert reminder["subject"] == f"Not yet allocated: Edge of Care referral EOC-{case_id:06d}"
    # Not allocated, so the officers' clocks have not started: nobody else is chased.
    assert [m["template"] for m in outbox_rows(flow, case_id=case_id)] == [
        "edge_of_care/referral_received",
        "edge_of_care/allocation_overdue",
    ]


def test_EOC_03_contact_within_3_days_writes_both_notes_and_emails_the_sw(make_app):
    flow = make_app(start="2027-03-25T09:00")
    case_id = _referral(flow)
    _allocate(flow, case_id)
    assert _due(flow, case_id, "EOC-03") == ["2027-03-28T23:59:59+01:00"]
    step(
        flow,
        case_id,
        "2027-03-25T15:00",
        "contact_social_worker",
        {"involvement_added": True, "other_services": ["parenting"]},
        by=CO,
    )

    assert case_state(flow, case_id).state == "awaiting_planning"
    assert _notes(flow, case_id, "EOC-03") == [
        "Families Together Referral received on 25/03/2027",
        "Email sent to Sam Jones on 25/03/2027 to arrange a planning meeting.",
    ]
    [email] = outbox_rows(flow, case_id=case_id, template="edge_of_care/planning_request")
    assert (email["to_address"], email["cc"]) == (
        SW,
        [LEAD, CO],
    )  # every officer on the case is copied
    assert "Lee Harper is the allocated Families Together Officer" in email["body"]
    assert "Other services involved: parenting" in email["body"]
    met = [e for e in history(flow, case_id) if e["kind"] == "deadline_met"]
    assert [(e["rule"], e["reason"]) for e in met] == [
        ("EOC-02", "met on time"),
        ("EOC-03", "met on time"),
    ]
    flow.advance(at("2027-03-30T09:00"))
    assert outbox_rows(flow, case_id=case_id, template="edge_of_care/contact_overdue") == []


def test_EOC_03_a_breach_reminds_the_lead_officer_then_emails_the_manager_once(make_app):
    flow = make_app(start="2027-01-11T09:00")
    case_id = _referral(flow, "2027-01-11T10:00")
    _allocate(flow, case_id, "2027-01-12T10:00")
    assert _due(flow, case_id, "EOC-03") == ["2027-01-14T23:59:59+00:00"]

    flow.advance(at("2027-01-20T12:00"))
    [reminder] = outbox_rows(flow, case_id=case_id, template="edge_of_care/contact_reminder")
    assert (reminder["to_address"], reminder["sent_at"]) == (LEAD, at("2027-01-13T09:00"))
    assert "due by Thursday 14 January 2027 at 23:59" in reminder["body"]
    [overdue] = outbox_rows(flow, case_id=case_id, template="edge_of_care/contact_overdue")
    assert (overdue["to_address"], overdue["sent_at"]) == (MANAGER, at("2027-01-15T08:00"))
    assert "Allocated: Lee Harper, Mo Khan" in overdue["body"]

    step(flow, case_id, "2027-01-20T13:00", "contact_social_worker", by=LEAD)
    met = [e for e in history(flow, case_id) if e["kind"] == "deadline_met"]
    assert ("EOC-03", "met late") in [(e["rule"], e["reason"]) for e in met]


def test_EOC_03_the_3_days_run_from_the_referral_not_from_a_late_allocation(make_app):
    flow = make_app(start="2027-01-11T09:00")
    case_id = _referral(flow, "2027-01-11T10:00")
    _allocate(flow, case_id, "2027-01-15T10:00")  # after the 3 days

    assert _due(flow, case_id, "EOC-03") == ["2027-01-14T23:59:59+00:00"]
    assert _due(flow, case_id, "EOC-05") == ["2027-01-18T23:59:59+00:00"]
    [overdue] = outbox_rows(flow, case_id=case_id, template="edge_of_care/contact_overdue")
    assert (overdue["to_address"], overdue["sent_at"]) == (MANAGER, at("2027-01-15T10:00"))


def test_EOC_04_the_planning_meeting_needs_signatures_and_objectives_scored_by_the_sw(make_app):
    flow = make_app(start="2027-03-25T09:00")
    case_id = _referral(flow)
    _allocate(flow, case_id)
    step(flow, case_id, "2027-03-25T15:00", "contact_social_worker", by=LEAD)
    flow.advance(at("2027-03-30T10:00"))

    with pytest.raises(GuardFailed, match="signatures of the Families Together Officer"):
        flow.fire(
            case_id,
            "hold_planning_meeting",
            {**PLANNING, "signed_by_social_worker": False},
            actor=Actor(LEAD, AS_NAMED),
        )
    with pytest.raises(InputError, match=r"data\.objectives\.0\.sw_score"):
        flow.fire(
            case_id,
            "hold_planning_meeting",
            {**PLANNING, "objectives": [{"objective": "x", "sw_score": 11}]},
            actor=Actor(LEAD, AS_NAMED),
        )
    with pytest.raises(InputError, match=r"data\.objectives"):
        flow.fire(
            case_id,
            "hold_planning_meeting",
            {**PLANNING, "objectives": []},
            actor=Actor(LEAD, AS_NAMED),
        )
    step(
        flow,
        case_id,
        "2027-03-30T10:00",
        "hold_planning_meeting",
        {**PLANNING, "joint_with": ["parenting"]},
        by=LEAD,
    )

    case = case_state(flow, case_id)
    assert case.state == "planned"
    assert case.data["objectives"] == [
        {
            "number": 1,
            "objective": "Riley attends school every day",
            "scores": [
                {
                    "by": "social_worker",
                    "score": 3,
                    "occasion": "planning",
                    "at": "2027-03-30T09:00:00+00:00",
                }
            ],
        },
        {
            "number": 2,
            "objective": "Fewer arguments at home in the evenings",
            "scores": [
                {
                    "by": "social_worker",
                    "score": 2,
                    "occasion": "planning",
                    "at": "2027-03-30T09:00:00+00:00",
                }
            ],
        },
    ]
    assert case.data["review_date"] == "2027-04-29"
    assert case.data["planning_meeting"]["joint_with"] == ["parenting"]
    assert _notes(flow, case_id, "EOC-04") == [
        "Families Together Planning Meeting held. Objectives agreed. Home visit to be arranged. "
        "Plan to be uploaded to Documents"
    ]


def test_EOC_05_initial_visit_is_due_7_days_after_the_referral_across_the_clock_change(make_app):
    flow = make_app(start="2027-03-25T09:00")
    case_id = _referral(flow)  # Thursday 25 March 2027, GMT; BST starts on Sunday 28 March
    _planned(flow, case_id)
    assert _due(flow, case_id, "EOC-05") == ["2027-04-01T23:59:59+01:00"]

    flow.advance(at("2027-04-02T09:00"))
    [reminder] = outbox_rows(flow, case_id=case_id, template="edge_of_care/initial_visit_reminder")
    assert (reminder["to_address"], reminder["sent_at"]) == (LEAD, at("2027-03-31T09:00"))
    assert reminder["sent_at"].isoformat() == "2027-03-31T08:00:00+00:00"  # 09:00 BST
    assert reminder["subject"] == f"Initial visit due by Thursday 1 April 2027 (EOC-{case_id:06d})"
    assert "due by Thursday 1 April 2027 at 23:59" in reminder["body"]
    [overdue] = outbox_rows(flow, case_id=case_id, template="edge_of_care/initial_visit_overdue")
    assert (overdue["to_address"], overdue["cc"]) == (MANAGER, [])
    assert overdue["sent_at"] == at("2027-04-02T08:00")  # breached at night: 08:00 BST
    missed = [e for e in history(flow, case_id) if e["kind"] == "deadline_missed"]
    assert [(e["rule"], e["at"]) for e in missed] == [("EOC-05", "2027-04-01T23:59:59+01:00")]


def test_EOC_05_the_first_visit_records_family_scores_and_the_signs_of_safety_write_up(make_app):
    flow = make_app(start="2027-03-25T09:00")
    case_id = _referral(flow)
    _planned(flow, case_id)
    flow.advance(at("2027-03-31T10:00"))

    with pytest.raises(GuardFailed, match=r"the family gave 1 score.*2 objective"):
        flow.fire(
            case_id,
            "record_initial_visit",
            {**VISIT, "family_scores": [5]},
            actor=Actor(LEAD, AS_NAMED),
        )
    with pytest.raises(InputError, match=r"data\.worried"):
        flow.fire(
            case_id, "record_initial_visit", {**VISIT, "worried": ""}, actor=Actor(LEAD, AS_NAMED)
        )
    step(flow, case_id, "2027-03-31T10:00", "record_initial_visit", VISIT, by=LEAD)

    case = case_state(flow, case_id)
    assert case.state == "intervention"
    assert [[(s["by"], s["score"]) for s in o["scores"]] for o in case.data["objectives"]] == [
        [("social_worker", 3), ("young person", 5)],
        [("social_worker", 2), ("young person", 4)],
    ]
    [sos] = case.data["signs_of_safety"]
    assert sos == {
        "worried": VISIT["worried"],
        "working_well": VISIT["working_well"],
        "needs_to_happen": VISIT["needs_to_happen"],
        "scales": [],
        "at": "2027-03-31T09:00:00+00:00",
    }
    assert case.data["next_visit"] == "2027-04-09T09:00:00+00:00"
    [note] = _notes(flow, case_id, "EOC-05")
    assert note.startswith("Purpose: Families Together first visit / initial introductions.")
    assert "What are we worried about? Riley missed 6 days" in note
    assert note.endswith("Next planned visit: 09/04/2027.")
    assert outbox_rows(flow, case_id=case_id, template="edge_of_care/initial_visit_overdue") == []


def test_EOC_06_the_review_is_due_on_its_date_reminded_that_morning_and_escalated_once(make_app):
    flow = make_app(start="2027-03-25T09:00")
    case_id = _referral(flow)
    _planned(flow, case_id)
    step(flow, case_id, "2027-03-31T10:00", "record_initial_visit", VISIT, by=LEAD)
    assert _due(flow, case_id, "EOC-06") == ["2027-04-29T23:59:59+01:00"]

    flow.advance(at("2027-05-06T09:00"))
    [reminder] = outbox_rows(flow, case_id=case_id, template="edge_of_care/review_reminder")
    assert (reminder["to_address"], reminder["sent_at"]) == (LEAD, at("2027-04-29T09:00"))
    assert reminder["subject"] == f"Review due today: EOC-{case_id:06d}"
    [overdue] = outbox_rows(flow, case_id=case_id, template="edge_of_care/review_overdue")
    assert (overdue["to_address"], overdue["sent_at"]) == (MANAGER, at("2027-04-30T08:00"))
    assert "was due on Thursday 29 April 2027" in overdue["body"]


def test_EOC_06_a_review_not_held_needs_a_reason_and_the_next_date_starts_the_next(make_app):
    flow = make_app(start="2027-03-25T09:00")
    case_id = _referral(flow)
    _planned(flow, case_id)
    step(flow, case_id, "2027-03-31T10:00", "record_initial_visit", VISIT, by=LEAD)
    flow.advance(at("2027-04-29T15:00"))

    with pytest.raises(GuardFailed, match=r"say why the review did not take place \(EOC-06\)"):
        flow.fire(
            case_id,
            "record_review",
            {"held": False, "next_review_date": "2027-05-13"},
            actor=Actor(LEAD, AS_NAMED),
        )
    with pytest.raises(GuardFailed, match="next review date"):
        flow.fire(case_id, "record_review", {"held": True}, actor=Actor(LEAD, AS_NAMED))
    with pytest.raises(GuardFailed, match="give the social worker's score for each of the 2"):
        flow.fire(
            case_id,
            "record_review",
            {"held": True, "final": True, "sw_scores": [9]},
            actor=Actor(LEAD, AS_NAMED),
        )
    step(
        flow,
        case_id,
        "2027-04-29T15:00",
        "record_review",
        {"held": False, "reason_not_held": "Riley was unwell", "next_review_date": "2027-05-13"},
        by=LEAD,
    )
    step(
        flow,
        case_id,
        "2027-05-13T14:00",
        "record_review",
        {
            "held": True,
            "summary": "Attendance 92%.",
            "sw_scores": [7, 6],
            "family_scores": [8, 6],
            "final": True,
        },
        by=LEAD,
    )

    assert _due(flow, case_id, "EOC-06") == [
        "2027-04-29T23:59:59+01:00",
        "2027-05-13T23:59:59+01:00",
    ]
    assert _notes(flow, case_id, "EOC-06") == [
        "Review did not take place: Riley was unwell. Next review: 13/05/2027.",
        "Review held on 13/05/2027. Attendance 92%. Final review.",
    ]
    case = case_state(flow, case_id)
    assert [s["score"] for s in case.data["objectives"][0]["scores"]] == [3, 5, 7, 8]
    assert [r["held"] for r in case.data["reviews"]] == [False, True]
    flow.advance(at("2027-06-30T09:00"))
    assert outbox_rows(flow, case_id=case_id, template="edge_of_care/review_overdue") == []


def test_EOC_07_closure_emails_bs_and_the_manager_with_name_date_and_reason(make_app):
    flow = make_app(start="2027-03-25T09:00")
    case_id = _referral(flow)
    _planned(flow, case_id)
    step(
        flow,
        case_id,
        "2027-05-24T11:00",
        "close",
        {
            **CLOSE,
            "support_completed": False,
            "reason": "Family moved out of the area; objective 2 not met.",
        },
        by=LEAD,
    )

    case = case_state(flow, case_id)
    assert case.state == "closed"
    [email] = outbox_rows(flow, case_id=case_id, template="edge_of_care/closed")
    assert (email["to_address"], email["cc"]) == (BS, [MANAGER])
    assert email["subject"] == "Families Together closure: Riley Smith, Monday 24 May 2027"
    assert "Name: Riley Smith" in email["body"]
    assert "Date of closure: Monday 24 May 2027" in email["body"]
    assert "Support completed: no" in email["body"]
    assert (
        "Reason not completed: Family moved out of the area; objective 2 not met." in email["body"]
    )
    assert _notes(flow, case_id, "EOC-07") == [
        "Closed (support not completed): Family moved out of the area; objective 2 not met."
    ]
    with pytest.raises(TriggerNotAllowed, match="allowed here: none"):
        flow.fire(
            case_id, "record_review", {"held": True, "final": True}, actor=Actor(LEAD, AS_NAMED)
        )


def test_EOC_07_closure_needs_the_final_plan_and_closure_form_once_a_plan_exists(make_app):
    flow = make_app(start="2027-03-25T09:00")
    declined, planned = _referral(flow), _referral(flow)
    _planned(flow, planned)

    with pytest.raises(GuardFailed, match="final Plan & Review form and the Closure Form"):
        flow.fire(
            planned,
            "close",
            {"support_completed": True, "reason": "done"},
            actor=Actor(LEAD, AS_NAMED),
        )
    with pytest.raises(InputError, match=r"data\.reason"):
        flow.fire(planned, "close", {**CLOSE, "reason": ""}, actor=Actor(LEAD, AS_NAMED))
    # A referral the manager does not take on closes without the plan's paperwork.
    step(
        flow,
        declined,
        "2027-03-31T10:00",
        "close",
        {"support_completed": False, "reason": "Not accepted: needs are met by FGC."},
        by=MANAGER,
    )
    assert case_state(flow, declined).state == "closed"


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
        (e["kind"], e["rule"], e["at"], e.get("due_at"), e.get("reason"))
        for e in timeline
        if e["kind"].startswith("deadline_")
    ]


def test_EOC_01_to_EOC_07_scenario_easter_clock_change_replays_to_the_minute():
    final, timeline = _replay("edge_of_care-easter-clock-change")

    assert final == "closed"
    assert _messages(timeline) == [
        (
            "2027-03-25T10:00:00+00:00",
            "EOC-01",
            "edge_of_care/referral_received",
            MANAGER,
            [BS],
            "2027-03-25T10:00:00+00:00",
        ),
        (
            "2027-03-25T11:00:00+00:00",
            "EOC-02",
            "edge_of_care/allocated",
            LEAD,
            None,
            "2027-03-25T11:00:00+00:00",
        ),
        (
            "2027-03-25T11:00:00+00:00",
            "EOC-02",
            "edge_of_care/tracker",
            BS,
            None,
            "2027-03-25T11:00:00+00:00",
        ),
        (
            "2027-03-25T15:00:00+00:00",
            "EOC-03",
            "edge_of_care/planning_request",
            SW,
            [LEAD, CO],
            "2027-03-25T15:00:00+00:00",
        ),
        (
            "2027-03-31T09:00:00+01:00",
            "EOC-05",
            "edge_of_care/initial_visit_reminder",
            LEAD,
            None,
            "2027-03-31T09:00:00+01:00",
        ),
        (
            "2027-04-01T23:59:59+01:00",
            "EOC-05",
            "edge_of_care/initial_visit_overdue",
            MANAGER,
            None,
            "2027-04-02T08:00:00+01:00",
        ),
        (
            "2027-04-29T09:00:00+01:00",
            "EOC-06",
            "edge_of_care/review_reminder",
            LEAD,
            None,
            "2027-04-29T09:00:00+01:00",
        ),
        (
            "2027-05-24T11:00:00+01:00",
            "EOC-07",
            "edge_of_care/closed",
            BS,
            [MANAGER],
            "2027-05-24T11:00:00+01:00",
        ),
    ]
    assert _deadlines(timeline) == [
        (
            "deadline_set",
            "EOC-02",
            "2027-03-25T10:00:00+00:00",
            "2027-03-30T23:59:59+01:00",
            "referral allocated to an officer by the end of the next working day",
        ),
        (
            "deadline_met",
            "EOC-02",
            "2027-03-25T11:00:00+00:00",
            "2027-03-30T23:59:59+01:00",
            "met on time",
        ),
        (
            "deadline_set",
            "EOC-03",
            "2027-03-25T11:00:00+00:00",
            "2027-03-28T23:59:59+01:00",
            "referral case-noted and social worker emailed within 3 days of the referral",
        ),
        (
            "deadline_set",
            "EOC-05",
            "2027-03-25T11:00:00+00:00",
            "2027-04-01T23:59:59+01:00",
            "initial visit within a week of the referral",
        ),
        (
            "deadline_met",
            "EOC-03",
            "2027-03-25T15:00:00+00:00",
            "2027-03-28T23:59:59+01:00",
            "met on time",
        ),
        (
            "deadline_set",
            "EOC-06",
            "2027-03-30T10:00:00+01:00",
            "2027-04-29T23:59:59+01:00",
            "review recorded on the review date set at planning",
        ),
        (
            "deadline_missed",
            "EOC-05",
            "2027-04-01T23:59:59+01:00",
            "2027-04-01T23:59:59+01:00",
            "initial visit within a week of the referral",
        ),
        (
            "deadline_met",
            "EOC-05",
            "2027-04-02T10:00:00+01:00",
            "2027-04-01T23:59:59+01:00",
            "met late",
        ),
        (
            "deadline_met",
            "EOC-06",
            "2027-04-29T14:00:00+01:00",
            "2027-04-29T23:59:59+01:00",
            "met on time",
        ),
        (
            "deadline_set",
            "EOC-06",
            "2027-04-29T14:00:00+01:00",
            "2027-05-27T23:59:59+01:00",
            "review recorded on the review date set at planning",
        ),
    ]
    notes = [(e["at"], e["rule"], e["reason"]) for e in timeline if e["kind"] == "note"]
    assert notes[1:3] == [
        (
            "2027-03-25T15:00:00+00:00",
            "EOC-03",
            "Families Together Referral received on 25/03/2027",
        ),
        (
            "2027-03-25T15:00:00+00:00",
            "EOC-03",
            "Email sent to Sam Jones on 25/03/2027 to arrange a planning meeting.",
        ),
    ]
    [closed] = [e for e in timeline if e.get("template") == "edge_of_care/closed"]
    assert "Support completed: yes" in closed["body"]
    assert "Outcome: All objectives completed." in closed["body"]


def test_EOC_02_EOC_03_EOC_06_scenario_late_contact_missed_review_replays_to_the_minute():
    final, timeline = _replay("edge_of_care-late-contact-missed-review")

    assert final == "closed"
    assert _messages(timeline) == [
        (
            "2027-01-11T10:00:00+00:00",
            "EOC-01",
            "edge_of_care/referral_received",
            MANAGER,
            [BS],
            "2027-01-11T10:00:00+00:00",
        ),
        (
            "2027-01-12T23:59:59+00:00",
            "EOC-02",
            "edge_of_care/allocation_overdue",
            MANAGER,
            None,
            "2027-01-13T08:00:00+00:00",
        ),
        (
            "2027-01-13T08:45:00+00:00",
            "EOC-02",
            "edge_of_care/allocated",
            LEAD,
            None,
            "2027-01-13T08:45:00+00:00",
        ),
        (
            "2027-01-13T08:45:00+00:00",
            "EOC-02",
            "edge_of_care/tracker",
            BS,
            None,
            "2027-01-13T08:45:00+00:00",
        ),
        (
            "2027-01-13T09:00:00+00:00",
            "EOC-03",
            "edge_of_care/contact_reminder",
            LEAD,
            None,
            "2027-01-13T09:00:00+00:00",
        ),
        (
            "2027-01-14T23:59:59+00:00",
            "EOC-03",
            "edge_of_care/contact_overdue",
            MANAGER,
            None,
            "2027-01-15T08:00:00+00:00",
        ),
        (
            "2027-01-15T09:00:00+00:00",
            "EOC-05",
            "edge_of_care/initial_visit_reminder",
            LEAD,
            None,
            "2027-01-15T09:00:00+00:00",
        ),
        (
            "2027-01-15T11:00:00+00:00",
            "EOC-03",
            "edge_of_care/planning_request",
            SW,
            [LEAD],
            "2027-01-15T11:00:00+00:00",
        ),
        (
            "2027-02-15T09:00:00+00:00",
            "EOC-06",
            "edge_of_care/review_reminder",
            LEAD,
            None,
            "2027-02-15T09:00:00+00:00",
        ),
        (
            "2027-02-15T23:59:59+00:00",
            "EOC-06",
            "edge_of_care/review_overdue",
            MANAGER,
            None,
            "2027-02-16T08:00:00+00:00",
        ),
        (
            "2027-02-24T11:00:00+00:00",
            "EOC-07",
            "edge_of_care/closed",
            BS,
            [MANAGER],
            "2027-02-24T11:00:00+00:00",
        ),
    ]
    met = [(e["rule"], e["at"], e["reason"]) for e in timeline if e["kind"] == "deadline_met"]
    assert met == [
        ("EOC-02", "2027-01-13T08:45:00+00:00", "met late"),
        ("EOC-03", "2027-01-15T11:00:00+00:00", "met late"),
        ("EOC-05", "2027-01-18T16:00:00+00:00", "met on time"),
        ("EOC-06", "2027-02-16T14:00:00+00:00", "met late"),
    ]
    [closed] = [e for e in timeline if e.get("template") == "edge_of_care/closed"]
    assert "Support completed: no" in closed["body"]
    assert (
        "Reason not completed: Family moved out of the area; objectives 2 and 3 not met."
        in closed["body"]
    )
