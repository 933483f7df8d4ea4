"""Joint under-5 assessment (seed 001, procedure 3.12): rules U5-01 to U5-12.

A MASH referral for a child under 5, or an unborn baby, is assessed jointly by the
assessment team social worker and the health visitor (the midwife for a pre-birth
assessment). The SW contacts the family and the health team (U5-03), they plan the visit
and the lead practitioner is decided by rule (U5-06), visit together (U5-07), debrief and
agree who does what (U5-08), and decide the outcome (U5-09 to U5-11). A child in need or
child protection plan opens a linked `home_visits` case for the visits that follow.

Decisions where the seed is vague (say so to the council, all easy to change):

- Who is referred (U5-01): the case's data from MASH holds `child_name` and either
  `date_of_birth` (the child must be under 5 on the day of the referral) or, for an unborn
  baby, `expected_due_date`. Joint work (and the emergency path) is refused for a child
  of 5 or over, or when neither date is known; `update_child_details` corrects the
  record (or records the birth). The health professional is the midwife while the baby is
  unborn and the health visitor otherwise; it is fixed when health is first contacted.
- Emergency (U5-02): `emergency_action` (police or joint investigation) moves the case to
  `safeguarding`, where contacting health is refused with the reason until
  `safeguarding_concluded`. The locality meeting lists these cases.
- Health professional (U5-04): the contact records whether they are known to the family or
  the duty health visitor (duty midwife); the service does not choose people.
- Lead practitioner (U5-06): `lead_practitioner()` below: whoever knows the family; if
  neither does, the social worker; if both do (the seed is silent), the one they agree at
  the pre-meet, else the social worker, who holds statutory responsibility. It is decided
  when the visit is planned, whether or not a pre-meet could be held (the reason is kept),
  and written to the case data and a case note.
- The joint visit (U5-07) records the explanation, consent, genogram and a dated Signs of
  Safety entry (`workflows/signs_of_safety.py`); immediate safety concerns email the team
  manager at once, so advice can be given while the practitioners are still there.
- The debrief (U5-08) needs at least one agreed action naming who does it; where there is
  neglect it must say who completes the Graded Care Profile. The agreed actions are
  emailed to both practitioners and their team leader/manager (reporting the analysis).
- Outcomes (U5-09 to U5-11): strategy meeting (then a CP plan, a CIN plan, step-down or
  NFA), a CIN plan, step-down to a Family Support Plan (refused without the family's
  consent, as the health professional leads it only with consent), or NFA (refused until
  the family has been told and given the assessment). CIN and CP plans are led by the SW
  and open a linked `home_visits` case carrying the SW, the team manager (as `manager`),
  the IRO, the health visitor and the parent, and the child and plan type.
- Professional disagreement (U5-09) may be raised on the outcome; it goes to the SW's team
  manager, copied to the health team leader, and the case waits until it is resolved.
- Statutory clocks (seed 004, SA-03 and SA-05): a joint under-5 assessment *is* the
  statutory assessment under the Children Act 1989, so this case keeps the same clocks,
  with the same keys, rule IDs, lengths and reminders as `statutory_assessment` (a
  FAMILYFLOW_TIMESCALES override of `SA-03` changes both): the assessment concluded
  (an outcome recorded) within 45 working days of the referral, breach to the TM copying
  the SW; the SW reminded at working day 40 if the debrief (U5-08) has not reported the
  analysis; and a network meeting (`hold_network_meeting`) once the assessment runs beyond
  working day 15, breach to the SW copying the TM; a referral to a strategy meeting ends
  that clock, since the assessment is concluded. The clocks run on this case rather than on
  a linked statutory assessment case, so the workers record each step once and see every
  deadline on the case they work (see the README).
- Case references are JUA-000123 ("joint under-5 assessment"): U5-... would read like a
  rule ID.
- Locality meeting (U5-12): a monthly agenda on the first Monday at 09:00 to the addresses
  configured for `joint_under5_locality_meeting` in FAMILYFLOW_MAILING_LISTS; it is sent
  even when there are no cases, so it also serves as the meeting reminder.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, Field, WithJsonSchema

from workflows import signs_of_safety
from workflows import statutory_assessment as sa
from workflows.contacts import Contact
from workflows.signs_of_safety import SignsOfSafety
from workflows.spec import (
    ANY_STATE,
    CREATED,
    Agenda,
    AgendaSection,
    CaseView,
    Effect,
    Instant,
    Link,
    Message,
    Note,
    Outcome,
    Process,
    Timescale,
    TriggerData,
    transition,
)

SW, TM, HV, MIDWIFE = "social_worker", "team_manager", "health_visitor", "midwife"
HEALTH_TL, PARENT, POLICE, IRO = "health_team_leader", "parent", "police", "iro"
HEALTH_ROLES = (HV, MIDWIFE)
PRACTITIONERS = (SW, HV, MIDWIFE)
LONDON = ZoneInfo("Europe/London")
UNDER = 5  # years (U5-01)

OPEN_STATES = (
    "referral_received",
    "safeguarding",
    "arranging_visit",
    "visit_planned",
    "debrief_due",
    "outcome_pending",
    "strategy_meeting",
    "disagreement",
)
FINAL_STATES = (
    "child_protection_plan",
    "child_in_need_plan",
    "stepped_down",
    "no_further_action",
    "closed",
)
LOCALITY_MEETING = "joint_under5_locality_meeting"


def _iso_date(value: str) -> str:
    return date.fromisoformat(value).isoformat()


# A YYYY-MM-DD date: forms show the date input for it (format "date").
IsoDate = Annotated[
    str, AfterValidator(_iso_date), WithJsonSchema({"type": "string", "format": "date"})
]


class ChildDetails(TriggerData):
    child_name: str | None = Field(None, min_length=1)
    date_of_birth: IsoDate | None = Field(None, description="YYYY-MM-DD; records a birth too")
    expected_due_date: IsoDate | None = Field(None, description="YYYY-MM-DD, pre-birth")


class EmergencyAction(TriggerData):
    reason: str = Field(min_length=1, description="e.g. joint investigation with police")
    police: Contact | None = None


class SafeguardingConcluded(TriggerData):
    summary: str = Field(min_length=1, description="what the immediate safeguarding work found")


class ContactHealth(TriggerData):
    health_visitor: Contact | None = None
    midwife: Contact | None = None
    health_team_leader: Contact | None = None
    basis: Literal["known_to_family", "duty"] = Field(
        title="Why this health professional",
        description="U5-04: the professional known to the family, or the duty health visitor "
        "or midwife",
        json_schema_extra={
            "labels": {
                "known_to_family": "Known to the family",
                "duty": "Duty health visitor or midwife",
            }
        },
    )
    overview: str = Field(min_length=1, description="overview of the concerns (U5-03)")
    family_told: bool = Field(description="the family know a joint visit will be arranged")
    records_reviewed: bool = Field(description="CareFirst and the chronology reviewed")


class PlanVisit(TriggerData):
    visit_at: Instant
    family_confirmed: bool = Field(
        description="the social worker confirmed the time with the family"
    )
    pre_meet_held: bool = Field(title="Pre-meeting held")
    pre_meet_not_held_reason: str | None = Field(None, title="Why the pre-meeting was not held")
    sw_knows_family: bool
    health_knows_family: bool
    agreed_lead: Literal["social_worker", "health_visitor", "midwife"] | None = Field(
        None, description="only when both practitioners know the family"
    )
    vulnerable_child_alert_set: bool = Field(
        description="U5-05: vulnerable child / at risk and a high priority alert in SystemOne"
    )


class JointVisit(TriggerData):
    purpose_explained: bool
    consent_obtained: bool
    genogram_completed: bool
    signs_of_safety: SignsOfSafety
    immediate_safety_concerns: bool = False
    immediate_action: str | None = Field(None, description="advice sought, services called")
    follow_ups: str | None = Field(
        None, title="Follow-ups", description="further visits, older children alone"
    )


class AgreedAction(TriggerData):
    action: str = Field(min_length=1)
    who: Literal["social_worker", "health_visitor", "midwife", "both"]
    by: IsoDate | None = None


class Debrief(TriggerData):
    analysis: str = Field(min_length=1, description="initial analysis of the family's situation")
    actions: list[AgreedAction] = Field(min_length=1)
    information_sharing: str = Field(min_length=1, description="how further information is shared")
    neglect_concerns: bool
    graded_care_profile_by: Literal["social_worker", "health_visitor", "midwife"] | None = None


class StrategyMeeting(TriggerData):
    reason: str = Field(min_length=1)


class ChildProtectionPlan(TriggerData):
    conference_at: Instant
    iro: Contact


class ChildInNeedPlan(TriggerData):
    meeting_at: Instant
    iro: Contact | None = None


class StepDown(TriggerData):
    family_consent: bool = Field(description="the family agree to the health professional leading")
    meeting_at: Instant | None = None


class NoFurtherAction(TriggerData):
    family_informed: bool
    assessment_shared_with_family: bool
    shared_jointly_with_health: bool
    professionals_informed: bool


class RaiseDisagreement(TriggerData):
    about: str = Field(min_length=1, description="e.g. the type of plan the child needs")
    social_work_view: str = Field(min_length=1)
    health_view: str = Field(min_length=1)
    health_team_leader: Contact | None = None


class ResolveDisagreement(TriggerData):
    resolution: str = Field(min_length=1)
    resolved_by: str = Field(min_length=1, description="the team leaders/managers who met")
    disagreement_policy_followed: bool = Field(
        description="NSCB policy for Resolving Professional Disagreements followed"
    )


class Close(TriggerData):
    reason: str = Field(min_length=1)


# -- pure rules ----------------------------------------------------------------------


def lead_practitioner(
    *,
    sw_knows_family: bool,
    health_knows_family: bool,
    health_role: str,
    agreed_lead: str | None = None,
) -> tuple[str, str]:
    """U5-06: the lead for the visit is whoever knows the family; if neither does, the SW.

    Returns the lead's role and the reason, in words for the case note.
    """
    health = health_role.replace("_", " ")
    if health_knows_family and not sw_knows_family:
        return health_role, f"the {health} knows the family"
    if sw_knows_family and not health_knows_family:
        return SW, "the social worker knows the family"
    if sw_knows_family and health_knows_family:
        if agreed_lead in (SW, health_role):
            return agreed_lead, "both practitioners know the family; agreed at the pre-meet"
        return SW, "both practitioners know the family and no other lead was agreed"
    return SW, "neither practitioner knows the family, so the social worker leads"


def is_pre_birth(case: CaseView) -> bool:
    return not case.data.get("date_of_birth") and bool(case.data.get("expected_due_date"))


def health_role(case: CaseView) -> str:
    """The health professional for this assessment: fixed once health is contacted."""
    fixed = case.data.get("health_role")
    if isinstance(fixed, str):
        return fixed
    return MIDWIFE if is_pre_birth(case) else HV


def _age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def child_in_scope(case: CaseView, data: Mapping[str, Any]) -> str | None:
    """U5-01: a child under 5 on the day of the referral, or an unborn baby."""
    if is_pre_birth(case):
        return None
    born = case.data.get("date_of_birth")
    if not born:
        return (
            "enter the child's date of birth, or the expected due date for a pre-birth "
            "assessment, in the child's details (U5-01)"
        )
    referred = case.received_at.astimezone(LONDON).date()
    age = _age_on(date.fromisoformat(born), referred)
    if age >= UNDER:
        return (
            f"the child was {age} when referred on {referred.day} "
            f"{referred.strftime('%B %Y')}: this joint "
            f"procedure is for children under 5 (U5-01)"
        )
    return None


def health_held(case: CaseView, data: Mapping[str, Any]) -> str | None:
    """U5-02: always refuses; explains why health may not be contacted yet."""
    return (
        "health is not involved until the immediate safeguarding work is concluded: "
        "record that the safeguarding work has concluded first (U5-02)"
    )


def right_health_professional(case: CaseView, data: Mapping[str, Any]) -> str | None:
    """U5-01/U5-04: a midwife for a pre-birth assessment, a health visitor otherwise."""
    role = MIDWIFE if is_pre_birth(case) else HV
    if data.get(role) is None and role not in case.contacts:
        kind = "a pre-birth assessment" if role == MIDWIFE else "a child under 5"
        who = role.replace("_", " ")
        return f"{kind} is assessed with the {who}: add the {who} (U5-01)"
    return None


def pre_meet_reason(case: CaseView, data: Mapping[str, Any]) -> str | None:
    if not data["pre_meet_held"] and not data.get("pre_meet_not_held_reason"):
        return "say why a pre-meet could not be held (U5-06)"
    return None


def immediate_action_given(case: CaseView, data: Mapping[str, Any]) -> str | None:
    if data["immediate_safety_concerns"] and not data.get("immediate_action"):
        return "record the immediate action taken for the safety concerns (U5-07)"
    return None


def graded_care_profile_agreed(case: CaseView, data: Mapping[str, Any]) -> str | None:
    if data["neglect_concerns"] and not data.get("graded_care_profile_by"):
        return "there are neglect concerns: agree who will complete the Graded Care Profile (U5-08)"
    return None


def actions_name_the_practitioners(case: CaseView, data: Mapping[str, Any]) -> str | None:
    role = health_role(case)
    wrong = [a["who"] for a in data["actions"] if a["who"] not in (SW, role, "both")]
    wrong += (
        [data["graded_care_profile_by"]]
        if data.get("graded_care_profile_by") not in (None, SW, role)
        else []
    )
    if wrong:
        return (
            f"actions are for the social worker or the {role.replace('_', ' ')} on this "
            f"assessment, not {', '.join(sorted(set(wrong)))} (U5-08)"
        )
    return None


def family_consents(case: CaseView, data: Mapping[str, Any]) -> str | None:
    if not data["family_consent"]:
        return (
            "the health professional leads a Family Support Plan only with the family's "
            "consent: without it, choose another outcome (U5-11)"
        )
    return None


def family_told_nfa(case: CaseView, data: Mapping[str, Any]) -> str | None:
    if not (data["family_informed"] and data["assessment_shared_with_family"]):
        return (
            "before closing with no further action the social worker informs the family and shares "
            "the assessment with them (U5-10)"
        )
    return None


def health_team_leader_known(case: CaseView, data: Mapping[str, Any]) -> str | None:
    if data.get(HEALTH_TL) is None and HEALTH_TL not in case.contacts:
        return (
            "a professional disagreement goes to the team leaders or managers on both sides: "
            "add the health team leader (U5-09)"
        )
    return None


def _came_from(state: str) -> Any:
    def check(case: CaseView, data: Mapping[str, Any]) -> str | None:
        return None if case.data.get("disagreement_from") == state else f"not from {state}"

    return check


# -- effects --------------------------------------------------------------------------


def _kept(data: Mapping[str, Any], *drop: str) -> dict[str, Any]:
    """The trigger's data less contacts (they become the case's contacts) and blanks."""
    roles = {SW, TM, HV, MIDWIFE, HEALTH_TL, PARENT, POLICE, IRO, *drop}
    return {k: v for k, v in data.items() if v is not None and k not in roles}


def update_child_details(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    changed = _kept(data)
    effects: tuple[Effect, ...] = ()
    if changed.get("date_of_birth") and is_pre_birth(case):
        effects = (Note(text=f"Birth recorded: born {changed['date_of_birth']}.", rule="U5-01"),)
    return Outcome(data=changed, effects=effects)


def emergency_action(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    return Outcome(
        data={"emergency_reason": data["reason"], "health_held_since": at.isoformat()},
        effects=(
            Note(
                text=f"Emergency action ({data['reason']}): health involvement is held "
                "until the immediate safeguarding work is concluded.",
                rule="U5-02",
            ),
        ),
    )


def safeguarding_concluded(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    return Outcome(
        data={"safeguarding_summary": data["summary"], "safeguarding_concluded_at": at.isoformat()},
        effects=(
            Note(
                text="Immediate safeguarding work concluded: the joint assessment with "
                "health can now go ahead.",
                rule="U5-02",
            ),
        ),
    )


def contact_health(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    role = MIDWIFE if is_pre_birth(case) else HV
    return Outcome(
        data={**_kept(data), "health_role": role, "health_contacted_at": at.isoformat()},
        effects=(
            Message(
                template="joint_under5_assessment/health_contacted", to=role, cc=(SW,), rule="U5-03"
            ),
        ),
    )


def plan_visit(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    role = health_role(case)
    lead, why = lead_practitioner(
        sw_knows_family=data["sw_knows_family"],
        health_knows_family=data["health_knows_family"],
        health_role=role,
        agreed_lead=data.get("agreed_lead"),
    )
    lead_name = case.contacts.get(lead, {}).get("name") or lead.replace("_", " ")
    title = lead.replace("_", " ")
    return Outcome(
        data={
            **_kept(data),
            "lead_practitioner": lead,
            "lead_practitioner_name": lead_name,
            "lead_reason": why,
        },
        context={"lead_title": title, "lead_reason": why},
        effects=(
            Note(
                text=f"Lead practitioner for the joint visit: {lead_name} ({title}): {why}.",
                rule="U5-06",
            ),
            Message(
                template="joint_under5_assessment/visit_planned", to=role, cc=(SW,), rule="U5-06"
            ),
        ),
    )


def record_joint_visit(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    sos = signs_of_safety.record(case, data["signs_of_safety"], at)
    visit = _kept(data, "signs_of_safety")
    effects: tuple[Effect, ...] = ()
    if data["immediate_safety_concerns"]:
        effects = (
            Message(
                template="joint_under5_assessment/immediate_safety", to=TM, cc=(SW,), rule="U5-07"
            ),
        )
    return Outcome(
        data={**sos.data, "joint_visit": {**visit, "at": at.isoformat()}}, effects=effects
    )


def record_debrief(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    return Outcome(
        data={"debrief": {**_kept(data), "at": at.isoformat()}},
        effects=(
            Message(
                template="joint_under5_assessment/debrief_actions",
                to=SW,
                cc=(health_role(case), TM, HEALTH_TL),
                rule="U5-08",
            ),
        ),
    )


def strategy_meeting(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    return Outcome(
        data={"strategy_meeting_reason": data["reason"]},
        effects=(
            Message(
                template="joint_under5_assessment/strategy_meeting",
                to=TM,
                cc=(SW, health_role(case)),
                rule="U5-09",
            ),
        ),
    )


TO_HOME_VISITS = Link(
    process="home_visits",
    kind="ongoing home visits",
    rule="U5-11",
    contacts={SW: SW, TM: "manager", IRO: IRO, HV: HV, PARENT: PARENT},
    data=("child_name", "date_of_birth", "expected_due_date", "plan_type"),
)


def _plan(plan_type: str, meeting: str) -> Any:
    def effect(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
        """U5-11: the SW leads a CIN or CP plan; the visits go on in a linked case."""
        lead = case.contacts.get(SW, {}).get("name") or "the social worker"
        return Outcome(
            data={
                **_kept(data),
                "outcome": plan_type,
                "plan_type": plan_type,
                "plan_lead": SW,
                "plan_lead_name": lead,
            },
            context={"meeting": meeting},
            effects=(
                Message(
                    template="joint_under5_assessment/plan_outcome",
                    to=health_role(case),
                    cc=(SW, TM),
                    rule="U5-11",
                ),
                TO_HOME_VISITS,
            ),
        )

    return effect


def step_down(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    role = health_role(case)
    lead = case.contacts.get(role, {}).get("name") or role.replace("_", " ")
    return Outcome(
        data={
            **_kept(data),
            "outcome": "step_down",
            "plan_type": "family_support_plan",
            "plan_lead": role,
            "plan_lead_name": lead,
        },
        effects=(
            Message(
                template="joint_under5_assessment/step_down", to=role, cc=(SW, TM), rule="U5-11"
            ),
        ),
    )


def no_further_action(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    return Outcome(
        data={**_kept(data), "outcome": "no_further_action"},
        effects=(
            Message(
                template="joint_under5_assessment/no_further_action",
                to=health_role(case),
                cc=(SW,),
                rule="U5-10",
            ),
        ),
    )


def raise_disagreement(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    return Outcome(
        data={
            "disagreement": {**_kept(data), "raised_at": at.isoformat()},
            "disagreement_from": case.state,
        },
        effects=(
            Message(
                template="joint_under5_assessment/disagreement",
                to=TM,
                cc=(HEALTH_TL,),
                rule="U5-09",
            ),
        ),
    )


def resolve_disagreement(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    earlier = dict(case.data.get("disagreement") or {})
    return Outcome(
        data={
            "disagreement": {**earlier, **_kept(data), "resolved_at": at.isoformat()},
            "disagreement_from": None,
        }
    )


def close(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    return Outcome(data={"outcome": "closed", "closure_reason": data["reason"]})


DECIDING = ("outcome_pending", "strategy_meeting")
# The outcomes that conclude the assessment (U5-09 to U5-11), meeting SA-03.
CONCLUDED = ("refer_to_strategy_meeting", "child_in_need_plan", "step_down", "no_further_action")


class NetworkMeeting(TriggerData):
    attendees: list[str] = Field(min_length=1, description="family members and partners")
    plan: str = Field(min_length=1, description="how the plan was developed")


def network_meeting(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    meetings = [
        *case.data.get("network_meetings", []),
        {"attendees": list(data["attendees"]), "plan": data["plan"], "at": at.isoformat()},
    ]
    return Outcome(
        data={"network_meetings": meetings},
        effects=(
            Note(
                text=f"Network meeting with {', '.join(data['attendees'])}: {data['plan']}",
                rule="SA-05",
            ),
        ),
    )


def _assessing(case: CaseView) -> bool:
    """SA-05 runs until a strategy meeting is asked for (the assessment is concluded)."""
    return case.state != "strategy_meeting"


def _sa_length(key: str) -> Any:
    """The statutory assessment's own length for this clock, so the two cannot drift."""
    return sa.PROCESS.timescale(key).within


STATUTORY_CLOCKS = (
    Timescale(
        key=sa.DUE,
        rule="SA-03",
        description="statutory assessment concluded within 45 working days of the referral",
        starts_on=(CREATED,),
        met_by=CONCLUDED,
        within=_sa_length(sa.DUE),
        on_due=(
            Message(
                template="joint_under5_assessment/assessment_overdue", to=TM, cc=(SW,), rule="SA-03"
            ),
        ),
    ),
    Timescale(
        key=sa.SUBMIT_DUE,
        rule="SA-03",
        description="analysis reported at the debrief by working day 40, leaving 5 working "
        "days to agree the outcome",
        starts_on=(CREATED,),
        met_by=("record_debrief", *CONCLUDED),
        within=_sa_length(sa.SUBMIT_DUE),
        on_due=(Message(template="joint_under5_assessment/debrief_expected", to=SW, rule="SA-03"),),
    ),
    Timescale(
        key=sa.NETWORK_DUE,
        rule="SA-05",
        description="network meeting once the assessment runs beyond working day 15",
        starts_on=(CREATED, "refer_to_strategy_meeting"),
        met_by=("hold_network_meeting",),
        within=_sa_length(sa.NETWORK_DUE),
        applies=_assessing,
        on_due=(
            Message(
                template="joint_under5_assessment/network_meeting_due",
                to=SW,
                cc=(TM,),
                rule="SA-05",
            ),
        ),
    ),
)
WORKERS = (SW, TM)
JOINT = (SW, TM, HV, MIDWIFE)

PROCESS = Process(
    name="joint_under5_assessment",
    code="JUA",
    title="Joint under-5 assessment",
    source="seed 001, 3.12 Joint visits and assessments by social workers, health visitors "
    "and midwives for children under 5",
    initial="referral_received",
    states=(*OPEN_STATES, *FINAL_STATES),
    final_states=frozenset(FINAL_STATES),
    contact_roles=(SW, TM, HV, MIDWIFE, HEALTH_TL, PARENT, POLICE, IRO),
    on_create=(
        Message(
            template="joint_under5_assessment/referral_received", to=SW, cc=(TM,), rule="U5-03"
        ),
    ),
    transitions=(
        transition(
            "update_child_details",
            ANY_STATE,
            None,
            JOINT,
            "U5-01",
            "Correct the child's details from MASH, or record the birth",
            data_model=ChildDetails,
            effect=update_child_details,
        ),
        transition(
            "emergency_action",
            "referral_received",
            "safeguarding",
            WORKERS,
            "U5-02",
            "Emergency action (police or joint investigation): health is held",
            data_model=EmergencyAction,
            guards=(child_in_scope,),
            effect=emergency_action,
        ),
        transition(
            "contact_health",
            "safeguarding",
            None,
            WORKERS,
            "U5-02",
            "Refused: health is not involved until safeguarding is concluded",
            data_model=ContactHealth,  # the same form as below, so the guard explains
            guards=(health_held,),
        ),
        transition(
            "safeguarding_concluded",
            "safeguarding",
            "referral_received",
            WORKERS,
            "U5-02",
            "Immediate safeguarding work concluded: joint work may begin",
            data_model=SafeguardingConcluded,
            effect=safeguarding_concluded,
        ),
        transition(
            "contact_health",
            "referral_received",
            "arranging_visit",
            WORKERS,
            "U5-03",
            "Family told; the HV (midwife pre-birth) team given an overview of the concerns",
            data_model=ContactHealth,
            guards=(child_in_scope, right_health_professional),
            effect=contact_health,
        ),
        transition(
            "plan_visit",
            ("arranging_visit", "visit_planned"),
            "visit_planned",
            JOINT,
            "U5-06",
            "Pre-meet and visit time; the lead practitioner decided by rule",
            data_model=PlanVisit,
            guards=(pre_meet_reason,),
            effect=plan_visit,
        ),
        transition(
            "record_joint_visit",
            "visit_planned",
            "debrief_due",
            JOINT,
            "U5-07",
            "Joint visit: explained, consent, genogram, Signs of Safety",
            data_model=JointVisit,
            guards=(immediate_action_given,),
            effect=record_joint_visit,
        ),
        transition(
            "record_signs_of_safety",
            ANY_STATE,
            None,
            JOINT,
            "U5-07",
            "A further Signs of Safety entry (later visits)",
            data_model=SignsOfSafety,
            effect=signs_of_safety.record,
        ),
        transition(
            "record_debrief",
            "debrief_due",
            "outcome_pending",
            JOINT,
            "U5-08",
            "Debrief: analysis, who does what, Graded Care Profile where neglect",
            data_model=Debrief,
            guards=(graded_care_profile_agreed, actions_name_the_practitioners),
            effect=record_debrief,
        ),
        transition(
            "refer_to_strategy_meeting",
            "outcome_pending",
            "strategy_meeting",
            WORKERS,
            "U5-09",
            "A strategy meeting to consider a child protection conference",
            data_model=StrategyMeeting,
            effect=strategy_meeting,
        ),
        transition(
            "child_protection_plan",
            "strategy_meeting",
            "child_protection_plan",
            WORKERS,
            "U5-11",
            "Child protection plan, led by the social worker: home visits case opened",
            data_model=ChildProtectionPlan,
            effect=_plan("child_protection", "the initial child protection conference"),
        ),
        transition(
            "child_in_need_plan",
            DECIDING,
            "child_in_need_plan",
            WORKERS,
            "U5-11",
            "Child in Need meeting and plan, led by the social worker: home visits case opened",
            data_model=ChildInNeedPlan,
            effect=_plan("child_in_need", "the Child in Need meeting"),
        ),
        transition(
            "step_down",
            DECIDING,
            "stepped_down",
            WORKERS,
            "U5-11",
            "Step-down to a Family Support Plan led by the health professional, with consent",
            data_model=StepDown,
            guards=(family_consents,),
            effect=step_down,
        ),
        transition(
            "no_further_action",
            DECIDING,
            "no_further_action",
            WORKERS,
            "U5-10",
            "No further action: the family told and given the assessment",
            data_model=NoFurtherAction,
            guards=(family_told_nfa,),
            effect=no_further_action,
        ),
        transition(
            "raise_disagreement",
            DECIDING,
            "disagreement",
            (*JOINT, HEALTH_TL),
            "U5-09",
            "Professional disagreement about the plan: to the team leaders/managers",
            data_model=RaiseDisagreement,
            guards=(health_team_leader_known,),
            effect=raise_disagreement,
        ),
        transition(
            "resolve_disagreement",
            "disagreement",
            "outcome_pending",
            (TM, HEALTH_TL),
            "U5-09",
            "Disagreement resolved by the team leaders/managers",
            data_model=ResolveDisagreement,
            guards=(_came_from("outcome_pending"),),
            effect=resolve_disagreement,
        ),
        transition(
            "resolve_disagreement",
            "disagreement",
            "strategy_meeting",
            (TM, HEALTH_TL),
            "U5-09",
            "Disagreement resolved by the team leaders/managers",
            data_model=ResolveDisagreement,
            guards=(_came_from("strategy_meeting"),),
            effect=resolve_disagreement,
        ),
        transition(
            "hold_network_meeting",
            OPEN_STATES,
            None,
            JOINT,
            "SA-05",
            "Network meeting with the family and partners (assessment beyond day 15)",
            data_model=NetworkMeeting,
            effect=network_meeting,
        ),
        transition(
            "close",
            ANY_STATE,
            "closed",
            (TM,),
            "U5-10",
            "Closed for another reason (moved away, transferred)",
            data_model=Close,
            effect=close,
        ),
    ),
    timescales=STATUTORY_CLOCKS,
    agendas=(
        Agenda(
            key=LOCALITY_MEETING,
            rules=("U5-12",),
            template="joint_under5_assessment/locality_meeting",
            to="team_leader",
            day_of_week="mon",
            day="1st mon",
            time="09:00",
            mailing_list=True,
            send_when_empty=True,
            sections=(
                AgendaSection(
                    key="new",
                    title="Referrals received since the last meeting",
                    created_since_last_run=True,
                ),
                AgendaSection(
                    key="held",
                    title="Health involvement held for emergency safeguarding (U5-02)",
                    state_in=("safeguarding",),
                ),
                AgendaSection(
                    key="arranging",
                    title="Joint visits being arranged",
                    state_in=("referral_received", "arranging_visit", "visit_planned"),
                ),
                AgendaSection(
                    key="deciding",
                    title="Debriefs and outcomes to agree",
                    state_in=("debrief_due", "outcome_pending", "strategy_meeting"),
                ),
                AgendaSection(
                    key="disagreements",
                    title="Professional disagreements",
                    state_in=("disagreement",),
                ),
                AgendaSection(
                    key="outcomes",
                    title="Outcomes since the last meeting",
                    closed_since_last_run=True,
                ),
            ),
        ),
    ),
    rules={
        "U5-01": "automated: joint work refused unless the child is under 5 at referral or "
        "unborn; a midwife is required pre-birth, a health visitor otherwise",
        "U5-02": "automated: emergency_action holds health; contact_health is refused until "
        "safeguarding_concluded",
        "U5-03": "automated: the social worker is emailed the referral; contact_health emails the "
        "health professional the overview (family told and records reviewed are recorded)",
        "U5-04": "recorded: contact_health records the known or duty health professional",
        "U5-05": "recorded: plan_visit records the vulnerable child alert in SystemOne",
        "U5-06": "automated: the lead practitioner is decided by rule on plan_visit, written to "
        "the case data and a note, and emailed with the visit time",
        "U5-07": "automated: the joint visit records consent, genogram and Signs of Safety; "
        "immediate safety concerns email the team manager",
        "U5-08": "automated: the debrief needs who does what (and the Graded Care Profile "
        "where neglect); the agreed actions are emailed to both practitioners and "
        "their managers",
        "U5-09": "automated: outcome triggers; a strategy meeting request emails the team manager; "
        "a professional disagreement emails the team manager and the health team leader",
        "U5-10": "automated: no further action is refused until the family is told and given "
        "the assessment; the health professional is emailed",
        "U5-11": "automated: CIN/CP plans are led by the social worker and open a linked "
        "home_visits case; step-down needs the family's consent and emails the health lead",
        "U5-12": "automated: monthly locality meeting agenda to the configured mailing list",
        "SA-03": "automated: the statutory 45 working days from the referral, as in "
        "statutory_assessment: social worker reminded at working day 40 without a debrief, team "
        "manager (cc social worker) emailed at the breach; met by the outcome",
        "SA-05": "automated: no network meeting by the end of working day 15: social worker "
        "emailed once, copying the team manager",
    },
)
