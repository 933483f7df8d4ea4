"""Joint under-5 assessment, rule by rule (U5-01 to U5-12), on SQLite and PostgreSQL."""

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
from workflows.joint_under5_assessment import lead_practitioner

SCENARIOS = Path(__file__).resolve().parents[2] / "docs" / "scenarios"
SW, TM = "sam.jones@example.org", "ade.bello@example.org"
HV, MW, HTL = "hana.green@example.org", "mel.brown@example.org", "rita.patel@example.org"
IRO, LOCALITY = "lee.chan@example.org", "locality@example.org"
MEETING = "joint_under5_locality_meeting"
CONTACTS = {
    "social_worker": {"name": "Sam Jones", "email": SW},
    "team_manager": {"name": "Ade Bello", "email": TM},
    "parent": {"name": "Jo Parent", "mobile": "07700900123"},
}
HEALTH = {
    "health_visitor": {"name": "Hana Green", "email": HV},
    "health_team_leader": {"name": "Rita Patel", "email": HTL},
    "basis": "known_to_family",
    "overview": "Nursery report Mia often hungry",
    "family_told": True,
    "records_reviewed": True,
}
PLAN = {
    "visit_at": "2027-02-04T10:00",
    "family_confirmed": True,
    "pre_meet_held": True,
    "sw_knows_family": False,
    "health_knows_family": True,
    "vulnerable_child_alert_set": True,
}
SOS = {
    "worried": "Weight dropping",
    "working_well": "Warm relationship",
    "needs_to_happen": "Regular meals",
    "scales": [
        {"judge": "Sam Jones", "role": "social_worker", "score": 6},
        {"judge": "Jo Parent", "role": "parent", "score": 8},
    ],
}
VISIT = {
    "purpose_explained": True,
    "consent_obtained": True,
    "genogram_completed": True,
    "signs_of_safety": SOS,
}
DEBRIEF = {
    "analysis": "Early signs of neglect",
    "information_sharing": "Weekly call",
    "actions": [
        {"action": "Weigh Mia", "who": "health_visitor", "by": "2027-02-10"},
        {"action": "See grandmother", "who": "social_worker"},
    ],
    "neglect_concerns": True,
    "graded_care_profile_by": "health_visitor",
}


def _refer(flow, received="2027-02-01T10:00", **data: Any) -> int:
    flow.advance(at(received))
    case_id = flow.create_case(
        process="joint_under5_assessment",
        received_at=at(received),
        data={"child_name": "Mia Parent", "date_of_birth": "2025-06-10", **data},
        contacts=CONTACTS,
    )
    flow.tick()
    return case_id


def _to_outcome(flow, case_id, *, health=HEALTH, debrief=DEBRIEF) -> None:
    step(flow, case_id, "2027-02-01T15:00", "contact_health", health, by=SW)
    step(flow, case_id, "2027-02-03T09:30", "plan_visit", PLAN, by=SW)
    step(flow, case_id, "2027-02-04T13:00", "record_joint_visit", VISIT, by=HV)
    step(flow, case_id, "2027-02-04T15:00", "record_debrief", debrief, by=SW)


def _sent(flow, case_id, template):
    return outbox_rows(flow, case_id=case_id, template=f"joint_under5_assessment/{template}")


def _notes(flow, case_id):
    return [(e["rule"], e["reason"]) for e in history(flow, case_id) if e["kind"] == "note"]


# -- U5-01 -----------------------------------------------------------------------------------


def test_U5_01_a_child_of_5_or_over_is_refused_and_the_record_can_be_corrected(make_app):
    flow = make_app(start="2027-02-01T09:00")
    case_id = _refer(flow, date_of_birth="2022-01-31")  # 5 the day before the referral

    with pytest.raises(
        GuardFailed, match=r"the child was 5 when referred on 1 February 2027.*children under 5"
    ):
        step(flow, case_id, "2027-02-01T15:00", "contact_health", HEALTH, by=SW)
    with pytest.raises(GuardFailed, match=r"children under 5"):
        step(flow, case_id, "2027-02-01T15:00", "emergency_action", {"reason": "police"}, by=SW)
    step(
        flow,
        case_id,
        "2027-02-01T15:30",
        "update_child_details",
        {"date_of_birth": "2022-02-02"},
        by=SW,
    )  # typed wrongly by MASH: 4 years old
    step(flow, case_id, "2027-02-01T15:40", "contact_health", HEALTH, by=SW)
    assert case_state(flow, case_id).state == "arranging_visit"


def test_U5_01_a_referral_without_a_date_of_birth_or_due_date_is_refused(make_app):
    flow = make_app(start="2027-02-01T09:00")
    case_id = _refer(flow, date_of_birth=None)

    with pytest.raises(GuardFailed, match=r"date of birth, or the expected due date"):
        step(flow, case_id, "2027-02-01T15:00", "contact_health", HEALTH, by=SW)
    with pytest.raises(InputError, match=r"data.date_of_birth"):
        step(
            flow,
            case_id,
            "2027-02-01T15:10",
            "update_child_details",
            {"date_of_birth": "10/06/2025"},
            by=SW,
        )


def test_U5_01_a_pre_birth_assessment_is_with_the_midwife_not_the_health_visitor(make_app):
    flow = make_app(start="2027-02-01T09:00")
    case_id = _refer(flow, date_of_birth=None, expected_due_date="2027-04-20")

    with pytest.raises(GuardFailed, match=r"pre-birth assessment is assessed with the midwife"):
        step(flow, case_id, "2027-02-01T15:00", "contact_health", HEALTH, by=SW)
    midwife = {k: v for k, v in HEALTH.items() if k != "health_visitor"}
    step(
        flow,
        case_id,
        "2027-02-01T15:10",
        "contact_health",
        {**midwife, "midwife": {"name": "Mel Brown", "email": MW}, "basis": "duty"},
        by=SW,
    )

    case = case_state(flow, case_id)
    assert (case.state, case.data["health_role"], case.data["basis"]) == (
        "arranging_visit",
        "midwife",
        "duty",
    )
    [email] = _sent(flow, case_id, "health_contacted")
    assert (email["to_address"], email["cc"]) == (MW, [SW])
    assert "(pre-birth, due 2027-04-20)" in email["body"]
    assert "You were asked as the duty midwife (U5-04)." in email["body"]
    step(
        flow,
        case_id,
        "2027-02-02T10:00",
        "update_child_details",
        {"date_of_birth": "2027-02-02"},
        by=MW,
    )  # born early: the midwife stays on
    assert ("U5-01", "Birth recorded: born 2027-02-02.") in _notes(flow, case_id)
    assert case_state(flow, case_id).data["health_role"] == "midwife"


# -- U5-02 -----------------------------------------------------------------------------------


def test_U5_02_emergency_action_holds_health_until_safeguarding_is_concluded(make_app):
    flow = make_app(start="2027-03-01T09:00")
    case_id = _refer(flow, received="2027-03-01T09:15")
    step(
        flow,
        case_id,
        "2027-03-01T11:00",
        "emergency_action",
        {
            "reason": "Joint investigation with police",
            "police": {"name": "DC Kerry Fox", "email": "kerry.fox@example.org"},
        },
        by=SW,
    )

    case = case_state(flow, case_id)
    assert case.state == "safeguarding"
    assert case.data["health_held_since"] == "2027-03-01T11:00:00+00:00"
    assert {c["role"] for c in case.contacts} >= {"police"}
    with pytest.raises(
        GuardFailed,
        match=r"health is not involved until the immediate safeguarding work is concluded",
    ):
        step(flow, case_id, "2027-03-02T10:00", "contact_health", HEALTH, by=SW)
    with pytest.raises(TriggerNotAllowed):
        step(flow, case_id, "2027-03-02T10:00", "plan_visit", PLAN, by=SW)
    assert outbox_rows(flow, case_id=case_id, to_address=HV) == []

    step(
        flow,
        case_id,
        "2027-03-03T16:00",
        "safeguarding_concluded",
        {"summary": "Partner on bail"},
        by=SW,
    )
    step(flow, case_id, "2027-03-04T10:00", "contact_health", HEALTH, by=SW)
    assert case_state(flow, case_id).state == "arranging_visit"
    assert [rule for rule, _ in _notes(flow, case_id)] == ["U5-02", "U5-02"]
    [email] = _sent(flow, case_id, "health_contacted")
    assert email["sent_at"] == at("2027-03-04T10:00")


# -- U5-03 -----------------------------------------------------------------------------------


def test_U5_03_the_referral_emails_the_sw_and_health_is_sent_an_overview(make_app):
    flow = make_app(start="2027-02-01T09:00")
    case_id = _refer(flow)

    [referral] = _sent(flow, case_id, "referral_received")
    assert (referral["to_address"], referral["cc"]) == (SW, [TM])
    assert referral["subject"] == f"Joint under-5 assessment: MASH referral JUA-{case_id:06d}"
    assert "assessed jointly with the health visitor (U5-01)" in referral["body"]
    step(flow, case_id, "2027-02-01T15:00", "contact_health", HEALTH, by=SW)

    [email] = _sent(flow, case_id, "health_contacted")
    assert (email["to_address"], email["cc"], email["rule"]) == (HV, [SW], "U5-03")
    assert email["subject"] == f"Joint visit request: Mia Parent (JUA-{case_id:06d})"
    assert "Overview of the concerns:\nNursery report Mia often hungry" in email["body"]
    assert "the health visitor known to the family (U5-04)" in email["body"]
    assert "tick the vulnerable child / at risk box" in email["body"]
    case = case_state(flow, case_id)
    assert (case.data["family_told"], case.data["records_reviewed"]) == (True, True)
    assert {c["role"]: c["email"] for c in case.contacts}["health_team_leader"] == HTL


def test_U5_03_a_referral_without_a_social_worker_is_refused(make_app):
    flow = make_app(start="2027-02-01T09:00")

    with pytest.raises(InputError, match=r"contacts.social_worker"):
        flow.create_case(
            process="joint_under5_assessment",
            received_at=at("2027-02-01T09:00"),
            data={"child_name": "Mia"},
            contacts={"team_manager": CONTACTS["team_manager"]},
        )


# -- U5-06 -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sw", "health", "agreed", "lead"),
    [
        (False, True, None, "health_visitor"),
        (True, False, None, "social_worker"),
        (False, False, None, "social_worker"),
        (True, True, None, "social_worker"),
        (True, True, "health_visitor", "health_visitor"),
        (False, False, "health_visitor", "social_worker"),  # an agreement only counts if both know
    ],
)
def test_U5_06_the_lead_practitioner_is_whoever_knows_the_family_else_the_sw(
    sw, health, agreed, lead
):
    role, _ = lead_practitioner(
        sw_knows_family=sw,
        health_knows_family=health,
        health_role="health_visitor",
        agreed_lead=agreed,
    )
    assert role == lead


def test_U5_06_the_lead_is_recorded_in_the_case_data_a_note_and_the_visit_email(make_app):
    flow = make_app(start="2027-02-01T09:00")
    case_id = _refer(flow)
    step(flow, case_id, "2027-02-01T15:00", "contact_health", HEALTH, by=SW)
    step(flow, case_id, "2027-02-03T09:30", "plan_visit", PLAN, by=SW)

    case = case_state(flow, case_id)
    assert case.state == "visit_planned"
    assert (case.data["lead_practitioner"], case.data["lead_practitioner_name"]) == (
        "health_visitor",
        "Hana Green",
    )
    assert (
        "U5-06",
        "Lead practitioner for the joint visit: Hana Green (health visitor): the "
        "health visitor knows the family.",
    ) in _notes(flow, case_id)
    [email] = _sent(flow, case_id, "visit_planned")
    assert (email["to_address"], email["cc"]) == (HV, [SW])
    assert email["subject"] == (
        f"Joint visit Thursday 4 February 2027 at 10:00: Mia Parent (JUA-{case_id:06d})"
    )
    assert (
        "Lead practitioner: Hana Green (health visitor): the health visitor knows the family "
        "(U5-06)."
    ) in email["body"]
    assert case.data["vulnerable_child_alert_set"] is True  # U5-05, recorded


def test_U5_06_without_a_pre_meet_the_reason_is_needed_and_the_sw_leads_a_new_family(make_app):
    flow = make_app(start="2027-02-01T09:00")
    case_id = _refer(flow)
    step(flow, case_id, "2027-02-01T15:00", "contact_health", HEALTH, by=SW)
    no_pre_meet = {**PLAN, "pre_meet_held": False, "health_knows_family": False}

    with pytest.raises(GuardFailed, match=r"say why a pre-meet could not be held \(U5-06\)"):
        step(flow, case_id, "2027-02-02T09:30", "plan_visit", no_pre_meet, by=SW)
    step(
        flow,
        case_id,
        "2027-02-02T09:40",
        "plan_visit",
        {**no_pre_meet, "pre_meet_not_held_reason": "HV in clinic"},
        by=SW,
    )

    assert case_state(flow, case_id).data["lead_practitioner"] == "social_worker"
    [email] = _sent(flow, case_id, "visit_planned")
    assert (
        "Lead practitioner: Sam Jones (social worker): neither practitioner knows the "
        "family, so the social worker leads (U5-06)." in email["body"]
    )
    assert "No pre-meet could be held: HV in clinic" in email["body"]


# -- U5-07 -----------------------------------------------------------------------------------


def test_U5_07_the_joint_visit_records_consent_genogram_and_signs_of_safety(make_app):
    flow = make_app(start="2027-02-01T09:00")
    case_id = _refer(flow)
    step(flow, case_id, "2027-02-01T15:00", "contact_health", HEALTH, by=SW)
    step(flow, case_id, "2027-02-03T09:30", "plan_visit", PLAN, by=SW)
    with pytest.raises(InputError, match=r"data.signs_of_safety.scales"):
        step(
            flow,
            case_id,
            "2027-02-04T13:00",
            "record_joint_visit",
            {**VISIT, "signs_of_safety": {**SOS, "scales": []}},
            by=HV,
        )
    step(flow, case_id, "2027-02-04T13:00", "record_joint_visit", VISIT, by=HV)

    case = case_state(flow, case_id)
    assert case.state == "debrief_due"
    assert case.data["joint_visit"] == {
        "purpose_explained": True,
        "consent_obtained": True,
        "genogram_completed": True,
        "immediate_safety_concerns": False,
        "at": "2027-02-04T13:00:00+00:00",
    }
    [entry] = case.data["signs_of_safety"]
    assert (entry["at"], [s["score"] for s in entry["scales"]]) == (
        "2027-02-04T13:00:00+00:00",
        [6, 8],
    )
    assert _sent(flow, case_id, "immediate_safety") == []
    step(
        flow,
        case_id,
        "2027-02-10T10:00",
        "record_signs_of_safety",
        {**SOS, "scales": [{"judge": "Hana Green", "role": "health_visitor", "score": 7}]},
        by=HV,
    )
    assert len(case_state(flow, case_id).data["signs_of_safety"]) == 2


def test_U5_07_immediate_safety_concerns_email_the_team_manager_at_once(make_app):
    flow = make_app(start="2027-02-01T09:00")
    case_id = _refer(flow)
    step(flow, case_id, "2027-02-01T15:00", "contact_health", HEALTH, by=SW)
    step(flow, case_id, "2027-02-03T09:30", "plan_visit", PLAN, by=SW)
    urgent = {**VISIT, "immediate_safety_concerns": True}

    with pytest.raises(GuardFailed, match=r"record the immediate action taken .* \(U5-07\)"):
        step(flow, case_id, "2027-02-04T11:00", "record_joint_visit", urgent, by=SW)
    step(
        flow,
        case_id,
        "2027-02-04T11:05",
        "record_joint_visit",
        {**urgent, "immediate_action": "Police called; staying in the home"},
        by=SW,
    )

    [email] = _sent(flow, case_id, "immediate_safety")
    assert (email["to_address"], email["cc"], email["sent_at"]) == (
        TM,
        [SW],
        at("2027-02-04T11:05"),
    )
    assert "Action taken: Police called; staying in the home" in email["body"]


# -- U5-08 -----------------------------------------------------------------------------------


def test_U5_08_the_debrief_needs_the_graded_care_profile_agreed_where_there_is_neglect(make_app):
    flow = make_app(start="2027-02-01T09:00")
    case_id = _refer(flow)
    step(flow, case_id, "2027-02-01T15:00", "contact_health", HEALTH, by=SW)
    step(flow, case_id, "2027-02-03T09:30", "plan_visit", PLAN, by=SW)
    step(flow, case_id, "2027-02-04T13:00", "record_joint_visit", VISIT, by=HV)

    with pytest.raises(GuardFailed, match=r"Graded Care Profile"):
        step(
            flow,
            case_id,
            "2027-02-04T15:00",
            "record_debrief",
            {**DEBRIEF, "graded_care_profile_by": None},
            by=SW,
        )
    with pytest.raises(InputError, match=r"data.actions"):
        step(flow, case_id, "2027-02-04T15:00", "record_debrief", {**DEBRIEF, "actions": []}, by=SW)
    with pytest.raises(GuardFailed, match=r"not midwife"):
        step(
            flow,
            case_id,
            "2027-02-04T15:00",
            "record_debrief",
            {**DEBRIEF, "actions": [{"action": "Scan", "who": "midwife"}]},
            by=SW,
        )
    step(flow, case_id, "2027-02-04T15:00", "record_debrief", DEBRIEF, by=SW)

    assert case_state(flow, case_id).state == "outcome_pending"
    [email] = _sent(flow, case_id, "debrief_actions")
    assert (email["to_address"], email["cc"]) == (SW, [HV, TM, HTL])
    assert (
        "- Weigh Mia: Hana Green, by 2027-02-10\n- See grandmother: Sam Jones\n" in (email["body"])
    )
    assert "Neglect: the Graded Care Profile will be completed by Hana Green." in email["body"]


# -- U5-09 -----------------------------------------------------------------------------------


def test_U5_09_U5_11_a_strategy_meeting_then_a_cp_plan_opens_a_linked_home_visits_case(make_app):
    flow = make_app(start="2027-02-01T09:00")
    case_id = _refer(flow)
    _to_outcome(flow, case_id)
    step(
        flow,
        case_id,
        "2027-02-05T10:00",
        "refer_to_strategy_meeting",
        {"reason": "Risk of significant harm"},
        by=SW,
    )
    [request] = _sent(flow, case_id, "strategy_meeting")
    assert (request["to_address"], request["cc"]) == (TM, [SW, HV])
    assert "consider initiating a Child Protection Conference" in request["body"]
    with pytest.raises(InputError, match=r"data.iro"):
        step(
            flow,
            case_id,
            "2027-02-19T15:00",
            "child_protection_plan",
            {"conference_at": "2027-02-19T10:00"},
            by=TM,
        )
    step(
        flow,
        case_id,
        "2027-02-19T15:00",
        "child_protection_plan",
        {"conference_at": "2027-02-19T10:00", "iro": {"name": "Lee Chan", "email": IRO}},
        by=TM,
    )

    case = case_state(flow, case_id)
    assert (case.state, case.data["plan_lead"], case.data["plan_lead_name"]) == (
        "child_protection_plan",
        "social_worker",
        "Sam Jones",
    )
    with flow.db.connect() as conn:
        [link] = store.case_links(conn, case_id=case_id)
    assert (link["kind"], link["rule"]) == ("ongoing home visits", "U5-11")
    visits = case_state(flow, link["to_case_id"])
    assert (visits.process, visits.state) == ("home_visits", "awaiting_initial_visit")
    assert visits.data == {
        "child_name": "Mia Parent",
        "date_of_birth": "2025-06-10",
        "plan_type": "child_protection",
        "linked_from": f"JUA-{case_id:06d}",
    }
    assert {c["role"]: c["email"] for c in visits.contacts} == {
        "social_worker": SW,
        "manager": TM,
        "iro": IRO,
        "health_visitor": HV,
        "parent": None,
    }
    assert visits.received_at == at("2027-02-19T15:00")
    due = [
        e["due_at"]
        for e in history(flow, link["to_case_id"])
        if e.get("rule") == "VIS-01" and e["kind"] == "deadline_set"
    ]
    assert due == ["2027-02-26T23:59:59+00:00"]
    [outcome] = _sent(flow, case_id, "plan_outcome")
    assert (outcome["to_address"], outcome["cc"]) == (HV, [SW, TM])
    assert (
        outcome["subject"] == f"Outcome: Child protection plan for Mia Parent (JUA-{case_id:06d})"
    )
    assert (
        "agreed at the initial child protection conference on Friday 19 February 2027"
        in (outcome["body"])
    )


def test_U5_09_a_professional_disagreement_goes_to_both_team_leaders_and_waits(make_app):
    flow = make_app(start="2027-02-01T09:00")
    case_id = _refer(flow)
    _to_outcome(flow, case_id)
    disagreement = {
        "about": "Which plan",
        "social_work_view": "No further action",
        "health_view": "Family Support Plan",
    }
    step(flow, case_id, "2027-02-08T11:00", "raise_disagreement", disagreement, by=HV)

    assert case_state(flow, case_id).state == "disagreement"
    [email] = _sent(flow, case_id, "disagreement")
    assert (email["to_address"], email["cc"], email["sent_at"]) == (
        TM,
        [HTL],
        at("2027-02-08T11:00"),
    )
    assert (
        "Social work view: No further action\nHealth view: Family Support Plan" in (email["body"])
    )
    assert "NSCB policy for Resolving Professional Disagreements" in email["body"]
    with pytest.raises(TriggerNotAllowed):
        step(
            flow,
            case_id,
            "2027-02-09T10:00",
            "no_further_action",
            {
                "family_informed": True,
                "assessment_shared_with_family": True,
                "shared_jointly_with_health": True,
                "professionals_informed": True,
            },
            by=SW,
        )
    with pytest.raises(RoleNotAllowed):
        flow.fire(
            case_id,
            "resolve_disagreement",
            {"resolution": "x", "resolved_by": "x", "disagreement_policy_followed": False},
            actor=Actor(SW, AS_NAMED),
        )
    step(
        flow,
        case_id,
        "2027-02-10T10:00",
        "resolve_disagreement",
        {
            "resolution": "Step down with HV support",
            "resolved_by": "Ade Bello and Rita Patel",
            "disagreement_policy_followed": False,
        },
        by=HTL,
    )
    case = case_state(flow, case_id)
    assert case.state == "outcome_pending"
    assert case.data["disagreement"]["resolution"] == "Step down with HV support"


def test_U5_09_a_disagreement_after_the_strategy_meeting_returns_there(make_app):
    flow = make_app(start="2027-02-01T09:00")
    case_id = _refer(flow)
    _to_outcome(flow, case_id)
    step(flow, case_id, "2027-02-05T10:00", "refer_to_strategy_meeting", {"reason": "Harm"}, by=SW)
    step(
        flow,
        case_id,
        "2027-02-08T11:00",
        "raise_disagreement",
        {"about": "CP or CIN", "social_work_view": "CP", "health_view": "CIN"},
        by=SW,
    )
    step(
        flow,
        case_id,
        "2027-02-10T10:00",
        "resolve_disagreement",
        {"resolution": "CIN", "resolved_by": "TMs", "disagreement_policy_followed": True},
        by=TM,
    )

    assert case_state(flow, case_id).state == "strategy_meeting"


def test_U5_09_a_disagreement_needs_the_health_team_leader(make_app):
    flow = make_app(start="2027-02-01T09:00")
    case_id = _refer(flow)
    health = {k: v for k, v in HEALTH.items() if k != "health_team_leader"}
    _to_outcome(flow, case_id, health=health)
    disagreement = {"about": "Which plan", "social_work_view": "NFA", "health_view": "FSP"}

    with pytest.raises(GuardFailed, match=r"add the health team leader \(U5-09\)"):
        step(flow, case_id, "2027-02-08T11:00", "raise_disagreement", disagreement, by=HV)
    step(
        flow,
        case_id,
        "2027-02-08T11:05",
        "raise_disagreement",
        {**disagreement, "health_team_leader": {"name": "Rita Patel", "email": HTL}},
        by=HV,
    )
    [email] = _sent(flow, case_id, "disagreement")
    assert email["cc"] == [HTL]


# -- U5-10 -----------------------------------------------------------------------------------


def test_U5_10_no_further_action_only_once_the_family_is_told_and_given_the_assessment(make_app):
    flow = make_app(start="2027-02-01T09:00")
    case_id = _refer(flow)
    _to_outcome(flow, case_id)
    nfa = {
        "family_informed": True,
        "assessment_shared_with_family": False,
        "shared_jointly_with_health": True,
        "professionals_informed": True,
    }

    with pytest.raises(GuardFailed, match=r"informs the family and shares the assessment"):
        step(flow, case_id, "2027-02-09T10:00", "no_further_action", nfa, by=SW)
    step(
        flow,
        case_id,
        "2027-02-09T10:05",
        "no_further_action",
        {**nfa, "assessment_shared_with_family": True},
        by=SW,
    )

    case = case_state(flow, case_id)
    assert (case.state, case.data["outcome"]) == ("no_further_action", "no_further_action")
    [email] = _sent(flow, case_id, "no_further_action")
    assert (email["to_address"], email["cc"]) == (HV, [SW])
    assert (
        "Sam Jones has informed the family and shared the assessment with them, jointly "
        "with you (U5-10)."
    ) in email["body"]
    with flow.db.connect() as conn:
        assert store.case_links(conn, case_id=case_id) == []


# -- U5-11 -----------------------------------------------------------------------------------


def test_U5_11_step_down_needs_the_familys_consent_and_the_health_visitor_leads(make_app):
    flow = make_app(start="2027-02-01T09:00")
    case_id = _refer(flow)
    _to_outcome(flow, case_id)

    with pytest.raises(GuardFailed, match=r"only with the family's consent"):
        step(flow, case_id, "2027-02-11T11:00", "step_down", {"family_consent": False}, by=SW)
    step(
        flow,
        case_id,
        "2027-02-11T11:05",
        "step_down",
        {"family_consent": True, "meeting_at": "2027-02-18T10:00"},
        by=SW,
    )

    case = case_state(flow, case_id)
    assert (case.state, case.data["plan_type"], case.data["plan_lead"]) == (
        "stepped_down",
        "family_support_plan",
        "health_visitor",
    )
    [email] = _sent(flow, case_id, "step_down")
    assert (email["to_address"], email["cc"]) == (HV, [SW, TM])
    assert (
        "The family has consented to you, Hana Green, leading the Family Support Plan"
        in (email["body"])
    )
    assert "The step-down meeting is on Thursday 18 February 2027 at 10:00." in email["body"]
    with flow.db.connect() as conn:
        assert store.case_links(conn, case_id=case_id) == []


def test_U5_11_a_child_in_need_plan_is_led_by_the_sw_and_opens_home_visits(make_app):
    flow = make_app(start="2027-02-01T09:00")
    case_id = _refer(flow)
    _to_outcome(flow, case_id)
    step(
        flow,
        case_id,
        "2027-02-08T14:00",
        "child_in_need_plan",
        {"meeting_at": "2027-02-08T10:00"},
        by=SW,
    )

    case = case_state(flow, case_id)
    assert (case.state, case.data["plan_lead"]) == ("child_in_need_plan", "social_worker")
    with flow.db.connect() as conn:
        [link] = store.case_links(conn, case_id=case_id)
    visits = case_state(flow, link["to_case_id"])
    assert visits.data["plan_type"] == "child_in_need"
    assert "iro" not in {c["role"] for c in visits.contacts}
    [opened] = outbox_rows(flow, case_id=visits.id, template="home_visits/case_opened")
    assert (opened["to_address"], opened["cc"]) == (SW, [TM])
    assert f"Opened from JUA-{case_id:06d}." in opened["body"]
    assert ("U5-11", f"linked case VIS-{visits.id:06d} opened (ongoing home visits)") in (
        _notes(flow, case_id)
    )


# -- U5-12 -----------------------------------------------------------------------------------


def test_U5_12_the_monthly_locality_meeting_reminder_goes_even_with_no_cases(make_app):
    flow = make_app(start="2027-01-20T09:00", mailing_lists={MEETING: [LOCALITY]})
    flow.advance(at("2027-03-02T00:00"))

    agendas = outbox_rows(flow, template="joint_under5_assessment/locality_meeting")
    assert [(m["to_address"], m["sent_at"]) for m in agendas] == [
        (LOCALITY, at("2027-02-01T09:00")),
        (LOCALITY, at("2027-03-01T09:00")),
    ]
    assert agendas[0]["subject"] == "Joint under-5 locality meeting, Monday 1 February 2027"
    assert agendas[0]["rule"] == "U5-12"
    assert "Joint visits being arranged:\n- none" in agendas[0]["body"]


def test_U5_12_the_locality_meeting_lists_open_assessments_and_outcomes(make_app):
    flow = make_app(start="2027-01-20T09:00", mailing_lists={MEETING: [LOCALITY]})
    held = _refer(flow, received="2027-01-25T10:00", child_name="Noah Parent")
    step(flow, held, "2027-01-25T11:00", "emergency_action", {"reason": "police"}, by=SW)
    done = _refer(flow, received="2027-01-26T10:00")
    step(flow, done, "2027-01-26T11:00", "close", {"reason": "Moved to another county"}, by=TM)
    flow.advance(at("2027-02-01T09:00"))

    [agenda] = outbox_rows(flow, template="joint_under5_assessment/locality_meeting")
    body = agenda["body"]
    held_section = body.split("Health involvement held for emergency safeguarding (U5-02):")[1]
    assert held_section.split("\n\n")[0].strip() == (
        f"- JUA-{held:06d} (safeguarding): Noah Parent; SW Sam Jones"
    )
    outcomes = body.split("Outcomes since the last meeting:")[1]
    assert f"- JUA-{done:06d} (closed): Mia Parent; SW Sam Jones" in outcomes


def test_U5_12_without_a_mailing_list_nothing_is_sent(make_app):
    flow = make_app(start="2027-01-20T09:00")
    flow.advance(at("2027-02-02T00:00"))

    assert outbox_rows(flow, template="joint_under5_assessment/locality_meeting") == []
    jobs = [e for e in history(flow) if e["kind"] == "job" and e["rule"] == "U5-12"]
    assert [j["at"] for j in jobs] == ["2027-02-01T09:00:00+00:00"]


# -- the scenarios, replayed in-process ---------------------------------------------------


def _replay(name: str, **lists: list[str]) -> dict[str, Any]:
    settings = Settings(timescales={}, agenda_times={}, mailing_lists=lists)
    return run(load(SCENARIOS / f"joint_under5_assessment-{name}.yaml"), settings=settings)


def _ours(result: dict[str, Any]) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = []
    for e in result["timeline"]:
        if e.get("case_id") is None and not (e.get("rule") or "").startswith("U5-"):
            continue  # other processes' agenda jobs
        if (e.get("rule") or "").startswith("SA-"):
            continue  # the statutory clocks: shown by the Christmas scenario's own test
        if e["kind"] == "transition":
            rows.append((e["at"], e["trigger"], e["to"]))
        elif e["kind"] in ("deadline_set", "deadline_missed"):
            rows.append((e["at"], e["kind"], e["rule"], e["due_at"]))
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
        elif e["kind"] == "note":
            rows.append((e["at"], "note", e["rule"]))
    return rows


def test_U5_01_U5_03_U5_06_U5_07_U5_08_U5_11_scenario_health_visitor_leads_replays():
    result = _replay("health-visitor-leads")

    assert result["final_state"] == "stepped_down"
    assert _ours(result) == [
        ("2027-02-01T10:00:00+00:00", "create", "referral_received"),
        (
            "2027-02-01T10:00:00+00:00",
            "U5-03",
            "referral_received",
            SW,
            [TM],
            "2027-02-01T10:00:00+00:00",
            "sent",
        ),
        ("2027-02-01T15:00:00+00:00", "contact_health", "arranging_visit"),
        (
            "2027-02-01T15:00:00+00:00",
            "U5-03",
            "health_contacted",
            HV,
            [SW],
            "2027-02-01T15:00:00+00:00",
            "sent",
        ),
        ("2027-02-03T09:30:00+00:00", "plan_visit", "visit_planned"),
        ("2027-02-03T09:30:00+00:00", "note", "U5-06"),
        (
            "2027-02-03T09:30:00+00:00",
            "U5-06",
            "visit_planned",
            HV,
            [SW],
            "2027-02-03T09:30:00+00:00",
            "sent",
        ),
        ("2027-02-04T13:00:00+00:00", "record_joint_visit", "debrief_due"),
        ("2027-02-04T15:00:00+00:00", "record_debrief", "outcome_pending"),
        (
            "2027-02-04T15:00:00+00:00",
            "U5-08",
            "debrief_actions",
            SW,
            [HV, TM, HTL],
            "2027-02-04T15:00:00+00:00",
            "sent",
        ),
        ("2027-02-11T11:00:00+00:00", "step_down", "stepped_down"),
        (
            "2027-02-11T11:00:00+00:00",
            "U5-11",
            "step_down",
            HV,
            [SW, TM],
            "2027-02-11T11:00:00+00:00",
            "sent",
        ),
    ]
    note = next(e for e in result["timeline"] if e["kind"] == "note")
    assert note["reason"] == (
        "Lead practitioner for the joint visit: Hana Green (health "
        "visitor): the health visitor knows the family."
    )


def test_U5_02_U5_09_U5_11_scenario_emergency_pre_birth_replays_with_the_linked_case():
    result = _replay("emergency-pre-birth")

    assert result["final_state"] == "child_protection_plan"
    assert _ours(result) == [
        ("2027-03-01T09:15:00+00:00", "create", "referral_received"),
        (
            "2027-03-01T09:15:00+00:00",
            "U5-03",
            "referral_received",
            SW,
            [TM],
            "2027-03-01T09:15:00+00:00",
            "sent",
        ),
        ("2027-03-01T11:00:00+00:00", "emergency_action", "safeguarding"),
        ("2027-03-01T11:00:00+00:00", "note", "U5-02"),
        ("2027-03-03T16:00:00+00:00", "safeguarding_concluded", "referral_received"),
        ("2027-03-03T16:00:00+00:00", "note", "U5-02"),
        ("2027-03-04T10:00:00+00:00", "contact_health", "arranging_visit"),
        (
            "2027-03-04T10:00:00+00:00",
            "U5-03",
            "health_contacted",
            MW,
            [SW],
            "2027-03-04T10:00:00+00:00",
            "sent",
        ),
        ("2027-03-05T09:00:00+00:00", "plan_visit", "visit_planned"),
        ("2027-03-05T09:00:00+00:00", "note", "U5-06"),
        (
            "2027-03-05T09:00:00+00:00",
            "U5-06",
            "visit_planned",
            MW,
            [SW],
            "2027-03-05T09:00:00+00:00",
            "sent",
        ),
        ("2027-03-08T14:00:00+00:00", "record_joint_visit", "debrief_due"),
        ("2027-03-08T16:30:00+00:00", "record_debrief", "outcome_pending"),
        (
            "2027-03-08T16:30:00+00:00",
            "U5-08",
            "debrief_actions",
            SW,
            [MW, TM],
            "2027-03-08T16:30:00+00:00",
            "sent",
        ),
        ("2027-03-09T10:00:00+00:00", "refer_to_strategy_meeting", "strategy_meeting"),
        (
            "2027-03-09T10:00:00+00:00",
            "U5-09",
            "strategy_meeting",
            TM,
            [SW, MW],
            "2027-03-09T10:00:00+00:00",
            "sent",
        ),
        ("2027-03-22T15:00:00+00:00", "child_protection_plan", "child_protection_plan"),
        (
            "2027-03-22T15:00:00+00:00",
            "U5-11",
            "plan_outcome",
            MW,
            [SW, TM],
            "2027-03-22T15:00:00+00:00",
            "sent",
        ),
        ("2027-03-22T15:00:00+00:00", "create", "awaiting_initial_visit"),
        (
            "2027-03-22T15:00:00+00:00",
            "VIS-01",
            "case_opened",
            SW,
            [TM],
            "2027-03-22T15:00:00+00:00",
            "sent",
        ),
        ("2027-03-22T15:00:00+00:00", "deadline_set", "VIS-01", "2027-03-29T23:59:59+01:00"),
        ("2027-03-22T15:00:00+00:00", "deadline_set", "VIS-04", "2027-06-22T23:59:59+01:00"),
        ("2027-03-22T15:00:00+00:00", "note", "U5-11"),
        (
            "2027-03-27T09:00:00+00:00",
            "VIS-01",
            "visit_reminder",
            SW,
            None,
            "2027-03-27T09:00:00+00:00",
            "sent",
        ),
        ("2027-03-29T23:59:59+01:00", "deadline_missed", "VIS-01", "2027-03-29T23:59:59+01:00"),
        (
            "2027-03-29T23:59:59+01:00",
            "VIS-01",
            "initial_visit_overdue",
            TM,
            [IRO],
            "2027-03-30T08:00:00+01:00",
            "sent",
        ),
    ]


def test_U5_06_U5_09_U5_10_scenario_disagreement_replays_to_the_minute():
    result = _replay("disagreement")

    assert result["final_state"] == "no_further_action"
    messages = [r for r in _ours(result) if len(r) == 7]
    assert messages == [
        (
            "2027-04-06T09:00:00+01:00",
            "U5-03",
            "referral_received",
            SW,
            [TM],
            "2027-04-06T09:00:00+01:00",
            "sent",
        ),
        (
            "2027-04-06T14:00:00+01:00",
            "U5-03",
            "health_contacted",
            HV,
            [SW],
            "2027-04-06T14:00:00+01:00",
            "sent",
        ),
        (
            "2027-04-07T16:00:00+01:00",
            "U5-06",
            "visit_planned",
            HV,
            [SW],
            "2027-04-07T16:00:00+01:00",
            "sent",
        ),
        (
            "2027-04-09T15:00:00+01:00",
            "U5-08",
            "debrief_actions",
            SW,
            [HV, TM, HTL],
            "2027-04-09T15:00:00+01:00",
            "sent",
        ),
        (
            "2027-04-12T11:00:00+01:00",
            "U5-09",
            "disagreement",
            TM,
            [HTL],
            "2027-04-12T11:00:00+01:00",
            "sent",
        ),
        (
            "2027-04-16T12:00:00+01:00",
            "U5-10",
            "no_further_action",
            HV,
            [SW],
            "2027-04-16T12:00:00+01:00",
            "sent",
        ),
    ]
    moves = [r for r in _ours(result) if len(r) == 3 and r[1] != "note"]
    assert [(r[1], r[2]) for r in moves][-3:] == [
        ("raise_disagreement", "disagreement"),
        ("resolve_disagreement", "outcome_pending"),
        ("no_further_action", "no_further_action"),
    ]


def test_U5_12_U5_11_scenario_locality_meeting_replays_to_the_minute():
    result = _replay("locality-meeting", **{MEETING: [LOCALITY]})

    assert result["final_state"] == "child_in_need_plan"
    rows = _ours(result)
    agendas = [r for r in rows if len(r) == 7 and r[2] == "locality_meeting"]
    assert agendas == [
        (
            "2027-02-01T09:00:00+00:00",
            "U5-12",
            "locality_meeting",
            LOCALITY,
            None,
            "2027-02-01T09:00:00+00:00",
            "sent",
        ),
        (
            "2027-03-01T09:00:00+00:00",
            "U5-12",
            "locality_meeting",
            LOCALITY,
            None,
            "2027-03-01T09:00:00+00:00",
            "sent",
        ),
    ]
    february, march = (
        e["body"]
        for e in result["timeline"]
        if e.get("template") == "joint_under5_assessment/locality_meeting"
    )
    assert (
        "Referrals received since the last meeting:\n- JUA-000001 (outcome pending): Ava "
        "Parent; SW Sam Jones; health visitor Hana Green; lead Hana Green"
    ) in february
    assert "Debriefs and outcomes to agree:\n- JUA-000001 (outcome pending)" in february
    assert "Outcomes since the last meeting:\n- JUA-000001 (child in need plan)" in march
    assert (
        "2027-02-08T14:00:00+00:00",
        "deadline_set",
        "VIS-01",
        "2027-02-15T23:59:59+00:00",
    ) in rows
