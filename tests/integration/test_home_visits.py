"""Home visits, rule by rule (VIS-01 to VIS-09), on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from engine.cases import Actor
from engine.errors import GuardFailed, InputError, RoleNotAllowed
from familyflow.settings import Settings
from familyflow.simulate import load, run
from tests.support.journeys import at, case_state, history, outbox_rows, step

SCENARIOS = Path(__file__).resolve().parents[2] / "docs" / "scenarios"
SW, MANAGER, IRO = "sam.jones@example.org", "priya.shah@example.org", "lee.chan@example.org"
CONTACTS = {
    "social_worker": {"name": "Sam Jones", "email": SW},
    "manager": {"name": "Priya Shah", "email": MANAGER},
    "iro": {"name": "Lee Chan", "email": IRO},
    "parent": {"name": "Jo Parent", "mobile": "07700900123"},
}
VISIT = {
    "purpose": "Review the plan",
    "present": ["Jo Parent", "Leo Parent"],
    "discussion_with_parent": "Home situation calmer; plan followed",
    "discussion_with_child": "Leo seen alone in his bedroom",
    "seen_alone": True,
    "observation": "Home warm and tidy",
    "analysis": "Plan on track",
    "actions": "Next visit booked",
}
MISSED = {
    "purpose": "Planned visit",
    "what_happened": "No answer at the door",
    "actions": "Card left; try again",
}


def _open(
    flow,
    received="2027-01-04T10:00",
    plan="child_protection",
    dob="2023-05-02",
    contacts=None,
    **data: Any,
) -> int:
    flow.advance(at(received))
    case_id = flow.create_case(
        process="home_visits",
        received_at=at(received),
        data={"child_name": "Leo Parent", "date_of_birth": dob, "plan_type": plan, **data},
        contacts=CONTACTS if contacts is None else contacts,
    )
    flow.tick()
    return case_id


def _visit(flow, case_id, when, **changes: Any):
    return step(flow, case_id, when, "record_visit", {**VISIT, **changes}, by=SW)


def _missed(flow, case_id, when, scheduled, reason):
    return step(
        flow,
        case_id,
        when,
        "record_missed_visit",
        {**MISSED, "scheduled_for": scheduled, "reason": reason},
        by=SW,
    )


def _due(flow, case_id, rule):
    return [
        e["due_at"]
        for e in history(flow, case_id)
        if e["kind"] == "deadline_set" and e["rule"] == rule
    ]


def _sent(flow, case_id, template):
    return outbox_rows(flow, case_id=case_id, template=f"home_visits/{template}")


# -- VIS-01 ------------------------------------------------------------------------------


def test_VIS_01_a_new_case_emails_the_sw_and_the_initial_visit_is_due_within_7_days(make_app):
    flow = make_app(start="2027-01-04T09:00")
    case_id = _open(flow)

    assert case_state(flow, case_id).state == "awaiting_initial_visit"
    [opened] = _sent(flow, case_id, "case_opened")
    assert (opened["to_address"], opened["cc"]) == (SW, [MANAGER])
    assert opened["subject"] == (
        f"Home visits: initial visit for Leo Parent within 7 days (VIS-{case_id:06d})"
    )
    assert "on a child protection plan" in opened["body"]
    assert _due(flow, case_id, "VIS-01") == ["2027-01-11T23:59:59+00:00"]


def test_VIS_01_no_initial_visit_reminds_the_sw_then_emails_the_manager_and_iro_once(make_app):
    flow = make_app(start="2027-01-04T09:00")
    case_id = _open(flow)
    flow.advance(at("2027-01-20T12:00"))

    [reminder] = _sent(flow, case_id, "visit_reminder")
    assert (reminder["to_address"], reminder["sent_at"]) == (SW, at("2027-01-09T09:00"))
    assert "due by Monday 11 January 2027 at 23:59" in reminder["body"]
    [overdue] = _sent(flow, case_id, "initial_visit_overdue")
    assert (overdue["to_address"], overdue["cc"]) == (MANAGER, [IRO])
    assert overdue["sent_at"] == at("2027-01-12T08:00")  # due at 23:59:59: sent next morning
    assert "within 7 days of the referral on Monday 4 January 2027" in overdue["body"]
    assert overdue["rule"] == "VIS-01"


def test_VIS_01_an_initial_visit_in_time_meets_it_and_nobody_is_chased(make_app):
    flow = make_app(start="2027-01-04T09:00")
    case_id = _open(flow)
    _visit(flow, case_id, "2027-01-06T14:00")
    flow.advance(at("2027-01-12T12:00"))

    assert case_state(flow, case_id).state == "visiting"
    assert _sent(flow, case_id, "initial_visit_overdue") == []
    met = [e for e in history(flow, case_id) if e["kind"] == "deadline_met"]
    assert [(e["rule"], e["reason"]) for e in met] == [("VIS-01", "met on time")]


# -- VIS-02 / VIS-03 -----------------------------------------------------------------------


def test_VIS_02_a_child_in_need_is_due_a_visit_every_3_weeks_and_each_visit_restarts_it(make_app):
    flow = make_app(start="2027-02-01T09:00")
    case_id = _open(flow, received="2027-02-01T09:00", plan="child_in_need")
    _visit(flow, case_id, "2027-02-02T15:00")
    _visit(flow, case_id, "2027-02-20T11:00")

    assert _due(flow, case_id, "VIS-02") == [
        "2027-02-23T23:59:59+00:00",
        "2027-03-13T23:59:59+00:00",
    ]
    assert _due(flow, case_id, "VIS-03") == []
    flow.advance(at("2027-03-01T00:00"))
    assert _sent(flow, case_id, "visit_reminder") == []  # visited before each reminder


def test_VIS_02_a_missed_3_week_visit_reminds_the_sw_then_tells_the_manager_and_iro_once(make_app):
    flow = make_app(start="2027-02-01T09:00")
    case_id = _open(flow, received="2027-02-01T09:00", plan="child_in_need")
    _visit(flow, case_id, "2027-02-02T15:00")
    flow.advance(at("2027-03-10T12:00"))

    [reminder] = _sent(flow, case_id, "visit_reminder")
    assert (reminder["to_address"], reminder["rule"]) == (SW, "VIS-02")
    assert reminder["sent_at"] == at("2027-02-21T09:00")
    [overdue] = _sent(flow, case_id, "visit_overdue")
    assert (overdue["to_address"], overdue["cc"], overdue["rule"]) == (MANAGER, [IRO], "VIS-02")
    assert overdue["sent_at"] == at("2027-02-24T08:00")
    assert overdue["subject"] == f"Home visit overdue: Leo Parent (VIS-{case_id:06d})"
    assert "Last seen: Tuesday 2 February 2027 at 15:00" in overdue["body"]
    assert "at least every 3 weeks" in overdue["body"]


def test_VIS_03_VIS_08_a_home_visits_case_escalates_to_the_manager_and_IRO_when_a_CP_child_is_not_seen_for_10_days(  # noqa: E501
    make_app,
):
    flow = make_app(start="2027-01-04T09:00")
    case_id = _open(flow)
    _visit(flow, case_id, "2027-01-06T14:00")
    assert _due(flow, case_id, "VIS-03") == ["2027-01-16T23:59:59+00:00"]

    flow.advance(at("2027-01-16T23:59:58"))
    assert _sent(flow, case_id, "cp_child_not_seen") == []
    flow.advance(at("2027-01-16T23:59:59"))
    missed = [e for e in history(flow, case_id) if e["kind"] == "deadline_missed"]
    assert [(e["rule"], e["at"]) for e in missed] == [("VIS-03", "2027-01-16T23:59:59+00:00")]
    [escalation] = _sent(flow, case_id, "cp_child_not_seen")
    assert (escalation["to_address"], escalation["cc"]) == (MANAGER, [IRO])
    assert escalation["rule"] == "VIS-08"
    assert escalation["status"] == "queued"  # quiet hours: the email waits for the morning
    flow.advance(at("2027-01-25T12:00"))  # and it is sent once, never again
    [escalation] = _sent(flow, case_id, "cp_child_not_seen")
    assert escalation["sent_at"] == at("2027-01-17T08:00")
    assert escalation["subject"] == (
        f"Child on a CP plan not seen for 10 days: Leo Parent (VIS-{case_id:06d})"
    )
    assert (
        "is on a child protection plan and has not been seen at home since Wednesday "
        "6 January 2027 at 14:00"
    ) in escalation["body"]
    [reminder] = _sent(flow, case_id, "visit_reminder")
    assert (reminder["to_address"], reminder["sent_at"]) == (SW, at("2027-01-14T09:00"))


def test_VIS_03_a_visit_within_10_days_restarts_the_child_protection_clock(make_app):
    flow = make_app(start="2027-01-04T09:00")
    case_id = _open(flow)
    _visit(flow, case_id, "2027-01-06T14:00")
    _visit(flow, case_id, "2027-01-13T10:00")
    flow.advance(at("2027-01-20T12:00"))

    assert _due(flow, case_id, "VIS-03") == [
        "2027-01-16T23:59:59+00:00",
        "2027-01-23T23:59:59+00:00",
    ]
    assert _sent(flow, case_id, "cp_child_not_seen") == []


def test_VIS_03_a_child_moving_onto_a_cp_plan_is_due_10_days_after_the_last_visit(make_app):
    flow = make_app(start="2027-02-01T09:00")
    case_id = _open(flow, received="2027-02-01T09:00", plan="child_in_need")
    _visit(flow, case_id, "2027-02-02T15:00")
    step(
        flow,
        case_id,
        "2027-02-08T16:00",
        "change_plan",
        {"plan_type": "child_protection", "reason": "ICPC on 8 February"},
        by=MANAGER,
    )

    assert case_state(flow, case_id).data["plan_type"] == "child_protection"
    assert _due(flow, case_id, "VIS-03") == ["2027-02-12T23:59:59+00:00"]
    open_rows = [e for e in history(flow, case_id) if e["kind"] == "deadline_set"]
    assert [e["rule"] for e in open_rows][-1] == "VIS-03"
    flow.advance(at("2027-02-24T00:00"))
    assert _sent(flow, case_id, "visit_overdue") == []  # the CIN clock was cancelled
    assert len(_sent(flow, case_id, "cp_child_not_seen")) == 1
    with pytest.raises(GuardFailed, match=r"already on a child_protection plan"):
        step(
            flow,
            case_id,
            "2027-02-24T09:00",
            "change_plan",
            {"plan_type": "child_protection", "reason": "again"},
            by=MANAGER,
        )


# -- VIS-04 ----------------------------------------------------------------------------------


def test_VIS_04_an_unannounced_visit_is_due_every_3_calendar_months_on_its_own_clock(make_app):
    flow = make_app(start="2027-01-04T09:00")
    case_id = _open(flow, plan="child_in_need")
    assert _due(flow, case_id, "VIS-04") == ["2027-04-04T23:59:59+01:00"]
    for when in (
        "2027-01-06T10:00",
        "2027-01-24T10:00",
        "2027-02-11T10:00",
        "2027-03-01T10:00",
        "2027-03-19T10:00",
    ):
        _visit(flow, case_id, when)  # announced visits do not restart it
    assert _due(flow, case_id, "VIS-04") == ["2027-04-04T23:59:59+01:00"]

    flow.advance(at("2027-04-05T12:00"))
    [reminder] = _sent(flow, case_id, "unannounced_reminder")
    assert (reminder["to_address"], reminder["sent_at"]) == (SW, at("2027-03-21T09:00"))
    [overdue] = _sent(flow, case_id, "unannounced_overdue")
    assert (overdue["to_address"], overdue["cc"]) == (MANAGER, [IRO])
    assert overdue["sent_at"] == at("2027-04-05T08:00")
    _visit(flow, case_id, "2027-04-06T08:15", announced=False)
    assert _due(flow, case_id, "VIS-04")[-1] == "2027-07-06T23:59:59+01:00"
    unannounced = [e for e in history(flow, case_id) if e.get("trigger") == "unannounced_visit"]
    assert [(e["actor"], e["at"]) for e in unannounced] == [("system", "2027-04-06T08:15:00+01:00")]


def test_VIS_04_only_the_service_marks_a_visit_unannounced(make_app):
    flow = make_app(start="2027-01-04T09:00")
    case_id = _open(flow)

    with pytest.raises(RoleNotAllowed):
        flow.fire(case_id, "unannounced_visit", {}, actor=Actor(SW))


# -- VIS-05 ----------------------------------------------------------------------------------


def test_VIS_05_the_core_group_can_make_visits_more_frequent_counted_from_the_last_visit(make_app):
    flow = make_app(start="2027-02-01T09:00")
    case_id = _open(flow, received="2027-02-01T09:00", plan="child_in_need")
    _visit(flow, case_id, "2027-02-22T11:00")
    step(
        flow,
        case_id,
        "2027-03-01T16:00",
        "set_visit_frequency",
        {"every_days": 14, "agreed_by": "Core group on 1 March", "reason": "Arriving hungry"},
        by=SW,
    )

    assert _due(flow, case_id, "VIS-02") == [
        "2027-03-15T23:59:59+00:00",
        "2027-03-08T23:59:59+00:00",
    ]
    [email] = _sent(flow, case_id, "frequency_changed")
    assert (email["to_address"], email["cc"]) == (SW, [MANAGER])
    assert "Core group on 1 March has agreed that Leo Parent" in email["body"]
    assert "visited every 14 days" in email["body"]
    _visit(flow, case_id, "2027-03-05T10:00")
    assert _due(flow, case_id, "VIS-02")[-1] == "2027-03-19T23:59:59+00:00"
    step(
        flow,
        case_id,
        "2027-03-06T10:00",
        "set_visit_frequency",
        {"every_days": None, "agreed_by": "Core group on 6 March", "reason": "Improved"},
        by=SW,
    )
    assert _due(flow, case_id, "VIS-02")[-1] == "2027-03-26T23:59:59+00:00"


def test_VIS_05_the_core_group_cannot_make_visits_less_frequent_than_the_plan(make_app):
    flow = make_app(start="2027-01-04T09:00")
    case_id = _open(flow)

    with pytest.raises(GuardFailed, match=r"increase visits only.*every 10 days"):
        step(
            flow,
            case_id,
            "2027-01-05T10:00",
            "set_visit_frequency",
            {"every_days": 14, "agreed_by": "Core group", "reason": "Stable"},
            by=SW,
        )
    with pytest.raises(InputError, match=r"data.every_days"):
        step(
            flow,
            case_id,
            "2027-01-05T10:00",
            "set_visit_frequency",
            {"every_days": 0, "agreed_by": "Core group", "reason": "x"},
            by=SW,
        )


# -- VIS-06 ----------------------------------------------------------------------------------


def test_VIS_06_a_visit_must_say_how_the_child_was_seen(make_app):
    flow = make_app(start="2027-01-04T09:00")
    case_id = _open(flow)

    with pytest.raises(GuardFailed, match=r"seen alone .* or seen awake"):
        _visit(flow, case_id, "2027-01-05T10:00", seen_alone=None)
    assert case_state(flow, case_id).state == "awaiting_initial_visit"


def test_VIS_06_VIS_08_a_child_aged_3_not_seen_alone_is_escalated_to_the_manager_and_iro(make_app):
    flow = make_app(start="2027-01-04T09:00")
    case_id = _open(flow, dob="2024-01-06")  # 3 on 6 January 2027
    _visit(flow, case_id, "2027-01-05T10:00", seen_alone=None, seen_awake=True)  # aged 2
    assert _sent(flow, case_id, "visit_concern") == []
    _visit(
        flow,
        case_id,
        "2027-01-06T10:00",
        seen_alone=False,
        discussion_with_child="Mother would not leave the room",
    )

    [concern] = _sent(flow, case_id, "visit_concern")
    assert (concern["to_address"], concern["cc"], concern["rule"]) == (MANAGER, [IRO], "VIS-08")
    assert concern["sent_at"] == at("2027-01-06T10:00")
    assert "- the child (aged 3) could not be seen alone" in concern["body"]
    assert "Discussion with the child: Mother would not leave the room" in concern["body"]
    _visit(flow, case_id, "2027-01-07T10:00", seen_alone=None, seen_awake=True)
    [_, unrecorded] = _sent(flow, case_id, "visit_concern")
    assert "- the child (aged 3) is not recorded as seen alone" in unrecorded["body"]


def test_VIS_06_a_child_under_3_not_seen_awake_is_noted_for_the_sw(make_app):
    flow = make_app(start="2027-01-04T09:00")
    case_id = _open(flow, dob="2026-03-01")
    _visit(flow, case_id, "2027-01-05T10:00", seen_alone=None, seen_awake=False)

    notes = [e for e in history(flow, case_id) if e["kind"] == "note"]
    assert [(n["rule"], n["reason"]) for n in notes] == [
        ("VIS-06", "The child (under 3) was not seen awake: arrange to see the child awake.")
    ]
    assert _sent(flow, case_id, "visit_concern") == []


# -- VIS-07 ----------------------------------------------------------------------------------


def test_VIS_07_postponing_tells_the_manager_and_iro_and_the_visit_is_due_in_3_working_days(
    make_app,
):
    flow = make_app(start="2027-04-19T09:00")
    case_id = _open(flow, received="2027-04-19T10:00", plan="child_in_need")
    _visit(flow, case_id, "2027-04-21T10:00")
    step(
        flow,
        case_id,
        "2027-04-30T09:00",
        "postpone_visit",
        {
            "scheduled_for": "2027-04-30T14:00",
            "reason": "SW called to court",
            "rescheduled_for": "2027-05-04T14:00",
        },
        by=SW,
    )

    [email] = _sent(flow, case_id, "postponed")
    assert (email["to_address"], email["cc"], email["rule"]) == (MANAGER, [IRO], "VIS-07")
    assert email["sent_at"] == at("2027-04-30T09:00")
    assert "planned for Friday 30 April 2027 at 14:00" in email["body"]
    assert "Reason: SW called to court" in email["body"]
    assert "Rescheduled for: Tuesday 4 May 2027 at 14:00" in email["body"]
    # Monday 3 May 2027 is a bank holiday: Tuesday, Wednesday, Thursday.
    assert _due(flow, case_id, "VIS-07") == ["2027-05-06T23:59:59+01:00"]
    flow.advance(at("2027-05-07T12:00"))
    [overdue] = _sent(flow, case_id, "rescheduled_overdue")
    assert (overdue["to_address"], overdue["cc"]) == (MANAGER, [IRO])
    assert overdue["sent_at"] == at("2027-05-07T08:00")
    visits = case_state(flow, case_id).data["visits"]
    assert visits[-1]["kind"] == "postponed" and visits[-1]["reason"] == "SW called to court"


def test_VIS_07_the_rescheduled_visit_in_time_meets_it(make_app):
    flow = make_app(start="2027-04-19T09:00")
    case_id = _open(flow, received="2027-04-19T10:00", plan="child_in_need")
    step(
        flow,
        case_id,
        "2027-04-20T09:00",
        "postpone_visit",
        {
            "scheduled_for": "2027-04-20T14:00",
            "reason": "SW unwell",
            "rescheduled_for": "2027-04-22T10:00",
        },
        by=SW,
    )
    _visit(flow, case_id, "2027-04-22T11:00")
    flow.advance(at("2027-04-28T00:00"))

    assert _sent(flow, case_id, "rescheduled_overdue") == []
    with pytest.raises(GuardFailed, match=r"after the postponed one"):
        step(
            flow,
            case_id,
            "2027-04-28T09:00",
            "postpone_visit",
            {
                "scheduled_for": "2027-04-29T14:00",
                "reason": "x",
                "rescheduled_for": "2027-04-29T10:00",
            },
            by=SW,
        )


# -- VIS-08 ----------------------------------------------------------------------------------


def test_VIS_08_access_refused_is_escalated_at_once_and_the_2nd_missed_visit_too(make_app):
    flow = make_app(start="2027-01-04T09:00")
    case_id = _open(flow)
    _visit(flow, case_id, "2027-01-05T10:00")
    _missed(flow, case_id, "2027-01-08T15:00", "2027-01-08T14:00", "family_cancelled")
    assert _sent(flow, case_id, "visit_concern") == []  # one miss: recorded only
    _missed(flow, case_id, "2027-01-11T15:00", "2027-01-11T14:00", "access_refused")

    [concern] = _sent(flow, case_id, "visit_concern")
    assert (concern["to_address"], concern["cc"]) == (MANAGER, [IRO])
    assert concern["sent_at"] == at("2027-01-11T15:00")
    assert "- access to the child was refused\n" in concern["body"]
    assert (
        "- 2 scheduled visits have now been missed since the child was last seen"
        in (concern["body"])
    )
    assert "Visit planned for Monday 11 January 2027 at 14:00: No answer" in concern["body"]
    _visit(flow, case_id, "2027-01-12T10:00")
    _missed(flow, case_id, "2027-01-15T15:00", "2027-01-15T14:00", "child_not_present")
    assert len(_sent(flow, case_id, "visit_concern")) == 1  # seen since: the count restarted
    assert case_state(flow, case_id).data["missed_since_seen"] == 1


def test_VIS_08_no_access_on_the_first_attempt_is_escalated_at_once(make_app):
    flow = make_app(start="2027-01-04T09:00")
    case_id = _open(flow)
    _missed(flow, case_id, "2027-01-05T21:00", "2027-01-05T17:00", "no_access")

    [concern] = _sent(flow, case_id, "visit_concern")
    assert concern["sent_at"] == at("2027-01-05T21:00")  # a person's record: sent at once
    assert "- the social worker could not get access to the child" in concern["body"]
    assert "2 scheduled visits" not in concern["body"]
    assert case_state(flow, case_id).state == "awaiting_initial_visit"


def test_VIS_08_without_an_iro_the_manager_alone_is_told(make_app):
    flow = make_app(start="2027-01-04T09:00")
    contacts = {k: v for k, v in CONTACTS.items() if k != "iro"}
    case_id = _open(flow, plan="child_in_need", contacts=contacts)
    _missed(flow, case_id, "2027-01-05T15:00", "2027-01-05T14:00", "access_refused")

    [concern] = _sent(flow, case_id, "visit_concern")
    assert (concern["to_address"], concern["cc"]) == (MANAGER, [])


# -- VIS-09 ----------------------------------------------------------------------------------


def test_VIS_09_every_visit_is_kept_under_the_seven_headings_and_siblings_are_listed(make_app):
    flow = make_app(start="2027-01-04T09:00")
    case_id = _open(flow)
    step(
        flow,
        case_id,
        "2027-01-04T11:00",
        "add_sibling",
        {"reference": "VIS-000099", "name": "Finn Parent"},
        by=SW,
    )
    _visit(flow, case_id, "2027-01-05T10:00")
    _missed(flow, case_id, "2027-01-08T15:00", "2027-01-08T14:00", "family_cancelled")

    data = case_state(flow, case_id).data
    assert data["siblings"] == [{"reference": "VIS-000099", "name": "Finn Parent"}]
    completed, missed = data["visits"]
    assert {k: completed[k] for k in VISIT} == VISIT
    assert (completed["kind"], completed["at"], completed["age"]) == (
        "completed",
        "2027-01-05T10:00:00+00:00",
        3,
    )
    assert (missed["kind"], missed["reason"], missed["what_happened"]) == (
        "missed",
        "family_cancelled",
        "No answer at the door",
    )
    notes = [e["reason"] for e in history(flow, case_id) if e["kind"] == "note"]
    assert notes == ["Record this visit on each sibling's case too: VIS-000099 (Finn Parent)."]
    with pytest.raises(InputError, match=r"data.observation"):
        _visit(flow, case_id, "2027-01-09T10:00", observation="")
    with pytest.raises(GuardFailed, match=r"already recorded as a sibling"):
        step(
            flow,
            case_id,
            "2027-01-09T10:00",
            "add_sibling",
            {"reference": "VIS-000099", "name": "Finn Parent"},
            by=SW,
        )
    with pytest.raises(InputError, match=r"data.reference"):
        step(
            flow,
            case_id,
            "2027-01-09T10:00",
            "add_sibling",
            {"reference": "Finn", "name": "Finn Parent"},
            by=SW,
        )


def test_closing_the_case_stops_every_visiting_clock(make_app):
    flow = make_app(start="2027-01-04T09:00")
    case_id = _open(flow)
    _visit(flow, case_id, "2027-01-05T10:00")
    step(flow, case_id, "2027-01-08T10:00", "close", {"reason": "Plan ended at review"}, by=MANAGER)
    flow.advance(at("2027-05-01T00:00"))

    assert case_state(flow, case_id).state == "closed"
    assert [m["template"] for m in outbox_rows(flow, case_id=case_id)] == [
        "home_visits/case_opened"
    ]


# -- the scenarios, replayed in-process ---------------------------------------------------


def _replay(name: str) -> dict[str, Any]:
    settings = Settings(timescales={}, agenda_times={}, mailing_lists={})
    return run(load(SCENARIOS / f"home_visits-{name}.yaml"), settings=settings)


def _ours(result: dict[str, Any]) -> list[tuple[Any, ...]]:
    """The case's story as a manager reads it: moves, deadlines, misses and messages."""
    rows: list[tuple[Any, ...]] = []
    for e in result["timeline"]:
        if e.get("case_id") is None:
            continue  # other processes' agenda jobs
        if e["kind"] == "transition":
            rows.append((e["at"], e["kind"], e["trigger"], e["to"]))
        elif e["kind"] in ("deadline_set", "deadline_missed"):
            rows.append((e["at"], e["kind"], e["rule"], e["due_at"]))
        elif e["kind"] == "deadline_met":
            rows.append((e["at"], e["kind"], e["rule"], e["reason"]))
        elif e["kind"] == "message":
            rows.append(
                (
                    e["at"],
                    e["rule"],
                    e["template"].split("/")[1],
                    e["to_address"],
                    e.get("cc"),
                    e["sent_at"],
                    e["status"],
                )
            )
    return rows


def test_VIS_03_VIS_08_scenario_cp_child_not_seen_replays_to_the_minute():
    result = _replay("cp-child-not-seen")

    assert result["final_state"] == "visiting"
    assert _ours(result) == [
        ("2027-01-04T10:00:00+00:00", "transition", "create", "awaiting_initial_visit"),
        (
            "2027-01-04T10:00:00+00:00",
            "VIS-01",
            "case_opened",
            SW,
            [MANAGER],
            "2027-01-04T10:00:00+00:00",
            "sent",
        ),
        ("2027-01-04T10:00:00+00:00", "deadline_set", "VIS-01", "2027-01-11T23:59:59+00:00"),
        ("2027-01-04T10:00:00+00:00", "deadline_set", "VIS-04", "2027-04-04T23:59:59+01:00"),
        ("2027-01-06T14:00:00+00:00", "transition", "record_visit", "visiting"),
        ("2027-01-06T14:00:00+00:00", "deadline_met", "VIS-01", "met on time"),
        ("2027-01-06T14:00:00+00:00", "deadline_set", "VIS-03", "2027-01-16T23:59:59+00:00"),
        (
            "2027-01-14T09:00:00+00:00",
            "VIS-03",
            "visit_reminder",
            SW,
            None,
            "2027-01-14T09:00:00+00:00",
            "sent",
        ),
        ("2027-01-16T23:59:59+00:00", "deadline_missed", "VIS-03", "2027-01-16T23:59:59+00:00"),
        (
            "2027-01-16T23:59:59+00:00",
            "VIS-08",
            "cp_child_not_seen",
            MANAGER,
            [IRO],
            "2027-01-17T08:00:00+00:00",
            "sent",
        ),
    ]


def test_VIS_02_VIS_04_VIS_05_scenario_child_in_need_replays_to_the_minute():
    result = _replay("child-in-need")

    rows = _ours(result)
    assert [r for r in rows if r[1] == "deadline_set"] == [
        ("2027-02-01T09:00:00+00:00", "deadline_set", "VIS-01", "2027-02-08T23:59:59+00:00"),
        ("2027-02-01T09:00:00+00:00", "deadline_set", "VIS-04", "2027-05-01T23:59:59+01:00"),
        ("2027-02-02T15:00:00+00:00", "deadline_set", "VIS-02", "2027-02-23T23:59:59+00:00"),
        ("2027-02-22T11:00:00+00:00", "deadline_set", "VIS-02", "2027-03-15T23:59:59+00:00"),
        ("2027-03-01T16:00:00+00:00", "deadline_set", "VIS-02", "2027-03-08T23:59:59+00:00"),
        ("2027-03-05T08:30:00+00:00", "deadline_set", "VIS-04", "2027-06-05T23:59:59+01:00"),
        ("2027-03-05T08:30:00+00:00", "deadline_set", "VIS-02", "2027-03-19T23:59:59+00:00"),
    ]
    assert [r for r in rows if len(r) == 7] == [
        (
            "2027-02-01T09:00:00+00:00",
            "VIS-01",
            "case_opened",
            SW,
            [MANAGER],
            "2027-02-01T09:00:00+00:00",
            "sent",
        ),
        (
            "2027-02-21T09:00:00+00:00",
            "VIS-02",
            "visit_reminder",
            SW,
            None,
            "2027-02-21T09:00:00+00:00",
            "sent",
        ),
        (
            "2027-03-01T16:00:00+00:00",
            "VIS-05",
            "frequency_changed",
            SW,
            [MANAGER],
            "2027-03-01T16:00:00+00:00",
            "sent",
        ),
    ]
    assert [r for r in rows if r[1] == "deadline_met"] == [
        ("2027-02-02T15:00:00+00:00", "deadline_met", "VIS-01", "met on time"),
        ("2027-02-22T11:00:00+00:00", "deadline_met", "VIS-02", "met on time"),
        ("2027-03-05T08:30:00+00:00", "deadline_met", "VIS-02", "met on time"),
        ("2027-03-05T08:30:00+00:00", "deadline_met", "VIS-04", "met on time"),
    ]
    notes = [e for e in result["timeline"] if e["kind"] == "note"]
    assert [(n["at"], n["rule"]) for n in notes] == [
        ("2027-02-02T15:00:00+00:00", "VIS-09"),
        ("2027-02-22T11:00:00+00:00", "VIS-09"),
        ("2027-03-01T16:00:00+00:00", "VIS-05"),
        ("2027-03-05T08:30:00+00:00", "VIS-09"),
    ]


def test_VIS_06_VIS_07_VIS_08_scenario_postponed_and_missed_replays_to_the_minute():
    result = _replay("postponed-and-missed")

    messages = [r for r in _ours(result) if len(r) == 7]
    assert messages == [
        (
            "2027-04-19T10:00:00+01:00",
            "VIS-01",
            "case_opened",
            SW,
            [MANAGER],
            "2027-04-19T10:00:00+01:00",
            "sent",
        ),
        (
            "2027-04-30T09:00:00+01:00",
            "VIS-07",
            "postponed",
            MANAGER,
            [IRO],
            "2027-04-30T09:00:00+01:00",
            "sent",
        ),
        (
            "2027-05-04T15:00:00+01:00",
            "VIS-08",
            "visit_concern",
            MANAGER,
            [IRO],
            "2027-05-04T15:00:00+01:00",
            "sent",
        ),
        (
            "2027-05-06T23:59:59+01:00",
            "VIS-07",
            "rescheduled_overdue",
            MANAGER,
            [IRO],
            "2027-05-07T08:00:00+01:00",
            "sent",
        ),
        (
            "2027-05-07T16:00:00+01:00",
            "VIS-08",
            "visit_concern",
            MANAGER,
            [IRO],
            "2027-05-07T16:00:00+01:00",
            "sent",
        ),
        (
            "2027-05-10T09:00:00+01:00",
            "VIS-02",
            "visit_reminder",
            SW,
            None,
            "2027-05-10T09:00:00+01:00",
            "sent",
        ),
        (
            "2027-05-11T10:30:00+01:00",
            "VIS-08",
            "visit_concern",
            MANAGER,
            [IRO],
            "2027-05-11T10:30:00+01:00",
            "sent",
        ),
    ]
    assert (
        "2027-04-30T09:00:00+01:00",
        "deadline_set",
        "VIS-07",
        "2027-05-06T23:59:59+01:00",
    ) in _ours(result)
    bodies = [
        e["body"] for e in result["timeline"] if e.get("template") == "home_visits/visit_concern"
    ]
    assert "could not get access" in bodies[0]
    assert "2 scheduled visits have now been missed" in bodies[1]
    assert "the child (aged 5) could not be seen alone" in bodies[2]


def test_VIS_04_scenario_unannounced_replays_to_the_minute():
    result = _replay("unannounced")

    rows = _ours(result)
    assert [r for r in rows if r[2] == "VIS-04" or r[1] == "VIS-04"] == [
        ("2027-01-04T10:00:00+00:00", "deadline_set", "VIS-04", "2027-04-04T23:59:59+01:00"),
        (
            "2027-03-21T09:00:00+00:00",
            "VIS-04",
            "unannounced_reminder",
            SW,
            None,
            "2027-03-21T09:00:00+00:00",
            "sent",
        ),
        ("2027-04-04T23:59:59+01:00", "deadline_missed", "VIS-04", "2027-04-04T23:59:59+01:00"),
        (
            "2027-04-04T23:59:59+01:00",
            "VIS-04",
            "unannounced_overdue",
            MANAGER,
            [IRO],
            "2027-04-05T08:00:00+01:00",
            "sent",
        ),
        ("2027-04-06T08:15:00+01:00", "deadline_met", "VIS-04", "met late"),
        ("2027-04-06T08:15:00+01:00", "deadline_set", "VIS-04", "2027-07-06T23:59:59+01:00"),
    ]
    templates = {r[2] for r in rows if len(r) == 7}
    assert templates == {"case_opened", "unannounced_reminder", "unannounced_overdue"}
