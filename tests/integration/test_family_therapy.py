"""Family therapy, rule by rule (FTH-01 to FTH-08), on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from engine.cases import AS_NAMED, Actor
from engine.errors import GuardFailed, InputError, RoleNotAllowed, TriggerNotAllowed
from familyflow.settings import Settings
from familyflow.simulate import load, run
from tests.support.journeys import at, case_state, history, outbox_rows, step

SCENARIOS = Path(__file__).resolve().parents[2] / "docs" / "scenarios"
LISTS = {
    "family_therapy_panel": ["panel@example.org"],
    "family_therapy_waiting_list": ["team@example.org"],
}
SW, TM, BS = "sam.jones@example.org", "becca.hill@example.org", "bs@example.org"
THERAPIST = {"name": "Tara Quinn", "email": "tara.quinn@example.org"}
CONTACTS = {
    "social_worker": {"name": "Sam Jones", "email": SW},
    "team_manager": {"name": "Becca Hill", "email": TM},
    "business_support": {"name": "Business Support", "email": BS},
    "child": {"name": "Alex Smith"},
}
PANEL, DIGEST = "family_therapy/panel_agenda", "family_therapy/waiting_list_agenda"


def _app(make_app: Any, **overrides: Any) -> Any:
    return make_app(mailing_lists=LISTS, **overrides)


def _referral(flow: Any, received: str = "2026-12-14T10:00", **data: Any) -> int:
    flow.advance(at(received))
    case_id: int = flow.create_case(
        process="family_therapy", received_at=at(received), data=data, contacts=CONTACTS
    )
    flow.tick()
    return case_id


def _ref(case_id: int) -> str:
    return f"FTH-{case_id:06d}"


def _allocate(flow: Any, case_id: int, when: str, kind: str) -> None:
    step(flow, case_id, when, "allocate", {"therapist": THERAPIST, "kind": kind}, by=TM)


def _assess(flow: Any, case_id: int, when: str, outcome: str = "therapy_recommended") -> None:
    step(
        flow,
        case_id,
        when,
        "record_initial_assessment",
        {
            "outcome": outcome,
            "summary": "The family want help to talk without arguing.",
            "family_feedback": "Given in person at the home visit.",
        },
        by=THERAPIST["email"],
    )


def _assessed_on_waiting_list(flow: Any) -> int:
    """Accepted 15 December, assessed only (4-11 January 2027), back on the waiting list."""
    case_id = _referral(flow)
    step(flow, case_id, "2026-12-15T15:30", "panel_accept", by=BS)
    _allocate(flow, case_id, "2027-01-04T10:00", "initial_assessment")
    _assess(flow, case_id, "2027-01-11T14:00")
    return case_id


def _in_therapy(flow: Any) -> int:
    case_id = _assessed_on_waiting_list(flow)
    _allocate(flow, case_id, "2027-01-18T10:00", "full_case")
    step(
        flow,
        case_id,
        "2027-01-26T14:00",
        "hold_planning_meeting",
        {"goals": ["Talk about school without arguing", "A shared evening routine"]},
        by=THERAPIST["email"],
    )
    return case_id


def _set(flow: Any, case_id: int, rule: str) -> list[str]:
    return [
        e["due_at"]
        for e in history(flow, case_id)
        if e["kind"] == "deadline_set" and e["rule"] == rule
    ]


def _one(flow: Any, case_id: int | None, template: str) -> dict[str, Any]:
    [row] = outbox_rows(flow, case_id=case_id, template=template)
    return row


# -- FTH-01: the Resource Panel, every Tuesday afternoon -------------------------------


def test_FTH_01_a_referral_waits_for_the_panel_and_the_sw_is_told_so(make_app):
    flow = _app(make_app)
    case_id = _referral(flow)

    assert case_state(flow, case_id).state == "awaiting_panel"
    email = _one(flow, case_id, "family_therapy/referral_received")
    assert (email["to_address"], email["cc"]) == (SW, [])
    assert email["subject"] == f"Family therapy referral received: {_ref(case_id)}"
    assert "received on Monday 14 December 2026 at 10:00" in email["body"]
    assert "the next Resource Panel, which meets every Tuesday afternoon" in email["body"]
    assert "Sent under rule FTH-01." in email["body"]
    assert email["status"] == "sent"


def test_FTH_01_the_panel_agenda_goes_to_the_panel_list_each_tuesday_at_9_with_every_referral_awaiting_it(  # noqa: E501
    make_app,
):
    flow = _app(make_app)
    early = _referral(flow, "2026-12-14T10:00", reason_for_referral="Conflict at home")
    late = _referral(flow, "2026-12-15T13:00")  # after this week's agenda went out
    step(flow, early, "2026-12-15T15:30", "panel_accept", by=BS)
    flow.advance(at("2026-12-29T09:00"))  # `late` not decided on the 22nd: listed again
    step(flow, late, "2026-12-29T15:00", "panel_decline", {"reason": "Needs CAMHS first"}, by=BS)
    flow.advance(at("2027-01-05T12:00"))  # nothing awaiting the panel: no agenda

    agendas = outbox_rows(flow, template=PANEL)
    assert [(a["to_address"], a["sent_at"]) for a in agendas] == [
        ("panel@example.org", at("2026-12-15T09:00")),
        ("panel@example.org", at("2026-12-22T09:00")),
        ("panel@example.org", at("2026-12-29T09:00")),
    ]
    first, second, third = agendas
    assert first["subject"] == (
        "Resource Panel this afternoon: family therapy referrals, Tuesday 15 December 2026"
    )
    assert (
        f"- {_ref(early)}, received Monday 14 December 2026: Alex Smith (social worker "
        "Sam Jones)\n  Reason for referral: Conflict at home"
    ) in first["body"]
    assert _ref(late) not in first["body"]
    assert _ref(late) in second["body"] and _ref(early) not in second["body"]
    assert _ref(late) in third["body"]
    assert first["rule"] == "FTH-01"


# -- FTH-02: the panel's decision -----------------------------------------------------


def test_FTH_02_panel_acceptance_puts_the_referral_on_the_waiting_list_and_tells_bs_and_the_sw(
    make_app,
):
    flow = _app(make_app)
    case_id = _referral(flow)

    with pytest.raises(RoleNotAllowed, match="needs one of: business_support, team_manager"):
        flow.fire(case_id, "panel_accept", actor=Actor(SW, AS_NAMED))
    step(
        flow,
        case_id,
        "2026-12-15T15:30",
        "panel_accept",
        {"notes": "Offer an initial assessment first"},
        by=BS,
    )

    case = case_state(flow, case_id)
    assert (case.state, case.data["accepted_at"]) == ("waiting_list", "2026-12-15T15:30:00+00:00")
    to_bs = _one(flow, case_id, "family_therapy/panel_accepted_bs")
    assert (to_bs["to_address"], to_bs["cc"]) == (BS, [TM])
    assert to_bs["subject"] == f"Accepted at panel: add {_ref(case_id)} to the waiting list"
    assert (
        "add the referral to the child's record on Protocol and add it to the tracker's "
        "waiting list"
    ) in to_bs["body"]
    assert "Panel notes: Offer an initial assessment first" in to_bs["body"]
    to_sw = _one(flow, case_id, "family_therapy/panel_accepted_sw")
    assert to_sw["to_address"] == SW
    assert "It is now on the family therapy waiting list." in to_sw["body"]


def test_FTH_02_a_referral_the_panel_does_not_accept_is_closed_and_the_sw_is_told_why(make_app):
    flow = _app(make_app)
    case_id = _referral(flow)

    with pytest.raises(InputError, match=r"data.reason"):
        flow.fire(case_id, "panel_decline", {}, actor=Actor(BS, AS_NAMED))
    step(
        flow,
        case_id,
        "2026-12-15T15:30",
        "panel_decline",
        {"reason": "CAMHS are already working with the family"},
        by=TM,
    )

    case = case_state(flow, case_id)
    assert (case.state, case.closed_at) == ("declined", at("2026-12-15T15:30"))
    email = _one(flow, case_id, "family_therapy/panel_declined")
    assert (email["to_address"], email["cc"]) == (SW, [TM])
    assert "Reason: CAMHS are already working with the family" in email["body"]
    with pytest.raises(TriggerNotAllowed, match="none"):
        flow.fire(case_id, "panel_accept", actor=Actor(BS, AS_NAMED))


# -- FTH-03: the waiting list at every team meeting -----------------------------------


def test_FTH_03_the_team_meeting_digest_lists_the_waiting_list_every_wednesday_with_the_last_sw_update(  # noqa: E501
    make_app,
):
    flow = _app(make_app)
    case_id = _referral(flow)
    step(flow, case_id, "2026-12-15T15:30", "panel_accept", by=BS)
    flow.advance(at("2026-12-16T09:00"))
    step(
        flow,
        case_id,
        "2026-12-16T11:00",
        "update_sw",
        {"update": "Third on the list.", "expected_timescale": "about 6 weeks"},
        by=TM,
    )
    flow.advance(at("2026-12-23T09:00"))

    first, second = outbox_rows(flow, template=DIGEST)
    assert (first["to_address"], first["sent_at"]) == ("team@example.org", at("2026-12-16T09:00"))
    assert second["sent_at"] == at("2026-12-23T09:00")
    assert first["subject"] == (
        "Family therapy team meeting: waiting list and reviews, Wednesday 16 December 2026"
    )
    assert (
        f"- {_ref(case_id)}: on the list since Tuesday 15 December 2026; last update to "
        "the social worker: none yet"
    ) in first["body"]
    assert "last update to the social worker: Wednesday 16 December 2026" in second["body"]
    assert first["rule"] == "FTH-03, FTH-07"


def test_FTH_03_the_team_manager_gives_the_sw_an_update_and_any_timescale(make_app):
    flow = _app(make_app)
    case_id = _referral(flow)
    step(flow, case_id, "2026-12-15T15:30", "panel_accept", by=BS)

    with pytest.raises(RoleNotAllowed, match="needs one of: team_manager"):
        flow.fire(case_id, "update_sw", {"update": "x"}, actor=Actor(BS, AS_NAMED))
    step(
        flow,
        case_id,
        "2026-12-16T11:00",
        "update_sw",
        {"update": "Alex is third on the list.", "expected_timescale": "about 6 weeks"},
        by=TM,
    )
    step(flow, case_id, "2026-12-23T11:00", "update_sw", {"update": "Now second."}, by=TM)

    first, second = outbox_rows(
        flow, case_id=case_id, template="family_therapy/waiting_list_update"
    )
    assert first["to_address"] == SW
    assert first["subject"] == f"Family therapy waiting list update: {_ref(case_id)}"
    assert "Alex is third on the list.\n\nTimescale: about 6 weeks" in first["body"]
    assert "Timescale: none can be given yet" in second["body"]
    case = case_state(flow, case_id)
    assert (case.state, len(case.data["sw_updates"])) == ("waiting_list", 2)


def test_FTH_03_the_team_meeting_slot_is_configuration(make_app):
    flow = _app(make_app, agenda_times={"family_therapy_waiting_list": "thu 10:00"})
    case_id = _referral(flow)
    step(flow, case_id, "2026-12-15T15:30", "panel_accept", by=BS)
    flow.advance(at("2026-12-18T09:00"))

    assert [d["sent_at"] for d in outbox_rows(flow, template=DIGEST)] == [at("2026-12-17T10:00")]


# -- FTH-04 / FTH-06: two kinds of allocation -----------------------------------------


def test_FTH_04_an_assessment_only_allocation_adds_no_involvement_and_needs_no_case_note(make_app):
    flow = _app(make_app)
    case_id = _referral(flow)
    step(flow, case_id, "2026-12-15T15:30", "panel_accept", by=BS)

    with pytest.raises(InputError, match=r"data.therapist"):
        flow.fire(
            case_id,
            "allocate",
            {"therapist": {"name": "No Email"}, "kind": "initial_assessment"},
            actor=Actor(TM, AS_NAMED),
        )
    with pytest.raises(InputError, match=r"data.kind"):
        flow.fire(
            case_id, "allocate", {"therapist": THERAPIST, "kind": "half"}, actor=Actor(TM, AS_NAMED)
        )
    _allocate(flow, case_id, "2027-01-04T10:00", "initial_assessment")
    flow.advance(at("2027-01-08T12:00"))

    case = case_state(flow, case_id)
    assert (case.state, case.data["allocation_kind"]) == (
        "initial_assessment",
        "initial_assessment",
    )
    therapist = _one(flow, case_id, "family_therapy/allocated_therapist")
    assert therapist["to_address"] == THERAPIST["email"]
    assert therapist["subject"] == (
        f"Allocated for initial assessment: family therapy {_ref(case_id)}"
    )
    assert "allocated to you to complete the initial assessment only" in therapist["body"]
    to_sw = _one(flow, case_id, "family_therapy/allocated_sw")
    assert to_sw["to_address"] == SW
    assert "allocated to Tara Quinn, to complete the initial assessment only" in to_sw["body"]
    to_bs = _one(flow, case_id, "family_therapy/allocated_bs")
    assert (to_bs["to_address"], to_bs["cc"], to_bs["rule"]) == (BS, [TM], "FTH-04")
    assert "Do not add the therapist to involvements" in to_bs["body"]
    assert _set(flow, case_id, "FTH-04") == []
    assert outbox_rows(flow, template="family_therapy/allocation_note_missing") == []


def test_FTH_04_a_full_allocation_asks_bs_for_involvements_and_the_manager_for_the_case_note(
    make_app,
):
    flow = _app(make_app)
    noted, forgotten = _referral(flow), _referral(flow)
    for case_id in (noted, forgotten):
        step(flow, case_id, "2026-12-15T15:30", "panel_accept", by=BS)
        _allocate(flow, case_id, "2026-12-18T10:00", "full_case")
    flow.add_note(
        noted,
        text="Therapy allocated to Tara Quinn.",
        kind="allocation",
        actor=Actor(TM, AS_NAMED),
        at=at("2026-12-18T10:00"),
    )
    flow.advance(at("2027-01-08T12:00"))

    case = case_state(flow, forgotten)
    assert (case.state, case.data["allocation_kind"]) == ("initial_assessment", "full_case")
    to_bs = _one(flow, forgotten, "family_therapy/allocated_bs")
    assert to_bs["subject"] == f"Tracker: {_ref(forgotten)} allocated to Tara Quinn (full case)"
    assert "Please add Tara Quinn to the involvements section on Protocol." in to_bs["body"]
    assert _set(flow, forgotten, "FTH-04") == ["2026-12-21T23:59:59+00:00"]
    assert outbox_rows(flow, case_id=noted, template="family_therapy/allocation_note_missing") == []
    reminder = _one(flow, forgotten, "family_therapy/allocation_note_missing")  # once only
    assert (reminder["to_address"], reminder["sent_at"]) == (TM, at("2026-12-22T08:00"))
    assert "due by Monday 21 December 2026 at 23:59" in reminder["body"]


def test_FTH_04_FTH_05_a_full_allocation_starts_with_the_assessment_then_work_commences(make_app):
    flow = _app(make_app)
    case_id = _referral(flow)
    step(flow, case_id, "2026-12-15T15:30", "panel_accept", by=BS)
    _allocate(flow, case_id, "2027-01-04T10:00", "full_case")
    assert _set(flow, case_id, "FTH-07") == []  # no planning clock during the assessment
    _assess(flow, case_id, "2027-01-11T14:00")

    assert case_state(flow, case_id).state == "planning"
    feedback = _one(flow, case_id, "family_therapy/assessment_feedback")
    assert "Work continues with the same therapist" in feedback["body"]
    assert _set(flow, case_id, "FTH-07") == ["2027-01-25T23:59:59+00:00"]


def test_FTH_06_after_the_assessment_a_full_allocation_adds_the_therapist_to_involvements(make_app):
    flow = _app(make_app)
    case_id = _assessed_on_waiting_list(flow)

    with pytest.raises(GuardFailed, match="allocate it as a full case"):
        flow.fire(
            case_id,
            "allocate",
            {"therapist": THERAPIST, "kind": "initial_assessment"},
            actor=Actor(TM, AS_NAMED),
        )
    _allocate(flow, case_id, "2027-01-18T10:00", "full_case")

    assert case_state(flow, case_id).state == "planning"
    [entry] = [
        e
        for e in history(flow, case_id)
        if e.get("trigger") == "allocate" and e["at"] == "2027-01-18T10:00:00+00:00"
    ]
    assert entry["rule"] == "FTH-06"
    [_, to_bs] = outbox_rows(flow, case_id=case_id, template="family_therapy/allocated_bs")
    assert (to_bs["to_address"], to_bs["rule"]) == (BS, "FTH-06")
    assert "for the full case, after the initial assessment" in to_bs["body"]
    assert "Please add Tara Quinn to the involvements section on Protocol." in to_bs["body"]
    [_, therapist] = outbox_rows(
        flow, case_id=case_id, template="family_therapy/allocated_therapist"
    )
    assert "Please arrange the planning meeting" in therapist["body"]


# -- FTH-05: initial assessment outcome and feedback ----------------------------------


def test_FTH_05_the_outcome_and_feedback_go_to_the_sw_and_the_manager_and_the_case_rejoins_the_list(
    make_app,
):
    flow = _app(make_app)
    case_id = _referral(flow)
    step(flow, case_id, "2026-12-15T15:30", "panel_accept", by=BS)
    _allocate(flow, case_id, "2027-01-04T10:00", "initial_assessment")

    with pytest.raises(RoleNotAllowed, match="needs one of: team_manager, therapist"):
        flow.fire(
            case_id,
            "record_initial_assessment",
            {"outcome": "therapy_recommended", "summary": "x", "family_feedback": "y"},
            actor=Actor(SW, AS_NAMED),
        )
    with pytest.raises(InputError, match=r"data.family_feedback"):
        flow.fire(
            case_id,
            "record_initial_assessment",
            {"outcome": "therapy_recommended", "summary": "x"},
            actor=Actor(THERAPIST["email"], AS_NAMED),
        )
    _assess(flow, case_id, "2027-01-11T14:00")

    case = case_state(flow, case_id)
    assert (case.state, case.data["assessed_by"]) == ("waiting_list", "Tara Quinn")
    email = _one(flow, case_id, "family_therapy/assessment_feedback")
    assert (email["to_address"], email["cc"]) == (SW, [TM])
    assert email["subject"] == f"Initial assessment outcome: family therapy {_ref(case_id)}"
    assert "Outcome: therapy recommended" in email["body"]
    assert "Feedback to the family: Given in person at the home visit." in email["body"]
    assert "goes back on the waiting list for a therapy allocation" in email["body"]


def test_FTH_05_when_therapy_is_not_recommended_the_case_closes_and_bs_closes_the_tracker(make_app):
    flow = _app(make_app)
    case_id = _referral(flow)
    step(flow, case_id, "2026-12-15T15:30", "panel_accept", by=BS)
    _allocate(flow, case_id, "2027-01-04T10:00", "initial_assessment")
    _assess(flow, case_id, "2027-01-11T14:00", outcome="therapy_not_recommended")

    case = case_state(flow, case_id)
    assert (case.state, case.data["closure_reason"]) == ("closed", "therapy_not_recommended")
    assert (
        "Outcome: therapy not recommended"
        in _one(flow, case_id, "family_therapy/assessment_feedback")["body"]
    )
    closed = _one(flow, case_id, "family_therapy/closed_bs")
    assert closed["subject"] == (
        f"Closed: family therapy {_ref(case_id)} (therapy not recommended)"
    )
    assert "involvement" not in closed["body"]  # assessment only: never on involvements


# -- FTH-07: planning and goals, sessions, reviews ------------------------------------


def test_FTH_07_the_planning_meeting_is_due_in_10_working_days_the_therapist_is_reminded_and_the_manager_told_once(  # noqa: E501
    make_app,
):
    flow = _app(make_app)
    case_id = _assessed_on_waiting_list(flow)
    _allocate(flow, case_id, "2027-01-18T10:00", "full_case")
    assert _set(flow, case_id, "FTH-07") == ["2027-02-01T23:59:59+00:00"]
    flow.advance(at("2027-03-01T12:00"))
    step(
        flow,
        case_id,
        "2027-03-01T14:00",
        "hold_planning_meeting",
        {"goals": ["Routines"]},
        by=THERAPIST["email"],
    )

    reminder = _one(flow, case_id, "family_therapy/planning_reminder")
    assert (reminder["to_address"], reminder["sent_at"]) == (
        THERAPIST["email"],
        at("2027-01-28T09:00"),
    )
    assert "is due by Monday 1 February 2027 at 23:59" in reminder["body"]
    overdue = _one(flow, case_id, "family_therapy/planning_overdue")  # once, not weekly
    assert (overdue["to_address"], overdue["sent_at"]) == (TM, at("2027-02-02T08:00"))
    assert "Therapist: Tara Quinn" in overdue["body"]
    [met] = [
        e for e in history(flow, case_id) if e["kind"] == "deadline_met" and e["rule"] == "FTH-07"
    ]
    assert met["reason"] == "met late"


def test_FTH_07_goals_reviews_and_session_notes_are_recorded_and_the_case_is_reviewed_weekly(
    make_app,
):
    flow = _app(make_app)
    case_id = _assessed_on_waiting_list(flow)
    _allocate(flow, case_id, "2027-01-18T10:00", "full_case")
    with pytest.raises(InputError, match=r"data.goals"):
        flow.fire(
            case_id,
            "hold_planning_meeting",
            {"goals": ["  "]},
            actor=Actor(THERAPIST["email"], AS_NAMED),
        )
    step(
        flow,
        case_id,
        "2027-01-26T14:00",
        "hold_planning_meeting",
        {"goals": ["Talk about school without arguing"]},
        by=THERAPIST["email"],
    )
    flow.advance(at("2027-01-26T16:00"))
    flow.add_note(
        case_id,
        text="Session 1: mum and Alex.",
        kind="session",
        actor=Actor(THERAPIST["email"], AS_NAMED),
        at=at("2027-01-26T16:00"),
    )
    step(
        flow,
        case_id,
        "2027-02-22T15:00",
        "record_review",
        {"attendees": ["social worker", "mum", "Alex"], "summary": "Going well."},
        by=SW,
    )
    flow.advance(at("2027-02-24T09:00"))

    case = case_state(flow, case_id)
    assert case.state == "in_therapy"
    assert case.data["goals"] == ["Talk about school without arguing"]
    assert case.data["reviews"][0]["attendees"] == ["social worker", "mum", "Alex"]
    assert outbox_rows(flow, template="family_therapy/planning_reminder") == []
    digest = outbox_rows(flow, template=DIGEST)[-1]
    assert digest["sent_at"] == at("2027-02-24T09:00")
    review = digest["body"].split("Open therapy cases for review:")[1]
    assert (
        f"- {_ref(case_id)} (in therapy): therapist Tara Quinn; last review Monday 22 February 2027"
    ) in review


# -- FTH-08: agreed closure -----------------------------------------------------------


def test_FTH_08_agreed_closure_sends_the_summary_to_the_sw_and_closes_the_tracker_and_involvement(
    make_app,
):
    flow = _app(make_app)
    case_id = _in_therapy(flow)

    with pytest.raises(InputError, match=r"data.summary"):
        flow.fire(
            case_id,
            "agree_closure",
            {"agreed_with": ["SW"]},
            actor=Actor(THERAPIST["email"], AS_NAMED),
        )
    step(
        flow,
        case_id,
        "2027-04-09T15:00",
        "agree_closure",
        {
            "summary": "Both goals met.",
            "agreed_with": ["social worker", "family"],
            "recommendations": "Review at the next CIN meeting.",
        },
        by=THERAPIST["email"],
    )
    flow.advance(at("2027-04-14T09:00"))

    case = case_state(flow, case_id)
    assert (case.state, case.data["closure_reason"]) == ("closed", "agreed_closure")
    summary = _one(flow, case_id, "family_therapy/closure_summary")
    assert (summary["to_address"], summary["cc"]) == (SW, [TM])
    assert "as agreed with social worker, family" in summary["body"]
    assert "Summary of the work and outcome:\nBoth goals met." in summary["body"]
    assert "- Talk about school without arguing" in summary["body"]
    assert "Recommendations: Review at the next CIN meeting." in summary["body"]
    closed = _one(flow, case_id, "family_therapy/closed_bs")
    assert (closed["to_address"], closed["cc"]) == (BS, [TM])
    assert "Please move it to the closed tab of the tracker." in closed["body"]
    assert "Please end Tara Quinn's involvement on Protocol." in closed["body"]
    last = outbox_rows(flow, template=DIGEST)[-1]
    assert last["sent_at"] == at("2027-04-14T09:00")  # local time: 08:00 UTC in BST
    assert (
        f"- {_ref(case_id)} (closed, agreed closure)"
        in last["body"].split("Closed since the last team meeting:")[1]
    )


def test_FTH_08_a_withdrawn_referral_is_closed_with_its_reason_and_no_involvement_to_end(make_app):
    flow = _app(make_app)
    case_id = _referral(flow)
    step(flow, case_id, "2026-12-15T15:30", "panel_accept", by=BS)
    step(flow, case_id, "2027-01-06T10:00", "withdraw", {"reason": "Family moved away"}, by=SW)

    closed = _one(flow, case_id, "family_therapy/closed_bs")
    assert closed["subject"] == f"Closed: family therapy {_ref(case_id)} (withdrawn)"
    assert "Reason: Family moved away" in closed["body"]
    assert "involvement" not in closed["body"]


# -- scenarios, replayed in-process to the minute -------------------------------------


def _replay(name: str) -> dict[str, Any]:
    settings = Settings(mailing_lists=LISTS, timescales={}, agenda_times={})
    return run(load(SCENARIOS / f"{name}.yaml"), settings=settings)


def _messages(result: dict[str, Any], *, digests: bool = False) -> list[tuple[Any, ...]]:
    return [
        (
            e["at"],
            e["template"].removeprefix("family_therapy/"),
            e["to_address"],
            e.get("cc"),
            e["sent_at"],
            e["rule"],
        )
        for e in result["timeline"]
        if e["kind"] == "message"
        and e["template"].startswith("family_therapy/")
        and (digests or e["template"] != DIGEST)
    ]


def _deadlines(result: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [
        (e["at"], e["kind"], e["rule"], e["due_at"], e.get("reason"))
        for e in result["timeline"]
        if e["kind"] in ("deadline_set", "deadline_met", "deadline_missed")
    ]


def test_FTH_01_to_FTH_07_scenario_panel_and_waiting_list_replays_to_the_minute():
    result = _replay("family_therapy-panel-and-waiting-list")

    assert result["final_state"] == "in_therapy"
    z = "+00:00"
    assert _messages(result) == [
        (
            f"2026-12-14T10:00:00{z}",
            "referral_received",
            SW,
            None,
            f"2026-12-14T10:00:00{z}",
            "FTH-01",
        ),
        (
            f"2026-12-15T09:00:00{z}",
            "panel_agenda",
            "panel@example.org",
            None,
            f"2026-12-15T09:00:00{z}",
            "FTH-01",
        ),
        (
            f"2026-12-15T15:30:00{z}",
            "panel_accepted_bs",
            BS,
            [TM],
            f"2026-12-15T15:30:00{z}",
            "FTH-02",
        ),
        (
            f"2026-12-15T15:30:00{z}",
            "panel_accepted_sw",
            SW,
            None,
            f"2026-12-15T15:30:00{z}",
            "FTH-02",
        ),
        (
            f"2026-12-16T11:00:00{z}",
            "waiting_list_update",
            SW,
            None,
            f"2026-12-16T11:00:00{z}",
            "FTH-03",
        ),
        (
            f"2027-01-04T10:00:00{z}",
            "allocated_therapist",
            THERAPIST["email"],
            None,
            f"2027-01-04T10:00:00{z}",
            "FTH-04",
        ),
        (f"2027-01-04T10:00:00{z}", "allocated_sw", SW, None, f"2027-01-04T10:00:00{z}", "FTH-04"),
        (f"2027-01-04T10:00:00{z}", "allocated_bs", BS, [TM], f"2027-01-04T10:00:00{z}", "FTH-04"),
        (
            f"2027-01-11T14:00:00{z}",
            "assessment_feedback",
            SW,
            [TM],
            f"2027-01-11T14:00:00{z}",
            "FTH-05",
        ),
        (
            f"2027-01-18T10:00:00{z}",
            "allocated_therapist",
            THERAPIST["email"],
            None,
            f"2027-01-18T10:00:00{z}",
            "FTH-04",
        ),
        (f"2027-01-18T10:00:00{z}", "allocated_sw", SW, None, f"2027-01-18T10:00:00{z}", "FTH-04"),
        (f"2027-01-18T10:00:00{z}", "allocated_bs", BS, [TM], f"2027-01-18T10:00:00{z}", "FTH-06"),
    ]
    digests = [m for m in _messages(result, digests=True) if m[1] == "waiting_list_agenda"]
    assert [(m[0], m[2], m[4]) for m in digests] == [
        (f"{day}T09:00:00{z}", "team@example.org", f"{day}T09:00:00{z}")
        for day in (
            "2026-12-16",
            "2026-12-23",
            "2026-12-30",
            "2027-01-06",
            "2027-01-13",
            "2027-01-20",
            "2027-01-27",
        )
    ]
    assert _deadlines(result) == [
        (
            f"2027-01-18T10:00:00{z}",
            "deadline_set",
            "FTH-04",
            f"2027-01-19T23:59:59{z}",
            "allocation case note within 1 working day of a full allocation",
        ),
        (
            f"2027-01-18T10:00:00{z}",
            "deadline_set",
            "FTH-07",
            f"2027-02-01T23:59:59{z}",
            "planning meeting and goals within 10 working days of therapy starting",
        ),
        (
            f"2027-01-18T10:30:00{z}",
            "deadline_met",
            "FTH-04",
            f"2027-01-19T23:59:59{z}",
            "met on time",
        ),
        (
            f"2027-01-26T14:00:00{z}",
            "deadline_met",
            "FTH-07",
            f"2027-02-01T23:59:59{z}",
            "met on time",
        ),
    ]
    panel = next(e for e in result["timeline"] if e.get("template") == PANEL)
    assert "- FTH-000001, received Monday 14 December 2026: Alex Smith" in panel["body"]
    last = [e for e in result["timeline"] if e.get("template") == DIGEST][-1]
    assert "- FTH-000001 (in therapy): therapist Tara Quinn" in last["body"]


def test_FTH_04_FTH_05_FTH_07_FTH_08_scenario_full_case_closure_replays_to_the_minute():
    result = _replay("family_therapy-full-case-closure")

    assert result["final_state"] == "closed"
    z, bst = "+00:00", "+01:00"
    assert _messages(result) == [
        (
            f"2027-02-03T10:00:00{z}",
            "referral_received",
            SW,
            None,
            f"2027-02-03T10:00:00{z}",
            "FTH-01",
        ),
        (
            f"2027-02-09T09:00:00{z}",
            "panel_agenda",
            "panel@example.org",
            None,
            f"2027-02-09T09:00:00{z}",
            "FTH-01",
        ),
        (
            f"2027-02-09T16:00:00{z}",
            "panel_accepted_bs",
            BS,
            [TM],
            f"2027-02-09T16:00:00{z}",
            "FTH-02",
        ),
        (
            f"2027-02-09T16:00:00{z}",
            "panel_accepted_sw",
            SW,
            None,
            f"2027-02-09T16:00:00{z}",
            "FTH-02",
        ),
        (
            f"2027-02-11T10:00:00{z}",
            "allocated_therapist",
            THERAPIST["email"],
            None,
            f"2027-02-11T10:00:00{z}",
            "FTH-04",
        ),
        (f"2027-02-11T10:00:00{z}", "allocated_sw", SW, None, f"2027-02-11T10:00:00{z}", "FTH-04"),
        (f"2027-02-11T10:00:00{z}", "allocated_bs", BS, [TM], f"2027-02-11T10:00:00{z}", "FTH-04"),
        (
            f"2027-02-12T23:59:59{z}",
            "allocation_note_missing",
            TM,
            None,
            f"2027-02-13T08:00:00{z}",
            "FTH-04",
        ),
        (
            f"2027-02-18T14:00:00{z}",
            "assessment_feedback",
            SW,
            [TM],
            f"2027-02-18T14:00:00{z}",
            "FTH-05",
        ),
        (
            f"2027-03-02T09:00:00{z}",
            "planning_reminder",
            THERAPIST["email"],
            None,
            f"2027-03-02T09:00:00{z}",
            "FTH-07",
        ),
        (
            f"2027-03-04T23:59:59{z}",
            "planning_overdue",
            TM,
            None,
            f"2027-03-05T08:00:00{z}",
            "FTH-07",
        ),
        (
            f"2027-06-04T15:00:00{bst}",
            "closure_summary",
            SW,
            [TM],
            f"2027-06-04T15:00:00{bst}",
            "FTH-08",
        ),
        (f"2027-06-04T15:00:00{bst}", "closed_bs", BS, [TM], f"2027-06-04T15:00:00{bst}", "FTH-08"),
    ]
    assert _deadlines(result) == [
        (
            f"2027-02-11T10:00:00{z}",
            "deadline_set",
            "FTH-04",
            f"2027-02-12T23:59:59{z}",
            "allocation case note within 1 working day of a full allocation",
        ),
        (
            f"2027-02-12T23:59:59{z}",
            "deadline_missed",
            "FTH-04",
            f"2027-02-12T23:59:59{z}",
            "allocation case note within 1 working day of a full allocation",
        ),
        (
            f"2027-02-18T14:00:00{z}",
            "deadline_set",
            "FTH-07",
            f"2027-03-04T23:59:59{z}",
            "planning meeting and goals within 10 working days of therapy starting",
        ),
        (
            f"2027-03-04T23:59:59{z}",
            "deadline_missed",
            "FTH-07",
            f"2027-03-04T23:59:59{z}",
            "planning meeting and goals within 10 working days of therapy starting",
        ),
        (
            f"2027-03-08T10:00:00{z}",
            "deadline_met",
            "FTH-07",
            f"2027-03-04T23:59:59{z}",
            "met late",
        ),
    ]
    digests = [e for e in result["timeline"] if e.get("template") == DIGEST]
    assert len(digests) == 18  # every Wednesday from 10 February to 9 June 2027
    assert digests[-1]["at"] == digests[-1]["sent_at"] == f"2027-06-09T09:00:00{bst}"
    assert "- FTH-000001 (closed, agreed closure)" in digests[-1]["body"]
    summary = next(
        e for e in result["timeline"] if e.get("template") == "family_therapy/closure_summary"
    )
    assert "Recommendations: Review family time arrangements" in summary["body"]
