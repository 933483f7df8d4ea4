"""Early help, the Family Solutions practice framework (seed 003, EH-1.1 to EH-11.7), rule by
rule on SQLite and PostgreSQL, and its scenarios replayed to the minute."""

# The scenarios' timelines at the end are compared line for line, as a manager reads them:
# their lines are long, and the catalogue's ID for EH-7.2 to EH-7.4 has an en dash.
# ruff: noqa: E501

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from engine import store
from engine.calendar import WorkingCalendar
from engine.cases import AS_NAMED, Actor
from engine.clock import local
from engine.errors import GuardFailed, InputError, RoleNotAllowed, TriggerNotAllowed
from familyflow.db import accounts as accounts_db
from familyflow.rules import catalogue_ids, coverage
from familyflow.settings import Settings
from familyflow.simulate import load, run
from tests.support.journeys import at, case_state, history, outbox_rows, step
from workflows import all_processes
from workflows.early_help import PROCESS
from workflows.spec import Duration

SCENARIOS = Path(__file__).resolve().parents[2] / "docs" / "scenarios"
SCREENING = "screening@example.org"

PAT = {"name": "Pat Reed", "email": "pat.reed@school.example.org"}
DEE = {"name": "Dee Duty", "email": "dee.duty@example.org"}
MO = {"name": "Mo Khan", "email": "mo.khan@example.org"}
TIA = {"name": "Tia Lead", "email": "tia.lead@example.org"}
SAM = {"name": "Sam Jones", "email": "sam.jones@example.org"}
KIM = {"name": "Kim Lee", "email": "kim.lee@example.org"}
LEE = {"name": "Lee Cole", "email": "lee.cole@example.org"}
RAVI = {"name": "Ravi Patel", "email": "ravi.patel@example.org"}

CONTACTS = {"referrer": PAT, "duty_worker": DEE, "manager": MO, "team_manager": TIA}
STEP_DOWN = {"social_worker": SAM, "duty_worker": DEE, "manager": MO, "team_manager": TIA}
PLAN = {
    "outcomes": "Ella at school on time every day.",
    "actions": "Morning routine chart; breakfast club.",
    "evaluation": "Weekly attendance from school.",
    "responsibilities": "Mum: routine; school: breakfast club; Kim: weekly check-in.",
    "timeframes": "Six weeks.",
    "contingency": "Step-up discussion if attendance falls.",
    "voice_of_child": "Ella chose the pictures for her chart.",
}
CHECKLIST = {
    "reason": "outcomes achieved",
    "closure_summary": "Attendance 98% for six weeks; routines in place.",
    "records_up_to_date": True,
    "documents_uploaded": True,
    "plan_actions_completed": True,
    "supervisor_tasks_completed": True,
    "voice_of_child": "Ella says she does not need Kim to come any more.",
}


# -- helpers ---------------------------------------------------------------------


def new_case(flow, received: str, contacts=None, **data: Any) -> int:
    flow.advance(at(received))
    case_id = flow.create_case(
        process="early_help",
        received_at=at(received),
        data={"family": "Smith family", **data},
        contacts=contacts or CONTACTS,
    )
    flow.tick()
    return case_id


def step_down(flow, received: str, **data: Any) -> int:
    return new_case(flow, received, STEP_DOWN, route="step_down", contact_type="step_down", **data)


def allocated(
    flow, received: str = "2027-01-11T09:30", when: str = "2027-01-11T10:00", **data: Any
) -> int:
    case_id = step_down(flow, received, **data)
    step(flow, case_id, when, "allocate", {"worker": KIM}, by=MO["email"])
    return case_id


def visited(flow, case_id: int, contact: str, visit: str) -> None:
    step(flow, case_id, contact, "record_initial_contact", {"method": "phone"}, by=KIM["email"])
    step(
        flow,
        case_id,
        visit,
        "record_first_visit",
        {"child_seen": True, "child_spoken_to": True},
        by=KIM["email"],
    )


def due(flow, case_id: int, rule: str, *words: str) -> list[str]:
    """The due instants set for a rule's timescales (whose description has all the words)."""
    return [
        e["due_at"]
        for e in history(flow, case_id)
        if e["kind"] == "deadline_set"
        and e["rule"] == rule
        and all(w in e["reason"] for w in words)
    ]


def met(flow, case_id: int, rule: str) -> list[tuple[str, str]]:
    """When the rule's deadlines were met and how (sorted: the order within one instant is the
    database's)."""
    return sorted(
        (e["at"], e["reason"])
        for e in history(flow, case_id)
        if e["kind"] == "deadline_met" and e["rule"] == rule
    )


def mails(flow, case_id: int | None, template: str) -> list[dict[str, Any]]:
    return outbox_rows(flow, case_id=case_id, template=f"early_help/{template}")


def sent(row: dict[str, Any]) -> tuple[str, list[str], str]:
    """Who it went to, who was copied, and when it went, in London time."""
    return row["to_address"], row["cc"] or [], local(row["sent_at"]).isoformat()


def ref(case_id: int) -> str:
    return f"EH-{case_id:06d}"


def open_timescales(flow, case_id: int) -> set[str]:
    with flow.db.connect() as conn:
        return {d["timescale"] for d in store.open_deadlines(conn, case_id=case_id)}


# -- EH-1: contact and acknowledgement ------------------------------------------


def test_EH_1_2_an_acknowledgement_not_sent_reminds_the_duty_worker_then_escalates_to_the_manager(
    make_app,
):
    flow = make_app(start="2027-01-11T09:00")
    case_id = new_case(flow, "2027-01-11T10:00", contact_type="request_for_support")

    assert due(flow, case_id, "EH-1.2") == [
        "2027-01-12T23:59:59+00:00",
        "2027-01-14T23:59:59+00:00",
    ]
    flow.advance(at("2027-01-15T09:00"))
    [reminder] = mails(flow, case_id, "referrer_email_expected")
    assert sent(reminder) == (DEE["email"], [], "2027-01-13T08:00:00+00:00")
    assert reminder["subject"] == (
        f"Reminder: acknowledgement not yet sent to the referrer ({ref(case_id)})"
    )
    assert (
        "was expected to reach the referrer by Tuesday 12 January 2027 at 23:59"
        in (reminder["body"])
    )
    [overdue] = mails(flow, case_id, "referrer_email_overdue")
    assert sent(overdue) == (MO["email"], [DEE["email"]], "2027-01-15T08:00:00+00:00")
    assert overdue["subject"] == f"Overdue: acknowledgement to the referrer for {ref(case_id)}"
    assert "by Thursday 14 January 2027 at 23:59 (maximum 3 calendar days)" in overdue["body"]

    step(flow, case_id, "2027-01-15T10:00", "acknowledge", by=DEE["email"])
    [ack] = mails(flow, case_id, "acknowledgement")
    assert sent(ack) == (PAT["email"], [], "2027-01-15T10:00:00+00:00")
    assert ack["subject"] == f"Request for support received: Smith family ({ref(case_id)})"
    assert "received at the Family Centre on Monday 11 January 2027 at 10:00" in ack["body"]
    assert "outcome of screening within 3 calendar days of the screening" in ack["body"]
    assert "Sent under rule EH-1.2." in ack["body"]
    assert met(flow, case_id, "EH-1.2") == [("2027-01-15T10:00:00+00:00", "met late")] * 2


def test_EH_1_2_an_acknowledgement_the_same_day_meets_both_and_nobody_is_chased(make_app):
    flow = make_app(start="2027-01-11T09:00")
    case_id = new_case(flow, "2027-01-11T10:00")
    step(
        flow,
        case_id,
        "2027-01-11T15:00",
        "acknowledge",
        {"message": "Screening is on Tuesday mornings."},
        by=DEE["email"],
    )
    flow.advance(at("2027-01-20T09:00"))

    assert mails(flow, case_id, "referrer_email_expected") == []
    assert mails(flow, case_id, "referrer_email_overdue") == []
    [ack] = mails(flow, case_id, "acknowledgement")
    assert "Screening is on Tuesday mornings." in ack["body"]
    assert met(flow, case_id, "EH-1.2") == [("2027-01-11T15:00:00+00:00", "met on time")] * 2
    with pytest.raises(GuardFailed, match="acknowledgement was already sent"):
        flow.fire(case_id, "acknowledge", actor=Actor(DEE["email"], AS_NAMED))


def test_EH_1_2_EH_2_2_a_DART_is_not_acknowledged_and_screened_out_closes_with_no_email(make_app):
    flow = make_app(start="2027-01-11T09:00")
    case_id = new_case(flow, "2027-01-11T10:00", contact_type="dart")

    assert due(flow, case_id, "EH-1.2") == []
    with pytest.raises(GuardFailed, match=r"DART contacts are not acknowledged"):
        flow.fire(case_id, "acknowledge", actor=Actor(DEE["email"], AS_NAMED))
    step(
        flow,
        case_id,
        "2027-01-12T11:00",
        "screen",
        {"outcome": "no_further_action", "rationale": "Police aware; no EH role."},
        by=DEE["email"],
    )
    flow.advance(at("2027-01-20T09:00"))

    case = case_state(flow, case_id)
    assert (case.state, case.data["closure_reason"]) == (
        "closed",
        "screened: no_further_action (DART: no outcome email)",
    )
    assert due(flow, case_id, "EH-2.2") == []
    assert outbox_rows(flow, case_id=case_id) == []


def test_EH_1_3_every_request_is_a_case_with_its_contact_type(make_app):
    flow = make_app(start="2027-01-11T09:00")
    case_id = new_case(flow, "2027-01-11T10:00", contact_type="walk_in")

    case = case_state(flow, case_id)
    assert (case.state, case.data["contact_type"]) == ("received", "walk_in")
    assert PROCESS.rules["EH-1.3"].startswith("recorded:")


def test_EH_1_1_MAAM_is_due_15_calendar_days_from_the_contact_not_from_the_screening(make_app):
    flow = make_app(start="2027-01-11T09:00")
    case_id = new_case(flow, "2027-01-11T10:00")
    step(
        flow,
        case_id,
        "2027-01-13T15:00",
        "screen",
        {"outcome": "maam", "rationale": "Several agencies involved."},
        by=DEE["email"],
    )

    assert due(flow, case_id, "EH-1.1") == ["2027-01-26T23:59:59+00:00"]
    flow.advance(at("2027-01-27T09:00"))
    [reminder] = mails(flow, case_id, "maam_reminder")
    assert sent(reminder) == (DEE["email"], [], "2027-01-22T09:00:00+00:00")
    assert reminder["subject"] == f"MAAM due by Tuesday 26 January 2027 ({ref(case_id)})"
    [overdue] = mails(flow, case_id, "maam_overdue")
    assert sent(overdue) == (MO["email"], [DEE["email"]], "2027-01-27T08:00:00+00:00")
    assert (
        "had to be presented to the Multi Agency Action Meeting by Tuesday 26 January 2027"
        in overdue["body"]
    )

    step(
        flow,
        case_id,
        "2027-01-27T13:00",
        "hold_maam",
        {"outcome": "allocate", "rationale": "Family Solutions to lead."},
        by=MO["email"],
    )
    assert met(flow, case_id, "EH-1.1") == [("2027-01-27T13:00:00+00:00", "met late")]


# -- EH-2: screening ---------------------------------------------------------------


def test_EH_2_1_the_daily_screening_list_goes_to_the_screening_meeting_on_weekdays(make_app):
    flow = make_app(start="2027-01-08T08:00", mailing_lists={"early_help_screening": [SCREENING]})
    contact = new_case(flow, "2027-01-08T10:00", contact_type="request_for_support")
    stepped = step_down(flow, "2027-01-08T12:00", family="Khan family")
    flow.advance(at("2027-01-12T10:00"))

    lists = mails(flow, None, "screening_list")
    assert [(m["subject"], *sent(m)) for m in lists] == [
        (
            "Family Centre screening list, Monday 11 January 2027",
            SCREENING,
            [],
            "2027-01-11T09:00:00+00:00",
        ),
        (
            "Family Centre screening list, Tuesday 12 January 2027",
            SCREENING,
            [],
            "2027-01-12T09:00:00+00:00",
        ),
    ]  # nothing on Saturday or Sunday
    assert lists[0]["rule"] == "EH-2.1"
    assert (
        "New contacts to screen:\n"
        f"- {ref(contact)} (Smith family): received Friday 8 January 2027 at 10:00, "
        "request for support, from Pat Reed\n"
        "\n"
        "Step-downs from social care: allocate within 48 hours of receipt (EH-6.1):\n"
        f"- {ref(stepped)} (Khan family): received Friday 8 January 2027 at 12:00, "
        "step down, from Sam Jones\n"
    ) in lists[0]["body"]

    step(
        flow,
        contact,
        "2027-01-12T11:00",
        "screen",
        {"outcome": "maam", "rationale": "Needs a MAAM.", "maam_date": "2027-01-20T13:00"},
        by=DEE["email"],
    )
    step(flow, stepped, "2027-01-12T11:30", "allocate", {"worker": KIM}, by=MO["email"])
    flow.advance(at("2027-01-13T10:00"))
    [wednesday] = [m for m in mails(flow, None, "screening_list") if "13 January" in m["subject"]]
    assert (
        "Awaiting the Multi Agency Action Meeting (within 15 calendar days of contact, "
        f"EH-1.1):\n- {ref(contact)} (Smith family): received Friday 8 January 2027 at 10:00, "
        "request for support, from Pat Reed; MAAM Wednesday 20 January 2027 at 13:00\n"
    ) in wednesday["body"]
    assert "Step-downs" not in wednesday["body"] and "New contacts" not in wednesday["body"]


def test_EH_2_2_the_screening_outcome_goes_to_the_referrer_and_a_screened_out_case_closes(make_app):
    flow = make_app(start="2027-01-11T09:00")
    case_id = new_case(flow, "2027-01-11T10:00")
    step(flow, case_id, "2027-01-11T11:00", "acknowledge", by=DEE["email"])
    step(
        flow,
        case_id,
        "2027-01-12T11:30",
        "screen",
        {"outcome": "signpost", "rationale": "Parenting course at the children's centre."},
        by=DEE["email"],
    )

    assert case_state(flow, case_id).state == "not_allocated"
    assert due(flow, case_id, "EH-2.2") == [
        "2027-01-13T23:59:59+00:00",
        "2027-01-15T23:59:59+00:00",
    ]
    flow.advance(at("2027-01-14T09:00"))
    [reminder] = mails(flow, case_id, "referrer_email_expected")
    assert sent(reminder) == (DEE["email"], [], "2027-01-14T08:00:00+00:00")
    assert reminder["subject"] == (
        f"Reminder: screening outcome not yet sent to the referrer ({ref(case_id)})"
    )

    step(
        flow,
        case_id,
        "2027-01-14T10:00",
        "send_screening_outcome",
        {"message": "The course starts on 1 February."},
        by=DEE["email"],
    )
    [outcome] = mails(flow, case_id, "screening_outcome")
    assert sent(outcome) == (PAT["email"], [], "2027-01-14T10:00:00+00:00")
    assert outcome["subject"] == f"Screening outcome: Smith family ({ref(case_id)})"
    assert "was screened on Tuesday 12 January 2027 at 11:30." in outcome["body"]
    assert "Outcome: signposted to other support.\nReason: Parenting course" in outcome["body"]
    assert "The course starts on 1 February." in outcome["body"]
    case = case_state(flow, case_id)
    assert (case.state, case.data["closure_reason"]) == ("closed", "screened: signpost")
    assert met(flow, case_id, "EH-2.2") == [
        ("2027-01-14T10:00:00+00:00", "met late"),
        ("2027-01-14T10:00:00+00:00", "met on time"),
    ]
    assert mails(flow, case_id, "referrer_email_overdue") == []


def test_EH_2_2_a_contact_going_to_MAAM_is_told_so_with_the_MAAM_date(make_app):
    flow = make_app(start="2027-01-11T09:00")
    case_id = new_case(flow, "2027-01-11T10:00")
    step(
        flow,
        case_id,
        "2027-01-12T11:30",
        "screen",
        {"outcome": "maam", "rationale": "Needs across agencies.", "maam_date": "2027-01-20T13:00"},
        by=DEE["email"],
    )
    step(flow, case_id, "2027-01-12T15:00", "send_screening_outcome", by=DEE["email"])

    [outcome] = mails(flow, case_id, "screening_outcome")
    assert (
        "Outcome: to be presented to the Multi Agency Action Meeting (MAAM)." in (outcome["body"])
    )
    assert (
        "It will be presented to the Multi Agency Action Meeting on Wednesday 20 January "
        "2027 at 13:00." in outcome["body"]
    )
    assert case_state(flow, case_id).state == "awaiting_maam"
    with pytest.raises(GuardFailed, match="already sent to the referrer"):
        flow.fire(case_id, "send_screening_outcome", actor=Actor(DEE["email"], AS_NAMED))


def test_EH_2_3_a_contact_stepped_down_at_screening_is_due_for_allocation_24_hours_later(make_app):
    flow = make_app(start="2027-01-11T09:00")
    case_id = new_case(flow, "2027-01-11T10:00")
    step(
        flow,
        case_id,
        "2027-01-12T11:30",
        "screen",
        {"outcome": "allocate", "rationale": "Early Help can meet the needs."},
        by=DEE["email"],
    )

    assert due(flow, case_id, "EH-2.3") == ["2027-01-13T11:30:00+00:00"]
    flow.advance(at("2027-01-13T12:00"))
    [late] = mails(flow, case_id, "allocation_expected")
    assert sent(late) == (MO["email"], [], "2027-01-13T11:30:00+00:00")
    assert late["subject"] == f"Allocation expected: {ref(case_id)} is not yet allocated"
    assert (
        "Timescale: allocation within 24 hours of being stepped down to Early Help at screening."
    ) in late["body"]

    step(flow, case_id, "2027-01-13T13:00", "allocate", {"worker": KIM}, by=MO["email"])
    [moved] = [e for e in history(flow, case_id) if e.get("trigger") == "allocate"]
    assert (moved["rule"], moved["to"]) == ("EH-2.3", "allocated")
    assert met(flow, case_id, "EH-2.3") == [("2027-01-13T13:00:00+00:00", "met late")]


# -- EH-3: MAAM and the pre-allocation list -----------------------------------------


def _to_maam(flow, case_id: int, outcome: str) -> None:
    step(
        flow,
        case_id,
        "2027-01-12T11:30",
        "screen",
        {"outcome": "maam", "rationale": "Needs across agencies."},
        by=DEE["email"],
    )
    step(flow, case_id, "2027-01-12T12:00", "send_screening_outcome", by=DEE["email"])
    step(
        flow,
        case_id,
        "2027-01-20T13:00",
        "hold_maam",
        {"outcome": outcome, "rationale": "Agreed at MAAM."},
        by=MO["email"],
    )


def test_EH_3_1_the_MAAM_outcome_goes_to_the_referrer_and_not_allocated_closes_once_sent(make_app):
    flow = make_app(start="2027-01-11T09:00")
    case_id = new_case(flow, "2027-01-11T10:00")
    _to_maam(flow, case_id, "no_further_action")

    assert case_state(flow, case_id).state == "not_allocated"
    assert due(flow, case_id, "EH-3.1") == [
        "2027-01-21T23:59:59+00:00",
        "2027-01-23T23:59:59+00:00",
    ]
    flow.advance(at("2027-01-25T09:00"))
    [reminder] = [
        m for m in mails(flow, case_id, "referrer_email_expected") if m["rule"] == "EH-3.1"
    ]
    assert sent(reminder) == (DEE["email"], [], "2027-01-22T08:00:00+00:00")
    [overdue] = [m for m in mails(flow, case_id, "referrer_email_overdue") if m["rule"] == "EH-3.1"]
    assert sent(overdue) == (MO["email"], [DEE["email"]], "2027-01-24T08:00:00+00:00")
    assert overdue["subject"] == f"Overdue: MAAM outcome to the referrer for {ref(case_id)}"

    step(flow, case_id, "2027-01-25T10:00", "send_maam_outcome", by=DEE["email"])
    [outcome] = mails(flow, case_id, "maam_outcome")
    assert sent(outcome) == (PAT["email"], [], "2027-01-25T10:00:00+00:00")
    assert (
        "discussed at the Multi Agency Action Meeting on Wednesday 20 January 2027 at "
        "13:00" in outcome["body"]
    )
    assert "Outcome: no further action by Family Solutions." in outcome["body"]
    case = case_state(flow, case_id)
    assert (case.state, case.data["closure_reason"]) == ("closed", "MAAM: no_further_action")


def test_EH_3_2_allocation_after_MAAM_is_expected_in_2_working_days_and_due_in_5_calendar_days(
    make_app,
):
    flow = make_app(start="2027-01-11T09:00")
    case_id = new_case(flow, "2027-01-11T10:00")
    _to_maam(flow, case_id, "allocate")

    assert due(flow, case_id, "EH-3.2") == [
        "2027-01-22T23:59:59+00:00",
        "2027-01-25T23:59:59+00:00",
    ]
    flow.advance(at("2027-01-26T09:00"))
    [expected] = mails(flow, case_id, "allocation_expected")
    assert sent(expected) == (MO["email"], [], "2027-01-23T08:00:00+00:00")
    [overdue] = mails(flow, case_id, "allocation_overdue")
    assert sent(overdue) == (MO["email"], [TIA["email"]], "2027-01-26T08:00:00+00:00")
    assert overdue["subject"] == f"Overdue: allocation of {ref(case_id)}"
    assert "Timescale: allocation after the MAAM: maximum 5 calendar days." in overdue["body"]

    with pytest.raises(RoleNotAllowed, match="needs one of: manager, team_manager"):
        flow.fire(case_id, "allocate", {"worker": KIM}, actor=Actor(DEE["email"], AS_NAMED))
    step(flow, case_id, "2027-01-26T10:00", "allocate", {"worker": KIM}, by=MO["email"])
    assert met(flow, case_id, "EH-3.2") == [("2027-01-26T10:00:00+00:00", "met late")] * 2


def test_EH_3_3_a_family_on_the_pre_allocation_list_is_contacted_weekly_each_contact_restarts(
    make_app,
):
    flow = make_app(start="2027-01-11T09:00")
    case_id = new_case(flow, "2027-01-11T10:00")
    _to_maam(flow, case_id, "allocate")
    step(
        flow,
        case_id,
        "2027-01-26T11:00",
        "record_pre_allocation_contact",
        {"method": "phone", "summary": "Mum updated; no new concerns."},
        by=DEE["email"],
    )
    flow.advance(at("2027-02-03T09:00"))

    assert due(flow, case_id, "EH-3.3") == [
        "2027-01-27T23:59:59+00:00",
        "2027-02-02T23:59:59+00:00",
    ]
    reminders = mails(flow, case_id, "pre_allocation_contact_reminder")
    assert [sent(r) for r in reminders] == [
        (DEE["email"], [], "2027-01-26T09:00:00+00:00"),
        (DEE["email"], [], "2027-02-01T09:00:00+00:00"),
    ]
    [overdue] = mails(flow, case_id, "pre_allocation_contact_overdue")
    assert sent(overdue) == (MO["email"], [DEE["email"]], "2027-02-03T08:00:00+00:00")
    [note] = [e for e in history(flow, case_id) if e["kind"] == "note" and e["rule"] == "EH-3.3"]
    assert note["reason"] == "Pre-allocation contact (phone): Mum updated; no new concerns."

    step(flow, case_id, "2027-02-03T10:00", "allocate", {"worker": KIM}, by=MO["email"])
    assert met(flow, case_id, "EH-3.3") == [
        ("2027-01-26T11:00:00+00:00", "met on time"),
        ("2027-02-03T10:00:00+00:00", "met late"),
    ]
    assert "EH-3.3" not in open_timescales(flow, case_id)


# -- EH-4: contact, first visit, assessment ------------------------------------------


def test_EH_4_1_initial_contact_in_2_calendar_days_then_first_visit_in_5_working_days_over_easter(
    make_app,
):
    flow = make_app(start="2027-03-22T09:00")
    case_id = allocated(flow, "2027-03-22T09:30", "2027-03-23T11:00")

    [worker_told] = mails(flow, case_id, "worker_allocated")
    assert sent(worker_told) == (KIM["email"], [], "2027-03-23T11:00:00+00:00")
    assert (
        "Make initial contact with the family within 2 calendar days (EH-4.1)."
        in (worker_told["body"])
    )
    assert due(flow, case_id, "EH-4.1", "initial contact") == ["2027-03-25T23:59:59+00:00"]
    step(
        flow,
        case_id,
        "2027-03-24T14:00",
        "record_initial_contact",
        {"method": "phone"},
        by=KIM["email"],
    )

    # Good Friday (26 March) and Easter Monday (29 March) are not working days; BST from 28th.
    first_visit = WorkingCalendar().due_at(
        at("2027-03-24T14:00"), Duration(amount=5, unit="working_days")
    )
    assert local(first_visit).isoformat() == "2027-04-02T23:59:59+01:00"
    assert due(flow, case_id, "EH-4.1", "first visit") == [local(first_visit).isoformat()]
    flow.advance(at("2027-04-05T09:00"))
    reminders = mails(flow, case_id, "worker_task_reminder")
    assert [sent(r) for r in reminders] == [
        (KIM["email"], [], "2027-03-24T09:00:00+00:00"),
        (KIM["email"], [], "2027-04-01T09:00:00+01:00"),
    ]
    assert reminders[1]["subject"] == f"Due by Friday 2 April 2027: {ref(case_id)} (EH-4.1)"
    [overdue] = mails(flow, case_id, "worker_task_overdue")
    assert sent(overdue) == (MO["email"], [KIM["email"]], "2027-04-03T08:00:00+01:00")
    assert (
        "first visit, with the child seen and spoken to, within 5 working days" in (overdue["body"])
    )
    assert "It was due by Friday 2 April 2027 at 23:59" in overdue["body"]

    step(
        flow,
        case_id,
        "2027-04-06T10:00",
        "record_first_visit",
        {"child_seen": True, "child_spoken_to": True},
        by=KIM["email"],
    )
    assert met(flow, case_id, "EH-4.1") == [
        ("2027-03-24T14:00:00+00:00", "met on time"),
        ("2027-04-06T10:00:00+01:00", "met late"),
    ]


def test_EH_4_1_the_first_visit_is_refused_unless_the_child_was_seen_and_spoken_to(make_app):
    flow = make_app(start="2027-01-11T09:00")
    case_id = allocated(flow)
    step(
        flow,
        case_id,
        "2027-01-12T10:00",
        "record_initial_contact",
        {"method": "phone"},
        by=KIM["email"],
    )

    with pytest.raises(GuardFailed) as refused:
        flow.fire(
            case_id,
            "record_first_visit",
            {"child_seen": True, "child_spoken_to": False},
            actor=Actor(KIM["email"], AS_NAMED),
        )
    assert str(refused.value) == (
        "trigger 'record_first_visit' refused: the first visit must include the child being "
        "seen and spoken to (EH-4.1): the child was not spoken to; record it as a visit instead"
    )
    step(
        flow,
        case_id,
        "2027-01-13T10:00",
        "record_visit",
        {"child_seen": False, "child_spoken_to": False, "purpose": "Child at school"},
        by=KIM["email"],
    )
    assert case_state(flow, case_id).state == "contacted"
    assert "EH-4.1-visit" in open_timescales(flow, case_id)

    step(
        flow,
        case_id,
        "2027-01-14T16:00",
        "record_first_visit",
        {"child_seen": True, "child_spoken_to": True},
        by=KIM["email"],
    )
    case = case_state(flow, case_id)
    assert case.state == "assessing"
    assert [v["kind"] for v in case.data["visits"]] == ["visit", "first"]


def test_EH_4_3_the_EHA_is_due_4_weeks_after_allocation_the_worker_reminded_the_manager_told(
    make_app,
):
    flow = make_app(start="2027-01-11T09:00")
    case_id = allocated(flow)
    visited(flow, case_id, "2027-01-12T10:00", "2027-01-14T10:00")

    assert due(flow, case_id, "EH-4.3") == ["2027-02-08T23:59:59+00:00"]
    flow.advance(at("2027-02-09T09:00"))
    [reminder] = [r for r in mails(flow, case_id, "worker_task_reminder") if r["rule"] == "EH-4.3"]
    assert sent(reminder) == (KIM["email"], [], "2027-02-01T09:00:00+00:00")
    [overdue] = [r for r in mails(flow, case_id, "worker_task_overdue") if r["rule"] == "EH-4.3"]
    assert sent(overdue) == (MO["email"], [KIM["email"]], "2027-02-09T08:00:00+00:00")
    assert overdue["subject"] == f"Overdue: {ref(case_id)} (EH-4.3)"
    assert (
        "Early Help Assessment completed, and the support plan commenced, within "
        "4 calendar weeks of allocation."
    ) in overdue["body"]

    with pytest.raises(InputError, match=r"data\.voice_of_child"):
        flow.fire(case_id, "complete_assessment", {}, actor=Actor(KIM["email"], AS_NAMED))
    step(
        flow,
        case_id,
        "2027-02-09T10:00",
        "complete_assessment",
        {"voice_of_child": "Ella wants mornings to be calmer.", "support_plan_commenced": True},
        by=KIM["email"],
    )
    assert met(flow, case_id, "EH-4.3") == [("2027-02-09T10:00:00+00:00", "met late")]
    assert case_state(flow, case_id).data["support_plan_commenced"] is True


def test_EH_4_5_a_step_down_with_a_CYPA_under_3_months_old_needs_no_EHA_an_older_one_does(make_app):
    flow = make_app(start="2027-03-22T09:00")
    recent = allocated(
        flow, "2027-03-22T09:30", "2027-03-22T10:00", cypa_completed_on="2026-12-22"
    )  # exactly 3 calendar months before
    older = allocated(flow, "2027-03-22T09:30", "2027-03-22T10:30", cypa_date="2026-12-21")

    assert due(flow, recent, "EH-4.3") == []
    assert due(flow, older, "EH-4.3") == ["2027-04-19T23:59:59+01:00"]
    assert due(flow, recent, "EH-5.1") == ["2027-05-03T23:59:59+01:00"]  # the plan still is
    [told] = mails(flow, recent, "worker_allocated")
    assert (
        "No Early Help Assessment is needed: the CYPA is under 3 months old (EH-4.5)."
        in (told["body"])
    )
    for case_id, when in ((recent, "2027-03-23T10:00"), (older, "2027-03-23T11:00")):
        visited(flow, case_id, when, when.replace("23T", "24T"))

    step(flow, recent, "2027-03-25T10:00", "complete_plan", PLAN, by=KIM["email"])
    assert case_state(flow, recent).state == "plan_in_place"
    with pytest.raises(GuardFailed, match=r"complete the Early Help Assessment first \(EH-4.3\)"):
        flow.fire(older, "complete_plan", PLAN, actor=Actor(KIM["email"], AS_NAMED))


# -- EH-5: plan and reviews --------------------------------------------------------


def test_EH_5_1_the_plan_is_due_in_42_days_and_reviews_every_42_days_after(make_app):
    flow = make_app(start="2027-01-11T09:00")
    case_id = allocated(flow, cypa_completed_on="2027-01-04")
    visited(flow, case_id, "2027-01-12T10:00", "2027-01-14T10:00")

    assert due(flow, case_id, "EH-5.1") == ["2027-02-22T23:59:59+00:00"]
    with pytest.raises(InputError, match=r"data\.contingency"):
        flow.fire(
            case_id,
            "complete_plan",
            {**PLAN, "contingency": ""},
            actor=Actor(KIM["email"], AS_NAMED),
        )
    step(flow, case_id, "2027-02-15T11:00", "complete_plan", PLAN, by=KIM["email"])
    assert due(flow, case_id, "EH-5.1", "review") == ["2027-03-29T23:59:59+01:00"]
    step(
        flow,
        case_id,
        "2027-03-26T10:00",
        "record_review",
        {"summary": "Attendance up to 95%.", "voice_of_child": "Ella likes breakfast club."},
        by=KIM["email"],
    )

    assert due(flow, case_id, "EH-5.1", "review") == [
        "2027-03-29T23:59:59+01:00",
        "2027-05-07T23:59:59+01:00",
    ]
    case = case_state(flow, case_id)
    assert case.data["plan"]["contingency"] == PLAN["contingency"]
    assert [v["stage"] for v in case.data["voice_of_child"]] == ["plan", "review"]
    assert met(flow, case_id, "EH-5.1") == [
        ("2027-02-15T11:00:00+00:00", "met on time"),
        ("2027-03-26T10:00:00+00:00", "met on time"),
    ]
    assert mails(flow, case_id, "worker_task_overdue") == []


# -- EH-6, EH-7: step-downs, wraparound, escalation ---------------------------------


def test_EH_6_1_a_step_down_is_due_for_allocation_48_hours_after_receipt_and_the_SW_is_told(
    make_app,
):
    flow = make_app(start="2027-01-11T09:00")
    case_id = step_down(flow, "2027-01-11T09:30")

    assert due(flow, case_id, "EH-6.1") == ["2027-01-13T09:30:00+00:00"]
    assert due(flow, case_id, "EH-1.2") == []  # the SW hears on allocation instead
    flow.advance(at("2027-01-13T10:00"))
    [overdue] = mails(flow, case_id, "allocation_overdue")
    assert sent(overdue) == (MO["email"], [TIA["email"]], "2027-01-13T09:30:00+00:00")
    assert (
        "Stepped down from social care by Sam Jones, received on Monday 11 January 2027 "
        "at 09:30." in overdue["body"]
    )

    step(flow, case_id, "2027-01-13T11:00", "allocate", {"worker": KIM}, by=MO["email"])
    [told] = mails(flow, case_id, "allocated_to_social_worker")
    assert sent(told) == (SAM["email"], [], "2027-01-13T11:00:00+00:00")
    assert told["subject"] == f"Early help allocated: Smith family ({ref(case_id)})"
    assert "has been allocated to Kim Lee (kim.lee@example.org)." in told["body"]
    assert met(flow, case_id, "EH-6.1") == [("2027-01-13T11:00:00+00:00", "met late")]


def test_EH_6_1_a_contact_is_screened_first_and_a_case_without_a_manager_needs_one_named(make_app):
    flow = make_app(start="2027-01-11T09:00")
    contact = new_case(flow, "2027-01-11T10:00")
    with pytest.raises(GuardFailed, match=r"a contact is screened before it is allocated"):
        flow.fire(contact, "allocate", {"worker": KIM}, actor=Actor(MO["email"], AS_NAMED))

    linked = new_case(flow, "2027-01-11T11:00", {"social_worker": SAM}, route="step_down")
    with pytest.raises(GuardFailed, match="the case has no manager"):
        flow.fire(linked, "allocate", {"worker": KIM}, actor=Actor("test", "manager"))
    step(flow, linked, "2027-01-11T12:00", "allocate", {"worker": KIM, "manager": MO})
    assert case_state(flow, linked).contacts_by_role()["manager"]["email"] == MO["email"]


def test_EH_7_1_a_wraparound_request_is_expected_in_2_working_days_and_due_in_5_calendar_days(
    make_app,
):
    flow = make_app(start="2027-01-14T09:00")
    case_id = new_case(flow, "2027-01-14T10:00", STEP_DOWN, route="wraparound")

    assert due(flow, case_id, "EH-7.1") == [
        "2027-01-18T23:59:59+00:00",
        "2027-01-19T23:59:59+00:00",
    ]
    flow.advance(at("2027-01-20T09:00"))
    [expected] = mails(flow, case_id, "allocation_expected")
    assert sent(expected) == (MO["email"], [], "2027-01-19T08:00:00+00:00")
    [overdue] = mails(flow, case_id, "allocation_overdue")
    assert sent(overdue) == (MO["email"], [TIA["email"]], "2027-01-20T08:00:00+00:00")

    step(flow, case_id, "2027-01-20T10:00", "allocate", {"worker": KIM}, by=MO["email"])
    case = case_state(flow, case_id)
    assert (case.state, case.data["allocation_role"]) == ("wraparound", "wraparound")
    [told] = mails(flow, case_id, "allocated_to_social_worker")
    assert (told["rule"], told["to_address"]) == ("EH-7.1", SAM["email"])
    assert "request for wraparound support received on Thursday 14 January 2027" in told["body"]
    assert open_timescales(flow, case_id) & {"EH-4.3", "EH-5.1-plan"} == set()
    assert "EH-4.1-contact" in open_timescales(flow, case_id)


def _assessing(flow) -> int:
    case_id = allocated(flow)
    visited(flow, case_id, "2027-01-12T10:00", "2027-01-14T10:00")
    return case_id


def _escalate(flow, case_id: int, when: str) -> None:
    step(
        flow,
        case_id,
        when,
        "escalate_to_social_care",
        {"reason": "Disclosure at the home visit.", "request_for_support": "RFS-0115"},
        by=KIM["email"],
    )


def test_EH_7_2_7_4_escalation_is_case_noted_and_the_threshold_decision_decides_what_next(make_app):
    flow = make_app(start="2027-01-11T09:00")
    case_id = _assessing(flow)
    _escalate(flow, case_id, "2027-01-15T11:00")

    assert case_state(flow, case_id).state == "escalated"
    [note] = [
        e
        for e in history(flow, case_id)
        if e["kind"] == "note" and e["reason"].startswith("Escalated")
    ]
    assert note["reason"] == (
        "Escalated to social care: Disclosure at the home visit. Request for Support: RFS-0115"
    )
    [told] = mails(flow, case_id, "escalated")
    assert sent(told) == (MO["email"], [], "2027-01-15T11:00:00+00:00")
    assert "Request for Support: RFS-0115" in told["body"]

    step(
        flow,
        case_id,
        "2027-01-18T10:00",
        "record_social_care_decision",
        {"threshold_met": False},
        by=KIM["email"],
    )
    assert case_state(flow, case_id).state == "assessing"  # back where it was

    _escalate(flow, case_id, "2027-01-19T11:00")
    with pytest.raises(GuardFailed, match="say whether wraparound support is required"):
        flow.fire(
            case_id,
            "record_social_care_decision",
            {"threshold_met": True},
            actor=Actor(KIM["email"], AS_NAMED),
        )
    step(
        flow,
        case_id,
        "2027-01-20T10:00",
        "record_social_care_decision",
        {"threshold_met": True, "wraparound_required": False},
        by=KIM["email"],
    )
    assert case_state(flow, case_id).state == "stepped_up"
    notes = [
        e["reason"]
        for e in history(flow, case_id)
        if e["kind"] == "note" and e["reason"].startswith("EH Stepped Up")
    ]
    assert notes == [
        "EH Stepped Up to Social Care: threshold not met: early help continues.",
        "EH Stepped Up to Social Care: threshold met: no further early help support; the case "
        "is to close.",
    ]
    step(
        flow,
        case_id,
        "2027-01-21T10:00",
        "request_closure",
        {**CHECKLIST, "reason": "stepped up to social care"},
        by=KIM["email"],
    )
    assert case_state(flow, case_id).state == "closure_requested"


def test_EH_7_2_7_4_wraparound_deallocates_the_key_worker_and_reallocates_as_wraparound(make_app):
    flow = make_app(start="2027-01-11T09:00")
    case_id = _assessing(flow)
    _escalate(flow, case_id, "2027-01-15T11:00")
    step(
        flow,
        case_id,
        "2027-01-15T15:00",
        "record_social_care_decision",
        {"threshold_met": True, "wraparound_required": True, "social_worker": RAVI},
        by=KIM["email"],
    )

    assert case_state(flow, case_id).state == "awaiting_wraparound"
    assert due(flow, case_id, "EH-7.1") == [
        "2027-01-19T23:59:59+00:00",
        "2027-01-20T23:59:59+00:00",
    ]
    with pytest.raises(RoleNotAllowed):
        flow.fire(
            case_id, "allocate_wraparound", {"worker": LEE}, actor=Actor(KIM["email"], AS_NAMED)
        )
    step(flow, case_id, "2027-01-18T10:00", "allocate_wraparound", {"worker": LEE}, by=MO["email"])

    case = case_state(flow, case_id)
    assert (case.state, case.data["allocation_role"]) == ("wraparound", "wraparound")
    assert case.contacts_by_role()["worker"]["email"] == LEE["email"]
    [told] = mails(flow, case_id, "wraparound_allocated")
    assert sent(told) == (LEE["email"], [MO["email"], RAVI["email"]], "2027-01-18T10:00:00+00:00")
    assert "The case is now allocated to you in the Wraparound role" in told["body"]
    assert "Social worker: Ravi Patel (ravi.patel@example.org)" in told["body"]
    assert met(flow, case_id, "EH-7.1") == [("2027-01-18T10:00:00+00:00", "met on time")] * 2
    assert open_timescales(flow, case_id) & {"EH-4.3", "EH-5.1-plan"} == set()


# -- EH-8, EH-9: closure --------------------------------------------------------------


def _planned(flow) -> int:
    case_id = _assessing(flow)
    step(
        flow,
        case_id,
        "2027-02-01T10:00",
        "complete_assessment",
        {"voice_of_child": "Ella wants calmer mornings."},
        by=KIM["email"],
    )
    step(flow, case_id, "2027-02-08T10:00", "complete_plan", PLAN, by=KIM["email"])
    return case_id


def test_EH_8_2_EH_9_closure_is_refused_naming_each_missing_check_and_voice_of_the_child(make_app):
    flow = make_app(start="2027-01-11T09:00")
    case_id = _planned(flow)

    with pytest.raises(GuardFailed) as refused:
        flow.fire(
            case_id,
            "request_closure",
            {"reason": "outcomes achieved"},
            actor=Actor(KIM["email"], AS_NAMED),
        )
    assert str(refused.value) == (
        "trigger 'request_closure' refused: not ready to close: closure checklist incomplete "
        "(EH-8.2): records up to date; relevant documents uploaded; outstanding plan actions "
        "completed; the supervisor's further tasks completed; a case closure summary. voice "
        "of the child not recorded (EH-9): during case work (record it as direct work); at "
        "closure"
    )
    with pytest.raises(
        GuardFailed, match=r"\(EH-9\): during case work \(record it as direct work\)$"
    ):
        flow.fire(case_id, "request_closure", CHECKLIST, actor=Actor(KIM["email"], AS_NAMED))

    step(
        flow,
        case_id,
        "2027-02-20T10:00",
        "record_direct_work",
        {"summary": "Worry monster work: school feels better."},
        by=KIM["email"],
    )
    step(flow, case_id, "2027-03-03T10:00", "request_closure", CHECKLIST, by=KIM["email"])
    case = case_state(flow, case_id)
    assert case.state == "closure_requested"
    assert [v["stage"] for v in case.data["voice_of_child"]] == [
        "assessment",
        "plan",
        "case work",
        "closure",
    ]
    [note] = [e for e in history(flow, case_id) if e["kind"] == "note" and e["rule"] == "EH-9"]
    assert (
        note["reason"] == "Direct work/Voice of the child: Worry monster work: school feels better."
    )
    [request] = mails(flow, case_id, "closure_requested")
    assert sent(request) == (MO["email"], [], "2027-03-03T10:00:00+00:00")
    assert "Closure summary: Attendance 98% for six weeks; routines in place." in request["body"]


def test_EH_8_1_the_manager_signs_off_within_3_calendar_days_reminded_then_escalated(make_app):
    flow = make_app(start="2027-01-11T09:00")
    case_id = _planned(flow)
    step(
        flow,
        case_id,
        "2027-02-20T10:00",
        "record_direct_work",
        {"summary": "Life story."},
        by=KIM["email"],
    )
    step(flow, case_id, "2027-03-03T10:00", "request_closure", CHECKLIST, by=KIM["email"])

    assert due(flow, case_id, "EH-8.1") == ["2027-03-06T23:59:59+00:00"]
    flow.advance(at("2027-03-07T09:00"))
    [reminder] = [r for r in mails(flow, case_id, "manager_task_reminder") if r["rule"] == "EH-8.1"]
    assert sent(reminder) == (MO["email"], [], "2027-03-05T09:00:00+00:00")
    [overdue] = [r for r in mails(flow, case_id, "manager_task_overdue") if r["rule"] == "EH-8.1"]
    assert sent(overdue) == (MO["email"], [TIA["email"]], "2027-03-07T08:00:00+00:00")
    assert (
        "closure signed off by the manager within 3 calendar days of the request"
        in (overdue["body"])
    )

    with pytest.raises(InputError, match=r"data\.end_date: '8 March' is not a date"):
        flow.fire(
            case_id,
            "sign_off_closure",
            {"end_date": "8 March", "managers_decision": "x"},
            actor=Actor(MO["email"], AS_NAMED),
        )
    step(
        flow,
        case_id,
        "2027-03-08T10:00",
        "sign_off_closure",
        {"end_date": "2027-03-08", "managers_decision": "Outcomes achieved; close."},
        by=MO["email"],
    )
    case = case_state(flow, case_id)
    assert (case.state, case.data["involvement_ended_on"], case.data["closure_reason"]) == (
        "closed",
        "2027-03-08",
        "outcomes achieved",
    )
    [decision] = [
        e
        for e in history(flow, case_id)
        if e["kind"] == "note" and e["reason"].startswith("Managers Decision (closure)")
    ]
    assert (decision["at"], decision["rule"]) == ("2027-03-08T10:00:00+00:00", "EH-11.1")
    [closed] = mails(flow, case_id, "case_closed")
    assert sent(closed) == (KIM["email"], [MO["email"]], "2027-03-08T10:00:00+00:00")
    assert (
        "Involvement ended on Monday 8 March 2027 and the case is no longer on your "
        "caseload." in closed["body"]
    )
    assert met(flow, case_id, "EH-8.1") == [("2027-03-08T10:00:00+00:00", "met late")]
    assert open_timescales(flow, case_id) == set()
    with flow.db.connect() as conn:
        assert store.open_caseload(conn, email=KIM["email"], roles=["worker"]) == 0


def test_EH_8_1_a_declined_closure_goes_back_to_the_worker_with_the_reason(make_app):
    flow = make_app(start="2027-01-11T09:00")
    case_id = _planned(flow)
    step(
        flow,
        case_id,
        "2027-02-20T10:00",
        "record_direct_work",
        {"summary": "Life story."},
        by=KIM["email"],
    )
    step(flow, case_id, "2027-03-03T10:00", "request_closure", CHECKLIST, by=KIM["email"])
    step(
        flow,
        case_id,
        "2027-03-04T10:00",
        "decline_closure",
        {"reason": "Hold a final review with school first."},
        by=MO["email"],
    )

    assert case_state(flow, case_id).state == "plan_in_place"
    [declined] = mails(flow, case_id, "closure_declined")
    assert sent(declined) == (KIM["email"], [], "2027-03-04T10:00:00+00:00")
    assert "Reason: Hold a final review with school first." in declined["body"]
    assert met(flow, case_id, "EH-8.1") == [("2027-03-04T10:00:00+00:00", "met on time")]


def test_EH_8_1_a_contact_can_be_closed_before_allocation_with_a_reason(make_app):
    flow = make_app(start="2027-01-11T09:00")
    case_id = new_case(flow, "2027-01-11T10:00")
    with pytest.raises(InputError, match=r"data\.reason"):
        flow.fire(case_id, "close", {}, actor=Actor(MO["email"], AS_NAMED))
    step(
        flow,
        case_id,
        "2027-01-11T12:00",
        "close",
        {"reason": "duplicate of EH-000009"},
        by=MO["email"],
    )

    assert case_state(flow, case_id).state == "closed"
    assert open_timescales(flow, case_id) == set()
    with pytest.raises(TriggerNotAllowed, match="allowed here: none"):
        flow.fire(
            case_id,
            "screen",
            {"outcome": "maam", "rationale": "x"},
            actor=Actor(DEE["email"], AS_NAMED),
        )


# -- EH-10, EH-11: recording and management oversight ---------------------------------


def test_EH_10_1_a_visit_must_be_written_up_by_the_end_of_the_next_working_day(make_app):
    flow = make_app(start="2027-01-11T09:00")
    case_id = allocated(flow)
    visited(flow, case_id, "2027-01-12T10:00", "2027-01-15T10:00")  # a Friday

    assert due(flow, case_id, "EH-10.1") == ["2027-01-18T23:59:59+00:00"]
    flow.advance(at("2027-01-19T09:00"))
    [late] = mails(flow, case_id, "write_up_overdue")
    assert sent(late) == (KIM["email"], [MO["email"]], "2027-01-19T08:00:00+00:00")
    assert (
        "was due by Monday 18 January 2027 at 23:59 (the end of the next working day)"
        in (late["body"])
    )
    flow.add_note(
        case_id,
        text="Visit of 15 January written up.",
        kind="visit",
        actor=Actor(KIM["email"], AS_NAMED),
        at=at("2027-01-19T09:00"),
    )
    step(
        flow,
        case_id,
        "2027-01-19T14:00",
        "record_visit",
        {"child_seen": True, "child_spoken_to": True},
        by=KIM["email"],
    )
    flow.advance(at("2027-01-19T17:00"))
    flow.add_note(
        case_id,
        text="Visit of 19 January written up.",
        kind="visit",
        actor=Actor(KIM["email"], AS_NAMED),
        at=at("2027-01-19T17:00"),
    )

    assert met(flow, case_id, "EH-10.1") == [
        ("2027-01-19T09:00:00+00:00", "met late"),
        ("2027-01-19T17:00:00+00:00", "met on time"),
    ]


def test_EH_11_1_a_managers_decision_is_due_3_days_after_the_assessment_plan_and_review(make_app):
    flow = make_app(start="2027-01-11T09:00")
    case_id = _assessing(flow)
    step(
        flow,
        case_id,
        "2027-02-01T10:00",
        "complete_assessment",
        {"voice_of_child": "Ella wants calmer mornings."},
        by=KIM["email"],
    )

    assert due(flow, case_id, "EH-11.1", "assessment") == ["2027-02-04T23:59:59+00:00"]
    flow.advance(at("2027-02-03T11:00"))
    flow.add_note(
        case_id, text="EHA agreed.", kind="managers_decision", actor=Actor(MO["email"], AS_NAMED)
    )
    step(flow, case_id, "2027-02-08T10:00", "complete_plan", PLAN, by=KIM["email"])
    flow.advance(at("2027-02-12T09:00"))

    reminders = [r for r in mails(flow, case_id, "manager_task_reminder") if r["rule"] == "EH-11.1"]
    assert [sent(r) for r in reminders] == [
        (MO["email"], [], "2027-02-03T09:00:00+00:00"),
        (MO["email"], [], "2027-02-10T09:00:00+00:00"),
    ]
    [overdue] = [r for r in mails(flow, case_id, "manager_task_overdue") if r["rule"] == "EH-11.1"]
    assert sent(overdue) == (MO["email"], [TIA["email"]], "2027-02-12T08:00:00+00:00")
    assert (
        "Managers Decision case note within 3 calendar days of the support plan"
        in (overdue["body"])
    )
    step(
        flow,
        case_id,
        "2027-02-12T10:00",
        "record_managers_decision",
        {"about": "plan", "decision": "Plan is SMART."},
        by=MO["email"],
    )
    step(
        flow,
        case_id,
        "2027-03-20T10:00",
        "record_review",
        {"summary": "Good progress."},
        by=KIM["email"],
    )
    assert due(flow, case_id, "EH-11.1", "review") == ["2027-03-23T23:59:59+00:00"]
    assert met(flow, case_id, "EH-11.1") == [
        ("2027-02-03T11:00:00+00:00", "met on time"),
        ("2027-02-12T10:00:00+00:00", "met late"),
        ("2027-02-12T10:00:00+00:00", "met late"),
    ]


def test_EH_11_1_every_allocated_case_needs_monthly_oversight_restarted_only_by_the_trigger(
    make_app,
):
    flow = make_app(start="2027-01-11T09:00")
    case_id = allocated(flow)

    assert due(flow, case_id, "EH-11.1", "once a month") == ["2027-02-11T23:59:59+00:00"]
    with pytest.raises(RoleNotAllowed, match="needs one of: manager, team_manager"):
        flow.fire(
            case_id,
            "record_managers_decision",
            {"decision": "x"},
            actor=Actor(KIM["email"], AS_NAMED),
        )
    flow.advance(at("2027-02-09T10:00"))
    [reminder] = mails(flow, case_id, "monthly_oversight_reminder")
    assert sent(reminder) == (MO["email"], [], "2027-02-08T09:00:00+00:00")
    assert "A case note added on its own does not restart the monthly clock." in (reminder["body"])
    step(
        flow,
        case_id,
        "2027-02-09T10:00",
        "record_managers_decision",
        {"decision": "Progressing; EHA underway."},
        by=MO["email"],
    )
    # One calendar month on (RULES.md): 9 February to 9 March, not 31 days to 12 March.
    assert due(flow, case_id, "EH-11.1", "once a month")[-1] == "2027-03-09T23:59:59+00:00"
    [note] = [
        e
        for e in history(flow, case_id)
        if e["kind"] == "note" and e["reason"].startswith("Managers Decision")
    ]
    assert note["reason"] == "Managers Decision (oversight): Progressing; EHA underway."

    flow.advance(at("2027-03-01T10:00"))
    flow.add_note(
        case_id,
        text="Spoke to Kim about the case.",
        kind="managers_decision",
        actor=Actor(MO["email"], AS_NAMED),
    )
    flow.advance(at("2027-04-30T10:00"))
    [overdue] = mails(flow, case_id, "monthly_oversight_overdue")
    assert sent(overdue) == (MO["email"], [TIA["email"]], "2027-03-10T08:00:00+00:00")
    assert overdue["subject"] == f"Overdue: monthly oversight of {ref(case_id)}"


def test_EH_11_2_a_friday_case_discussion_needs_its_managers_decision_by_tuesday_after_a_bank_holiday(
    make_app,
):
    """Friday 30 April 2027, then the early May bank holiday: the end of the next working day
    is Tuesday 4 May 23:59:59 BST; the manager is reminded at 09:00 that morning."""
    flow = make_app(start="2027-04-26T09:00")
    decided = allocated(flow, "2027-04-26T09:30", "2027-04-26T10:00")
    forgotten = allocated(flow, "2027-04-26T09:40", "2027-04-26T10:10")
    with pytest.raises(InputError, match=r"data\.agenda"):
        flow.fire(
            decided,
            "record_case_discussion",
            {"summary": "x", "agenda": "y"},
            actor=Actor(KIM["email"]),
        )
    for case_id, who in ((decided, KIM), (forgotten, MO)):  # the worker or the supervisor
        step(
            flow,
            case_id,
            "2027-04-30T14:00",
            "record_case_discussion",
            {"summary": "Dad's new shifts; bedtime plan"},
            by=who["email"],
        )
        assert due(flow, case_id, "EH-11.2") == ["2027-05-04T23:59:59+01:00"]
    flow.advance(at("2027-05-04T11:00"))
    [reminder] = mails(flow, decided, "manager_task_reminder")
    assert sent(reminder) == (MO["email"], [], "2027-05-04T09:00:00+01:00")
    assert reminder["subject"] == f"Due by Tuesday 4 May 2027: {ref(decided)} (EH-11.2)"
    flow.add_note(
        decided,
        text="Managers Decision: carry on with the bedtime plan.",
        kind="managers_decision",
        actor=Actor(MO["email"], AS_NAMED),
    )
    assert met(flow, decided, "EH-11.2") == [("2027-05-04T11:00:00+01:00", "met on time")]

    flow.advance(at("2027-05-05T09:00"))
    assert mails(flow, decided, "manager_task_overdue") == []
    [overdue] = mails(flow, forgotten, "manager_task_overdue")
    assert sent(overdue) == (MO["email"], [TIA["email"]], "2027-05-05T08:00:00+01:00")
    assert "Managers Decision case note by the end of the next working day" in overdue["body"]


def _user(flow, person: dict[str, str], *, part_time: bool) -> None:
    with flow.db.begin() as conn:
        conn.execute(
            accounts_db.users.insert(),
            {
                "email": person["email"],
                "name": person["name"],
                "role": "worker",
                "part_time": part_time,
            },
        )


def _holding(flow, person: dict[str, str], families: int) -> None:
    for _ in range(families):
        flow.create_case(
            process="early_help",
            received_at=flow.clock.now(),
            data={"route": "step_down"},
            contacts={**STEP_DOWN, "worker": person},
        )


def test_EH_11_3_allocating_beyond_10_families_part_time_or_20_full_time_warns_the_manager(
    make_app,
):
    flow = make_app(start="2027-01-11T09:00")
    _user(flow, KIM, part_time=True)
    _holding(flow, KIM, 9)
    tenth = allocated(flow, family="Tenth family")
    assert mails(flow, tenth, "caseload_warning") == []  # 10 is the part-time limit

    eleventh = allocated(flow, "2027-01-11T10:30", "2027-01-11T11:00", family="Eleventh family")
    [warning] = mails(flow, eleventh, "caseload_warning")
    assert sent(warning) == (MO["email"], [], "2027-01-11T11:00:00+00:00")
    assert warning["subject"] == "Caseload warning: Kim Lee now holds 11 families"
    assert "above the 10 recommended for a part-time practitioner" in warning["body"]
    [note] = [e for e in history(flow, eleventh) if e["kind"] == "note" and e["rule"] == "EH-11.3"]
    assert note["reason"].startswith(
        "Caseload warning: Kim Lee will hold 11 families, above "
        "the 10 recommended for a part-time practitioner"
    )
    case = case_state(flow, eleventh)
    assert (case.state, case.data["caseload_warnings"][0]["families"]) == ("allocated", 11)

    _holding(flow, LEE, 20)
    full_time = step_down(flow, "2027-01-11T11:30")
    step(flow, full_time, "2027-01-11T12:00", "allocate", {"worker": LEE}, by=MO["email"])
    [warning] = mails(flow, full_time, "caseload_warning")
    assert warning["subject"] == "Caseload warning: Lee Cole now holds 21 families"
    assert "above the 20 recommended for a full-time practitioner" in warning["body"]


def test_EH_11_4_the_manager_is_prompted_at_3_6_9_and_12_calendar_months_open(make_app):
    flow = make_app(start="2027-01-04T09:00")
    case_id = allocated(flow, "2027-01-04T10:00", "2027-01-04T11:00")

    assert due(flow, case_id, "EH-11.4") == [  # the same day of the month, GMT or BST
        "2027-04-04T23:59:59+01:00",
        "2027-07-04T23:59:59+01:00",
        "2027-10-04T23:59:59+01:00",
        "2028-01-04T23:59:59+00:00",
    ]
    flow.advance(at("2028-01-05T09:00"))
    prompts = mails(flow, case_id, "oversight_prompt")
    assert [(p["subject"], *sent(p)) for p in prompts] == [
        (
            f"Prioritise oversight: {ref(case_id)}, open {months} calendar months",
            MO["email"],
            [],
            when,
        )
        for months, when in (
            (3, "2027-04-05T08:00:00+01:00"),
            (6, "2027-07-05T08:00:00+01:00"),
            (9, "2027-10-05T08:00:00+01:00"),
            (12, "2028-01-05T08:00:00+00:00"),
        )
    ]
    assert (
        f"{ref(case_id)} (Smith family) was received on Monday 4 January 2027 at 10:00 and has "
        "been open 3 calendar months. Please prioritise your oversight of it."
    ) in prompts[0]["body"]
    assert "Current stage: allocated" in prompts[0]["body"]


def test_EH_11_6_supervision_every_4_weeks_restarted_by_each_supervision_breach_emailed_once(
    make_app,
):
    flow = make_app(start="2027-01-11T09:00")
    case_id = allocated(flow)

    assert due(flow, case_id, "EH-11.6") == ["2027-02-08T23:59:59+00:00"]
    step(
        flow,
        case_id,
        "2027-02-04T14:00",
        "record_supervision",
        {"summary": "Caseload reviewed."},
        by=MO["email"],
    )
    assert due(flow, case_id, "EH-11.6") == [
        "2027-02-08T23:59:59+00:00",
        "2027-03-04T23:59:59+00:00",
    ]
    flow.advance(at("2027-05-01T09:00"))

    reminders = [r for r in mails(flow, case_id, "manager_task_reminder") if r["rule"] == "EH-11.6"]
    assert [sent(r)[2] for r in reminders] == [
        "2027-02-03T09:00:00+00:00",
        "2027-03-01T09:00:00+00:00",
    ]
    [overdue] = [r for r in mails(flow, case_id, "manager_task_overdue") if r["rule"] == "EH-11.6"]
    assert sent(overdue) == (MO["email"], [TIA["email"]], "2027-03-05T08:00:00+00:00")
    assert (
        "supervision every 4 calendar weeks, recorded in the Supervision case note"
        in (overdue["body"])
    )
    [note] = [e for e in history(flow, case_id) if e["kind"] == "note" and e["rule"] == "EH-11.6"]
    assert note["reason"] == "Supervision: Caseload reviewed."


def test_the_caseload_counts_only_open_cases_and_reallocation_checks_the_new_worker(make_app):
    flow = make_app(start="2027-01-11T09:00")
    case_id = _assessing(flow)
    _holding(flow, LEE, 20)
    step(
        flow,
        case_id,
        "2027-01-15T10:00",
        "reallocate",
        {"worker": LEE, "reason": "Kim on long-term leave."},
        by=MO["email"],
    )

    [told] = mails(flow, case_id, "worker_reallocated")
    assert sent(told) == (LEE["email"], [MO["email"]], "2027-01-15T10:00:00+00:00")
    assert "Reason: Kim on long-term leave." in told["body"]
    [warning] = mails(flow, case_id, "caseload_warning")
    assert warning["subject"] == "Caseload warning: Lee Cole now holds 21 families"
    assert case_state(flow, case_id).state == "assessing"


# -- the rule table --------------------------------------------------------------------


def test_every_EH_rule_is_claimed_and_each_automated_one_has_a_test_and_a_scenario():
    ids = [rule for rule, _ in catalogue_ids() if rule.startswith("EH-")]
    assert set(ids) <= set(PROCESS.rules)
    assert all(
        how.split(":")[0] in {"automated", "recorded", "manual"} for how in PROCESS.rules.values()
    )
    for row in coverage(all_processes()):
        if row["id"].startswith("EH-") and row["how"] == "automated":
            assert row["process"] == "early_help"
            assert row["tests"], f"{row['id']} has no test naming it"
            assert row["scenarios"], f"{row['id']} has no scenario showing it"


# -- scenarios, replayed in-process ---------------------------------------------------


def replay(name: str) -> dict[str, Any]:
    settings = Settings(
        mailing_lists={"early_help_screening": [SCREENING]}, timescales={}, agenda_times={}
    )
    return run(load(SCENARIOS / f"early_help-{name}.yaml"), settings=settings)


def story(result: dict[str, Any]) -> list[str]:
    """The timeline as a manager reads it: when, what, which rule, to whom, due and sent."""
    lines = []
    for e in result["timeline"]:
        rule = e.get("rule") or "-"
        if e["kind"] == "job" or (e["kind"] == "message" and not rule.startswith("EH-")):
            continue  # other processes' agendas run in the same simulated service
        what = {
            "transition": lambda e: f"{e['trigger']} {e.get('from', '-')} -> {e['to']}",
            "deadline_set": lambda e: f"due {e['due_at']}",
            "deadline_met": lambda e: e["reason"],
            "deadline_missed": lambda e: "missed",
            "message": lambda e: (
                f"{e['template'].split('/')[-1]} to {e['to_address']}"
                f"{' cc ' + ','.join(e['cc']) if e.get('cc') else ''}"
                f" sent {e['sent_at']}"
            ),
        }.get(e["kind"], lambda e: e.get("reason", "")[:40])(e)
        lines.append(f"{e['at']} {e['kind']} {rule} {what}")
    return lines


def test_EH_4_1_EH_6_1_scenario_step_down_over_easter_replays_to_the_minute():
    result = replay("step-down-easter")
    first_visit = WorkingCalendar().due_at(
        at("2027-03-24T14:00"), Duration(amount=5, unit="working_days")
    )

    assert story(result) == STEP_DOWN_EASTER
    assert (
        f"2027-03-24T14:00:00+00:00 deadline_set EH-4.1 due {local(first_visit).isoformat()}"
        in STEP_DOWN_EASTER
    )
    assert local(first_visit).isoformat() == "2027-04-02T23:59:59+01:00"  # Friday, BST
    assert result["final_state"] == "assessing"
    messages = {e["template"]: e for e in result["timeline"] if e["kind"] == "message"}
    assert "No Early Help Assessment is needed" in messages["early_help/worker_allocated"]["body"]
    assert (
        "- EH-000001 (Khan family): received Monday 22 March 2027 at 09:30, step down, "
        "from Sam Jones"
    ) in messages["early_help/screening_list"]["body"]


def test_EH_1_2_EH_3_2_scenario_contact_to_allocation_replays_to_the_minute():
    result = replay("contact-to-allocation")

    assert story(result) == CONTACT_TO_ALLOCATION
    assert result["final_state"] == "allocated"


def test_EH_8_1_EH_11_1_scenario_plan_to_closure_replays_to_the_minute():
    result = replay("plan-to-closure")

    assert story(result) == PLAN_TO_CLOSURE
    assert result["final_state"] == "closed"


def test_EH_7_2_7_4_scenario_escalation_and_wraparound_replays_to_the_minute():
    result = replay("escalation-wraparound")

    assert story(result) == ESCALATION_WRAPAROUND
    assert result["final_state"] == "wraparound"


def test_EH_11_4_scenario_a_case_open_a_year_replays_to_the_minute():
    result = replay("open-a-year")

    assert story(result) == OPEN_A_YEAR
    assert result["final_state"] == "plan_in_place"


# -- the scenarios' timelines (docs/scenarios/early_help-*.yaml), as story() reads them --

STEP_DOWN_EASTER = [
    "2027-03-22T09:30:00+00:00 transition - create - -> received",
    "2027-03-22T09:30:00+00:00 deadline_set EH-6.1 due 2027-03-24T09:30:00+00:00",
    "2027-03-22T09:30:00+00:00 deadline_set EH-11.4 due 2027-06-22T23:59:59+01:00",
    "2027-03-22T09:30:00+00:00 deadline_set EH-11.4 due 2027-09-22T23:59:59+01:00",
    "2027-03-22T09:30:00+00:00 deadline_set EH-11.4 due 2027-12-22T23:59:59+00:00",
    "2027-03-22T09:30:00+00:00 deadline_set EH-11.4 due 2028-03-22T23:59:59+00:00",
    "2027-03-23T09:00:00+00:00 message EH-2.1 screening_list to screening@example.org sent 2027-03-23T09:00:00+00:00",
    "2027-03-23T11:00:00+00:00 transition EH-6.1 allocate received -> allocated",
    "2027-03-23T11:00:00+00:00 deadline_met EH-6.1 met on time",
    "2027-03-23T11:00:00+00:00 message EH-4.1 worker_allocated to kim.lee@example.org sent 2027-03-23T11:00:00+00:00",
    "2027-03-23T11:00:00+00:00 message EH-6.1 allocated_to_social_worker to sam.jones@example.org sent 2027-03-23T11:00:00+00:00",
    "2027-03-23T11:00:00+00:00 deadline_set EH-4.1 due 2027-03-25T23:59:59+00:00",
    "2027-03-23T11:00:00+00:00 deadline_set EH-5.1 due 2027-05-04T23:59:59+01:00",
    "2027-03-23T11:00:00+00:00 deadline_set EH-11.1 due 2027-04-23T23:59:59+01:00",
    "2027-03-23T11:00:00+00:00 deadline_set EH-11.6 due 2027-04-20T23:59:59+01:00",
    "2027-03-24T09:00:00+00:00 message EH-4.1 worker_task_reminder to kim.lee@example.org sent 2027-03-24T09:00:00+00:00",
    "2027-03-24T14:00:00+00:00 transition EH-4.1 record_initial_contact allocated -> contacted",
    "2027-03-24T14:00:00+00:00 deadline_met EH-4.1 met on time",
    "2027-03-24T14:00:00+00:00 deadline_set EH-4.1 due 2027-04-02T23:59:59+01:00",
    "2027-03-30T09:00:00+01:00 message EH-11.6 supervision_digest to mo.khan@example.org sent 2027-03-30T09:00:00+01:00",
    "2027-04-01T09:00:00+01:00 message EH-4.1 worker_task_reminder to kim.lee@example.org sent 2027-04-01T09:00:00+01:00",
    "2027-04-02T23:59:59+01:00 deadline_missed EH-4.1 missed",
    "2027-04-02T23:59:59+01:00 message EH-4.1 worker_task_overdue to mo.khan@example.org cc kim.lee@example.org sent 2027-04-03T08:00:00+01:00",
    "2027-04-05T09:00:00+01:00 message EH-11.1, EH-11.4 oversight_digest to mo.khan@example.org sent 2027-04-05T09:00:00+01:00",
    "2027-04-05T09:00:00+01:00 message EH-11.6 supervision_digest to mo.khan@example.org sent 2027-04-05T09:00:00+01:00",
    "2027-04-06T10:00:00+01:00 transition EH-4.1 record_first_visit contacted -> assessing",
    "2027-04-06T10:00:00+01:00 deadline_met EH-4.1 met late",
    "2027-04-06T10:00:00+01:00 deadline_set EH-10.1 due 2027-04-07T23:59:59+01:00",
    "2027-04-06T16:00:00+01:00 note - Visit: purpose, who was there, details, ",
    "2027-04-06T16:00:00+01:00 deadline_met EH-10.1 met on time",
]

CONTACT_TO_ALLOCATION = [
    "2027-01-11T10:00:00+00:00 transition - create - -> received",
    "2027-01-11T10:00:00+00:00 deadline_set EH-1.2 due 2027-01-12T23:59:59+00:00",
    "2027-01-11T10:00:00+00:00 deadline_set EH-1.2 due 2027-01-14T23:59:59+00:00",
    "2027-01-11T10:00:00+00:00 deadline_set EH-11.4 due 2027-04-11T23:59:59+01:00",
    "2027-01-11T10:00:00+00:00 deadline_set EH-11.4 due 2027-07-11T23:59:59+01:00",
    "2027-01-11T10:00:00+00:00 deadline_set EH-11.4 due 2027-10-11T23:59:59+01:00",
    "2027-01-11T10:00:00+00:00 deadline_set EH-11.4 due 2028-01-11T23:59:59+00:00",
    "2027-01-12T09:00:00+00:00 message EH-2.1 screening_list to screening@example.org sent 2027-01-12T09:00:00+00:00",
    "2027-01-12T11:30:00+00:00 transition EH-2.1 screen received -> awaiting_maam",
    "2027-01-12T11:30:00+00:00 deadline_set EH-1.1 due 2027-01-26T23:59:59+00:00",
    "2027-01-12T11:30:00+00:00 deadline_set EH-2.2 due 2027-01-13T23:59:59+00:00",
    "2027-01-12T11:30:00+00:00 deadline_set EH-2.2 due 2027-01-15T23:59:59+00:00",
    "2027-01-12T23:59:59+00:00 deadline_missed EH-1.2 missed",
    "2027-01-12T23:59:59+00:00 message EH-1.2 referrer_email_expected to dee.duty@example.org sent 2027-01-13T08:00:00+00:00",
    "2027-01-13T09:00:00+00:00 message EH-2.1 screening_list to screening@example.org sent 2027-01-13T09:00:00+00:00",
    "2027-01-13T09:15:00+00:00 transition EH-1.2 acknowledge awaiting_maam -> awaiting_maam",
    "2027-01-13T09:15:00+00:00 deadline_met EH-1.2 met late",
    "2027-01-13T09:15:00+00:00 deadline_met EH-1.2 met on time",
    "2027-01-13T09:15:00+00:00 message EH-1.2 acknowledgement to pat.reed@school.example.org sent 2027-01-13T09:15:00+00:00",
    "2027-01-13T10:00:00+00:00 transition EH-2.2 send_screening_outcome awaiting_maam -> awaiting_maam",
    "2027-01-13T10:00:00+00:00 deadline_met EH-2.2 met on time",
    "2027-01-13T10:00:00+00:00 deadline_met EH-2.2 met on time",
    "2027-01-13T10:00:00+00:00 message EH-2.2 screening_outcome to pat.reed@school.example.org sent 2027-01-13T10:00:00+00:00",
    "2027-01-14T09:00:00+00:00 message EH-2.1 screening_list to screening@example.org sent 2027-01-14T09:00:00+00:00",
    "2027-01-15T09:00:00+00:00 message EH-2.1 screening_list to screening@example.org sent 2027-01-15T09:00:00+00:00",
    "2027-01-18T09:00:00+00:00 message EH-2.1 screening_list to screening@example.org sent 2027-01-18T09:00:00+00:00",
    "2027-01-19T09:00:00+00:00 message EH-2.1 screening_list to screening@example.org sent 2027-01-19T09:00:00+00:00",
    "2027-01-20T09:00:00+00:00 message EH-2.1 screening_list to screening@example.org sent 2027-01-20T09:00:00+00:00",
    "2027-01-20T13:00:00+00:00 transition EH-3.2 hold_maam awaiting_maam -> awaiting_allocation",
    "2027-01-20T13:00:00+00:00 deadline_met EH-1.1 met on time",
    "2027-01-20T13:00:00+00:00 deadline_set EH-3.1 due 2027-01-21T23:59:59+00:00",
    "2027-01-20T13:00:00+00:00 deadline_set EH-3.1 due 2027-01-23T23:59:59+00:00",
    "2027-01-20T13:00:00+00:00 deadline_set EH-3.2 due 2027-01-22T23:59:59+00:00",
    "2027-01-20T13:00:00+00:00 deadline_set EH-3.2 due 2027-01-25T23:59:59+00:00",
    "2027-01-20T13:00:00+00:00 deadline_set EH-3.3 due 2027-01-27T23:59:59+00:00",
    "2027-01-21T09:00:00+00:00 message EH-2.1 screening_list to screening@example.org sent 2027-01-21T09:00:00+00:00",
    "2027-01-21T09:30:00+00:00 transition EH-3.1 send_maam_outcome awaiting_allocation -> awaiting_allocation",
    "2027-01-21T09:30:00+00:00 deadline_met EH-3.1 met on time",
    "2027-01-21T09:30:00+00:00 deadline_met EH-3.1 met on time",
    "2027-01-21T09:30:00+00:00 message EH-3.1 maam_outcome to pat.reed@school.example.org sent 2027-01-21T09:30:00+00:00",
    "2027-01-22T09:00:00+00:00 message EH-2.1 screening_list to screening@example.org sent 2027-01-22T09:00:00+00:00",
    "2027-01-22T23:59:59+00:00 deadline_missed EH-3.2 missed",
    "2027-01-22T23:59:59+00:00 message EH-3.2 allocation_expected to mo.khan@example.org sent 2027-01-23T08:00:00+00:00",
    "2027-01-25T09:00:00+00:00 message EH-2.1 screening_list to screening@example.org sent 2027-01-25T09:00:00+00:00",
    "2027-01-25T09:00:00+00:00 message EH-3.3 pre_allocation_digest to dee.duty@example.org sent 2027-01-25T09:00:00+00:00",
    "2027-01-25T23:59:59+00:00 deadline_missed EH-3.2 missed",
    "2027-01-25T23:59:59+00:00 message EH-3.2 allocation_overdue to mo.khan@example.org cc tia.lead@example.org sent 2027-01-26T08:00:00+00:00",
    "2027-01-26T09:00:00+00:00 message EH-3.3 pre_allocation_contact_reminder to dee.duty@example.org sent 2027-01-26T09:00:00+00:00",
    "2027-01-26T09:00:00+00:00 message EH-2.1 screening_list to screening@example.org sent 2027-01-26T09:00:00+00:00",
    "2027-01-26T11:00:00+00:00 transition EH-3.3 record_pre_allocation_contact awaiting_allocation -> awaiting_allocation",
    "2027-01-26T11:00:00+00:00 deadline_met EH-3.3 met on time",
    "2027-01-26T11:00:00+00:00 note EH-3.3 Pre-allocation contact (phone): Mum upda",
    "2027-01-26T11:00:00+00:00 deadline_set EH-3.3 due 2027-02-02T23:59:59+00:00",
    "2027-01-27T09:00:00+00:00 message EH-2.1 screening_list to screening@example.org sent 2027-01-27T09:00:00+00:00",
    "2027-01-28T09:00:00+00:00 message EH-2.1 screening_list to screening@example.org sent 2027-01-28T09:00:00+00:00",
    "2027-01-28T10:00:00+00:00 transition EH-3.2 allocate awaiting_allocation -> allocated",
    "2027-01-28T10:00:00+00:00 deadline_met EH-3.2 met late",
    "2027-01-28T10:00:00+00:00 deadline_met EH-3.2 met late",
    "2027-01-28T10:00:00+00:00 deadline_met EH-3.3 met on time",
    "2027-01-28T10:00:00+00:00 message EH-4.1 worker_allocated to kim.lee@example.org sent 2027-01-28T10:00:00+00:00",
    "2027-01-28T10:00:00+00:00 deadline_set EH-4.1 due 2027-01-30T23:59:59+00:00",
    "2027-01-28T10:00:00+00:00 deadline_set EH-4.3 due 2027-02-25T23:59:59+00:00",
    "2027-01-28T10:00:00+00:00 deadline_set EH-5.1 due 2027-03-11T23:59:59+00:00",
    "2027-01-28T10:00:00+00:00 deadline_set EH-11.1 due 2027-02-28T23:59:59+00:00",
    "2027-01-28T10:00:00+00:00 deadline_set EH-11.6 due 2027-02-25T23:59:59+00:00",
]

PLAN_TO_CLOSURE = [
    "2027-05-10T10:00:00+01:00 transition - create - -> received",
    "2027-05-10T10:00:00+01:00 deadline_set EH-1.2 due 2027-05-11T23:59:59+01:00",
    "2027-05-10T10:00:00+01:00 deadline_set EH-1.2 due 2027-05-13T23:59:59+01:00",
    "2027-05-10T10:00:00+01:00 deadline_set EH-11.4 due 2027-08-10T23:59:59+01:00",
    "2027-05-10T10:00:00+01:00 deadline_set EH-11.4 due 2027-11-10T23:59:59+00:00",
    "2027-05-10T10:00:00+01:00 deadline_set EH-11.4 due 2028-02-10T23:59:59+00:00",
    "2027-05-10T10:00:00+01:00 deadline_set EH-11.4 due 2028-05-10T23:59:59+01:00",
    "2027-05-10T14:00:00+01:00 transition EH-1.2 acknowledge received -> received",
    "2027-05-10T14:00:00+01:00 deadline_met EH-1.2 met on time",
    "2027-05-10T14:00:00+01:00 deadline_met EH-1.2 met on time",
    "2027-05-10T14:00:00+01:00 message EH-1.2 acknowledgement to pat.reed@school.example.org sent 2027-05-10T14:00:00+01:00",
    "2027-05-11T09:00:00+01:00 message EH-2.1 screening_list to screening@example.org sent 2027-05-11T09:00:00+01:00",
    "2027-05-11T10:00:00+01:00 transition EH-2.3 screen received -> awaiting_allocation",
    "2027-05-11T10:00:00+01:00 deadline_set EH-2.2 due 2027-05-12T23:59:59+01:00",
    "2027-05-11T10:00:00+01:00 deadline_set EH-2.2 due 2027-05-14T23:59:59+01:00",
    "2027-05-11T10:00:00+01:00 deadline_set EH-2.3 due 2027-05-12T10:00:00+01:00",
    "2027-05-11T10:00:00+01:00 deadline_set EH-3.3 due 2027-05-18T23:59:59+01:00",
    "2027-05-11T11:00:00+01:00 transition EH-2.2 send_screening_outcome awaiting_allocation -> awaiting_allocation",
    "2027-05-11T11:00:00+01:00 deadline_met EH-2.2 met on time",
    "2027-05-11T11:00:00+01:00 deadline_met EH-2.2 met on time",
    "2027-05-11T11:00:00+01:00 message EH-2.2 screening_outcome to pat.reed@school.example.org sent 2027-05-11T11:00:00+01:00",
    "2027-05-11T16:00:00+01:00 transition EH-2.3 allocate awaiting_allocation -> allocated",
    "2027-05-11T16:00:00+01:00 deadline_met EH-2.3 met on time",
    "2027-05-11T16:00:00+01:00 deadline_met EH-3.3 met on time",
    "2027-05-11T16:00:00+01:00 message EH-4.1 worker_allocated to kim.lee@example.org sent 2027-05-11T16:00:00+01:00",
    "2027-05-11T16:00:00+01:00 deadline_set EH-4.1 due 2027-05-13T23:59:59+01:00",
    "2027-05-11T16:00:00+01:00 deadline_set EH-4.3 due 2027-06-08T23:59:59+01:00",
    "2027-05-11T16:00:00+01:00 deadline_set EH-5.1 due 2027-06-22T23:59:59+01:00",
    "2027-05-11T16:00:00+01:00 deadline_set EH-11.1 due 2027-06-11T23:59:59+01:00",
    "2027-05-11T16:00:00+01:00 deadline_set EH-11.6 due 2027-06-08T23:59:59+01:00",
    "2027-05-12T09:00:00+01:00 message EH-4.1 worker_task_reminder to kim.lee@example.org sent 2027-05-12T09:00:00+01:00",
    "2027-05-12T10:00:00+01:00 transition EH-4.1 record_initial_contact allocated -> contacted",
    "2027-05-12T10:00:00+01:00 deadline_met EH-4.1 met on time",
    "2027-05-12T10:00:00+01:00 deadline_set EH-4.1 due 2027-05-19T23:59:59+01:00",
    "2027-05-14T10:00:00+01:00 transition EH-4.1 record_first_visit contacted -> assessing",
    "2027-05-14T10:00:00+01:00 deadline_met EH-4.1 met on time",
    "2027-05-14T10:00:00+01:00 deadline_set EH-10.1 due 2027-05-17T23:59:59+01:00",
    "2027-05-14T15:00:00+01:00 note - First visit written up.",
    "2027-05-14T15:00:00+01:00 deadline_met EH-10.1 met on time",
    "2027-05-17T09:00:00+01:00 message EH-11.6 supervision_digest to mo.khan@example.org sent 2027-05-17T09:00:00+01:00",
    "2027-05-24T09:00:00+01:00 message EH-11.6 supervision_digest to mo.khan@example.org sent 2027-05-24T09:00:00+01:00",
    "2027-06-01T09:00:00+01:00 message EH-4.3 worker_task_reminder to kim.lee@example.org sent 2027-06-01T09:00:00+01:00",
    "2027-06-01T09:00:00+01:00 message EH-11.6 supervision_digest to mo.khan@example.org sent 2027-06-01T09:00:00+01:00",
    "2027-06-03T09:00:00+01:00 message EH-11.6 manager_task_reminder to mo.khan@example.org sent 2027-06-03T09:00:00+01:00",
    "2027-06-04T14:00:00+01:00 transition EH-11.6 record_supervision assessing -> assessing",
    "2027-06-04T14:00:00+01:00 deadline_met EH-11.6 met on time",
    "2027-06-04T14:00:00+01:00 note EH-11.6 Supervision: Kim's caseload reviewed; Jo",
    "2027-06-04T14:00:00+01:00 deadline_set EH-11.6 due 2027-07-02T23:59:59+01:00",
    "2027-06-07T09:00:00+01:00 message EH-11.1, EH-11.4 oversight_digest to mo.khan@example.org sent 2027-06-07T09:00:00+01:00",
    "2027-06-07T09:00:00+01:00 message EH-11.6 supervision_digest to mo.khan@example.org sent 2027-06-07T09:00:00+01:00",
    "2027-06-07T15:00:00+01:00 transition EH-4.3 complete_assessment assessing -> assessing",
    "2027-06-07T15:00:00+01:00 deadline_met EH-4.3 met on time",
    "2027-06-07T15:00:00+01:00 deadline_set EH-11.1 due 2027-06-10T23:59:59+01:00",
    "2027-06-08T09:00:00+01:00 message EH-11.1 monthly_oversight_reminder to mo.khan@example.org sent 2027-06-08T09:00:00+01:00",
    "2027-06-08T10:00:00+01:00 transition EH-11.1 record_managers_decision assessing -> assessing",
    "2027-06-08T10:00:00+01:00 deadline_met EH-11.1 met on time",
    "2027-06-08T10:00:00+01:00 deadline_met EH-11.1 met on time",
    "2027-06-08T10:00:00+01:00 note EH-11.1 Managers Decision (assessment): EHA agre",
    "2027-06-08T10:00:00+01:00 deadline_set EH-11.1 due 2027-07-08T23:59:59+01:00",
    "2027-06-14T09:00:00+01:00 message EH-11.6 supervision_digest to mo.khan@example.org sent 2027-06-14T09:00:00+01:00",
    "2027-06-15T09:00:00+01:00 message EH-5.1 worker_task_reminder to kim.lee@example.org sent 2027-06-15T09:00:00+01:00",
    "2027-06-21T09:00:00+01:00 message EH-11.6 supervision_digest to mo.khan@example.org sent 2027-06-21T09:00:00+01:00",
    "2027-06-21T11:00:00+01:00 transition EH-5.1 complete_plan assessing -> plan_in_place",
    "2027-06-21T11:00:00+01:00 deadline_met EH-5.1 met on time",
    "2027-06-21T11:00:00+01:00 deadline_set EH-5.1 due 2027-08-02T23:59:59+01:00",
    "2027-06-21T11:00:00+01:00 deadline_set EH-11.1 due 2027-06-24T23:59:59+01:00",
    "2027-06-23T09:00:00+01:00 message EH-11.1 manager_task_reminder to mo.khan@example.org sent 2027-06-23T09:00:00+01:00",
    "2027-06-23T09:30:00+01:00 note - Managers Decision: plan is SMART; agreed",
    "2027-06-23T09:30:00+01:00 deadline_met EH-11.1 met on time",
    "2027-06-28T09:00:00+01:00 message EH-11.6 supervision_digest to mo.khan@example.org sent 2027-06-28T09:00:00+01:00",
    "2027-06-29T09:00:00+01:00 message EH-11.6 manager_task_reminder to mo.khan@example.org sent 2027-06-29T09:00:00+01:00",
    "2027-06-30T15:00:00+01:00 transition EH-9 record_direct_work plan_in_place -> plan_in_place",
    "2027-06-30T15:00:00+01:00 note EH-9 Direct work/Voice of the child: Worry mo",
    "2027-07-01T14:00:00+01:00 transition EH-11.6 record_supervision plan_in_place -> plan_in_place",
    "2027-07-01T14:00:00+01:00 deadline_met EH-11.6 met on time",
    "2027-07-01T14:00:00+01:00 note EH-11.6 Supervision: Jones family: progress good",
    "2027-07-01T14:00:00+01:00 deadline_set EH-11.6 due 2027-07-29T23:59:59+01:00",
    "2027-07-05T09:00:00+01:00 message EH-11.1 monthly_oversight_reminder to mo.khan@example.org sent 2027-07-05T09:00:00+01:00",
    "2027-07-05T09:00:00+01:00 message EH-11.1, EH-11.4 oversight_digest to mo.khan@example.org sent 2027-07-05T09:00:00+01:00",
    "2027-07-05T09:00:00+01:00 message EH-11.6 supervision_digest to mo.khan@example.org sent 2027-07-05T09:00:00+01:00",
    "2027-07-07T10:00:00+01:00 transition EH-11.1 record_managers_decision plan_in_place -> plan_in_place",
    "2027-07-07T10:00:00+01:00 deadline_met EH-11.1 met on time",
    "2027-07-07T10:00:00+01:00 note EH-11.1 Managers Decision (oversight): Good prog",
    "2027-07-07T10:00:00+01:00 deadline_set EH-11.1 due 2027-08-07T23:59:59+01:00",
    "2027-07-12T09:00:00+01:00 message EH-11.6 supervision_digest to mo.khan@example.org sent 2027-07-12T09:00:00+01:00",
    "2027-07-14T10:00:00+01:00 transition EH-8.1 request_closure plan_in_place -> closure_requested",
    "2027-07-14T10:00:00+01:00 message EH-8.1 closure_requested to mo.khan@example.org sent 2027-07-14T10:00:00+01:00",
    "2027-07-14T10:00:00+01:00 deadline_set EH-8.1 due 2027-07-17T23:59:59+01:00",
    "2027-07-16T09:00:00+01:00 message EH-8.1 manager_task_reminder to mo.khan@example.org sent 2027-07-16T09:00:00+01:00",
    "2027-07-16T14:00:00+01:00 transition EH-8.1 sign_off_closure closure_requested -> closed",
    "2027-07-16T14:00:00+01:00 deadline_met EH-8.1 met on time",
    "2027-07-16T14:00:00+01:00 message EH-8.1 case_closed to kim.lee@example.org cc mo.khan@example.org sent 2027-07-16T14:00:00+01:00",
    "2027-07-16T14:00:00+01:00 note EH-11.1 Managers Decision (closure): Outcomes ac",
]

ESCALATION_WRAPAROUND = [
    "2027-09-06T09:00:00+01:00 transition - create - -> received",
    "2027-09-06T09:00:00+01:00 deadline_set EH-6.1 due 2027-09-08T09:00:00+01:00",
    "2027-09-06T09:00:00+01:00 deadline_set EH-11.4 due 2027-12-06T23:59:59+00:00",
    "2027-09-06T09:00:00+01:00 deadline_set EH-11.4 due 2028-03-06T23:59:59+00:00",
    "2027-09-06T09:00:00+01:00 deadline_set EH-11.4 due 2028-06-06T23:59:59+01:00",
    "2027-09-06T09:00:00+01:00 deadline_set EH-11.4 due 2028-09-06T23:59:59+01:00",
    "2027-09-06T10:00:00+01:00 transition EH-6.1 allocate received -> allocated",
    "2027-09-06T10:00:00+01:00 deadline_met EH-6.1 met on time",
    "2027-09-06T10:00:00+01:00 message EH-4.1 worker_allocated to kim.lee@example.org sent 2027-09-06T10:00:00+01:00",
    "2027-09-06T10:00:00+01:00 message EH-6.1 allocated_to_social_worker to sam.jones@example.org sent 2027-09-06T10:00:00+01:00",
    "2027-09-06T10:00:00+01:00 deadline_set EH-4.1 due 2027-09-08T23:59:59+01:00",
    "2027-09-06T10:00:00+01:00 deadline_set EH-4.3 due 2027-10-04T23:59:59+01:00",
    "2027-09-06T10:00:00+01:00 deadline_set EH-5.1 due 2027-10-18T23:59:59+01:00",
    "2027-09-06T10:00:00+01:00 deadline_set EH-11.1 due 2027-10-06T23:59:59+01:00",
    "2027-09-06T10:00:00+01:00 deadline_set EH-11.6 due 2027-10-04T23:59:59+01:00",
    "2027-09-07T09:00:00+01:00 message EH-4.1 worker_task_reminder to kim.lee@example.org sent 2027-09-07T09:00:00+01:00",
    "2027-09-07T10:00:00+01:00 transition EH-4.1 record_initial_contact allocated -> contacted",
    "2027-09-07T10:00:00+01:00 deadline_met EH-4.1 met on time",
    "2027-09-07T10:00:00+01:00 deadline_set EH-4.1 due 2027-09-14T23:59:59+01:00",
    "2027-09-08T10:00:00+01:00 transition EH-4.1 record_first_visit contacted -> assessing",
    "2027-09-08T10:00:00+01:00 deadline_met EH-4.1 met on time",
    "2027-09-08T10:00:00+01:00 deadline_set EH-10.1 due 2027-09-09T23:59:59+01:00",
    "2027-09-08T15:00:00+01:00 note - First visit written up.",
    "2027-09-08T15:00:00+01:00 deadline_met EH-10.1 met on time",
    "2027-09-13T09:00:00+01:00 message EH-11.6 supervision_digest to mo.khan@example.org sent 2027-09-13T09:00:00+01:00",
    "2027-09-15T11:00:00+01:00 transition EH-7.2\u20137.4 escalate_to_social_care assessing -> escalated",
    "2027-09-15T11:00:00+01:00 message EH-7.2\u20137.4 escalated to mo.khan@example.org sent 2027-09-15T11:00:00+01:00",
    "2027-09-15T11:00:00+01:00 note EH-7.2\u20137.4 Escalated to social care: Disclosure of ",
    "2027-09-17T15:00:00+01:00 transition EH-7.2\u20137.4 record_social_care_decision escalated -> awaiting_wraparound",
    "2027-09-17T15:00:00+01:00 note EH-7.2\u20137.4 EH Stepped Up to Social Care: threshold ",
    "2027-09-17T15:00:00+01:00 deadline_set EH-7.1 due 2027-09-21T23:59:59+01:00",
    "2027-09-17T15:00:00+01:00 deadline_set EH-7.1 due 2027-09-22T23:59:59+01:00",
    "2027-09-20T09:00:00+01:00 message EH-2.1 screening_list to screening@example.org sent 2027-09-20T09:00:00+01:00",
    "2027-09-20T09:00:00+01:00 message EH-11.6 supervision_digest to mo.khan@example.org sent 2027-09-20T09:00:00+01:00",
    "2027-09-21T09:00:00+01:00 message EH-2.1 screening_list to screening@example.org sent 2027-09-21T09:00:00+01:00",
    "2027-09-21T23:59:59+01:00 deadline_missed EH-7.1 missed",
    "2027-09-21T23:59:59+01:00 message EH-7.1 allocation_expected to mo.khan@example.org sent 2027-09-22T08:00:00+01:00",
    "2027-09-22T09:00:00+01:00 message EH-2.1 screening_list to screening@example.org sent 2027-09-22T09:00:00+01:00",
    "2027-09-22T10:00:00+01:00 transition EH-7.2\u20137.4 allocate_wraparound awaiting_wraparound -> wraparound",
    "2027-09-22T10:00:00+01:00 deadline_met EH-7.1 met late",
    "2027-09-22T10:00:00+01:00 deadline_met EH-7.1 met on time",
    "2027-09-22T10:00:00+01:00 message EH-7.2\u20137.4 wraparound_allocated to lee.cole@example.org cc mo.khan@example.org,ravi.patel@example.org sent 2027-09-22T10:00:00+01:00",
    "2027-09-22T10:00:00+01:00 note EH-7.2\u20137.4 Key worker role ended; reallocated to Le",
]

OPEN_A_YEAR = [
    "2027-01-04T10:00:00+00:00 transition - create - -> received",
    "2027-01-04T10:00:00+00:00 deadline_set EH-6.1 due 2027-01-06T10:00:00+00:00",
    "2027-01-04T10:00:00+00:00 deadline_set EH-11.4 due 2027-04-04T23:59:59+01:00",
    "2027-01-04T10:00:00+00:00 deadline_set EH-11.4 due 2027-07-04T23:59:59+01:00",
    "2027-01-04T10:00:00+00:00 deadline_set EH-11.4 due 2027-10-04T23:59:59+01:00",
    "2027-01-04T10:00:00+00:00 deadline_set EH-11.4 due 2028-01-04T23:59:59+00:00",
    "2027-01-04T14:00:00+00:00 transition EH-6.1 allocate received -> allocated",
    "2027-01-04T14:00:00+00:00 deadline_met EH-6.1 met on time",
    "2027-01-04T14:00:00+00:00 message EH-4.1 worker_allocated to kim.lee@example.org sent 2027-01-04T14:00:00+00:00",
    "2027-01-04T14:00:00+00:00 message EH-6.1 allocated_to_social_worker to sam.jones@example.org sent 2027-01-04T14:00:00+00:00",
    "2027-01-04T14:00:00+00:00 deadline_set EH-4.1 due 2027-01-06T23:59:59+00:00",
    "2027-01-04T14:00:00+00:00 deadline_set EH-5.1 due 2027-02-15T23:59:59+00:00",
    "2027-01-04T14:00:00+00:00 deadline_set EH-11.1 due 2027-02-04T23:59:59+00:00",
    "2027-01-04T14:00:00+00:00 deadline_set EH-11.6 due 2027-02-01T23:59:59+00:00",
    "2027-01-05T09:00:00+00:00 message EH-4.1 worker_task_reminder to kim.lee@example.org sent 2027-01-05T09:00:00+00:00",
    "2027-01-05T10:00:00+00:00 transition EH-4.1 record_initial_contact allocated -> contacted",
    "2027-01-05T10:00:00+00:00 deadline_met EH-4.1 met on time",
    "2027-01-05T10:00:00+00:00 deadline_set EH-4.1 due 2027-01-12T23:59:59+00:00",
    "2027-01-07T10:00:00+00:00 transition EH-4.1 record_first_visit contacted -> assessing",
    "2027-01-07T10:00:00+00:00 deadline_met EH-4.1 met on time",
    "2027-01-07T10:00:00+00:00 deadline_set EH-10.1 due 2027-01-08T23:59:59+00:00",
    "2027-01-07T15:00:00+00:00 note - First visit written up.",
    "2027-01-07T15:00:00+00:00 deadline_met EH-10.1 met on time",
    "2027-01-11T09:00:00+00:00 message EH-11.6 supervision_digest to mo.khan@example.org sent 2027-01-11T09:00:00+00:00",
    "2027-01-18T09:00:00+00:00 message EH-11.6 supervision_digest to mo.khan@example.org sent 2027-01-18T09:00:00+00:00",
    "2027-01-25T09:00:00+00:00 message EH-11.6 supervision_digest to mo.khan@example.org sent 2027-01-25T09:00:00+00:00",
    "2027-01-27T09:00:00+00:00 message EH-11.6 manager_task_reminder to mo.khan@example.org sent 2027-01-27T09:00:00+00:00",
    "2027-02-01T09:00:00+00:00 message EH-11.1 monthly_oversight_reminder to mo.khan@example.org sent 2027-02-01T09:00:00+00:00",
    "2027-02-01T09:00:00+00:00 message EH-11.1, EH-11.4 oversight_digest to mo.khan@example.org sent 2027-02-01T09:00:00+00:00",
    "2027-02-01T09:00:00+00:00 message EH-11.6 supervision_digest to mo.khan@example.org sent 2027-02-01T09:00:00+00:00",
    "2027-02-01T11:00:00+00:00 transition EH-5.1 complete_plan assessing -> plan_in_place",
    "2027-02-01T11:00:00+00:00 deadline_met EH-5.1 met on time",
    "2027-02-01T11:00:00+00:00 deadline_set EH-5.1 due 2027-03-15T23:59:59+00:00",
    "2027-02-01T11:00:00+00:00 deadline_set EH-11.1 due 2027-02-04T23:59:59+00:00",
    "2027-02-01T15:00:00+00:00 transition EH-11.6 record_supervision plan_in_place -> plan_in_place",
    "2027-02-01T15:00:00+00:00 deadline_met EH-11.6 met on time",
    "2027-02-01T15:00:00+00:00 note EH-11.6 Supervision: Green family plan in place.",
    "2027-02-01T15:00:00+00:00 deadline_set EH-11.6 due 2027-03-01T23:59:59+00:00",
    "2027-02-02T10:00:00+00:00 transition EH-11.1 record_managers_decision plan_in_place -> plan_in_place",
    "2027-02-02T10:00:00+00:00 deadline_met EH-11.1 met on time",
    "2027-02-02T10:00:00+00:00 deadline_met EH-11.1 met on time",
    "2027-02-02T10:00:00+00:00 note EH-11.1 Managers Decision (plan): Plan agreed.",
    "2027-02-02T10:00:00+00:00 deadline_set EH-11.1 due 2027-03-02T23:59:59+00:00",
    "2027-02-08T09:00:00+00:00 message EH-11.6 supervision_digest to mo.khan@example.org sent 2027-02-08T09:00:00+00:00",
    "2027-02-15T09:00:00+00:00 message EH-11.6 supervision_digest to mo.khan@example.org sent 2027-02-15T09:00:00+00:00",
    "2027-02-22T09:00:00+00:00 message EH-11.6 supervision_digest to mo.khan@example.org sent 2027-02-22T09:00:00+00:00",
    "2027-02-24T09:00:00+00:00 message EH-11.6 manager_task_reminder to mo.khan@example.org sent 2027-02-24T09:00:00+00:00",
    "2027-02-25T09:00:00+00:00 message EH-11.1 monthly_oversight_reminder to mo.khan@example.org sent 2027-02-25T09:00:00+00:00",
    "2027-03-01T09:00:00+00:00 message EH-11.1, EH-11.4 oversight_digest to mo.khan@example.org sent 2027-03-01T09:00:00+00:00",
    "2027-03-01T09:00:00+00:00 message EH-11.6 supervision_digest to mo.khan@example.org sent 2027-03-01T09:00:00+00:00",
    "2027-03-01T23:59:59+00:00 deadline_missed EH-11.6 missed",
    "2027-03-01T23:59:59+00:00 message EH-11.6 manager_task_overdue to mo.khan@example.org cc tia.lead@example.org sent 2027-03-02T08:00:00+00:00",
    "2027-03-02T23:59:59+00:00 deadline_missed EH-11.1 missed",
    "2027-03-02T23:59:59+00:00 message EH-11.1 monthly_oversight_overdue to mo.khan@example.org cc tia.lead@example.org sent 2027-03-03T08:00:00+00:00",
    "2027-03-08T09:00:00+00:00 message EH-5.1 worker_task_reminder to kim.lee@example.org sent 2027-03-08T09:00:00+00:00",
    "2027-03-08T09:00:00+00:00 message EH-11.6 supervision_digest to mo.khan@example.org sent 2027-03-08T09:00:00+00:00",
    "2027-03-15T09:00:00+00:00 message EH-11.6 supervision_digest to mo.khan@example.org sent 2027-03-15T09:00:00+00:00",
    "2027-03-15T23:59:59+00:00 deadline_missed EH-5.1 missed",
    "2027-03-15T23:59:59+00:00 message EH-5.1 worker_task_overdue to mo.khan@example.org cc kim.lee@example.org sent 2027-03-16T08:00:00+00:00",
    "2027-03-22T09:00:00+00:00 message EH-11.6 supervision_digest to mo.khan@example.org sent 2027-03-22T09:00:00+00:00",
    "2027-03-30T09:00:00+01:00 message EH-11.6 supervision_digest to mo.khan@example.org sent 2027-03-30T09:00:00+01:00",
    "2027-04-04T23:59:59+01:00 deadline_missed EH-11.4 missed",
    "2027-04-04T23:59:59+01:00 message EH-11.4 oversight_prompt to mo.khan@example.org sent 2027-04-05T08:00:00+01:00",
    "2027-04-05T09:00:00+01:00 message EH-11.1, EH-11.4 oversight_digest to mo.khan@example.org sent 2027-04-05T09:00:00+01:00",
    "2027-04-05T09:00:00+01:00 message EH-11.6 supervision_digest to mo.khan@example.org sent 2027-04-05T09:00:00+01:00",
    "2027-04-12T09:00:00+01:00 message EH-11.6 supervision_digest to mo.khan@example.org sent 2027-04-12T09:00:00+01:00",
    "2027-04-19T09:00:00+01:00 message EH-11.6 supervision_digest to mo.khan@example.org sent 2027-04-19T09:00:00+01:00",
    "2027-04-26T09:00:00+01:00 message EH-11.6 supervision_digest to mo.khan@example.org sent 2027-04-26T09:00:00+01:00",
    "2027-05-04T09:00:00+01:00 message EH-11.1, EH-11.4 oversight_digest to mo.khan@example.org sent 2027-05-04T09:00:00+01:00",
    "2027-05-04T09:00:00+01:00 message EH-11.6 supervision_digest to mo.khan@example.org sent 2027-05-04T09:00:00+01:00",
    "2027-05-10T09:00:00+01:00 message EH-11.6 supervision_digest to mo.khan@example.org sent 2027-05-10T09:00:00+01:00",
    "2027-05-17T09:00:00+01:00 message EH-11.6 supervision_digest to mo.khan@example.org sent 2027-05-17T09:00:00+01:00",
    "2027-05-24T09:00:00+01:00 message EH-11.6 supervision_digest to mo.khan@example.org sent 2027-05-24T09:00:00+01:00",
    "2027-06-01T09:00:00+01:00 message EH-11.6 supervision_digest to mo.khan@example.org sent 2027-06-01T09:00:00+01:00",
    "2027-06-07T09:00:00+01:00 message EH-11.1, EH-11.4 oversight_digest to mo.khan@example.org sent 2027-06-07T09:00:00+01:00",
    "2027-06-07T09:00:00+01:00 message EH-11.6 supervision_digest to mo.khan@example.org sent 2027-06-07T09:00:00+01:00",
    "2027-06-14T09:00:00+01:00 message EH-11.6 supervision_digest to mo.khan@example.org sent 2027-06-14T09:00:00+01:00",
    "2027-06-21T09:00:00+01:00 message EH-11.6 supervision_digest to mo.khan@example.org sent 2027-06-21T09:00:00+01:00",
    "2027-06-28T09:00:00+01:00 message EH-11.6 supervision_digest to mo.khan@example.org sent 2027-06-28T09:00:00+01:00",
    "2027-07-04T23:59:59+01:00 deadline_missed EH-11.4 missed",
    "2027-07-04T23:59:59+01:00 message EH-11.4 oversight_prompt to mo.khan@example.org sent 2027-07-05T08:00:00+01:00",
    "2027-07-05T09:00:00+01:00 message EH-11.1, EH-11.4 oversight_digest to mo.khan@example.org sent 2027-07-05T09:00:00+01:00",
    "2027-07-05T09:00:00+01:00 message EH-11.6 supervision_digest to mo.khan@example.org sent 2027-07-05T09:00:00+01:00",
    "2027-07-12T09:00:00+01:00 message EH-11.6 supervision_digest to mo.khan@example.org sent 2027-07-12T09:00:00+01:00",
    "2027-07-19T09:00:00+01:00 message EH-11.6 supervision_digest to mo.khan@example.org sent 2027-07-19T09:00:00+01:00",
    "2027-07-26T09:00:00+01:00 message EH-11.6 supervision_digest to mo.khan@example.org sent 2027-07-26T09:00:00+01:00",
    "2027-08-02T09:00:00+01:00 message EH-11.1, EH-11.4 oversight_digest to mo.khan@example.org sent 2027-08-02T09:00:00+01:00",
    "2027-08-02T09:00:00+01:00 message EH-11.6 supervision_digest to mo.khan@example.org sent 2027-08-02T09:00:00+01:00",
    "2027-08-09T09:00:00+01:00 message EH-11.6 supervision_digest to mo.khan@example.org sent 2027-08-09T09:00:00+01:00",
    "2027-08-16T09:00:00+01:00 message EH-11.6 supervision_digest to mo.khan@example.org sent 2027-08-16T09:00:00+01:00",
    "2027-08-23T09:00:00+01:00 message EH-11.6 supervision_digest to mo.khan@example.org sent 2027-08-23T09:00:00+01:00",
    "2027-08-31T09:00:00+01:00 message EH-11.6 supervision_digest to mo.khan@example.org sent 2027-08-31T09:00:00+01:00",
    "2027-09-06T09:00:00+01:00 message EH-11.1, EH-11.4 oversight_digest to mo.khan@example.org sent 2027-09-06T09:00:00+01:00",
    "2027-09-06T09:00:00+01:00 message EH-11.6 supervision_digest to mo.khan@example.org sent 2027-09-06T09:00:00+01:00",
    "2027-09-13T09:00:00+01:00 message EH-11.6 supervision_digest to mo.khan@example.org sent 2027-09-13T09:00:00+01:00",
    "2027-09-20T09:00:00+01:00 message EH-11.6 supervision_digest to mo.khan@example.org sent 2027-09-20T09:00:00+01:00",
    "2027-09-27T09:00:00+01:00 message EH-11.6 supervision_digest to mo.khan@example.org sent 2027-09-27T09:00:00+01:00",
    "2027-10-04T09:00:00+01:00 message EH-11.1, EH-11.4 oversight_digest to mo.khan@example.org sent 2027-10-04T09:00:00+01:00",
    "2027-10-04T09:00:00+01:00 message EH-11.6 supervision_digest to mo.khan@example.org sent 2027-10-04T09:00:00+01:00",
    "2027-10-04T23:59:59+01:00 deadline_missed EH-11.4 missed",
    "2027-10-04T23:59:59+01:00 message EH-11.4 oversight_prompt to mo.khan@example.org sent 2027-10-05T08:00:00+01:00",
    "2027-10-11T09:00:00+01:00 message EH-11.6 supervision_digest to mo.khan@example.org sent 2027-10-11T09:00:00+01:00",
    "2027-10-18T09:00:00+01:00 message EH-11.6 supervision_digest to mo.khan@example.org sent 2027-10-18T09:00:00+01:00",
    "2027-10-25T09:00:00+01:00 message EH-11.6 supervision_digest to mo.khan@example.org sent 2027-10-25T09:00:00+01:00",
    "2027-11-01T09:00:00+00:00 message EH-11.1, EH-11.4 oversight_digest to mo.khan@example.org sent 2027-11-01T09:00:00+00:00",
    "2027-11-01T09:00:00+00:00 message EH-11.6 supervision_digest to mo.khan@example.org sent 2027-11-01T09:00:00+00:00",
    "2027-11-08T09:00:00+00:00 message EH-11.6 supervision_digest to mo.khan@example.org sent 2027-11-08T09:00:00+00:00",
    "2027-11-15T09:00:00+00:00 message EH-11.6 supervision_digest to mo.khan@example.org sent 2027-11-15T09:00:00+00:00",
    "2027-11-22T09:00:00+00:00 message EH-11.6 supervision_digest to mo.khan@example.org sent 2027-11-22T09:00:00+00:00",
    "2027-11-29T09:00:00+00:00 message EH-11.6 supervision_digest to mo.khan@example.org sent 2027-11-29T09:00:00+00:00",
    "2027-12-06T09:00:00+00:00 message EH-11.1, EH-11.4 oversight_digest to mo.khan@example.org sent 2027-12-06T09:00:00+00:00",
    "2027-12-06T09:00:00+00:00 message EH-11.6 supervision_digest to mo.khan@example.org sent 2027-12-06T09:00:00+00:00",
    "2027-12-13T09:00:00+00:00 message EH-11.6 supervision_digest to mo.khan@example.org sent 2027-12-13T09:00:00+00:00",
    "2027-12-20T09:00:00+00:00 message EH-11.6 supervision_digest to mo.khan@example.org sent 2027-12-20T09:00:00+00:00",
    "2027-12-29T09:00:00+00:00 message EH-11.6 supervision_digest to mo.khan@example.org sent 2027-12-29T09:00:00+00:00",
    "2028-01-04T09:00:00+00:00 message EH-11.1, EH-11.4 oversight_digest to mo.khan@example.org sent 2028-01-04T09:00:00+00:00",
    "2028-01-04T09:00:00+00:00 message EH-11.6 supervision_digest to mo.khan@example.org sent 2028-01-04T09:00:00+00:00",
    "2028-01-04T23:59:59+00:00 deadline_missed EH-11.4 missed",
    "2028-01-04T23:59:59+00:00 message EH-11.4 oversight_prompt to mo.khan@example.org sent 2028-01-05T08:00:00+00:00",
]


# -- the scheduled digests (EH-3.3, EH-11.1, EH-11.4, EH-11.6) -----------------------


def digests(flow, template: str) -> list[tuple[str, str]]:
    """Who each digest went to, and its subject, in the order queued."""
    return [(m["to_address"], m["subject"]) for m in mails(flow, None, template)]


def jobs(flow, key: str) -> list[str]:
    return [e["at"] for e in history(flow) if e["kind"] == "job" and e["reason"].startswith(key)]


def test_EH_3_3_the_weekly_pre_allocation_digest_lists_families_awaiting_allocation(make_app):
    flow = make_app(start="2027-01-11T09:00")
    waiting = new_case(flow, "2027-01-11T10:00")
    _to_maam(flow, waiting, "allocate")
    unscreened = new_case(flow, "2027-01-21T10:00", family="Jones family")
    step(
        flow,
        waiting,
        "2027-01-22T11:00",
        "record_pre_allocation_contact",
        {"method": "phone", "summary": "Mum updated; no new concerns."},
        by=DEE["email"],
    )
    flow.advance(at("2027-01-25T09:00"))

    # Monday 18 January: nobody was on the list yet, so no digest was sent.
    assert digests(flow, "pre_allocation_digest") == [
        (DEE["email"], "Early help pre-allocation list: weekly contacts, Monday 25 January 2027")
    ]
    assert jobs(flow, "early_help_pre_allocation") == [
        "2027-01-18T09:00:00+00:00",
        "2027-01-25T09:00:00+00:00",
    ]
    [digest] = mails(flow, None, "pre_allocation_digest")
    assert digest["rule"] == "EH-3.3"
    assert (
        f"- {ref(waiting)} (Smith family): on the list since Wednesday 20 January 2027; "
        "last contacted Friday 22 January 2027 at 11:00 (phone); "
        "next contact due by Friday 29 January 2027"
    ) in digest["body"]
    assert ref(unscreened) not in digest["body"]

    flow.advance(at("2027-02-01T09:00"))
    [_, second] = mails(flow, None, "pre_allocation_digest")
    assert second["subject"].endswith("Monday 1 February 2027")
    assert "next contact OVERDUE (was due by Friday 29 January 2027)" in second["body"]

    step(flow, waiting, "2027-02-02T10:00", "allocate", {"worker": KIM}, by=MO["email"])
    flow.advance(at("2027-02-08T09:00"))
    assert len(mails(flow, None, "pre_allocation_digest")) == 2  # an empty digest is not sent
    assert jobs(flow, "early_help_pre_allocation")[-1] == "2027-02-08T09:00:00+00:00"


def test_EH_11_1_EH_11_4_the_monthly_oversight_digest_goes_on_the_first_monday_flagging_priorities(
    make_app,
):
    flow = make_app(start="2027-01-11T09:00")
    older = allocated(flow)
    newer = step_down(flow, "2027-03-15T09:30", family="Jones family")
    step(flow, newer, "2027-03-15T10:00", "allocate", {"worker": LEE}, by=MO["email"])
    unallocated = new_case(flow, "2027-03-16T10:00", {**CONTACTS, "manager": RAVI})
    flow.advance(at("2027-05-04T09:00"))

    subject = "Early help monthly oversight meeting, {}"
    assert digests(flow, "oversight_digest") == [
        (MO["email"], subject.format("Monday 1 February 2027")),
        (MO["email"], subject.format("Monday 1 March 2027")),
        (MO["email"], subject.format("Monday 5 April 2027")),
        (MO["email"], subject.format("Tuesday 4 May 2027")),
    ]  # the first Monday of each month (3 May is a bank holiday: the next working day);
    # nothing to Ravi, who has no allocated case
    assert jobs(flow, "early_help_oversight")[-1] == "2027-05-04T09:00:00+01:00"
    digest = mails(flow, None, "oversight_digest")[-1]
    assert digest["rule"] == "EH-11.1, EH-11.4"
    priorities, others = digest["body"].split("Other allocated cases")
    assert (
        f"- {ref(older)} (Smith family): open 3 months (received Monday 11 January 2027), "
        "allocated, worker Kim Lee; PRIORITY: open 3 months or more"
    ) in priorities
    assert (
        f"- {ref(newer)} (Jones family): open 1 month (received Monday 15 March 2027), "
        "allocated, worker Lee Cole"
    ) in others
    assert ref(unallocated) not in digest["body"]
    april = mails(flow, None, "oversight_digest")[-2]["body"]
    assert "Priorities for oversight" not in april
    assert f"- {ref(older)} (Smith family): open 2 months" in april


def test_EH_11_6_the_weekly_supervision_digest_lists_supervision_overdue_or_due_within_7_days(
    make_app,
):
    flow = make_app(start="2027-01-11T09:00")
    first = allocated(flow)  # supervision due by Monday 8 February
    second = step_down(flow, "2027-01-25T09:30", family="Jones family")
    step(flow, second, "2027-01-25T10:00", "allocate", {"worker": LEE}, by=MO["email"])
    new_case(flow, "2027-01-26T10:00", {**CONTACTS, "manager": RAVI})
    flow.advance(at("2027-02-01T09:00"))

    subject = "Early help supervision due, week of {}"
    assert digests(flow, "supervision_digest") == [
        (MO["email"], subject.format("Monday 18 January 2027")),
        (MO["email"], subject.format("Monday 25 January 2027")),
        (MO["email"], subject.format("Monday 1 February 2027")),
    ]  # weekly to the manager of allocated cases; nothing to Ravi, who has none
    assert jobs(flow, "early_help_supervision")[-1] == "2027-02-01T09:00:00+00:00"
    january = mails(flow, None, "supervision_digest")[0]["body"]
    assert "No supervision is overdue or due in the next 7 days." in january
    body = mails(flow, None, "supervision_digest")[-1]["body"]
    assert "Overdue:" not in body
    due_soon, later = body.split("Due by Monday 8 February 2027:")[1].split("Not yet due:")
    assert (
        f"- {ref(first)} (Smith family): worker Kim Lee; no supervision recorded since "
        "allocation on Monday 11 January 2027; due by Monday 8 February 2027"
    ) in due_soon
    assert f"- {ref(second)} (Jones family): worker Lee Cole;" in later
    assert "due by Monday 22 February 2027" in later

    step(
        flow,
        first,
        "2027-02-10T14:00",
        "record_supervision",
        {"summary": "Caseload reviewed."},
        by=MO["email"],
    )
    flow.advance(at("2027-03-01T09:00"))
    [digest] = [m for m in mails(flow, None, "supervision_digest") if "1 March" in m["subject"]]
    assert digest["rule"] == "EH-11.6"
    overdue, rest = digest["body"].split("Overdue:")[1].split("Not yet due:")
    assert f"- {ref(second)} (Jones family)" in overdue
    assert "due by Monday 22 February 2027" in overdue
    assert (
        f"- {ref(first)} (Smith family): worker Kim Lee; last supervision Wednesday "
        "10 February 2027; due by Wednesday 10 March 2027"
    ) in rest
