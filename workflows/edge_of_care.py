"""Edge of Care: Families Together (seed 002, "Edge of Care"): rules EOC-01 to EOC-07.

The Families Together Manager reviews a referral and allocates it to one or more
Families Together Officers; within 3 days of the referral the officer records it
and emails the social worker (SW) to arrange a planning meeting; objectives are
agreed and scored; the officer visits the family within a week of the referral;
the plan is reviewed on the review date; the case closes with an email to
Business Support (BS) and the manager.

Decisions where the seed is vague (each timescale is configuration):

- People: `manager` is the Families Together Manager, `officer` the allocated
  Families Together Officers (a list; the first named is the lead officer, who
  receives the allocation email and the reminders), `young_person` the child.
  The engine addresses a message to one contact per role, so co-officers are
  named in the lead officer's email but not emailed themselves (see the report).
- EOC-01: a referral creates the case and emails the manager (cc BS) to review it.
  If it is not allocated by the end of the next working day the manager is
  reminded once (the 3-day contact below cannot start without an officer).
- EOC-02: `allocate` needs the officers and the manager's direction; the service
  writes the manager's allocation-and-direction case note, emails the lead
  officer and asks BS to add the case to the EoC tracker.
- EOC-03 and EOC-05 run from the date the referral was received (3 and 7
  calendar days: day 0 is the referral, due 23:59:59 London time on day N),
  although they start when the case is allocated. The lead officer is reminded
  at 09:00 on the working day before the due day (no reminder when no working day
  is left, e.g. the Thursday before Easter); a breach emails the manager once.
  "Or as soon as the family are available" is not a separate clock: the
  escalation tells the manager, and the reason goes in a case note.
- EOC-03: `contact_social_worker` writes the "Families Together Referral received
  on dd/mm/yyyy" case note, emails the SW to arrange the planning meeting, and
  case-notes that email; Involvements and other open services are recorded.
- EOC-04: objectives are structured data: each has a list of dated scores (0-10)
  by the SW at planning, the young person or family at the first visit, and
  anyone at reviews. The planning meeting is refused without objectives scored by
  the SW, a review date and both signatures (the seed says "complete ALL boxes").
- EOC-05: the first visit's write-up is Signs of Safety (workflows/signs_of_safety:
  What's working well / What are we worried about / What needs to happen; scales
  optional here, as this seed does not ask for them), with a family score for
  every objective, the voice of the child and the next visit date.
- EOC-06: the review is due on the review date set at planning (anchored, due at
  23:59:59 that day); the officer is reminded at 09:00 that day and the manager is
  emailed once if the day passes unrecorded. A review is recorded as held, or not
  held with the reason; either meets it, and the next review date starts the next.
- EOC-07: closure needs the final Plan & Review form and the closure form once a
  plan exists, whether support was completed, and the reason; the service emails
  BS (cc the manager) the name, the closure date and the outcome or reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import Field, PlainSerializer, field_validator

from workflows import signs_of_safety
from workflows.contacts import Contact
from workflows.signs_of_safety import Scale, SignsOfSafety
from workflows.spec import (
    ANY_STATE,
    CaseView,
    Duration,
    Instant,
    Message,
    Note,
    Outcome,
    Process,
    Timescale,
    TriggerData,
    transition,
)

LONDON = ZoneInfo("Europe/London")
MANAGER, BS, SW, OFFICER = "manager", "business_support", "social_worker", "officer"
STAFF = (OFFICER, MANAGER)
OPEN_STATES = ("referred", "allocated", "awaiting_planning", "planned", "intervention")

# A calendar date in trigger data, kept as "YYYY-MM-DD" in the case's data.
Day = Annotated[date, PlainSerializer(lambda d: d.isoformat(), return_type=str)]
Score = Annotated[int, Field(ge=0, le=10, description="0 not at all, 10 fully achieved")]


class Allocate(TriggerData):
    officer: list[Contact] = Field(
        min_length=1, description="the Families Together Officer(s); the first named leads"
    )
    direction: str = Field(min_length=1, description="the manager's allocation and direction")

    @field_validator("officer")
    @classmethod
    def _emails(cls, officers: list[Contact]) -> list[Contact]:
        if not all(o.email for o in officers):
            raise ValueError("each officer needs an email address for reminders (EOC-03)")
        if len({o.email for o in officers}) != len(officers):
            raise ValueError("an officer is named twice")
        return officers


class ContactSocialWorker(TriggerData):
    involvement_added: bool = Field(False, description="added to Involvements on Protocol")
    other_services: list[str] = Field(
        default_factory=list, description="other services open to the family, e.g. parenting"
    )
    message: str | None = Field(
        None, description="anything to add to the email to the social worker"
    )


class Objective(TriggerData):
    objective: str = Field(min_length=1)
    sw_score: Score


class PlanningMeeting(TriggerData):
    staff_present: list[str] = Field(min_length=1)
    objectives: list[Objective] = Field(min_length=1, description="'What needs to happen'")
    review_date: Day
    joint_with: list[str] = Field(default_factory=list, description="e.g. parenting")
    other_professionals_contacted: list[str] = Field(default_factory=list)
    signed_by_officer: bool
    signed_by_social_worker: bool
    plan_uploaded: bool = False


class InitialVisit(SignsOfSafety):
    scales: list[Scale] = Field(default_factory=list, description="optional safety scales")
    family_scores: list[Score] = Field(
        min_length=1, description="the young person's or family's score, one per objective"
    )
    scored_by: str = Field(min_length=1, description="the young person, a parent, the family")
    agrees_with_plan: bool
    voice_of_child: str = Field(min_length=1)
    next_visit: Instant
    outstanding_actions: str | None = None
    plan_uploaded: bool = False


class Visit(TriggerData):
    summary: str = Field(min_length=1)
    next_visit: Instant | None = None


class Review(TriggerData):
    held: bool
    reason_not_held: str | None = None
    summary: str | None = None
    next_review_date: Day | None = None
    final: bool = Field(False, description="the last review before closure: no next date")
    sw_scores: list[Score] | None = None
    family_scores: list[Score] | None = None
    paperwork_uploaded: bool = False


class Close(TriggerData):
    support_completed: bool
    reason: str = Field(
        min_length=1, description="e.g. all objectives completed, or why they were not met"
    )
    final_review_uploaded: bool = False
    closure_form_completed: bool = False


# -- helpers -------------------------------------------------------------------


def _local_day(moment: datetime) -> date:
    return moment.astimezone(LONDON).date()


def _dmy(day: date) -> str:
    return f"{day:%d/%m/%Y}"


def _day_start(day: str) -> str:
    """The start of a calendar day in London, as an instant: a timescale's anchor."""
    return datetime.combine(date.fromisoformat(day), time(0), tzinfo=LONDON).isoformat()


def _names(case: CaseView, role: str) -> list[str]:
    return [c["name"] for c in case.contact_lists.get(role, ())]


def _objectives(case: CaseView) -> list[dict[str, Any]]:
    return [dict(o, scores=list(o["scores"])) for o in case.data.get("objectives", [])]


def _add_scores(
    objectives: list[dict[str, Any]],
    scores: list[int] | None,
    *,
    by: str,
    occasion: str,
    at: datetime,
) -> None:
    for objective, score in zip(objectives, scores or [], strict=False):
        objective["scores"].append(
            {"by": by, "score": score, "occasion": occasion, "at": at.isoformat()}
        )


# -- guards ----------------------------------------------------------------------


def form_is_signed(case: CaseView, data: Mapping[str, Any]) -> str | None:
    if not (data["signed_by_officer"] and data["signed_by_social_worker"]):
        return (
            "the Planning & Review form needs the signatures of the Families Together Officer and "
            "the social worker (EOC-04)"
        )
    return None


def every_objective_scored(case: CaseView, data: Mapping[str, Any]) -> str | None:
    wanted = len(case.data.get("objectives", []))
    if len(data["family_scores"]) != wanted:
        return (
            f"the family gave {len(data['family_scores'])} score(s) but the plan has "
            f"{wanted} objective(s): give the family's score for each objective (EOC-05)"
        )
    return None


def review_is_complete(case: CaseView, data: Mapping[str, Any]) -> str | None:
    if not data["held"] and not data.get("reason_not_held"):
        return "say why the review did not take place (EOC-06)"
    if not data.get("next_review_date") and not data.get("final"):
        return "give the next review date, or mark this as the final review (EOC-06)"
    wanted = len(case.data.get("objectives", []))
    for field, whose in (("sw_scores", "social worker's"), ("family_scores", "family's")):
        if data.get(field) is not None and len(data[field]) != wanted:
            return f"give the {whose} score for each of the {wanted} objective(s)"
    return None


def closure_paperwork_done(case: CaseView, data: Mapping[str, Any]) -> str | None:
    if case.data.get("objectives") and not (
        data["final_review_uploaded"] and data["closure_form_completed"]
    ):
        return "complete the final Plan & Review form and the Closure Form before closing (EOC-07)"
    return None


# -- effects ---------------------------------------------------------------------


def allocate(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    """EOC-02: officers allocated; the manager's direction becomes the case note."""
    officers = [o["name"] for o in data["officer"]]
    return Outcome(
        data={
            "officers": officers,
            "direction": data["direction"],
            "allocated_at": at.isoformat(),
            "referral_received_at": case.received_at.isoformat(),
            "referral_received_on": _dmy(_local_day(case.received_at)),
        },
        effects=(
            Note(
                text=f"Allocated to {', '.join(officers)} (lead: {officers[0]}). "
                f"Direction: {data['direction']}",
                rule="EOC-02",
                kind="manager_oversight",
            ),
        ),
    )


def reallocate(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    officers = [o["name"] for o in data["officer"]]
    return Outcome(
        data={"officers": officers, "direction": data["direction"]},
        effects=(
            Note(
                text=f"Reallocated to {', '.join(officers)} (lead: {officers[0]}). "
                f"Direction: {data['direction']}",
                rule="EOC-02",
                kind="manager_oversight",
            ),
        ),
    )


def contact_social_worker(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    """EOC-03: the referral case note, the email to the SW and a note recording it."""
    received = _dmy(_local_day(case.received_at))
    sw = case.contacts.get(SW, {}).get("name", "the social worker")
    return Outcome(
        data={
            "sw_contacted_at": at.isoformat(),
            "involvement_added": data["involvement_added"],
            "other_services": list(data["other_services"]),
            "sw_message": data.get("message"),
        },
        effects=(
            Note(
                text=f"Families Together Referral received on {received}",
                rule="EOC-03",
                kind="referral_received",
            ),
            Message(template="edge_of_care/planning_request", to=SW, cc=(OFFICER,), rule="EOC-03"),
            Note(
                text=f"Email sent to {sw} on {_dmy(_local_day(at))} to arrange a planning meeting.",
                rule="EOC-03",
                kind="sw_contacted",
            ),
        ),
    )


def hold_planning_meeting(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    """EOC-04: objectives with the SW's scores; the review date anchors EOC-06."""
    objectives = [
        {"number": number, "objective": o["objective"], "scores": []}
        for number, o in enumerate(data["objectives"], start=1)
    ]
    _add_scores(
        objectives, [o["sw_score"] for o in data["objectives"]], by=SW, occasion="planning", at=at
    )
    meeting = {
        k: data[k]
        for k in (
            "staff_present",
            "joint_with",
            "other_professionals_contacted",
            "signed_by_officer",
            "signed_by_social_worker",
            "plan_uploaded",
        )
    }
    return Outcome(
        data={
            "objectives": objectives,
            "planning_meeting": {**meeting, "at": at.isoformat()},
            "review_date": data["review_date"],
            "review_due_from": _day_start(data["review_date"]),
        },
        effects=(
            Note(
                text="Families Together Planning Meeting held. Objectives agreed. Home "
                "visit to be arranged. Plan to be uploaded to Documents",
                rule="EOC-04",
                kind="planning_meeting",
            ),
        ),
    )


def record_initial_visit(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    """EOC-05: family scores, the Signs of Safety write-up and the next visit."""
    objectives = _objectives(case)
    _add_scores(
        objectives, data["family_scores"], by=data["scored_by"], occasion="first visit", at=at
    )
    sos = signs_of_safety.record(case, {k: data[k] for k in SignsOfSafety.model_fields}, at)
    visit = {
        "at": at.isoformat(),
        "agrees_with_plan": data["agrees_with_plan"],
        "voice_of_child": data["voice_of_child"],
        "scored_by": data["scored_by"],
        "outstanding_actions": data.get("outstanding_actions"),
        "plan_uploaded": data["plan_uploaded"],
    }
    next_visit = data["next_visit"].isoformat()
    return Outcome(
        data={
            **sos.data,
            "objectives": objectives,
            "initial_visit": visit,
            "next_visit": next_visit,
        },
        effects=(
            Note(
                text="Purpose: Families Together first visit / initial introductions. "
                f"Discussion & Observations / Voice of the child: "
                f"{data['voice_of_child']} What's working well? "
                f"{data['working_well']} What are we worried about? "
                f"{data['worried']} What needs to happen? "
                f"{data['needs_to_happen']} Next planned visit: "
                f"{_dmy(_local_day(data['next_visit']))}.",
                rule="EOC-05",
                kind="visit",
            ),
        ),
    )


def record_visit(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    visits = [*case.data.get("visits", []), {"at": at.isoformat(), "summary": data["summary"]}]
    next_visit = data.get("next_visit")
    return Outcome(
        data={"visits": visits, "next_visit": next_visit.isoformat() if next_visit else None},
        effects=(Note(text=data["summary"], rule="EOC-06", kind="visit"),),
    )


def record_review(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    """EOC-06: a review held (or why not), new scores, and the next review date."""
    objectives = _objectives(case)
    _add_scores(objectives, data.get("sw_scores"), by=SW, occasion="review", at=at)
    _add_scores(objectives, data.get("family_scores"), by="family", occasion="review", at=at)
    review = {
        "at": at.isoformat(),
        "review_date": case.data.get("review_date"),
        "held": data["held"],
        "reason_not_held": data.get("reason_not_held"),
        "summary": data.get("summary"),
        "paperwork_uploaded": data["paperwork_uploaded"],
    }
    next_date = data.get("next_review_date")
    if data["held"]:
        text = f"Review held on {_dmy(_local_day(at))}."
        if data.get("summary"):
            text += f" {data['summary']}"
    else:
        text = f"Review did not take place: {data['reason_not_held']}."
    text += (
        f" Next review: {_dmy(date.fromisoformat(next_date))}." if next_date else (" Final review.")
    )
    return Outcome(
        data={
            "objectives": objectives,
            "reviews": [*case.data.get("reviews", []), review],
            "review_date": next_date,
            "review_due_from": _day_start(next_date) if next_date else None,
        },
        effects=(Note(text=text, rule="EOC-06", kind="review"),),
    )


def close(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    """EOC-07: why it closed, and the email to BS and the manager."""
    outcome = "support completed" if data["support_completed"] else "support not completed"
    return Outcome(
        data={
            "support_completed": data["support_completed"],
            "closure_reason": data["reason"],
            "closed_on": _local_day(at).isoformat(),
            "closed_at": at.isoformat(),
            "final_review_uploaded": data["final_review_uploaded"],
            "closure_form_completed": data["closure_form_completed"],
        },
        effects=(
            Note(text=f"Closed ({outcome}): {data['reason']}", rule="EOC-07", kind="closure"),
            Message(template="edge_of_care/closed", to=BS, cc=(MANAGER,), rule="EOC-07"),
        ),
    )


def _review_set(case: CaseView) -> bool:
    return bool(case.data.get("review_due_from"))


ONE_WORKING_DAY = Duration(amount=1, unit="working_days")

PROCESS = Process(
    name="edge_of_care",
    code="EOC",
    title="Edge of Care (Families Together)",
    source="seed 002, Edge of Care",
    initial="referred",
    states=(*OPEN_STATES, "closed"),
    final_states=frozenset({"closed"}),
    contact_roles=(SW, MANAGER, BS, OFFICER, "young_person", "parent"),
    on_create=(
        Message(template="edge_of_care/referral_received", to=MANAGER, cc=(BS,), rule="EOC-01"),
    ),
    transitions=(
        transition(
            "allocate",
            "referred",
            "allocated",
            (MANAGER,),
            "EOC-02",
            "Manager allocates to Families Together Officer(s) with direction",
            data_model=Allocate,
            effect=allocate,
            effects=(
                Message(template="edge_of_care/allocated", to=OFFICER, rule="EOC-02"),
                Message(template="edge_of_care/tracker", to=BS, rule="EOC-02"),
            ),
        ),
        transition(
            "reallocate",
            ("allocated", "awaiting_planning", "planned", "intervention"),
            None,
            (MANAGER,),
            "EOC-02",
            "Manager changes the officer(s); timescales carry on",
            data_model=Allocate,
            effect=reallocate,
            effects=(Message(template="edge_of_care/allocated", to=OFFICER, rule="EOC-02"),),
        ),
        transition(
            "contact_social_worker",
            "allocated",
            "awaiting_planning",
            STAFF,
            "EOC-03",
            "Referral case note; social worker emailed to arrange the planning meeting; email "
            "case-noted",
            data_model=ContactSocialWorker,
            effect=contact_social_worker,
        ),
        transition(
            "hold_planning_meeting",
            "awaiting_planning",
            "planned",
            STAFF,
            "EOC-04",
            "Planning & Review form: objectives scored by the social worker, review date, "
            "signatures",
            data_model=PlanningMeeting,
            guards=(form_is_signed,),
            effect=hold_planning_meeting,
        ),
        transition(
            "record_initial_visit",
            "planned",
            "intervention",
            STAFF,
            "EOC-05",
            "First visit: family scores each objective; Signs of Safety write-up; next visit",
            data_model=InitialVisit,
            guards=(every_objective_scored,),
            effect=record_initial_visit,
        ),
        transition(
            "record_visit",
            "intervention",
            None,
            STAFF,
            "EOC-06",
            "A visit, call or meeting written up",
            data_model=Visit,
            effect=record_visit,
        ),
        transition(
            "record_review",
            ("planned", "intervention"),
            None,
            STAFF,
            "EOC-06",
            "Review held (or why not); plan updated; next review date",
            data_model=Review,
            guards=(review_is_complete,),
            effect=record_review,
        ),
        transition(
            "close",
            ANY_STATE,
            "closed",
            STAFF,
            "EOC-07",
            "Closed: final Plan & Review, closure form, why; business support and manager emailed",
            data_model=Close,
            guards=(closure_paperwork_done,),
            effect=close,
        ),
    ),
    timescales=(
        Timescale(
            key="EOC-02",
            rule="EOC-02",
            description="referral allocated to an officer by the end of the next working day",
            starts_on=("__created__",),
            met_by=("allocate",),
            within=ONE_WORKING_DAY,
            on_due=(
                Message(template="edge_of_care/allocation_overdue", to=MANAGER, rule="EOC-02"),
            ),
        ),
        Timescale(
            key="EOC-03",
            rule="EOC-03",
            description="referral case-noted and social worker emailed within 3 days of the "
            "referral",
            starts_on=("allocate",),
            met_by=("contact_social_worker",),
            within=Duration(amount=3, unit="calendar_days"),
            anchor_field="referral_received_at",
            remind_before=ONE_WORKING_DAY,
            on_reminder=(
                Message(template="edge_of_care/contact_reminder", to=OFFICER, rule="EOC-03"),
            ),
            on_due=(Message(template="edge_of_care/contact_overdue", to=MANAGER, rule="EOC-03"),),
        ),
        Timescale(
            key="EOC-05",
            rule="EOC-05",
            description="initial visit within a week of the referral",
            starts_on=("allocate",),
            met_by=("record_initial_visit",),
            within=Duration(amount=7, unit="calendar_days"),
            anchor_field="referral_received_at",
            remind_before=ONE_WORKING_DAY,
            on_reminder=(
                Message(template="edge_of_care/initial_visit_reminder", to=OFFICER, rule="EOC-05"),
            ),
            on_due=(
                Message(template="edge_of_care/initial_visit_overdue", to=MANAGER, rule="EOC-05"),
            ),
        ),
        Timescale(
            key="EOC-06",
            rule="EOC-06",
            description="review recorded on the review date set at planning",
            starts_on=("hold_planning_meeting", "record_review"),
            met_by=("record_review",),
            within=Duration(amount=0, unit="calendar_days"),
            anchor_field="review_due_from",
            applies=_review_set,
            remind_before=Duration(amount=0, unit="calendar_days"),
            on_reminder=(
                Message(template="edge_of_care/review_reminder", to=OFFICER, rule="EOC-06"),
            ),
            on_due=(Message(template="edge_of_care/review_overdue", to=MANAGER, rule="EOC-06"),),
        ),
    ),
    rules={
        "EOC-01": "automated: a referral opens the case; the manager is emailed (cc business "
        "support) to review and allocate it",
        "EOC-02": "automated: allocation emails the lead officer and asks business support to add "
        "the case to the EoC tracker; the direction becomes the manager's case note; an "
        "unallocated referral reminds the manager after 1 working day",
        "EOC-03": "automated: 3 calendar days from the referral; the referral case note, the email "
        "to the social worker and its case note are written by contact_social_worker; officer "
        "reminded, manager emailed on a breach",
        "EOC-04": "automated: the planning meeting is refused without objectives scored by the "
        "social worker, a review date and both signatures; objectives and scores kept as data; "
        "the planning case note is written",
        "EOC-05": "automated: initial visit within 7 calendar days of the referral; officer "
        "reminded, manager emailed on a breach; family scores for every objective; "
        "Signs of Safety write-up and next visit date",
        "EOC-06": "automated: review due on the review date; officer reminded that morning, "
        "manager emailed if it passes unrecorded; each review (or why not) "
        "case-noted",
        "EOC-07": "automated: closure needs the final Plan & Review and closure forms; closure "
        "email to business support and the manager with the name, date and outcome or reason",
    },
)
