"""Statutory assessment, rule by rule (SA-01 to SA-09), on SQLite and PostgreSQL.

The referral in most journeys arrives on Monday 23 November 2026 at 10:00 (day 0). Counting
working days in England: day 15 is Monday 14 December 2026; day 40 is Thursday 21 January
2027 and day 45 is Thursday 28 January 2027, because Friday 25 December, Monday 28 December
(Boxing Day substitute) and Friday 1 January are bank holidays.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from engine import store
from engine.calendar import WorkingCalendar
from engine.cases import AS_NAMED, Actor
from engine.errors import GuardFailed, InputError, RoleNotAllowed, TriggerNotAllowed
from familyflow.simulate import load, run
from tests.support.journeys import at, case_state, history, outbox_rows, step
from workflows.spec import Duration

SCENARIOS = Path(__file__).resolve().parents[2] / "docs" / "scenarios"
REFERRAL = "2026-11-23T10:00"
TM = {"name": "Priya Shah", "email": "priya.shah@example.org"}
SW = {"name": "Sam Jones", "email": "sam.jones@example.org"}  # a qualified social worker
FHSW = {"name": "Kim Lee", "email": "kim.lee@example.org"}  # a family help support worker
CONTACTS = {
    "team_manager": TM,
    "parent": {"name": "Jo Parent", "mobile": "07700900123"},
    "child": {"name": "Alex Parent"},
    "referrer": {"name": "Mo Khan", "email": "mo.khan@school.example.org"},
    "health_visitor": {"name": "Helen Hughes", "email": "helen.hughes@nhs.example.org"},
}
DANGER = (
    "MASH is worried that Alex (4) may be hurt when his mother's partner drinks, "
    "as police were called to the home twice in November."
)
SOS = {
    "worried": "Alex has seen violence at home and his mother's partner drinks heavily.",
    "working_well": "Alex's grandmother sees him daily and his nursery attendance is good.",
    "needs_to_happen": "A safety plan agreed with the family and the network.",
    "scales": [
        {"judge": "Sam Jones", "role": "social_worker", "score": 4},
        {"judge": "Jo Parent", "role": "parent", "score": 7},
    ],
}
LATER_SOS = {
    **SOS,
    "scales": [
        {"judge": "Sam Jones", "role": "social_worker", "score": 6},
        {"judge": "Jo Parent", "role": "parent", "score": 8},
        {"judge": "Alex Parent", "role": "child", "score": 7},
    ],
}


def _allocation(
    lead: dict[str, Any] = SW,
    *,
    qualified: bool = True,
    section: str = "s47",
    level: str = "complex",
    manager_qualified: bool = True,
) -> dict[str, Any]:
    return {
        "lead_practitioner": lead,
        "lead_is_qualified_social_worker": qualified,
        "manager_is_qualified_social_worker": manager_qualified,
        "section": section,
        "level": level,
    }


def _new(
    flow: Any,
    received: str = REFERRAL,
    *,
    danger: bool = True,
    contacts: dict[str, Any] | None = None,
) -> int:
    flow.clock.advance_to(at(received))
    case_id: int = flow.create_case(
        process="statutory_assessment",
        received_at=at(received),
        data={"danger_statement": DANGER} if danger else {},
        contacts=contacts or CONTACTS,
    )
    flow.tick()
    return case_id


def _assessing(
    flow: Any,
    case_id: int,
    *,
    section: str = "s47",
    lead: dict[str, Any] = SW,
    qualified: bool = True,
) -> None:
    step(
        flow,
        case_id,
        "2026-11-24T10:00",
        "allocate",
        _allocation(lead, qualified=qualified, section=section),
        by=TM["email"],
    )
    step(
        flow,
        case_id,
        "2026-11-25T14:00",
        "hold_planning_discussion",
        {
            "reason_for_referral": "Police called to domestic incidents twice in November",
            "known_needs": "Alex has speech delay",
        },
        by=lead["email"],
    )


def _reviewed(flow: Any, case_id: int, **kwargs: Any) -> None:
    _assessing(flow, case_id, **kwargs)
    step(
        flow,
        case_id,
        "2026-12-02T11:00",
        "hold_review_discussion",
        {**SOS, "level": "complex", "stepping": "stay"},
        by=TM["email"],
    )


def _submit(flow: Any, case_id: int, when: str, **extra: Any) -> Any:
    return step(
        flow,
        case_id,
        when,
        "submit",
        {
            **LATER_SOS,
            "next_steps": "Initial child protection conference; safety plan with grandmother",
            "recommended_level": "complex",
            **extra,
        },
        by=SW["email"],
    )


def _deadlines(flow: Any, case_id: int) -> dict[str, str]:
    return {e["detail_timescale"]: e["due_at"] for e in _set(flow, case_id)}


def _set(flow: Any, case_id: int) -> list[dict[str, Any]]:
    with flow.db.connect() as conn:
        rows = store.history(conn, case_id=case_id)
    return [
        {"detail_timescale": r["detail"]["timescale"], "due_at": r["detail"]["due_at"]}
        for r in rows
        if r["kind"] == "deadline_set"
    ]


def _kinds(flow: Any, case_id: int, kind: str) -> list[tuple[str, str, str]]:
    return [
        (e["rule"], e["at"], e.get("reason", ""))
        for e in history(flow, case_id)
        if e["kind"] == kind
    ]


# -- SA-01 --------------------------------------------------------------------


def test_SA_01_the_continuum_of_need_level_is_required_and_kept_over_time(make_app):
    flow = make_app(start=REFERRAL)
    case_id = _new(flow)
    with pytest.raises(InputError, match=r"data.level"):
        flow.fire(
            case_id,
            "allocate",
            {**_allocation(), "level": "high"},
            actor=Actor(TM["email"], AS_NAMED),
        )
    _reviewed(flow, case_id)
    _submit(flow, case_id, "2026-12-10T16:00")

    history_ = case_state(flow, case_id).data["level_history"]
    assert [(h["occasion"], h["level"]) for h in history_] == [
        ("allocation", "complex"),
        ("review discussion", "complex"),
        ("submission", "complex"),
    ]
    assert history_[0]["at"] == "2026-11-24T10:00:00+00:00"


# -- SA-02 --------------------------------------------------------------------


def test_SA_02_a_new_assessment_emails_the_social_work_manager_to_allocate(make_app):
    flow = make_app(start=REFERRAL)
    case_id = _new(flow)

    assert case_state(flow, case_id).state == "awaiting_allocation"
    [email] = outbox_rows(flow, case_id=case_id)
    assert (email["template"], email["to_address"]) == (
        "statutory_assessment/assessment_received",
        TM["email"],
    )
    assert email["subject"] == f"New assessment to allocate: SA-{case_id:06d}"
    assert "received on Monday 23 November 2026 at 10:00 for Alex Parent" in email["body"]
    assert f"MASH Danger Statement: {DANGER}" in email["body"]
    assert "always undertaken by a qualified social worker" in email["body"]


def test_SA_02_a_section_47_investigation_is_refused_unless_the_lead_is_a_qualified_sw(make_app):
    flow = make_app(start=REFERRAL)
    case_id = _new(flow)

    with pytest.raises(GuardFailed, match=r"always undertaken by a qualified social worker"):
        step(
            flow,
            case_id,
            "2026-11-24T10:00",
            "allocate",
            _allocation(FHSW, qualified=False),
            by=TM["email"],
        )
    with pytest.raises(RoleNotAllowed, match=r"needs one of: team_manager"):
        flow.fire(case_id, "allocate", _allocation(), actor=Actor(SW["email"], AS_NAMED))
    step(flow, case_id, "2026-11-24T10:30", "allocate", _allocation(), by=TM["email"])

    case = case_state(flow, case_id)
    assert (case.state, case.data["section"]) == ("planning", "s47")
    assert case.data["lead_is_qualified_social_worker"] is True
    [email] = outbox_rows(flow, case_id=case_id, template="statutory_assessment/allocated")
    assert (email["to_address"], email["cc"]) == (SW["email"], [TM["email"]])
    assert email["subject"] == (
        f"Allocated to you: Section 47 child protection investigation SA-{case_id:06d}"
    )
    assert "supervised by Priya Shah" in email["body"]


def test_SA_02_every_lead_is_supervised_by_a_qualified_social_work_manager(make_app):
    flow = make_app(start=REFERRAL)
    case_id = _new(flow)

    with pytest.raises(GuardFailed, match=r"supervised by a qualified Social Work Manager"):
        step(
            flow,
            case_id,
            "2026-11-24T10:00",
            "allocate",
            _allocation(FHSW, qualified=False, section="s17", manager_qualified=False),
            by=TM["email"],
        )
    step(
        flow,
        case_id,
        "2026-11-24T10:30",
        "allocate",
        _allocation(FHSW, qualified=False, section="s17"),
        by=TM["email"],
    )

    assert (
        case_state(flow, case_id).contacts_by_role()["lead_practitioner"]["email"]
        == (FHSW["email"])
    )
    [email] = outbox_rows(flow, case_id=case_id, template="statutory_assessment/allocated")
    assert email["subject"] == f"Allocated to you: Section 17 assessment SA-{case_id:06d}"


def test_SA_02_reallocating_a_section_47_investigation_keeps_it_with_a_qualified_sw(make_app):
    flow = make_app(start=REFERRAL)
    case_id = _new(flow)
    _assessing(flow, case_id)
    move = {
        "lead_practitioner": FHSW,
        "lead_is_qualified_social_worker": False,
        "manager_is_qualified_social_worker": True,
        "reason": "Sam is on leave",
    }

    with pytest.raises(GuardFailed, match=r"always undertaken by a qualified social worker"):
        step(flow, case_id, "2026-11-26T10:00", "reallocate", move, by=TM["email"])
    other_sw = {"name": "Ola Ade", "email": "ola.ade@example.org"}
    step(
        flow,
        case_id,
        "2026-11-26T10:00",
        "reallocate",
        {**move, "lead_practitioner": other_sw, "lead_is_qualified_social_worker": True},
        by=TM["email"],
    )

    case = case_state(flow, case_id)
    assert case.contacts_by_role()["lead_practitioner"]["email"] == "ola.ade@example.org"
    assert [a["lead_practitioner"] for a in case.data["allocations"]] == ["Sam Jones", "Ola Ade"]
    emails = outbox_rows(flow, case_id=case_id, template="statutory_assessment/allocated")
    assert [m["to_address"] for m in emails] == [SW["email"], "ola.ade@example.org"]
    assert "Reason for the change of lead practitioner: Sam is on leave" in emails[1]["body"]
    # The clocks still run from the referral, not from the reallocation.
    assert _deadlines(flow, case_id)["SA-05"] == "2026-12-14T23:59:59+00:00"


# -- SA-03 --------------------------------------------------------------------


def test_SA_03_the_assessment_is_due_45_working_days_after_the_referral_across_christmas(make_app):
    flow = make_app(start=REFERRAL)
    case_id = _new(flow)
    _reviewed(flow, case_id)

    calendar = WorkingCalendar()
    due = calendar.due_at(at(REFERRAL), Duration(amount=45, unit="working_days"))
    assert due == at("2027-01-28T23:59:59")  # not 7 January, as 45 calendar days would be
    assert _deadlines(flow, case_id) == {
        "SA-03": "2027-01-28T23:59:59+00:00",
        "SA-03-submit": "2027-01-21T23:59:59+00:00",
        "SA-05": "2026-12-14T23:59:59+00:00",
    }


def test_SA_03_the_worker_is_chased_at_day_40_then_the_manager_once_at_day_45(make_app):
    flow = make_app(start=REFERRAL)
    case_id = _new(flow)
    _reviewed(flow, case_id)
    step(
        flow,
        case_id,
        "2026-12-11T10:00",
        "hold_network_meeting",
        {
            "attendees": ["Jo Parent", "grandmother", "nursery", "health visitor"],
            "plan": "Grandmother to stay at weekends",
        },
        by=SW["email"],
    )

    flow.advance(at("2027-01-21T23:59:58"))
    assert (
        outbox_rows(flow, case_id=case_id, template="statutory_assessment/submission_expected")
        == []
    )
    flow.advance(at("2027-02-15T09:00"))

    [worker] = outbox_rows(
        flow, case_id=case_id, template="statutory_assessment/submission_expected"
    )
    assert (worker["to_address"], worker["cc"]) == (SW["email"], [])
    assert worker["sent_at"] == at("2027-01-22T08:00")
    assert "expected by Thursday 21 January 2027 at 23:59" in worker["body"]
    [manager] = outbox_rows(
        flow, case_id=case_id, template="statutory_assessment/assessment_overdue"
    )
    assert (manager["to_address"], manager["cc"]) == (TM["email"], [SW["email"]])
    assert manager["sent_at"] == at("2027-01-29T08:00")
    assert manager["subject"] == (
        f"Overdue: assessment SA-{case_id:06d} has passed 45 working days"
    )
    assert "due to be completed by Thursday 28 January 2027 at 23:59" in manager["body"]
    assert _kinds(flow, case_id, "deadline_missed") == [
        (
            "SA-03",
            "2027-01-21T23:59:59+00:00",
            "assessment submitted to the manager by working day 40, leaving 5 working days to "
            "authorise it",
        ),
        (
            "SA-03",
            "2027-01-28T23:59:59+00:00",
            "assessment completed within 45 working days of the referral",
        ),
    ]
    assert len(outbox_rows(flow, case_id=case_id)) == 4  # received, allocated, day 40, day 45


def test_SA_03_once_overdue_ending_the_assessment_needs_a_reason_code(make_app):
    flow = make_app(start=REFERRAL)
    case_id = _new(flow)
    _reviewed(flow, case_id)
    flow.advance(at("2027-02-01T09:00"))

    with pytest.raises(GuardFailed, match=r"choose why it ran over, one of family unavailable"):
        _submit(flow, case_id, "2027-02-01T10:00")
    with pytest.raises(InputError, match=r"data.over_timescale_detail"):
        _submit(flow, case_id, "2027-02-01T10:00", over_timescale_reason="other")
    with pytest.raises(InputError, match=r"data.over_timescale_reason"):
        _submit(flow, case_id, "2027-02-01T10:00", over_timescale_reason="busy")
    _submit(
        flow,
        case_id,
        "2027-02-01T10:00",
        over_timescale_reason="awaiting_information_from_partners",
    )

    [email] = outbox_rows(flow, case_id=case_id, template="statutory_assessment/submitted")
    assert (
        "The assessment ran over its timescale. Reason: awaiting information from partners."
    ) in email["body"]
    # The reason is on the case, so the manager need not give it again.
    step(
        flow,
        case_id,
        "2027-02-02T10:00",
        "authorise",
        {
            "outcome": "child_protection_conference",
            "level": "complex",
            "decision": "Convene an ICPC",
        },
        by=TM["email"],
    )
    met = [
        e
        for e in history(flow, case_id)
        if e["kind"] == "deadline_met" and e["at"] == "2027-02-02T10:00:00+00:00"
    ]
    assert [(e["rule"], e["reason"], e["due_at"]) for e in met] == [
        ("SA-03", "met late", "2027-01-28T23:59:59+00:00")
    ]
    assert case_state(flow, case_id).data["over_timescale_reason"] == (
        "awaiting_information_from_partners"
    )


def test_SA_03_an_assessment_authorised_in_time_needs_no_reason_and_nobody_is_chased(make_app):
    flow = make_app(start=REFERRAL)
    case_id = _new(flow)
    _reviewed(flow, case_id)
    _submit(flow, case_id, "2026-12-10T16:00")
    step(
        flow,
        case_id,
        "2026-12-11T10:00",
        "authorise",
        {"outcome": "child_in_need_plan", "level": "complex", "decision": "CIN plan"},
        by=TM["email"],
    )
    flow.advance(at("2027-02-15T09:00"))

    met = {(e["rule"], e["reason"]) for e in history(flow, case_id) if e["kind"] == "deadline_met"}
    assert met == {("SA-03", "met on time")}
    templates = {m["template"] for m in outbox_rows(flow, case_id=case_id)}
    assert not templates & {
        "statutory_assessment/submission_expected",
        "statutory_assessment/assessment_overdue",
        "statutory_assessment/network_meeting_due",
    }


def test_SA_03_the_45_working_days_are_configurable_like_any_timescale(make_app):
    flow = make_app(
        start=REFERRAL, timescales={"SA-03": "40 working_days", "SA-03-submit": "35 working_days"}
    )
    case_id = _new(flow)
    _assessing(flow, case_id)

    due = _deadlines(flow, case_id)
    assert due["SA-03"] == "2027-01-21T23:59:59+00:00"
    assert due["SA-03-submit"] == "2027-01-14T23:59:59+00:00"


def test_SA_03_a_review_discussion_with_the_manager_comes_before_submission(make_app):
    flow = make_app(start=REFERRAL)
    case_id = _new(flow)
    _assessing(flow, case_id)

    with pytest.raises(GuardFailed, match=r"hold a review discussion"):
        _submit(flow, case_id, "2026-11-30T10:00")
    step(
        flow,
        case_id,
        "2026-12-01T10:00",
        "hold_review_discussion",
        {**SOS, "level": "complex", "stepping": "stay"},
        by=SW["email"],
    )
    _submit(flow, case_id, "2026-12-02T10:00")
    assert case_state(flow, case_id).state == "submitted"


# -- SA-04 --------------------------------------------------------------------


def test_SA_04_the_planning_discussion_needs_the_mash_danger_statement(make_app):
    flow = make_app(start=REFERRAL)
    case_id = _new(flow, danger=False)
    [received] = outbox_rows(flow, case_id=case_id)
    assert "No MASH Danger Statement came with the referral" in received["body"]
    step(flow, case_id, "2026-11-24T10:00", "allocate", _allocation(), by=TM["email"])
    with pytest.raises(TriggerNotAllowed, match=r"allowed here: .*hold_planning_discussion"):
        flow.fire(
            case_id,
            "hold_review_discussion",
            {**SOS, "level": "complex", "stepping": "stay"},
            actor=Actor(SW["email"], AS_NAMED),
        )
    plan = {"reason_for_referral": "Domestic incidents", "known_needs": "Speech delay"}

    with pytest.raises(GuardFailed, match=r"\(SA-04\): enter the danger statement"):
        step(flow, case_id, "2026-11-25T14:00", "hold_planning_discussion", plan, by=SW["email"])
    step(
        flow,
        case_id,
        "2026-11-25T14:30",
        "hold_planning_discussion",
        {**plan, "danger_statement": DANGER},
        by=TM["email"],
    )

    case = case_state(flow, case_id)
    assert case.state == "assessing"
    assert case.data["planning"] == {
        "reason_for_referral": "Domestic incidents",
        "known_needs": "Speech delay",
        "danger_statement": DANGER,
        "plan": None,
        "at": "2026-11-25T14:30:00+00:00",
    }


# -- SA-05 --------------------------------------------------------------------


def test_SA_05_still_going_beyond_working_day_15_the_lead_is_asked_once_for_a_network_meeting(
    make_app,
):
    flow = make_app(start=REFERRAL)
    case_id = _new(flow)
    _reviewed(flow, case_id)

    flow.advance(at("2026-12-14T23:59:58"))
    assert (
        outbox_rows(flow, case_id=case_id, template="statutory_assessment/network_meeting_due")
        == []
    )
    flow.advance(at("2026-12-16T10:00"))
    # Reallocating afterwards does not send it again to the manager.
    step(
        flow,
        case_id,
        "2026-12-16T10:00",
        "reallocate",
        {
            "lead_practitioner": {"name": "Ola Ade", "email": "ola.ade@example.org"},
            "lead_is_qualified_social_worker": True,
            "manager_is_qualified_social_worker": True,
            "reason": "Sam has left",
        },
        by=TM["email"],
    )
    flow.advance(at("2026-12-18T10:00"))

    [email] = outbox_rows(
        flow, case_id=case_id, template="statutory_assessment/network_meeting_due"
    )
    assert (email["to_address"], email["cc"]) == (SW["email"], [TM["email"]])
    assert email["sent_at"] == at("2026-12-15T08:00")
    assert email["subject"] == (
        f"Network meeting needed: assessment SA-{case_id:06d} is past day 15"
    )
    assert "bringing together the family and partners" in email["body"]
    step(
        flow,
        case_id,
        "2026-12-18T10:00",
        "hold_network_meeting",
        {"attendees": ["Jo Parent", "nursery"], "plan": "Safety plan agreed"},
        by="ola.ade@example.org",
    )
    assert [(r, reason) for r, _, reason in _kinds(flow, case_id, "deadline_met")] == [
        ("SA-05", "met late")
    ]


def test_SA_05_a_network_meeting_before_day_15_or_an_early_submission_sends_nothing(make_app):
    flow = make_app(start=REFERRAL)
    met, submitted = _new(flow), _new(flow)
    for case_id in (met, submitted):
        _reviewed(flow, case_id)
    step(
        flow,
        met,
        "2026-12-04T10:00",
        "hold_network_meeting",
        {"attendees": ["Jo Parent", "grandmother"], "plan": "Grandmother to help"},
        by=SW["email"],
    )
    _submit(flow, submitted, "2026-12-04T10:00")
    flow.advance(at("2026-12-17T10:00"))

    assert outbox_rows(flow, template="statutory_assessment/network_meeting_due") == []
    assert _kinds(flow, met, "deadline_met")[0][0::2] == ("SA-05", "met on time")
    # An assessment submitted by day 15 is not "on-going": its reminder is simply withdrawn.
    assert [r for r, _, _ in _kinds(flow, submitted, "deadline_met")] == ["SA-03"]


# -- SA-06 --------------------------------------------------------------------


def test_SA_06_stepping_up_makes_it_a_section_47_investigation_with_a_qualified_sw(make_app):
    flow = make_app(start=REFERRAL)
    case_id = _new(flow)
    _assessing(flow, case_id, section="s17", lead=FHSW, qualified=False)

    with pytest.raises(GuardFailed, match=r"qualified social worker"):
        step(
            flow,
            case_id,
            "2026-11-30T10:00",
            "step_up",
            {"reason": "Alex disclosed being hit"},
            by=TM["email"],
        )
    with pytest.raises(RoleNotAllowed):
        flow.fire(case_id, "step_up", {"reason": "x"}, actor=Actor(FHSW["email"], AS_NAMED))
    step(
        flow,
        case_id,
        "2026-11-30T11:00",
        "step_up",
        {
            "reason": "Alex disclosed being hit",
            "lead_practitioner": SW,
            "lead_is_qualified_social_worker": True,
        },
        by=TM["email"],
    )

    case = case_state(flow, case_id)
    assert (case.state, case.data["section"], case.data["level"]) == ("assessing", "s47", "complex")
    assert case.contacts_by_role()["lead_practitioner"]["email"] == SW["email"]
    [email] = outbox_rows(flow, case_id=case_id, template="statutory_assessment/stepped_up")
    assert (email["to_address"], email["cc"]) == (SW["email"], [TM["email"]])
    assert "Reason: Alex disclosed being hit" in email["body"]
    with pytest.raises(GuardFailed, match=r"already a Section 47"):
        step(flow, case_id, "2026-11-30T12:00", "step_up", {"reason": "again"}, by=TM["email"])
    # The 45 working days still run from the referral.
    assert _deadlines(flow, case_id)["SA-03"] == "2027-01-28T23:59:59+00:00"


def test_SA_06_the_review_discussion_records_the_step_up_or_down_consideration(make_app):
    flow = make_app(start=REFERRAL)
    case_id = _new(flow)
    _assessing(flow, case_id, section="s17", lead=FHSW, qualified=False)
    with pytest.raises(InputError, match=r"data.stepping"):
        flow.fire(
            case_id,
            "hold_review_discussion",
            {**SOS, "level": "additional"},
            actor=Actor(FHSW["email"], AS_NAMED),
        )
    step(
        flow,
        case_id,
        "2026-12-01T10:00",
        "hold_review_discussion",
        {
            **SOS,
            "level": "additional",
            "stepping": "step_down",
            "child_views": "Alex says home is calmer",
        },
        by=FHSW["email"],
    )

    [review] = case_state(flow, case_id).data["reviews"]
    assert (review["level"], review["stepping"], review["child_views"]) == (
        "additional",
        "step_down",
        "Alex says home is calmer",
    )


EH_MANAGER = {"name": "Dee Ward", "email": "dee.ward@example.org"}
EH_WORKER = {"name": "Lou Price", "email": "lou.price@example.org"}


def _step_down(flow: Any, case_id: int, when: str, **extra: Any) -> None:
    step(
        flow,
        case_id,
        when,
        "step_down",
        {
            "level": "additional",
            "reason": "Home is calmer; the family want help with routines",
            "manager": EH_MANAGER,
            "family": "Parent family",
            **extra,
        },
        by=TM["email"],
    )


def _linked(flow: Any, case_id: int) -> tuple[int, list[dict[str, Any]]]:
    with flow.db.connect() as conn:
        links = store.case_links(conn, case_id=case_id)
        [link] = links
        return link["to_case_id"], store.case_links(conn, case_id=link["to_case_id"])


def test_SA_06_a_statutory_assessment_steps_down_to_early_help(make_app):
    flow = make_app(start=REFERRAL)
    case_id = _new(flow)
    _reviewed(flow, case_id, section="s17", lead=FHSW, qualified=False)
    step(
        flow,
        case_id,
        "2026-12-09T15:00",
        "submit",
        {
            **LATER_SOS,
            "next_steps": "Early help for routines and nursery attendance",
            "recommended_level": "additional",
        },
        by=FHSW["email"],
    )
    with pytest.raises(RoleNotAllowed):
        flow.fire(
            case_id,
            "step_down",
            {"level": "additional", "reason": "x", "manager": EH_MANAGER},
            actor=Actor(FHSW["email"], AS_NAMED),
        )
    with pytest.raises(InputError, match=r"data.level"):
        _step_down(flow, case_id, "2026-12-10T11:00", level="complex")
    _step_down(flow, case_id, "2026-12-10T11:00")

    # The statutory assessment has ended: completed (in time) by the step-down decision.
    case = case_state(flow, case_id)
    assert (case.state, case.data["closure_reason"]) == (
        "stepped_down",
        "stepped_down_to_early_help",
    )
    assert ("SA-03", "met on time") in [
        (r, why) for r, _, why in _kinds(flow, case_id, "deadline_met")
    ]
    [email] = outbox_rows(flow, case_id=case_id, template="statutory_assessment/stepped_down")
    assert (email["to_address"], email["cc"]) == (EH_MANAGER["email"], [FHSW["email"], TM["email"]])
    assert email["subject"] == f"Stepped down to early help: SA-{case_id:06d} (Parent family)"
    assert (
        "completed on 2026-12-10, so a new Early Help Assessment is not needed" in (email["body"])
    )
    assert "within 48 hours (EH-6.1)" in email["body"]

    # Both cases show the link.
    eh_id, eh_links = _linked(flow, case_id)
    with flow.db.connect() as conn:
        sa_links = store.case_links(conn, case_id=case_id)
    assert sa_links == eh_links
    assert (sa_links[0]["from_case_id"], sa_links[0]["kind"], sa_links[0]["rule"]) == (
        case_id,
        "step_down",
        "SA-06",
    )
    notes = [e["reason"] for e in history(flow, case_id) if e["kind"] == "note"]
    assert f"linked case EH-{eh_id:06d} opened (step_down)" in notes

    # The early help case carries the family, the social worker and the data it reads.
    eh = case_state(flow, eh_id)
    assert (eh.process, eh.state, eh.received_at) == (
        "early_help",
        "received",
        at("2026-12-10T11:00"),
    )
    assert {
        k: eh.data.get(k)
        for k in (
            "route",
            "contact_type",
            "family",
            "stepped_down_from",
            "cypa_completed_on",
            "linked_from",
        )
    } == {
        "route": "step_down",
        "contact_type": "step_down",
        "family": "Parent family",
        "stepped_down_from": f"SA-{case_id:06d}",
        "cypa_completed_on": "2026-12-10",
        "linked_from": f"SA-{case_id:06d}",
    }
    people = {role: c.get("name") for role, c in eh.contacts_by_role().items()}
    assert people == {
        "parent": "Jo Parent",
        "child": "Alex Parent",
        "social_worker": "Kim Lee",
        "manager": "Dee Ward",
    }
    assert _deadlines(flow, eh_id) == {
        "EH-6.1": "2026-12-12T11:00:00+00:00",
        "EH-11.4-3m": "2027-03-10T23:59:59+00:00",  # calendar months from 10 December
        "EH-11.4-6m": "2027-06-10T22:59:59+00:00",
        "EH-11.4-9m": "2027-09-10T22:59:59+00:00",
        "EH-11.4-12m": "2027-12-10T23:59:59+00:00",
    }

    # ... and proceeds: allocated within the 48 hours, with no Early Help Assessment to do.
    step(flow, eh_id, "2026-12-11T16:00", "allocate", {"worker": EH_WORKER}, by=EH_MANAGER["email"])
    eh = case_state(flow, eh_id)
    assert eh.state == "allocated"
    due = _deadlines(flow, eh_id)
    assert due["EH-4.1-contact"] == "2026-12-13T23:59:59+00:00"
    assert due["EH-5.1-plan"] == "2027-01-22T23:59:59+00:00"
    assert "EH-4.3" not in due  # EH-4.5: the CYPA is under three months old
    assert [(r, why) for r, _, why in _kinds(flow, eh_id, "deadline_met")] == [
        ("EH-6.1", "met on time")
    ]
    told = outbox_rows(flow, case_id=eh_id, template="early_help/allocated_to_social_worker")
    assert [m["to_address"] for m in told] == [FHSW["email"]]


def test_SA_06_a_step_down_part_way_through_needs_an_early_help_assessment(make_app):
    flow = make_app(start=REFERRAL)
    case_id = _new(flow)
    _assessing(flow, case_id, section="s17", lead=FHSW, qualified=False)
    with pytest.raises(InputError, match=r"data.manager"):
        step(
            flow,
            case_id,
            "2026-11-27T10:00",
            "step_down",
            {"level": "emerging", "reason": "x"},
            by=TM["email"],
        )
    _step_down(flow, case_id, "2026-11-27T10:00", level="emerging")

    eh_id, _ = _linked(flow, case_id)
    assert "cypa_completed_on" not in case_state(flow, eh_id).data
    [email] = outbox_rows(flow, case_id=case_id, template="statutory_assessment/stepped_down")
    assert (
        "The assessment was not completed, so an Early Help Assessment will be needed"
        in (email["body"])
    )
    step(flow, eh_id, "2026-11-28T10:00", "allocate", {"worker": EH_WORKER}, by=EH_MANAGER["email"])
    assert _deadlines(flow, eh_id)["EH-4.3"] == "2026-12-26T23:59:59+00:00"
    # Nothing more runs on the statutory assessment: days 15, 40 and 45 pass silently.
    flow.advance(at("2027-01-29T09:00"))
    assert [m["template"] for m in outbox_rows(flow, case_id=case_id)] == [
        "statutory_assessment/assessment_received",
        "statutory_assessment/allocated",
        "statutory_assessment/stepped_down",
    ]


def test_SA_03_once_overdue_a_step_down_also_needs_the_reason_code(make_app):
    flow = make_app(start=REFERRAL)
    case_id = _new(flow)
    _assessing(flow, case_id, section="s17", lead=FHSW, qualified=False)
    flow.advance(at("2027-02-01T09:00"))

    with pytest.raises(GuardFailed, match=r"\(SA-03\): choose why it ran over"):
        _step_down(flow, case_id, "2027-02-01T10:00")
    _step_down(flow, case_id, "2027-02-01T10:00", over_timescale_reason="practitioner_capacity")
    assert case_state(flow, case_id).state == "stepped_down"


# -- SA-07 --------------------------------------------------------------------


def test_SA_07_submission_goes_to_the_manager_with_next_steps_then_the_outcome_to_partners(
    make_app,
):
    flow = make_app(start=REFERRAL)
    case_id = _new(flow)
    _reviewed(flow, case_id)
    _submit(flow, case_id, "2026-12-10T16:00")

    [submitted] = outbox_rows(flow, case_id=case_id, template="statutory_assessment/submitted")
    assert submitted["to_address"] == TM["email"]
    assert submitted["subject"] == f"Assessment submitted for your decision: SA-{case_id:06d}"
    assert (
        "Next steps:\nInitial child protection conference; safety plan with grandmother"
        in submitted["body"]
    )
    assert "Level of support needed (Continuum of Need): complex" in submitted["body"]

    with pytest.raises(RoleNotAllowed):
        flow.fire(
            case_id,
            "authorise",
            {"outcome": "child_in_need_plan", "level": "complex", "decision": "x"},
            actor=Actor(SW["email"], AS_NAMED),
        )
    step(
        flow,
        case_id,
        "2026-12-11T09:00",
        "return_for_more_work",
        {"reason": "Please add the nursery's views"},
        by=TM["email"],
    )
    [returned] = outbox_rows(flow, case_id=case_id, template="statutory_assessment/returned")
    assert returned["to_address"] == SW["email"]
    assert "What is needed: Please add the nursery's views" in returned["body"]
    _submit(flow, case_id, "2026-12-14T12:00")
    step(
        flow,
        case_id,
        "2026-12-15T10:00",
        "authorise",
        {
            "outcome": "child_protection_conference",
            "level": "complex",
            "decision": "Convene an initial child protection conference",
        },
        by=TM["email"],
    )

    assert case_state(flow, case_id).state == "authorised"
    partners = outbox_rows(
        flow, case_id=case_id, template="statutory_assessment/outcome_to_partner"
    )
    assert [p["to_address"] for p in partners] == [
        "mo.khan@school.example.org",
        "helen.hughes@nhs.example.org",
    ]
    assert partners[0]["subject"] == f"Outcome of assessment SA-{case_id:06d}"
    assert "Outcome: child protection conference" in partners[0]["body"]
    assert "Lead practitioner: Sam Jones (sam.jones@example.org)" in partners[0]["body"]
    [lead] = outbox_rows(flow, case_id=case_id, template="statutory_assessment/authorised")
    assert lead["to_address"] == SW["email"]
    assert "The outcome has been emailed to: Mo Khan, Helen Hughes." in lead["body"]
    assert "Please share the assessment with the family" in lead["body"]

    step(
        flow,
        case_id,
        "2026-12-16T15:00",
        "share_with_family",
        {"with_family": "Home visit with Jo", "with_child": "Three houses with Alex"},
        by=SW["email"],
    )
    case = case_state(flow, case_id)
    assert case.state == "completed"
    assert case.data["outcome_shared_with_family"] == {
        "family": "Home visit with Jo",
        "child": "Three houses with Alex",
        "at": "2026-12-16T15:00:00+00:00",
    }


# -- SA-09 --------------------------------------------------------------------


def test_SA_09_signs_of_safety_is_required_at_review_and_submission_and_shown_over_time(make_app):
    flow = make_app(start=REFERRAL)
    case_id = _new(flow)
    _assessing(flow, case_id)

    with pytest.raises(InputError, match=r"data.worried"):
        flow.fire(
            case_id,
            "hold_review_discussion",
            {"level": "complex", "stepping": "stay"},
            actor=Actor(SW["email"], AS_NAMED),
        )
    with pytest.raises(InputError, match=r"data.scales.0.score"):
        flow.fire(
            case_id,
            "record_signs_of_safety",
            {**SOS, "scales": [{"judge": "Sam", "role": "social_worker", "score": 11}]},
            actor=Actor(SW["email"], AS_NAMED),
        )
    step(
        flow,
        case_id,
        "2026-12-02T11:00",
        "hold_review_discussion",
        {**SOS, "level": "complex", "stepping": "stay"},
        by=TM["email"],
    )
    step(
        flow,
        case_id,
        "2026-12-07T15:00",
        "record_signs_of_safety",
        SOS | {"scales": [{"judge": "Alex Parent", "role": "child", "score": 5}]},
        by=SW["email"],
    )
    with pytest.raises(InputError, match=r"data.needs_to_happen"):
        flow.fire(
            case_id,
            "submit",
            {k: v for k, v in LATER_SOS.items() if k != "needs_to_happen"}
            | {"next_steps": "x", "recommended_level": "complex"},
            actor=Actor(SW["email"], AS_NAMED),
        )
    _submit(flow, case_id, "2026-12-10T16:00")

    entries = case_state(flow, case_id).data["signs_of_safety"]
    assert [(e["occasion"], e["at"]) for e in entries] == [
        ("review discussion", "2026-12-02T11:00:00+00:00"),
        ("recorded", "2026-12-07T15:00:00+00:00"),
        ("submission", "2026-12-10T16:00:00+00:00"),
    ]
    [email] = outbox_rows(flow, case_id=case_id, template="statutory_assessment/submitted")
    assert (
        "Safety scale over time (0: must be removed now; 10: safe enough):\n"
        "- Wednesday 2 December 2026 at 11:00 (review discussion): Sam Jones (social "
        "worker) 4; Jo Parent (parent) 7\n"
        "- Monday 7 December 2026 at 15:00 (recorded): Alex Parent (child) 5\n"
        "- Thursday 10 December 2026 at 16:00 (submission): Sam Jones (social worker) 6; "
        "Jo Parent (parent) 8; Alex Parent (child) 7\n"
    ) in email["body"]
    assert f"What are we worried about?\n{SOS['worried']}" in email["body"]


# -- scenarios, replayed in-process to the minute ----------------------------


def _scenario(name: str) -> dict[str, Any]:
    return run(load(SCENARIOS / f"{name}.yaml"))


def _only(timeline: list[dict[str, Any]], **match: Any) -> dict[str, Any]:
    found = [e for e in timeline if all(e.get(k) == v for k, v in match.items())]
    assert len(found) == 1, f"expected one entry like {match}, found {found}"
    return found[0]


def _messages(timeline: list[dict[str, Any]]) -> list[tuple[str, str, str, str, str]]:
    return [
        (e["at"], e["sent_at"], e["template"].split("/")[1], e["to_address"], e["rule"])
        for e in timeline
        if e["kind"] == "message"
    ]


def test_SA_03_SA_05_scenario_christmas_overdue_replays_to_the_minute():
    result = _scenario("statutory_assessment-christmas-overdue")
    timeline = result["timeline"]

    assert result["final_state"] == "completed"
    due = WorkingCalendar().due_at(at("2026-11-23T10:00"), Duration(amount=45, unit="working_days"))
    assert due.isoformat() == "2027-01-28T23:59:59+00:00"
    assert (
        _only(
            timeline,
            kind="deadline_set",
            rule="SA-03",
            reason="assessment completed within 45 working days of the referral",
        )["due_at"]
        == due.isoformat()
    )
    assert _messages(timeline) == [
        (
            "2026-11-23T10:00:00+00:00",
            "2026-11-23T10:00:00+00:00",
            "assessment_received",
            "priya.shah@example.org",
            "SA-02",
        ),
        (
            "2026-11-24T10:00:00+00:00",
            "2026-11-24T10:00:00+00:00",
            "allocated",
            "sam.jones@example.org",
            "SA-02",
        ),
        (
            "2026-12-14T23:59:59+00:00",
            "2026-12-15T08:00:00+00:00",
            "network_meeting_due",
            "sam.jones@example.org",
            "SA-05",
        ),
        (
            "2027-01-21T23:59:59+00:00",
            "2027-01-22T08:00:00+00:00",
            "submission_expected",
            "sam.jones@example.org",
            "SA-03",
        ),
        (
            "2027-01-28T23:59:59+00:00",
            "2027-01-29T08:00:00+00:00",
            "assessment_overdue",
            "priya.shah@example.org",
            "SA-03",
        ),
        (
            "2027-02-01T14:00:00+00:00",
            "2027-02-01T14:00:00+00:00",
            "submitted",
            "priya.shah@example.org",
            "SA-07",
        ),
        (
            "2027-02-02T10:00:00+00:00",
            "2027-02-02T10:00:00+00:00",
            "outcome_to_partner",
            "mo.khan@school.example.org",
            "SA-07",
        ),
        (
            "2027-02-02T10:00:00+00:00",
            "2027-02-02T10:00:00+00:00",
            "outcome_to_partner",
            "helen.hughes@nhs.example.org",
            "SA-07",
        ),
        (
            "2027-02-02T10:00:00+00:00",
            "2027-02-02T10:00:00+00:00",
            "authorised",
            "sam.jones@example.org",
            "SA-07",
        ),
    ]
    overdue = _only(timeline, kind="message", template="statutory_assessment/assessment_overdue")
    assert overdue["cc"] == ["sam.jones@example.org"]
    assert "due to be completed by Thursday 28 January 2027 at 23:59" in overdue["body"]
    assert [
        (e["rule"], e["at"], e["due_at"]) for e in timeline if e["kind"] == "deadline_missed"
    ] == [
        ("SA-05", "2026-12-14T23:59:59+00:00", "2026-12-14T23:59:59+00:00"),
        ("SA-03", "2027-01-21T23:59:59+00:00", "2027-01-21T23:59:59+00:00"),
        ("SA-03", "2027-01-28T23:59:59+00:00", "2027-01-28T23:59:59+00:00"),
    ]
    met = [(e["rule"], e["at"], e["reason"]) for e in timeline if e["kind"] == "deadline_met"]
    assert met == [
        ("SA-05", "2026-12-16T10:00:00+00:00", "met late"),
        ("SA-03", "2027-02-01T14:00:00+00:00", "met late"),
        ("SA-03", "2027-02-02T10:00:00+00:00", "met late"),
    ]
    submitted = _only(timeline, kind="message", template="statutory_assessment/submitted")
    assert "Reason: family unavailable or not engaging (mother in hospital" in (submitted["body"])


def test_SA_03_SA_06_scenario_easter_step_up_replays_to_the_minute():
    result = _scenario("statutory_assessment-easter-step-up")
    timeline = result["timeline"]

    assert result["final_state"] == "completed"
    calendar = WorkingCalendar()
    received = at("2027-03-01T10:00")
    due = calendar.due_at(received, Duration(amount=45, unit="working_days"))
    assert due.isoformat() == "2027-05-06T22:59:59+00:00"  # 23:59:59 BST, after Easter
    assert due - calendar.due_at(received, Duration(amount=45, unit="calendar_days")) == (
        timedelta(days=21)
    )
    sets = {e["reason"]: e["due_at"] for e in timeline if e["kind"] == "deadline_set"}
    assert sets == {
        "assessment completed within 45 working days of the referral": "2027-05-06T23:59:59+01:00",
        "assessment submitted to the manager by working day 40, leaving 5 working days to "
        "authorise it": "2027-04-28T23:59:59+01:00",
        "network meeting once the assessment runs beyond working day 15": (
            "2027-03-22T23:59:59+00:00"
        ),
    }
    assert _messages(timeline) == [
        (
            "2027-03-01T10:00:00+00:00",
            "2027-03-01T10:00:00+00:00",
            "assessment_received",
            "priya.shah@example.org",
            "SA-02",
        ),
        (
            "2027-03-02T09:30:00+00:00",
            "2027-03-02T09:30:00+00:00",
            "allocated",
            "kim.lee@example.org",
            "SA-02",
        ),
        (
            "2027-03-12T15:00:00+00:00",
            "2027-03-12T15:00:00+00:00",
            "stepped_up",
            "sam.jones@example.org",
            "SA-06",
        ),
        (
            "2027-04-27T16:00:00+01:00",
            "2027-04-27T16:00:00+01:00",
            "submitted",
            "priya.shah@example.org",
            "SA-07",
        ),
        (
            "2027-04-29T11:00:00+01:00",
            "2027-04-29T11:00:00+01:00",
            "outcome_to_partner",
            "mo.khan@school.example.org",
            "SA-07",
        ),
        (
            "2027-04-29T11:00:00+01:00",
            "2027-04-29T11:00:00+01:00",
            "authorised",
            "sam.jones@example.org",
            "SA-07",
        ),
    ]
    met = [(e["rule"], e["at"], e["reason"]) for e in timeline if e["kind"] == "deadline_met"]
    assert met == [
        ("SA-05", "2027-03-18T10:00:00+00:00", "met on time"),
        ("SA-03", "2027-04-27T16:00:00+01:00", "met on time"),
        ("SA-03", "2027-04-29T11:00:00+01:00", "met on time"),
    ]
    assert not [e for e in timeline if e["kind"] == "deadline_missed"]


def test_SA_06_scenario_step_down_to_early_help_replays_to_the_minute():
    result = _scenario("statutory_assessment-step-down")
    timeline = result["timeline"]

    assert result["final_state"] == "stepped_down"
    assert _messages(timeline) == [
        (
            "2026-11-23T10:00:00+00:00",
            "2026-11-23T10:00:00+00:00",
            "assessment_received",
            "priya.shah@example.org",
            "SA-02",
        ),
        (
            "2026-11-24T10:00:00+00:00",
            "2026-11-24T10:00:00+00:00",
            "allocated",
            "kim.lee@example.org",
            "SA-02",
        ),
        (
            "2026-12-09T15:00:00+00:00",
            "2026-12-09T15:00:00+00:00",
            "submitted",
            "priya.shah@example.org",
            "SA-07",
        ),
        (
            "2026-12-10T11:00:00+00:00",
            "2026-12-10T11:00:00+00:00",
            "stepped_down",
            "dee.ward@example.org",
            "SA-06",
        ),
        (
            "2026-12-12T11:00:00+00:00",
            "2026-12-12T11:00:00+00:00",
            "allocation_overdue",
            "dee.ward@example.org",
            "EH-6.1",
        ),
    ]
    stepped = _only(timeline, kind="message", template="statutory_assessment/stepped_down")
    assert stepped["cc"] == ["kim.lee@example.org", "priya.shah@example.org"]
    step_down = _only(timeline, kind="transition", trigger="step_down")
    assert (step_down["case_id"], step_down["from"], step_down["to"]) == (
        1,
        "submitted",
        "stepped_down",
    )
    opened = _only(timeline, kind="transition", trigger="create", case_id=2)
    assert (opened["at"], opened["to"]) == ("2026-12-10T11:00:00+00:00", "received")
    assert _only(timeline, kind="note", rule="SA-06")["reason"] == (
        "linked case EH-000002 opened (step_down)"
    )
    assert _only(timeline, kind="deadline_set", rule="EH-6.1")["due_at"] == (
        "2026-12-12T11:00:00+00:00"
    )
    assert _only(timeline, kind="deadline_missed", rule="EH-6.1")["at"] == (
        "2026-12-12T11:00:00+00:00"
    )
    # The statutory assessment's own clocks ended with it.
    assert not [e for e in timeline if e["kind"] == "deadline_missed" and e["case_id"] == 1]
