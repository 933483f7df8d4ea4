"""Statutory assessment (seed 004): rules SA-01 to SA-09 (the catalogue has no SA-08).

An assessment under Section 17 (child in need) or Section 47 (child protection) of the
Children Act 1989. The case opens when the front door passes the referral on and is
allocated by the qualified Social Work Manager (`team_manager`) to a lead practitioner;
the practitioner and manager plan it with the MASH Danger Statement (SA-04), review it with
Signs of Safety (SA-09), hold a network meeting if it is still going at day 15 (SA-05),
consider stepping up or down throughout (SA-06), and the practitioner submits it with next
steps for the manager to authorise; the outcome then goes to partners and is shared with the
family and the child (SA-07). The service keeps the 45 working days (SA-03).

What we decided where the seed is vague:

- SA-01: the Continuum of Need level (universal, emerging, additional, complex) is required
  at allocation, at every review discussion, on submission (the level of support the child
  needs), on authorisation and on step-down; each is kept, dated, in `level_history`.
- SA-02: allocation records whether the lead practitioner is a qualified social worker and
  that their supervisor is a qualified Social Work Manager (FamilyFlow has no register of
  qualifications, so the allocating manager states both). A Section 47 investigation is
  refused unless the lead is a qualified social worker, on allocation, on reallocation and
  when an assessment is stepped up from Section 17 to Section 47.
- SA-03: "within a 45-day timeframe as per statutory requirements" is 45 working days from
  the referral (Working Together to Safeguard Children), key `SA-03`, configurable like any
  timescale. The assessment is complete when the manager authorises it (as the CIN census
  counts it) or steps it down. The ladder is the worker first, then their manager: the
  lead practitioner is expected to submit by the end of working day 40 (`SA-03-submit`,
  also configurable, started from the referral date when the case is allocated), so that
  the manager has five working days to authorise; if that passes they are emailed once. If
  working day 45 passes, the manager is emailed once, copying the practitioner. Once it
  has run over, submission, authorisation, step-down and closure all need a reason code
  (`over_timescale_reason`; `other` needs `over_timescale_detail`), as returns require.
- SA-03 also says "there will be regular reviews" with the manager: at least one review
  discussion is required before the assessment can be submitted. The seed gives no
  frequency, so none is enforced.
- SA-04: the planning discussion is a step of its own; the assessment cannot be reviewed or
  submitted before it, and it is refused unless the MASH Danger Statement is on the case
  (from the referral's `danger_statement`) or given at the discussion.
- SA-05: "on-going beyond day 15" counts the same days as the 45-day timescale it sits in,
  so day 15 is working day 15 from the referral (key `SA-05`). If no network meeting has
  been held by the end of that day and the assessment has not been submitted, the lead
  practitioner is emailed once, copying the manager, to hold one with the family and
  partners. The clock starts at allocation, counted from the referral date, because until
  then there is no practitioner to hold the meeting; a reallocation keeps it (the email goes
  to whoever leads then), and submitting withdraws it.
- SA-06: the consideration is recorded at every review discussion (`stepping`). Stepping up
  turns a Section 17 assessment into a Section 47 investigation (SA-02 applies). Stepping
  down (to the emerging or additional level) ends the assessment and opens a linked
  `early_help` case in the same transaction, as workflows/early_help.py expects: data
  `route: step_down`, `contact_type: step_down`, `stepped_down_from`, `family` (if given),
  the reason, the level and the Danger Statement; contacts: the family (parent, carer,
  child; a young person becomes the child), the lead practitioner as `social_worker`, and
  the receiving early help manager, named on the step-down as `manager` (they allocate
  within 48 hours, EH-6.1, and are emailed, copying the lead practitioner and the Social
  Work Manager). A step-down decided on the submitted assessment completes it (SA-03 met)
  and carries `cypa_completed_on`, so early help needs no new Early Help Assessment (EH-4.5);
  a step-down part-way through does not, so one is needed. The social care manager and the
  referring partners stay with the statutory assessment.
- SA-07: the practitioner submits with next steps and the level of support needed; the
  manager authorises with an outcome or returns it for more work. On authorisation the
  outcome is emailed to every partner on the case (referrer, health visitor, midwife,
  police) and the practitioner is asked to share it with the family; recording how it was
  shared with the family and how the child was helped to understand it completes the case.
- SA-09: Signs of Safety (the three columns and a 0-10 scale per judge) is required at each
  review discussion and on submission, and may be recorded at any other time; the entries
  are kept in order and the submission email shows the scales over time.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal, get_args
from zoneinfo import ZoneInfo

from pydantic import (
    Field,
    ValidationInfo,
    field_validator,
)

from workflows import signs_of_safety
from workflows.contacts import Contact
from workflows.signs_of_safety import SignsOfSafety
from workflows.spec import (
    ANY_STATE,
    CREATED,
    CaseView,
    Duration,
    Link,
    Message,
    Outcome,
    Process,
    Timescale,
    TriggerData,
    transition,
)

LONDON = ZoneInfo("Europe/London")
LEAD, TM = "lead_practitioner", "team_manager"
FAMILY_ROLES = ("parent", "carer", "child", "young_person")
PARTNER_ROLES = ("referrer", "health_visitor", "midwife", "police")
OPEN_STATES = ("awaiting_allocation", "planning", "assessing", "submitted", "authorised")
ALLOCATED = ("planning", "assessing", "submitted", "authorised")
DUE, SUBMIT_DUE, NETWORK_DUE = "SA-03", "SA-03-submit", "SA-05"

Level = Literal["universal", "emerging", "additional", "complex"]
Section = Literal["s17", "s47"]
OverReason = Literal[
    "family_unavailable_or_not_engaging",
    "awaiting_information_from_partners",
    "awaiting_specialist_assessment",
    "complexity_of_needs",
    "new_information_or_incident",
    "change_of_practitioner",
    "practitioner_capacity",
    "other",
]
AssessmentOutcome = Literal[
    "no_further_action",
    "universal_services",
    "child_in_need_plan",
    "child_protection_conference",
    "child_in_care",
]


class _Overrun(TriggerData):
    """SA-03: why the assessment ran over its timescale (needed only once it has)."""

    over_timescale_reason: OverReason | None = Field(
        None, description="SA-03: required once the assessment has run over its timescale"
    )
    over_timescale_detail: str | None = Field(None, validate_default=True)

    @field_validator("over_timescale_detail")
    @classmethod
    def _detail_for_other(cls, value: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("over_timescale_reason") == "other" and not (value or "").strip():
            raise ValueError("say why the assessment ran over when the reason is 'other'")
        return value


def _needs_email(person: Contact | None) -> Contact | None:
    if person is not None and not person.email:
        raise ValueError("needs an email address for reminders (SA-03, SA-05)")
    return person


class _Lead(TriggerData):
    """SA-02: who leads the assessment and who supervises them."""

    lead_practitioner: Contact
    lead_is_qualified_social_worker: bool
    team_manager: Contact | None = Field(
        None, description="the supervising qualified Social Work Manager, if not already named"
    )
    manager_is_qualified_social_worker: bool

    @field_validator("lead_practitioner", "team_manager")
    @classmethod
    def _emails(cls, person: Contact | None) -> Contact | None:
        return _needs_email(person)


class Allocate(_Lead):
    section: Section = Field(
        json_schema_extra={
            "labels": {
                "s17": "Section 17 (child in need)",
                "s47": "Section 47 (child protection)",
            }
        }
    )
    level: Level = Field(description="SA-01: Continuum of Need level")


class Reallocate(_Lead):
    reason: str = Field(min_length=1)


class PlanningDiscussion(TriggerData):
    reason_for_referral: str = Field(min_length=1)
    known_needs: str = Field(min_length=1, description="any particular needs of the family")
    danger_statement: str | None = Field(
        None, description="the MASH Danger Statement, if the referral did not carry it"
    )
    plan: str | None = Field(None, description="how the assessment will be done")


class ReviewDiscussion(SignsOfSafety):
    level: Level = Field(description="SA-01: Continuum of Need level now")
    stepping: Literal["stay", "step_up", "step_down"] = Field(
        description="SA-06: should the worries be stepped up or down?"
    )
    further_information_needed: str | None = None
    child_views: str | None = None
    interim_safety: str | None = None


class NetworkMeeting(TriggerData):
    attendees: list[str] = Field(min_length=1, description="family members and partners")
    plan: str = Field(min_length=1, description="how the plan was developed")


class StepUp(TriggerData):
    reason: str = Field(min_length=1, description="why the worries now meet Section 47")
    lead_practitioner: Contact | None = Field(
        None, description="a qualified social worker to lead, if the lead is not one"
    )
    lead_is_qualified_social_worker: bool | None = None

    @field_validator("lead_practitioner")
    @classmethod
    def _email(cls, person: Contact | None) -> Contact | None:
        return _needs_email(person)


class StepDown(_Overrun):
    level: Literal["emerging", "additional"] = Field(description="SA-01: the level now")
    reason: str = Field(min_length=1)
    manager: Contact = Field(
        description=(
            "the early help (Family Solutions) manager who receives the step-down and allocates "
            "it within 48 hours (EH-6.1)"
        )
    )
    family: str | None = Field(
        None, description='how early help names the family, e.g. "Parent family"'
    )

    @field_validator("manager")
    @classmethod
    def _email(cls, person: Contact) -> Contact:
        if not person.email:
            raise ValueError("needs an email address: early help escalates allocation to them")
        return person


class Submit(SignsOfSafety, _Overrun):
    next_steps: str = Field(min_length=1, description="the actions that will make a difference")
    recommended_level: Level = Field(description="SA-01: the level of support needed")


class ReturnForWork(TriggerData):
    reason: str = Field(min_length=1, description="what more is needed")


class Authorise(_Overrun):
    outcome: AssessmentOutcome
    level: Level = Field(description="SA-01: the agreed level of support")
    decision: str = Field(min_length=1, description="the manager's decision and direction")


class ShareWithFamily(TriggerData):
    with_family: str = Field(min_length=1, description="who in the family, and how")
    with_child: str = Field(
        min_length=1,
        description=(
            "how the child was helped to understand the outcome, or why that was not appropriate"
        ),
    )


class Close(_Overrun):
    reason: str = Field(min_length=1)


# -- guards (pure) -------------------------------------------------------------


def _section(case: CaseView, data: Mapping[str, Any]) -> str | None:
    return data.get("section") or case.data.get("section")


def supervised_by_qualified_manager(case: CaseView, data: Mapping[str, Any]) -> str | None:
    if not data["manager_is_qualified_social_worker"]:
        return (
            "a lead practitioner is always supervised by a qualified Social Work Manager "
            "(SA-02): allocate under a qualified Social Work Manager"
        )
    if TM not in case.contacts and not data.get("team_manager"):
        return "name the supervising Social Work Manager as the team manager (SA-02)"
    return None


def s47_led_by_qualified_sw(case: CaseView, data: Mapping[str, Any]) -> str | None:
    if _section(case, data) == "s47" and not data["lead_is_qualified_social_worker"]:
        return (
            "a Section 47 child protection investigation is always undertaken by a "
            "qualified social worker (SA-02): allocate a qualified social worker as lead"
        )
    return None


def is_section_17(case: CaseView, data: Mapping[str, Any]) -> str | None:
    if case.data.get("section") != "s17":
        return "this is already a Section 47 child protection investigation"
    return None


def step_up_led_by_qualified_sw(case: CaseView, data: Mapping[str, Any]) -> str | None:
    if data.get("lead_practitioner"):
        qualified = data.get("lead_is_qualified_social_worker")
    else:
        qualified = case.data.get("lead_is_qualified_social_worker")
    if not qualified:
        return (
            "a Section 47 child protection investigation is always undertaken by a "
            "qualified social worker (SA-02): name a qualified social worker as the lead "
            "practitioner, and confirm they are a qualified social worker"
        )
    return None


def danger_statement_considered(case: CaseView, data: Mapping[str, Any]) -> str | None:
    if not (data.get("danger_statement") or case.data.get("danger_statement")):
        return (
            "the planning discussion considers the MASH Danger Statement (SA-04): "
            "enter the danger statement"
        )
    return None


def reviewed_with_manager(case: CaseView, data: Mapping[str, Any]) -> str | None:
    if not case.data.get("reviews"):
        return (
            "hold a review discussion with the Social Work Manager before submitting "
            "the assessment (SA-03)"
        )
    return None


def reason_if_overdue(case: CaseView, data: Mapping[str, Any]) -> str | None:
    """SA-03: once the timescale has passed unmet, ending the assessment needs a reason."""
    if DUE not in case.breached:
        return None
    if data.get("over_timescale_reason") or case.data.get("over_timescale_reason"):
        return None
    return (
        "the assessment has run over its timescale (SA-03): choose why it ran over, "
        "one of " + ", ".join(r.replace("_", " ") for r in get_args(OverReason))
    )


# -- effects (pure) ------------------------------------------------------------


def _levels(case: CaseView, level: str, at: datetime, when: str) -> list[dict[str, Any]]:
    return [
        *case.data.get("level_history", []),
        {"level": level, "at": at.isoformat(), "occasion": when},
    ]


def _overrun(case: CaseView, data: Mapping[str, Any]) -> dict[str, Any]:
    if not data.get("over_timescale_reason"):
        return {}
    return {
        "over_timescale_reason": data["over_timescale_reason"],
        "over_timescale_detail": data.get("over_timescale_detail"),
    }


def _lead_data(case: CaseView, data: Mapping[str, Any], at: datetime) -> dict[str, Any]:
    return {
        "lead_is_qualified_social_worker": data["lead_is_qualified_social_worker"],
        "manager_is_qualified_social_worker": data["manager_is_qualified_social_worker"],
        "referral_received_at": case.received_at.isoformat(),
        "allocations": [
            *case.data.get("allocations", []),
            {
                "lead_practitioner": data["lead_practitioner"]["name"],
                "qualified_social_worker": data["lead_is_qualified_social_worker"],
                "at": at.isoformat(),
                "reason": data.get("reason"),
            },
        ],
    }


def allocate(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    return Outcome(
        data={
            **_lead_data(case, data, at),
            "section": data["section"],
            "level": data["level"],
            "allocated_at": at.isoformat(),
            "level_history": _levels(case, data["level"], at, "allocation"),
        }
    )


def reallocate(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    return Outcome(data=_lead_data(case, data, at), context={"reason": data["reason"]})


def plan(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    statement = data.get("danger_statement") or case.data["danger_statement"]
    return Outcome(
        data={
            "danger_statement": statement,
            "planning": {
                "reason_for_referral": data["reason_for_referral"],
                "known_needs": data["known_needs"],
                "danger_statement": statement,
                "plan": data.get("plan"),
                "at": at.isoformat(),
            },
        }
    )


_SOS_FIELDS = tuple(SignsOfSafety.model_fields)


def _sos(case: CaseView, data: Mapping[str, Any], at: datetime, when: str) -> dict[str, Any]:
    entry = {k: data[k] for k in _SOS_FIELDS} | {"occasion": when}
    return dict(signs_of_safety.record(case, entry, at).data)


def review(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    entry = {
        k: data.get(k)
        for k in (
            "level",
            "stepping",
            "further_information_needed",
            "child_views",
            "interim_safety",
        )
    }
    return Outcome(
        data={
            **_sos(case, data, at, "review discussion"),
            "reviews": [*case.data.get("reviews", []), {**entry, "at": at.isoformat()}],
            "level": data["level"],
            "level_history": _levels(case, data["level"], at, "review discussion"),
        }
    )


def record_signs_of_safety(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    return Outcome(data=_sos(case, data, at, "recorded"))


def network_meeting(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    return Outcome(
        data={
            "network_meetings": [
                *case.data.get("network_meetings", []),
                {"attendees": list(data["attendees"]), "plan": data["plan"], "at": at.isoformat()},
            ]
        }
    )


def step_up(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    new: dict[str, Any] = {
        "section": "s47",
        "level": "complex",
        "level_history": _levels(case, "complex", at, "step up"),
        "steps": [
            *case.data.get("steps", []),
            {"to": "s47", "reason": data["reason"], "at": at.isoformat()},
        ],
    }
    if data.get("lead_practitioner"):
        new["lead_is_qualified_social_worker"] = True
        new["allocations"] = [
            *case.data.get("allocations", []),
            {
                "lead_practitioner": data["lead_practitioner"]["name"],
                "qualified_social_worker": True,
                "at": at.isoformat(),
                "reason": "stepped up to Section 47",
            },
        ]
    return Outcome(data=new, context={"reason": data["reason"]})


def step_down(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    """SA-06: end the assessment and open the linked early help case, which reads `route`,
    `contact_type`, `family`, `stepped_down_from` and `cypa_completed_on` (EH-4.5, EH-6.1)."""
    new: dict[str, Any] = {
        **_overrun(case, data),
        "level": data["level"],
        "level_history": _levels(case, data["level"], at, "step down"),
        "steps": [
            *case.data.get("steps", []),
            {
                "to": "early_help",
                "level": data["level"],
                "reason": data["reason"],
                "at": at.isoformat(),
            },
        ],
        "closure_reason": "stepped_down_to_early_help",
        "route": "step_down",
        "contact_type": "step_down",
        "stepped_down_from": f"SA-{case.case_id:06d}",
        "step_down_reason": data["reason"],
    }
    if data.get("family"):
        new["family"] = data["family"]
    if case.state == "submitted":
        # The manager's decision on the completed assessment: the CYPA is complete today,
        # so early help needs no new Early Help Assessment (EH-4.5).
        new["cypa_completed_on"] = at.astimezone(LONDON).date().isoformat()
    return Outcome(data=new, context={"reason": data["reason"]})


# What the early help case is given: the family and the social worker, and the receiving
# early help manager (named on the step-down); the social care manager and the referring
# partners stay with the statutory assessment.
TO_EARLY_HELP = Link(
    process="early_help",
    kind="step_down",
    rule="SA-06",
    contacts={
        "parent": "parent",
        "carer": "carer",
        "young_person": "child",
        "child": "child",
        LEAD: "social_worker",
        "manager": "manager",
    },
    data=(
        "route",
        "contact_type",
        "family",
        "stepped_down_from",
        "cypa_completed_on",
        "step_down_reason",
        "level",
        "danger_statement",
    ),
)


def submit(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    return Outcome(
        data={
            **_sos(case, data, at, "submission"),
            **_overrun(case, data),
            "next_steps": data["next_steps"],
            "recommended_level": data["recommended_level"],
            "submitted_at": at.isoformat(),
            "level_history": _levels(case, data["recommended_level"], at, "submission"),
        }
    )


def return_for_work(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    returns = [*case.data.get("returns", []), {"reason": data["reason"], "at": at.isoformat()}]
    return Outcome(data={"returns": returns}, context={"reason": data["reason"]})


def authorise(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    """SA-07: the outcome goes to every partner on the case; the lead shares it with the family."""
    partners = [role for role in PARTNER_ROLES if (case.contacts.get(role) or {}).get("email")]
    effects = [
        Message(template="statutory_assessment/outcome_to_partner", to=role, rule="SA-07")
        for role in partners
    ]
    effects.append(Message(template="statutory_assessment/authorised", to=LEAD, rule="SA-07"))
    return Outcome(
        data={
            **_overrun(case, data),
            "outcome": data["outcome"],
            "level": data["level"],
            "decision": data["decision"],
            "authorised_at": at.isoformat(),
            "level_history": _levels(case, data["level"], at, "authorisation"),
            "outcome_shared_with_partners": [case.contacts[r]["name"] for r in partners],
        },
        effects=tuple(effects),
    )


def share_with_family(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    return Outcome(
        data={
            "outcome_shared_with_family": {
                "family": data["with_family"],
                "child": data["with_child"],
                "at": at.isoformat(),
            }
        }
    )


def close(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    return Outcome(data={**_overrun(case, data), "closure_reason": data["reason"]})


def _network_meeting_pending(view: CaseView) -> bool:
    """SA-05 only while the assessment is with the practitioner and no meeting was held;
    submitting restarts it, which withdraws it (cancelled, not met)."""
    return not view.data.get("submitted_at") and not view.data.get("network_meetings")


PROCESS = Process(
    name="statutory_assessment",
    code="SA",
    title="Statutory assessment (Section 17 / Section 47)",
    source="seed 004, assessments and the Continuum of Need",
    initial="awaiting_allocation",
    states=(*OPEN_STATES, "completed", "stepped_down", "closed"),
    final_states=frozenset({"completed", "stepped_down", "closed"}),
    contact_roles=(LEAD, TM, "manager", *FAMILY_ROLES, *PARTNER_ROLES),
    tracks_breaches=True,
    on_create=(Message(template="statutory_assessment/assessment_received", to=TM, rule="SA-02"),),
    transitions=(
        transition(
            "allocate",
            "awaiting_allocation",
            "planning",
            (TM,),
            "SA-02",
            "Allocated to a lead practitioner supervised by a qualified Social Work Manager; "
            "Section 47 only to a qualified social worker; Continuum of Need level recorded",
            data_model=Allocate,
            guards=(supervised_by_qualified_manager, s47_led_by_qualified_sw),
            effect=allocate,
            effects=(
                Message(template="statutory_assessment/allocated", to=LEAD, cc=(TM,), rule="SA-02"),
            ),
        ),
        transition(
            "reallocate",
            ALLOCATED,
            None,
            (TM,),
            "SA-02",
            "A new lead practitioner, under the same SA-02 checks",
            data_model=Reallocate,
            guards=(supervised_by_qualified_manager, s47_led_by_qualified_sw),
            effect=reallocate,
            effects=(
                Message(template="statutory_assessment/allocated", to=LEAD, cc=(TM,), rule="SA-02"),
            ),
        ),
        transition(
            "hold_planning_discussion",
            "planning",
            "assessing",
            (LEAD, TM),
            "SA-04",
            "Practitioner and manager plan the assessment: reason, needs, MASH Danger Statement",
            data_model=PlanningDiscussion,
            guards=(danger_statement_considered,),
            effect=plan,
        ),
        transition(
            "hold_review_discussion",
            "assessing",
            None,
            (LEAD, TM),
            "SA-09",
            "Review discussion with the manager: Signs of Safety, level, step up or down",
            data_model=ReviewDiscussion,
            effect=review,
        ),
        transition(
            "record_signs_of_safety",
            ("planning", "assessing", "submitted"),
            None,
            (LEAD, TM),
            "SA-09",
            "Signs of Safety recorded: three columns and a scale per judge",
            data_model=SignsOfSafety,
            effect=record_signs_of_safety,
        ),
        transition(
            "hold_network_meeting",
            ("planning", "assessing"),
            None,
            (LEAD, TM),
            "SA-05",
            "Network meeting with the family and partners to develop the plan",
            data_model=NetworkMeeting,
            effect=network_meeting,
        ),
        transition(
            "step_up",
            ("planning", "assessing"),
            None,
            (TM,),
            "SA-06",
            "Worries stepped up: the Section 17 assessment becomes a Section 47 investigation",
            data_model=StepUp,
            guards=(is_section_17, step_up_led_by_qualified_sw),
            effect=step_up,
            effects=(
                Message(
                    template="statutory_assessment/stepped_up", to=LEAD, cc=(TM,), rule="SA-06"
                ),
            ),
        ),
        transition(
            "step_down",
            OPEN_STATES[:-1],
            "stepped_down",
            (TM,),
            "SA-06",
            "Worries stepped down: a linked early help case is opened",
            data_model=StepDown,
            guards=(reason_if_overdue,),
            effect=step_down,
            effects=(
                Message(
                    template="statutory_assessment/stepped_down",
                    to="manager",
                    cc=(LEAD, TM),
                    rule="SA-06",
                ),
                TO_EARLY_HELP,
            ),
        ),
        transition(
            "submit",
            "assessing",
            "submitted",
            (LEAD,),
            "SA-07",
            "Completed assessment submitted to the manager with next steps and Signs of Safety",
            data_model=Submit,
            guards=(reviewed_with_manager, reason_if_overdue),
            effect=submit,
            effects=(Message(template="statutory_assessment/submitted", to=TM, rule="SA-07"),),
        ),
        transition(
            "return_for_more_work",
            "submitted",
            "assessing",
            (TM,),
            "SA-07",
            "The manager returns the assessment for more work",
            data_model=ReturnForWork,
            effect=return_for_work,
            effects=(Message(template="statutory_assessment/returned", to=LEAD, rule="SA-07"),),
        ),
        transition(
            "authorise",
            "submitted",
            "authorised",
            (TM,),
            "SA-07",
            "The manager authorises the assessment and its outcome; partners are told",
            data_model=Authorise,
            guards=(reason_if_overdue,),
            effect=authorise,
        ),
        transition(
            "share_with_family",
            "authorised",
            "completed",
            (LEAD, TM),
            "SA-07",
            "Outcome shared with the family; the child helped to understand it",
            data_model=ShareWithFamily,
            effect=share_with_family,
        ),
        transition(
            "close",
            ANY_STATE,
            "closed",
            (TM,),
            "SA-03",
            "Closed without completing (e.g. the family moved away), with a reason",
            data_model=Close,
            guards=(reason_if_overdue,),
            effect=close,
        ),
    ),
    timescales=(
        Timescale(
            key=DUE,
            rule="SA-03",
            description="assessment completed within 45 working days of the referral",
            starts_on=(CREATED,),
            met_by=("authorise", "step_down"),
            within=Duration(amount=45, unit="working_days"),
            on_due=(
                Message(
                    template="statutory_assessment/assessment_overdue",
                    to=TM,
                    cc=(LEAD,),
                    rule="SA-03",
                ),
            ),
        ),
        Timescale(
            key=SUBMIT_DUE,
            rule="SA-03",
            description="assessment submitted to the manager by working day 40, leaving "
            "5 working days to authorise it",
            starts_on=("allocate",),
            met_by=("submit", "step_down"),
            within=Duration(amount=40, unit="working_days"),
            anchor_field="referral_received_at",
            on_due=(
                Message(template="statutory_assessment/submission_expected", to=LEAD, rule="SA-03"),
            ),
        ),
        Timescale(
            key=NETWORK_DUE,
            rule="SA-05",
            description="network meeting once the assessment runs beyond working day 15",
            starts_on=("allocate", "submit"),
            met_by=("hold_network_meeting",),
            within=Duration(amount=15, unit="working_days"),
            anchor_field="referral_received_at",
            applies=_network_meeting_pending,
            on_due=(
                Message(
                    template="statutory_assessment/network_meeting_due",
                    to=LEAD,
                    cc=(TM,),
                    rule="SA-05",
                ),
            ),
        ),
    ),
    rules={
        "SA-01": "recorded: Continuum of Need level required at allocation, each review, "
        "submission, authorisation and step-down; kept over time in level_history",
        "SA-02": "automated: allocation, reallocation and step-up refuse a Section 47 "
        "investigation without a qualified social worker as lead, and any lead "
        "without a qualified Social Work Manager supervising",
        "SA-03": "automated: 45 working days from the referral (configurable); lead reminded "
        "at working day 40, manager emailed at the breach; reason code required "
        "once it has run over; a review discussion required before submission",
        "SA-04": "automated: planning discussion required before review or submission, "
        "refused without the MASH Danger Statement",
        "SA-05": "automated: no network meeting by the end of working day 15: lead "
        "practitioner emailed once, copying the manager",
        "SA-06": "automated: step-up to Section 47 (SA-02 checked); step-down opens a linked "
        "early help case with the family's contacts and data",
        "SA-07": "automated: submission emails the manager with next steps; authorisation "
        "emails the outcome to partners; sharing with the family and child recorded",
        "SA-09": "automated: Signs of Safety required at each review discussion and on "
        "submission (refused without); the scales over time in the submission email",
    },
)
