"""Family therapy (seed 002, "Family Therapy"): rules FTH-01 to FTH-08.

The social worker's referral waits for the Resource Panel (Tuesday afternoons); the panel's
agenda is emailed that morning. An accepted referral goes on the waiting list, which the
therapy team reviews at every team meeting, and the Team Manager ("Becca" in the seed) gives
the social worker an update. A therapist is allocated either for the initial assessment only
or for the full case; the assessment's outcome goes to the social worker and the manager;
then planning and goals, sessions, reviews, and an agreed closure with a summary of the work.

Decisions where the seed is vague (all timescales and agenda slots are configuration:
FAMILYFLOW_TIMESCALES, FAMILYFLOW_AGENDA_TIMES, FAMILYFLOW_MAILING_LISTS):

- Contacts: `social_worker` (the referrer; email needed, the referral is acknowledged),
  `team_manager` (the therapy team manager who runs the waiting list and allocates),
  `business_support` (tracker, child's record, involvements), `therapist` (given on
  allocation), and optionally `parent`/`child`.
- FTH-01: the panel agenda (key `family_therapy_panel`, Tuesday 09:00, a mailing list: the
  panel members are not case contacts) lists every referral still awaiting a panel decision,
  so a referral received after the agenda went out, or not decided, is on next week's.
  Nothing is sent in a week with nothing to decide.
- FTH-02: the panel's decision is recorded by Business Support or the Team Manager. A
  decline (with its reason) is emailed to the social worker and ends the referral.
- FTH-03: the team meeting digest (key `family_therapy_waiting_list`) goes to the team's
  mailing list on **Wednesday at 09:00** by default: the day after the Tuesday panel, so the
  referrals the panel accepted are on the list the next morning, and early in the week, so
  social workers hear within a week. It lists the waiting list (with the date of the last
  update to the SW), assessments under way, cases in therapy for review (FTH-07: "review in
  each team meeting") and cases closed since the last meeting. The Team Manager's update to
  the SW (`update_sw`, with any timescale) is emailed to the SW.
- FTH-04/FTH-06: one `allocate` trigger with `kind` = `initial_assessment` or `full_case`.
  The therapist, the SW and Business Support are each emailed; only a full allocation asks
  Business Support to add the therapist to involvements (FTH-06 when it follows an initial
  assessment) and requires the allocation case note (kind `allocation`) within 1 working
  day, else the Team Manager is reminded once (the seed does not say who writes it; as
  with parenting's oversight note, the manager who allocated does). A full allocation
  before any assessment still starts with the initial assessment ("work will have
  commenced").
- FTH-05: the assessment outcome and feedback are emailed to the SW, copied to the Team
  Manager (who updates the tracker). Feedback to the family is given by the therapist in
  person, not by an automatic email: the trigger records how and when (`family_feedback`).
  After an assessment-only allocation a recommended case goes back on the waiting list for
  a therapy allocation; a case where therapy is not recommended is closed (FTH-08 email).
- FTH-07: the planning meeting (goals agreed) is expected within 10 working days of the
  therapy starting (seed gives none; configurable as `FTH-07-planning`): the therapist is
  reminded 2 working days before, the Team Manager is emailed once if it is missed.
  Sessions are case notes of kind `session`; reviews are recorded with `record_review`.
- FTH-08: `agree_closure` needs the summary of work and outcome, who agreed it and any
  recommendations; the summary goes to the SW (cc Team Manager) and Business Support is
  asked to move the tracker to closed and end the involvement. How the family was given
  the summary ("as relevant") is recorded. `withdraw` ends a referral early with a reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from pydantic import Field, field_validator

from workflows.contacts import Contact
from workflows.spec import (
    ANY_STATE,
    Agenda,
    AgendaSection,
    CaseView,
    Duration,
    Message,
    Outcome,
    Process,
    Timescale,
    TriggerData,
    transition,
)

SW, TM, BS, THERAPIST = "social_worker", "team_manager", "business_support", "therapist"
IA_ONLY, FULL = "initial_assessment", "full_case"
OPEN_STATES = ("awaiting_panel", "waiting_list", "initial_assessment", "planning", "in_therapy")


class PanelAccept(TriggerData):
    notes: str | None = Field(None, description="anything the panel asked for")


class PanelDecline(TriggerData):
    reason: str = Field(min_length=1, description="why the panel did not accept the referral")


class UpdateSocialWorker(TriggerData):
    update: str = Field(min_length=1, description="the update agreed at the team meeting")
    expected_timescale: str | None = Field(
        None, description="e.g. 'allocation expected in about 6 weeks'"
    )


class Allocate(TriggerData):
    therapist: Contact
    kind: Literal["initial_assessment", "full_case"] = Field(
        title="Allocated for",
        description="the initial assessment only, or the full case (FTH-04)",
        json_schema_extra={
            "labels": {"initial_assessment": "Initial assessment only", "full_case": "Full case"}
        },
    )

    @field_validator("therapist")
    @classmethod
    def _needs_email(cls, therapist: Contact) -> Contact:
        if not therapist.email:
            raise ValueError("the therapist needs an email address (FTH-04)")
        return therapist


class InitialAssessment(TriggerData):
    outcome: Literal["therapy_recommended", "therapy_not_recommended"]
    summary: str = Field(min_length=1, description="the outcome and feedback")
    family_feedback: str = Field(
        min_length=1, description="how and when the feedback was given to the family"
    )


class PlanningMeeting(TriggerData):
    goals: list[str] = Field(min_length=1, description="the goals agreed")

    @field_validator("goals")
    @classmethod
    def _no_blank_goal(cls, goals: list[str]) -> list[str]:
        goals = [goal.strip() for goal in goals]
        if not all(goals):
            raise ValueError("a goal cannot be blank")
        return goals


class Review(TriggerData):
    attendees: list[str] = Field(
        min_length=1, description="e.g. social worker, family, young person"
    )
    summary: str = Field(min_length=1)


class AgreeClosure(TriggerData):
    summary: str = Field(min_length=1, description="summary of the work and its outcome")
    agreed_with: list[str] = Field(min_length=1, description="who agreed the closure")
    recommendations: str | None = None
    family_summary: str | None = Field(None, description="how the family was given the summary")


class Withdraw(TriggerData):
    reason: str = Field(min_length=1)


# -- guards --------------------------------------------------------------------


def full_case(case: CaseView, data: Mapping[str, Any]) -> str | None:
    return None if data["kind"] == FULL else "an initial-assessment-only allocation"


def assessed(case: CaseView, data: Mapping[str, Any]) -> str | None:
    return None if case.data.get("assessment_outcome") else "no initial assessment yet"


def not_assessed(case: CaseView, data: Mapping[str, Any]) -> str | None:
    if case.data.get("assessment_outcome"):
        return "the initial assessment has been done; allocate it as a full case (FTH-06)"
    return None


def not_recommended(case: CaseView, data: Mapping[str, Any]) -> str | None:
    return None if data["outcome"] == "therapy_not_recommended" else "therapy recommended"


def allocated_full(case: CaseView, data: Mapping[str, Any]) -> str | None:
    return None if case.data.get("allocation_kind") == FULL else "assessment-only allocation"


# -- effects -------------------------------------------------------------------


def panel_accept(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    return Outcome(data={"accepted_at": at.isoformat(), "panel_notes": data.get("notes")})


def panel_decline(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    return Outcome(data={"closure_reason": "declined_by_panel", "panel_reason": data["reason"]})


def update_sw(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    update = {
        "at": at.isoformat(),
        "text": data["update"],
        "expected_timescale": data.get("expected_timescale"),
    }
    return Outcome(
        data={
            "last_sw_update": at.isoformat(),
            "sw_updates": [*case.data.get("sw_updates", []), update],
        },
        context={"sw_update": update},
    )


def allocate(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    """FTH-04/FTH-06: everyone told; involvements only for a full allocation."""
    kind = data["kind"]
    after_assessment = bool(case.data.get("assessment_outcome"))
    rule = "FTH-06" if kind == FULL and after_assessment else "FTH-04"
    allocation = {"at": at.isoformat(), "kind": kind, "therapist": data["therapist"]["name"]}
    return Outcome(
        data={
            "allocation_kind": kind,
            "allocated_at": at.isoformat(),
            "allocations": [*case.data.get("allocations", []), allocation],
        },
        context={"kind": kind, "after_assessment": after_assessment},
        effects=(
            Message(template="family_therapy/allocated_therapist", to=THERAPIST, rule="FTH-04"),
            Message(template="family_therapy/allocated_sw", to=SW, rule="FTH-04"),
            Message(template="family_therapy/allocated_bs", to=BS, cc=(TM,), rule=rule),
        ),
    )


def record_assessment(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    """FTH-05: outcome and feedback to the SW and the manager; the next step follows it."""
    recommended = data["outcome"] == "therapy_recommended"
    therapist = case.contacts.get(THERAPIST, {}).get("name")
    new = {
        "assessment_outcome": data["outcome"],
        "assessment_summary": data["summary"],
        "family_feedback": data["family_feedback"],
        "assessed_at": at.isoformat(),
        "assessed_by": therapist,
    }
    effects = [
        Message(template="family_therapy/assessment_feedback", to=SW, cc=(TM,), rule="FTH-05")
    ]
    if not recommended:
        new["closure_reason"] = "therapy_not_recommended"
        effects.append(Message(template="family_therapy/closed_bs", to=BS, cc=(TM,), rule="FTH-08"))
    next_step = (
        "closed"
        if not recommended
        else "therapy"
        if case.data.get("allocation_kind") == FULL
        else "waiting_list"
    )
    return Outcome(data=new, effects=tuple(effects), context={"next_step": next_step})


def planning_meeting(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    return Outcome(data={"goals": list(data["goals"]), "planning_meeting_at": at.isoformat()})


def record_review(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    review = {
        "at": at.isoformat(),
        "attendees": list(data["attendees"]),
        "summary": data["summary"],
    }
    return Outcome(
        data={"last_review": at.isoformat(), "reviews": [*case.data.get("reviews", []), review]}
    )


def agree_closure(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    return Outcome(
        data={
            "closure_reason": "agreed_closure",
            "closure_summary": data["summary"],
            "closure_agreed_with": list(data["agreed_with"]),
            "recommendations": data.get("recommendations"),
            "family_summary": data.get("family_summary"),
        }
    )


def withdraw(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    return Outcome(data={"closure_reason": "withdrawn", "withdrawn_reason": data["reason"]})


def _in_planning(case: CaseView) -> bool:
    return case.state == "planning"


def _full_allocation(case: CaseView) -> bool:
    return case.data.get("allocation_kind") == FULL


PROCESS = Process(
    name="family_therapy",
    code="FTH",
    title="Family therapy",
    source="seed 002, Family Therapy",
    initial="awaiting_panel",
    states=(*OPEN_STATES, "declined", "closed"),
    final_states=frozenset({"declined", "closed"}),
    contact_roles=(SW, TM, BS, THERAPIST, "parent", "child"),
    on_create=(Message(template="family_therapy/referral_received", to=SW, rule="FTH-01"),),
    transitions=(
        transition(
            "panel_accept",
            "awaiting_panel",
            "waiting_list",
            (BS, TM),
            "FTH-02",
            "Resource Panel accepts: child's record and tracker waiting list updated",
            data_model=PanelAccept,
            effect=panel_accept,
            effects=(
                Message(
                    template="family_therapy/panel_accepted_bs", to=BS, cc=(TM,), rule="FTH-02"
                ),
                Message(template="family_therapy/panel_accepted_sw", to=SW, rule="FTH-02"),
            ),
        ),
        transition(
            "panel_decline",
            "awaiting_panel",
            "declined",
            (BS, TM),
            "FTH-02",
            "Resource Panel does not accept; the social worker is told why",
            data_model=PanelDecline,
            effect=panel_decline,
            effects=(
                Message(template="family_therapy/panel_declined", to=SW, cc=(TM,), rule="FTH-02"),
            ),
        ),
        transition(
            "update_sw",
            ("waiting_list", "initial_assessment"),
            None,
            (TM,),
            "FTH-03",
            "Waiting list reviewed at the team meeting: the social worker is given an update and "
            "any timescale",
            data_model=UpdateSocialWorker,
            effect=update_sw,
            effects=(Message(template="family_therapy/waiting_list_update", to=SW, rule="FTH-03"),),
        ),
        transition(
            "allocate",
            "waiting_list",
            "planning",
            (TM,),
            "FTH-06",
            "Full allocation after the initial assessment: therapist added to involvements",
            data_model=Allocate,
            guards=(full_case, assessed),
            effect=allocate,
        ),
        transition(
            "allocate",
            "waiting_list",
            "initial_assessment",
            (TM,),
            "FTH-04",
            "Allocated to a therapist for the initial assessment only or for the full case",
            data_model=Allocate,
            guards=(not_assessed,),
            effect=allocate,
        ),
        transition(
            "record_initial_assessment",
            "initial_assessment",
            "closed",
            (THERAPIST, TM),
            "FTH-05",
            "Initial assessment: therapy not recommended; feedback given and closed",
            data_model=InitialAssessment,
            guards=(not_recommended,),
            effect=record_assessment,
        ),
        transition(
            "record_initial_assessment",
            "initial_assessment",
            "planning",
            (THERAPIST, TM),
            "FTH-05",
            "Initial assessment (full allocation): feedback given, work commences",
            data_model=InitialAssessment,
            guards=(allocated_full,),
            effect=record_assessment,
        ),
        transition(
            "record_initial_assessment",
            "initial_assessment",
            "waiting_list",
            (THERAPIST, TM),
            "FTH-05",
            "Initial assessment only: feedback given, back on the waiting list for "
            "a therapy allocation",
            data_model=InitialAssessment,
            effect=record_assessment,
        ),
        transition(
            "hold_planning_meeting",
            "planning",
            "in_therapy",
            (THERAPIST, TM),
            "FTH-07",
            "Planning meeting held and goals agreed",
            data_model=PlanningMeeting,
            effect=planning_meeting,
        ),
        transition(
            "record_review",
            "in_therapy",
            None,
            (THERAPIST, TM, SW),
            "FTH-07",
            "Review meeting with the social worker and family recorded",
            data_model=Review,
            effect=record_review,
        ),
        transition(
            "agree_closure",
            ("planning", "in_therapy"),
            "closed",
            (THERAPIST, TM),
            "FTH-08",
            "Agreed closure: summary of work and outcome; tracker and involvements closed",
            data_model=AgreeClosure,
            effect=agree_closure,
            effects=(
                Message(template="family_therapy/closure_summary", to=SW, cc=(TM,), rule="FTH-08"),
                Message(template="family_therapy/closed_bs", to=BS, cc=(TM,), rule="FTH-08"),
            ),
        ),
        transition(
            "withdraw",
            ANY_STATE,
            "closed",
            (TM, SW, BS),
            "FTH-08",
            "Referral withdrawn with a reason; tracker and involvements closed",
            data_model=Withdraw,
            effect=withdraw,
            effects=(Message(template="family_therapy/closed_bs", to=BS, cc=(TM,), rule="FTH-08"),),
        ),
    ),
    timescales=(
        Timescale(
            key="FTH-04-note",
            rule="FTH-04",
            description="allocation case note within 1 working day of a full allocation",
            starts_on=("allocate",),
            met_by=("note:allocation",),
            within=Duration(amount=1, unit="working_days"),
            applies=_full_allocation,
            on_due=(
                Message(template="family_therapy/allocation_note_missing", to=TM, rule="FTH-04"),
            ),
        ),
        Timescale(
            key="FTH-07-planning",
            rule="FTH-07",
            description="planning meeting and goals within 10 working days of therapy starting",
            starts_on=("allocate", "record_initial_assessment"),
            met_by=("hold_planning_meeting",),
            within=Duration(amount=10, unit="working_days"),
            applies=_in_planning,
            remind_before=Duration(amount=2, unit="working_days"),
            on_reminder=(
                Message(template="family_therapy/planning_reminder", to=THERAPIST, rule="FTH-07"),
            ),
            on_due=(Message(template="family_therapy/planning_overdue", to=TM, rule="FTH-07"),),
        ),
    ),
    agendas=(
        Agenda(
            key="family_therapy_panel",
            rules=("FTH-01",),
            template="family_therapy/panel_agenda",
            to="resource_panel",
            day_of_week="tue",
            time="09:00",
            mailing_list=True,
            sections=(
                AgendaSection(
                    key="awaiting_panel",
                    title="Family therapy referrals for this afternoon's Resource Panel",
                    state_in=("awaiting_panel",),
                ),
            ),
        ),
        Agenda(
            key="family_therapy_waiting_list",
            rules=("FTH-03", "FTH-07"),
            template="family_therapy/waiting_list_agenda",
            to="family_therapy_team",
            day_of_week="wed",
            time="09:00",
            mailing_list=True,
            sections=(
                AgendaSection(
                    key="waiting_list",
                    title="Waiting list: give each social worker an update and any timescale",
                    state_in=("waiting_list",),
                ),
                AgendaSection(
                    key="assessment",
                    title="Initial assessments under way",
                    state_in=("initial_assessment",),
                ),
                AgendaSection(
                    key="therapy",
                    title="Open therapy cases for review",
                    state_in=("planning", "in_therapy"),
                ),
                AgendaSection(
                    key="closed",
                    title="Closed since the last team meeting",
                    closed_since_last_run=True,
                ),
            ),
        ),
    ),
    rules={
        "FTH-01": "automated: referral acknowledged to the social worker; Tuesday 09:00 panel "
        "agenda to the panel's mailing list lists every referral awaiting the panel",
        "FTH-02": "automated: panel acceptance emails business support (child's record, tracker "
        "waiting list) and the social worker; a decline emails the social worker the reason",
        "FTH-03": "automated: weekly team-meeting digest (Wednesday 09:00) lists the waiting list; "
        "update_sw emails the social worker the update and any timescale",
        "FTH-04": "automated: allocate (initial_assessment or full_case) emails therapist, social "
        "worker and business support; involvements and the allocation case note only for full_case",
        "FTH-05": "automated: the assessment outcome and feedback are emailed to the social worker "
        "and the Team Manager; family feedback recorded",
        "FTH-06": "automated: a full allocation after the assessment/waiting list asks business "
        "support to add the therapist to involvements and update the tracker",
        "FTH-07": "automated: planning meeting within 10 working days (therapist reminded, team "
        "manager on breach); goals, reviews and session notes recorded; open cases on the weekly "
        "team-meeting digest",
        "FTH-08": "automated: agreed closure needs the summary; summary to the social worker, "
        "business support asked to close the tracker and end the involvement",
    },
)
