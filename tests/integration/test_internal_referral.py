"""Internal referrals across teams, rule by rule (IR-01 to IR-06), on SQLite and PostgreSQL.

A PoP referral opens a linked parenting case, which then runs as parenting does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from engine import store
from engine.cases import AS_NAMED, Actor
from engine.errors import GuardFailed, InputError, RoleNotAllowed, TriggerNotAllowed
from familyflow.settings import Settings
from familyflow.simulate import load, run
from tests.support.journeys import at, case_state, history, outbox_rows, step

SCENARIOS = Path(__file__).resolve().parents[2] / "docs" / "scenarios"
WORKER, MANAGER = "fran.time@example.org", "mo.khan@example.org"
SW, LEAD = "sam.jones@example.org", "pat.lead@example.org"
TM, BS = "ade.bello@example.org", "bs@example.org"
PARENTING_WORKER = {"name": "Kim Lee", "email": "kim.lee@example.org"}
CONTACTS = {
    "identifying_worker": {"name": "Fran Time", "email": WORKER},
    "manager": {"name": "Mo Khan", "email": MANAGER},
    "social_worker": {"name": "Sam Jones", "email": SW},
    "parent": {"name": "Jo Parent", "mobile": "07700900123"},
}
FAMILIES_TOGETHER = {
    "team_manager": {"name": "Ade Bello", "email": TM},
    "business_support": {"name": "Business Support", "email": BS},
}
GROUP_LEAD = {"name": "Pat Lead", "email": LEAD}
FORM = "Family Time referral form of 3 November 2026"


def _identified(
    flow: Any,
    *,
    team: str = "family_time",
    group: str = "pop",
    received: str = "2026-12-14T10:00",
    contacts: dict[str, Any] | None = None,
    **data: Any,
) -> int:
    flow.advance(at(received))
    case_id: int = flow.create_case(
        process="internal_referral",
        received_at=at(received),
        data={
            "group": group,
            "identified_by_team": team,
            "need": "Help with routines and boundaries",
            **data,
        },
        contacts=CONTACTS if contacts is None else contacts,
    )
    flow.tick()
    return case_id


def _ref(case_id: int) -> str:
    return f"IREF-{case_id:06d}"


def _agreed(flow: Any, *, group: str = "pop") -> int:
    """A Family Time worker's referral, consented, liaised and agreed by 18 December 2026."""
    case_id = _identified(flow, group=group)
    step(
        flow, case_id, "2026-12-15T10:00", "parent_consents", {"group_lead": GROUP_LEAD}, by=WORKER
    )
    step(
        flow,
        case_id,
        "2026-12-16T11:00",
        "record_liaison",
        {"outcome": "Places on the January group."},
        by=WORKER,
    )
    step(flow, case_id, "2026-12-18T10:00", "sw_agrees", by=SW)
    return case_id


def _refer(flow: Any, case_id: int, when: str = "2026-12-18T11:00") -> None:
    step(flow, case_id, when, "refer", {"referral_form": FORM, **FAMILIES_TOGETHER}, by=WORKER)


def _one(flow: Any, case_id: int | None, template: str) -> dict[str, Any]:
    [row] = outbox_rows(flow, case_id=case_id, template=template)
    return row


def _links(flow: Any, case_id: int) -> list[dict[str, Any]]:
    with flow.db.connect() as conn:
        return store.case_links(conn, case_id=case_id)


# -- IR-01 / IR-02: need identified, parent's consent ---------------------------------


def test_IR_01_the_referral_records_the_worker_team_group_and_need_and_refuses_an_unknown_group(
    make_app,
):
    flow = make_app()
    good = _identified(flow)
    bad = _identified(flow, group="yoga")

    case = case_state(flow, good)
    assert (case.state, case.data["group"], case.data["identified_by_team"]) == (
        "identified",
        "pop",
        "family_time",
    )
    with pytest.raises(GuardFailed, match="choose the group: PoP or Freedom"):
        flow.fire(bad, "parent_consents", {"group_lead": GROUP_LEAD}, actor=Actor(WORKER, AS_NAMED))
    assert outbox_rows(flow) == []  # identifying a need sends nothing by itself


def test_IR_02_a_parent_who_does_not_consent_ends_the_referral_with_the_reason(make_app):
    flow = make_app()
    case_id = _identified(flow)

    with pytest.raises(InputError, match=r"data.reason"):
        flow.fire(case_id, "parent_declines", {}, actor=Actor(WORKER, AS_NAMED))
    with pytest.raises(RoleNotAllowed, match="needs one of: identifying_worker, manager"):
        flow.fire(case_id, "parent_declines", {"reason": "x"}, actor=Actor(SW, AS_NAMED))
    step(
        flow,
        case_id,
        "2026-12-15T10:00",
        "parent_declines",
        {"reason": "Jo would rather wait until after Christmas"},
        by=WORKER,
    )

    case = case_state(flow, case_id)
    assert (case.state, case.data["ended_by"], case.data["end_reason"]) == (
        "ended",
        "parent",
        "Jo would rather wait until after Christmas",
    )
    assert outbox_rows(flow, case_id=case_id) == []
    assert [e for e in history(flow, case_id) if e["kind"] == "deadline_set"] == []


def test_IR_02_consent_needs_the_workers_manager_who_may_be_given_then(make_app):
    flow = make_app()
    contacts = {k: v for k, v in CONTACTS.items() if k != "manager"}
    case_id = _identified(flow, team="parenting", contacts=contacts)

    with pytest.raises(GuardFailed, match="the identifying worker's manager"):
        flow.fire(case_id, "parent_consents", {}, actor=Actor(WORKER, AS_NAMED))
    step(
        flow,
        case_id,
        "2026-12-15T10:00",
        "parent_consents",
        {"manager": {"name": "Mo Khan", "email": MANAGER}},
        by=WORKER,
    )

    case = case_state(flow, case_id)
    assert case.state == "awaiting_sw_agreement"
    assert case.contacts_by_role()["manager"]["email"] == MANAGER


def test_IR_02_the_parent_can_still_end_it_later_with_who_and_why_and_nothing_is_chased(make_app):
    flow = make_app()
    case_id = _identified(flow, team="edge_of_care")
    step(flow, case_id, "2026-12-15T10:00", "parent_consents", by=WORKER)

    with pytest.raises(InputError, match=r"data.ended_by"):
        flow.fire(case_id, "end", {"reason": "x"}, actor=Actor(WORKER, AS_NAMED))
    step(
        flow,
        case_id,
        "2026-12-17T10:00",
        "end",
        {"reason": "Jo withdrew her consent", "ended_by": "parent"},
        by=WORKER,
    )
    flow.advance(at("2027-01-15T12:00"))

    case = case_state(flow, case_id)
    assert (case.state, case.data["ended_by"]) == ("ended", "parent")
    assert outbox_rows(flow, case_id=case_id, template="internal_referral/referral_reminder") == []
    assert outbox_rows(flow, case_id=case_id, template="internal_referral/referral_overdue") == []


# -- IR-03: a Family Time worker liaises with the group's lead ------------------------


def test_IR_03_a_family_time_worker_liaises_with_the_group_lead_before_the_sw_is_asked(make_app):
    flow = make_app()
    case_id = _identified(flow)

    with pytest.raises(GuardFailed, match="the parenting champion lead officer"):
        flow.fire(case_id, "parent_consents", {}, actor=Actor(WORKER, AS_NAMED))
    step(
        flow, case_id, "2026-12-15T10:00", "parent_consents", {"group_lead": GROUP_LEAD}, by=WORKER
    )

    assert case_state(flow, case_id).state == "awaiting_liaison"
    email = _one(flow, case_id, "internal_referral/liaison_request")
    assert (email["to_address"], email["cc"]) == (LEAD, [WORKER])
    assert email["subject"] == (
        f"PoP (parenting programme): a family identified by Family Time ({_ref(case_id)})"
    )
    assert (
        "As the parenting champion lead officer, please liaise with Fran Time "
        "(fran.time@example.org)"
    ) in email["body"]
    assert outbox_rows(flow, case_id=case_id, template="internal_referral/sw_discussion") == []
    with pytest.raises(TriggerNotAllowed, match="allowed here: record_liaison, end"):
        flow.fire(case_id, "sw_agrees", actor=Actor(SW, AS_NAMED))

    step(
        flow,
        case_id,
        "2026-12-16T11:00",
        "record_liaison",
        {"outcome": "Places on the January group."},
        by=LEAD,
    )
    assert case_state(flow, case_id).state == "awaiting_sw_agreement"
    to_sw = _one(flow, case_id, "internal_referral/sw_discussion")
    assert (
        "Liaison with the parenting champion lead officer: Places on the January group."
        in to_sw["body"]
    )


def test_IR_03_for_freedom_the_lead_is_the_domestic_abuse_champion_lead_officer(make_app):
    flow = make_app()
    case_id = _identified(flow, group="freedom")

    with pytest.raises(GuardFailed, match="the domestic abuse champion lead officer"):
        flow.fire(case_id, "parent_consents", {}, actor=Actor(WORKER, AS_NAMED))
    step(
        flow, case_id, "2026-12-15T10:00", "parent_consents", {"group_lead": GROUP_LEAD}, by=WORKER
    )

    email = _one(flow, case_id, "internal_referral/liaison_request")
    assert email["subject"].startswith("Freedom (domestic abuse programme): a family")
    assert "As the domestic abuse champion lead officer, please liaise" in email["body"]


def test_IR_03_a_lead_already_contacted_is_told_when_the_referral_does_not_go_ahead(make_app):
    flow = make_app()
    case_id = _identified(flow)
    step(
        flow, case_id, "2026-12-15T10:00", "parent_consents", {"group_lead": GROUP_LEAD}, by=WORKER
    )
    step(flow, case_id, "2026-12-16T11:00", "record_liaison", {"outcome": "Place held."}, by=WORKER)
    step(
        flow,
        case_id,
        "2026-12-17T15:00",
        "sw_declines",
        {"reason": "Family time is ending; the SW is arranging a different service"},
        by=SW,
    )

    email = _one(flow, case_id, "internal_referral/lead_stood_down")
    assert (email["to_address"], email["cc"]) == (LEAD, [WORKER])
    assert "will not go ahead, so no place is needed" in email["body"]
    assert "Reason: Family time is ending; the SW is arranging a different service" in email["body"]


@pytest.mark.parametrize(
    ("team", "data", "asked"),
    [
        ("family_time", {"group_lead": GROUP_LEAD}, "the group lead to liaise"),
        ("parenting", {}, "the social worker to agree"),
    ],
)
def test_IR_01_consent_without_the_identifying_worker_is_refused_saying_so_and_writes_nothing(
    make_app, team, data, asked
):
    flow = make_app()
    contacts = {k: v for k, v in CONTACTS.items() if k != "identifying_worker"}
    case_id = _identified(flow, team=team, contacts=contacts)
    before = (case_state(flow, case_id), history(flow, case_id))

    with pytest.raises(GuardFailed) as refused:
        flow.fire(case_id, "parent_consents", data, actor=Actor(MANAGER, AS_NAMED))

    assert refused.value.fields["reason"] == (
        f"add the identifying worker before asking {asked} (IR-01)"
    )
    after = case_state(flow, case_id)
    assert (after.state, after.version, after.data, after.contacts_by_role()) == (
        before[0].state,
        before[0].version,
        before[0].data,
        before[0].contacts_by_role(),
    )
    assert history(flow, case_id) == before[1]
    assert outbox_rows(flow, copies=True) == []


# -- IR-04: the social worker agrees --------------------------------------------------


def test_IR_04_a_worker_outside_family_time_goes_straight_to_the_sw_who_is_emailed(make_app):
    flow = make_app()
    case_id = _identified(flow, team="parenting")
    step(flow, case_id, "2026-12-15T10:00", "parent_consents", by=WORKER)

    assert case_state(flow, case_id).state == "awaiting_sw_agreement"
    assert outbox_rows(flow, case_id=case_id, template="internal_referral/liaison_request") == []
    email = _one(flow, case_id, "internal_referral/sw_discussion")
    assert (email["to_address"], email["cc"]) == (SW, [WORKER])
    assert email["subject"] == (
        f"Please discuss: referral to PoP (parenting programme) ({_ref(case_id)})"
    )
    assert (
        "Fran Time (Parenting) has identified that Jo Parent may benefit from PoP "
        "(parenting programme), and the parent has consented."
    ) in email["body"]
    step(flow, case_id, "2026-12-16T10:00", "sw_agrees", {"comments": "Yes, please."}, by=SW)
    case = case_state(flow, case_id)
    assert (case.state, case.data["sw_comments"]) == ("agreed", "Yes, please.")


def test_IR_04_the_sw_not_agreeing_ends_the_referral_with_the_reason(make_app):
    flow = make_app()
    case_id = _identified(flow, team="edge_of_care")
    step(flow, case_id, "2026-12-15T10:00", "parent_consents", by=WORKER)

    with pytest.raises(InputError, match=r"data.reason"):
        flow.fire(case_id, "sw_declines", {}, actor=Actor(SW, AS_NAMED))
    step(
        flow,
        case_id,
        "2026-12-16T10:00",
        "sw_declines",
        {"reason": "Jo is starting PoP through another team"},
        by=SW,
    )

    case = case_state(flow, case_id)
    assert (case.state, case.data["ended_by"]) == ("ended", "social_worker")
    assert case.data["end_reason"] == "Jo is starting PoP through another team"
    assert outbox_rows(flow, case_id=case_id, template="internal_referral/lead_stood_down") == []
    with pytest.raises(TriggerNotAllowed, match="none"):
        flow.fire(case_id, "refer", {"referral_form": FORM}, actor=Actor(WORKER, AS_NAMED))


# -- IR-05: the referral form already held goes to Families Together ------------------


def test_IR_05_the_referral_needs_families_together_and_emails_them_the_form_already_held(make_app):
    flow = make_app()
    case_id = _agreed(flow, group="freedom")

    with pytest.raises(InputError, match=r"data.referral_form"):
        flow.fire(case_id, "refer", {}, actor=Actor(WORKER, AS_NAMED))
    with pytest.raises(GuardFailed, match="Families Together's team manager and business support"):
        flow.fire(case_id, "refer", {"referral_form": FORM}, actor=Actor(WORKER, AS_NAMED))
    _refer(flow, case_id)

    assert case_state(flow, case_id).state == "referred"
    email = _one(flow, case_id, "internal_referral/referral_to_families_together")
    assert (email["to_address"], email["cc"]) == (TM, [BS, LEAD])
    assert email["subject"] == (
        f"Internal referral to Freedom (domestic abuse programme): {_ref(case_id)}"
    )
    assert (
        f"Referral form (already held by Family Time; no new form is needed): {FORM}"
        in email["body"]
    )
    assert (
        "Fran Time (fran.time@example.org) identified the need and must be included in "
        "the planning meeting (IR-06)."
    ) in email["body"]
    [met] = [e for e in history(flow, case_id) if e["kind"] == "deadline_met"]
    assert (met["rule"], met["reason"]) == ("IR-05", "met on time")


def test_IR_05_a_referral_not_sent_in_10_working_days_reminds_the_worker_then_tells_the_manager_once(  # noqa: E501
    make_app,
):
    flow = make_app()
    case_id = _identified(flow, team="edge_of_care", received="2027-01-11T10:00")
    step(flow, case_id, "2027-01-12T10:00", "parent_consents", by=WORKER)
    flow.advance(at("2027-02-26T12:00"))

    [due] = [e["due_at"] for e in history(flow, case_id) if e["kind"] == "deadline_set"]
    assert due == "2027-01-26T23:59:59+00:00"
    reminder = _one(flow, case_id, "internal_referral/referral_reminder")
    assert (reminder["to_address"], reminder["sent_at"]) == (WORKER, at("2027-01-21T09:00"))
    assert "should reach Families Together by Tuesday 26 January 2027 at 23:59" in reminder["body"]
    assert (
        "agree the referral with the social worker (Sam Jones), then send the form"
        in (reminder["body"])
    )
    overdue = _one(flow, case_id, "internal_referral/referral_overdue")  # once, not daily
    assert (overdue["to_address"], overdue["cc"], overdue["sent_at"]) == (
        MANAGER,
        [WORKER],
        at("2027-01-27T08:00"),
    )
    assert "The parent consented on Tuesday 12 January 2027." in overdue["body"]


# -- IR-06: the linked case in the target process --------------------------------------


def test_IR_06_a_pop_referral_opens_a_linked_parenting_case_with_the_identifying_worker_invited(
    make_app,
):
    flow = make_app()
    case_id = _agreed(flow)
    _refer(flow, case_id)

    [link] = _links(flow, case_id)
    new = link["to_case_id"]
    assert (link["from_case_id"], link["kind"], link["rule"]) == (
        case_id,
        "internal_referral",
        "IR-06",
    )
    assert _links(flow, new) == [link]  # both cases show the link
    parenting = case_state(flow, new)
    assert (parenting.process, parenting.state) == ("parenting", "referred")
    assert parenting.received_at == at("2026-12-18T11:00")
    assert parenting.data == {
        "group": "pop",
        "identified_by_team": "family_time",
        "need": "Help with routines and boundaries",
        "referral_form": FORM,
        "linked_from": _ref(case_id),
    }
    people = {c["role"]: c["email"] or c["mobile"] for c in parenting.contacts}
    assert people == {
        "social_worker": SW,
        "parent": "+447700900123",
        "team_manager": TM,
        "business_support": BS,
        "identifying_worker": WORKER,
    }
    intake = _one(flow, new, "parenting/referral_received")  # PAR-01: tracker and allocation
    assert (intake["to_address"], intake["cc"]) == (TM, [BS])
    invitation = _one(flow, case_id, "internal_referral/planning_invitation")
    assert (invitation["to_address"], invitation["cc"]) == (WORKER, [SW])
    assert invitation["subject"] == (
        "Referral sent to PoP (parenting programme): you are "
        f"invited to the planning meeting ({_ref(case_id)})"
    )
    assert "who will invite you to the planning meeting" in invitation["body"]
    note = [e for e in history(flow, case_id) if e["kind"] == "note"][-1]
    assert note["reason"] == f"linked case PAR-{new:06d} opened (internal_referral)"


def test_IR_06_an_internal_referral_creates_a_parenting_case_that_proceeds(make_app):
    flow = make_app()
    case_id = _agreed(flow)
    _refer(flow, case_id)
    [link] = _links(flow, case_id)
    new = link["to_case_id"]

    step(flow, new, "2026-12-21T09:00", "request_confirmation", by=TM)
    assert case_state(flow, new).state == "awaiting_confirmation"
    ask = _one(flow, new, "parenting/confirmation_request")
    assert ask["to_address"] == SW
    step(flow, new, "2026-12-22T10:00", "confirm_attendance", by=SW)
    step(flow, new, "2026-12-23T10:00", "choose_sessions", {"sessions": [1, 2, 3]}, by=SW)
    step(flow, new, "2026-12-24T10:00", "allocate_worker", {"worker": PARENTING_WORKER}, by=TM)

    parenting = case_state(flow, new)
    assert parenting.state == "planning"
    assert {c["role"] for c in parenting.contacts} >= {"worker", "identifying_worker"}
    deadlines = {
        (e["rule"], e["due_at"]) for e in history(flow, new) if e["kind"] == "deadline_set"
    }
    assert ("PAR-05", "2027-01-05T23:59:59+00:00") in deadlines  # Christmas skipped
    met = [(e["rule"], e["reason"]) for e in history(flow, new) if e["kind"] == "deadline_met"]
    assert met == [("PAR-04", "met on time")] * 2
    flow.advance(at("2027-01-05T12:00"))
    reminder = _one(flow, new, "parenting/planning_reminder")
    assert (reminder["to_address"], reminder["sent_at"]) == (
        PARENTING_WORKER["email"],
        at("2027-01-04T09:00"),
    )
    step(flow, new, "2027-01-05T14:00", "hold_planning_meeting", by=PARENTING_WORKER["email"])
    flow.advance(at("2027-01-08T12:00"))

    assert case_state(flow, new).state == "planned"
    assert outbox_rows(flow, case_id=new, template="parenting/planning_overdue") == []
    assert case_state(flow, case_id).state == "referred"
    assert _links(flow, case_id) == _links(flow, new) == [link]


def test_IR_06_a_freedom_referral_is_recorded_and_sent_with_no_linked_case(make_app):
    flow = make_app()
    case_id = _identified(flow, team="edge_of_care", group="freedom")
    step(flow, case_id, "2026-12-15T10:00", "parent_consents", by=WORKER)
    step(flow, case_id, "2026-12-16T10:00", "sw_agrees", by=SW)
    _refer(flow, case_id, "2026-12-16T11:00")

    case = case_state(flow, case_id)
    assert (case.state, case.data["referral_form"]) == ("referred", FORM)
    assert _links(flow, case_id) == []
    assert {m["case_id"] for m in outbox_rows(flow)} == {case_id}
    sent = _one(flow, case_id, "internal_referral/referral_to_families_together")
    assert (sent["to_address"], sent["cc"]) == (TM, [BS])
    assert "Freedom has no process in FamilyFlow, so no linked case is opened." in sent["body"]
    invitation = _one(flow, case_id, "internal_referral/planning_invitation")
    assert (
        "the domestic abuse champion lead officer and Families Together will contact you "
        "to arrange the planning meeting"
    ) in invitation["body"]


# -- scenarios, replayed in-process to the minute -------------------------------------


def _replay(name: str) -> dict[str, Any]:
    settings = Settings(mailing_lists={}, timescales={}, agenda_times={})
    return run(load(SCENARIOS / f"{name}.yaml"), settings=settings)


def _messages(result: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [
        (
            e["at"],
            e.get("case_id"),
            e["template"],
            e["to_address"],
            e.get("cc"),
            e["sent_at"],
            e["rule"],
        )
        for e in result["timeline"]
        if e["kind"] == "message"
    ]


def test_IR_03_to_IR_06_scenario_pop_linked_replays_to_the_minute():
    result = _replay("internal_referral-pop-linked")

    assert result["final_state"] == "referred"
    z = "+00:00"
    assert _messages(result) == [
        (
            f"2026-12-15T10:00:00{z}",
            1,
            "internal_referral/liaison_request",
            LEAD,
            [WORKER],
            f"2026-12-15T10:00:00{z}",
            "IR-03",
        ),
        (
            f"2026-12-16T11:00:00{z}",
            1,
            "internal_referral/sw_discussion",
            SW,
            [WORKER],
            f"2026-12-16T11:00:00{z}",
            "IR-04",
        ),
        (
            f"2026-12-18T11:00:00{z}",
            1,
            "internal_referral/referral_to_families_together",
            TM,
            [BS, LEAD],
            f"2026-12-18T11:00:00{z}",
            "IR-05",
        ),
        (
            f"2026-12-18T11:00:00{z}",
            2,
            "parenting/referral_received",
            TM,
            [BS],
            f"2026-12-18T11:00:00{z}",
            "PAR-01",
        ),
        (
            f"2026-12-18T11:00:00{z}",
            1,
            "internal_referral/planning_invitation",
            WORKER,
            [SW],
            f"2026-12-18T11:00:00{z}",
            "IR-06",
        ),
        (
            f"2026-12-22T08:00:00{z}",
            None,
            "parenting/tuesday_agenda",
            TM,
            None,
            f"2026-12-22T08:00:00{z}",
            "PAR-13, PAR-17",
        ),
    ]
    deadlines = [
        (e["at"], e["kind"], e["rule"], e["due_at"])
        for e in result["timeline"]
        if e["kind"].startswith("deadline")
    ]
    assert deadlines == [
        (f"2026-12-15T10:00:00{z}", "deadline_set", "IR-05", f"2026-12-31T23:59:59{z}"),
        (f"2026-12-18T11:00:00{z}", "deadline_met", "IR-05", f"2026-12-31T23:59:59{z}"),
    ]
    created = [e for e in result["timeline"] if e.get("trigger") == "create"]
    assert [(e["case_id"], e["to"]) for e in created] == [(1, "identified"), (2, "referred")]
    [note] = [e for e in result["timeline"] if e["kind"] == "note"]
    assert (note["at"], note["rule"], note["reason"]) == (
        f"2026-12-18T11:00:00{z}",
        "IR-06",
        "linked case PAR-000002 opened (internal_referral)",
    )
    agenda = next(
        e["body"] for e in result["timeline"] if e.get("template") == "parenting/tuesday_agenda"
    )
    assert "PAR-000002 (referred): Jo Parent" in agenda.split("New referrals:")[1]


def test_IR_04_IR_05_IR_06_scenario_freedom_overdue_replays_to_the_minute():
    result = _replay("internal_referral-freedom-overdue")

    assert result["final_state"] == "referred"
    z = "+00:00"
    worker = "eve.carter@example.org"
    assert _messages(result) == [
        (
            f"2027-01-12T10:00:00{z}",
            1,
            "internal_referral/sw_discussion",
            SW,
            [worker],
            f"2027-01-12T10:00:00{z}",
            "IR-04",
        ),
        (
            f"2027-01-21T09:00:00{z}",
            1,
            "internal_referral/referral_reminder",
            worker,
            None,
            f"2027-01-21T09:00:00{z}",
            "IR-05",
        ),
        (
            f"2027-01-26T23:59:59{z}",
            1,
            "internal_referral/referral_overdue",
            MANAGER,
            [worker],
            f"2027-01-27T08:00:00{z}",
            "IR-05",
        ),
        (
            f"2027-01-29T10:00:00{z}",
            1,
            "internal_referral/referral_to_families_together",
            TM,
            [BS],
            f"2027-01-29T10:00:00{z}",
            "IR-05",
        ),
        (
            f"2027-01-29T10:00:00{z}",
            1,
            "internal_referral/planning_invitation",
            worker,
            [SW],
            f"2027-01-29T10:00:00{z}",
            "IR-06",
        ),
    ]
    deadlines = [
        (e["at"], e["kind"], e["rule"], e["due_at"], e["reason"])
        for e in result["timeline"]
        if e["kind"].startswith("deadline")
    ]
    assert deadlines == [
        (
            f"2027-01-12T10:00:00{z}",
            "deadline_set",
            "IR-05",
            f"2027-01-26T23:59:59{z}",
            "referral sent to Families Together within 10 working days of the parent's consent",
        ),
        (
            f"2027-01-26T23:59:59{z}",
            "deadline_missed",
            "IR-05",
            f"2027-01-26T23:59:59{z}",
            "referral sent to Families Together within 10 working days of the parent's consent",
        ),
        (f"2027-01-29T10:00:00{z}", "deadline_met", "IR-05", f"2027-01-26T23:59:59{z}", "met late"),
    ]
    assert not any(e.get("case_id") == 2 for e in result["timeline"])  # no linked case
