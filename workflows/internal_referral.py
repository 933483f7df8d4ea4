"""Internal referrals across teams (seed 002, "Internal Referrals Across Teams"): IR-01 to IR-06.

A worker in parenting, family time or edge of care sees that a family may benefit from one of
the groups (PoP or Freedom). The parent consents, a Family Time worker liaises with the group's
lead, the family's social worker agrees, and the worker emails Families Together the referral
form their service already holds. For PoP this opens a linked `parenting` case, which then
runs as any parenting referral does; the worker who identified the need is a contact on it.

Decisions where the seed is vague (timescales are configuration: FAMILYFLOW_TIMESCALES):

- IR-01: the case is created by (or for) the identifying worker with data `group` (`pop` or
  `freedom`), `identified_by_team` (`parenting`, `family_time` or `edge_of_care`) and `need`
  (why the group would help), and contacts `identifying_worker`, `social_worker` (with an
  email), `parent` and, by the time the parent consents, the worker's `manager`. Case data is
  not checked when a case is created (the engine has no create-time model), so the first
  trigger refuses a case whose group or team is not one of these, and consent is refused
  while the case has no identifying worker, whom every email from then on names.
- IR-02/IR-04: the parent's consent, then the SW's agreement. Either can end the referral
  (`parent_declines`, `sw_declines`, or `end` at any point), always with the reason recorded.
- IR-03: the seed asks for the liaison only "if the worker who identified the need is based in
  Family Time". For those cases the parent's consent needs the group's lead (contact role
  `group_lead`: for Freedom the domestic abuse champion lead officer, for PoP the parenting
  champion lead officer), who is emailed with the family's details; the case then waits in
  `awaiting_liaison` until the worker records the liaison, before the SW step. If a referral
  ends after the lead was contacted, the lead is told, so no place is held.
- IR-04: when the case reaches the SW step, the SW is emailed the worker's contact details
  and what the parent has agreed to, so the discussion has a written start; the worker (or
  the SW) records the SW's decision.
- IR-05: the referral should reach Families Together within 10 working days of the parent's
  consent (the seed gives none; key `IR-05`): the identifying worker is reminded 3 working
  days before, and their manager is emailed once if it is missed. `refer` takes the name or
  reference of the form the service already holds (no new form is asked for) and emails it to
  Families Together's team manager, copying Business Support and the group lead.
- IR-06 for PoP: `refer` opens a linked `parenting` case (engine `Link`) carrying the social
  worker, parent, Families Together team manager and Business Support, and the identifying
  worker in role `identifying_worker`, with `need`, `referral_form`, `group` and
  `identified_by_team`. Parenting's own intake (PAR-01) asks the manager to allocate and
  Business Support to add it to the tracker. The identifying worker cannot be messaged when
  the parenting case's planning meeting happens without editing `parenting`, so the IR-06
  email sent on linking is their invitation: it names them as a planning meeting attendee and
  the IR-05 email tells Families Together to include them.
- IR-06 for Freedom: Freedom has no process of its own in the seeds, so no linked case opens;
  the referral is recorded, emailed to Families Together and the domestic abuse champion lead
  (cc), and the identifying worker's IR-06 email says the group lead arranges the planning
  meeting with them outside FamilyFlow.
- The internal referral ends in `referred` once sent: from then on the target process (or
  the Freedom group) carries the family.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from workflows.contacts import Contact
from workflows.spec import (
    ANY_STATE,
    CaseView,
    Duration,
    EffectFn,
    Link,
    Message,
    Outcome,
    Process,
    Timescale,
    TriggerData,
    transition,
)

WORKER, MANAGER, SW, LEAD = "identifying_worker", "manager", "social_worker", "group_lead"
TM, BS = "team_manager", "business_support"
GROUPS = {
    "pop": ("PoP (parenting programme)", "parenting champion lead officer"),
    "freedom": ("Freedom (domestic abuse programme)", "domestic abuse champion lead officer"),
}
TEAMS = {"parenting": "Parenting", "family_time": "Family Time", "edge_of_care": "Edge of Care"}
OPEN_STATES = ("identified", "awaiting_liaison", "awaiting_sw_agreement", "agreed")
# What a PoP referral carries into the linked parenting case (IR-06).
LINKED_CONTACTS = {SW: SW, "parent": "parent", TM: TM, BS: BS, WORKER: WORKER}
LINKED_DATA = ("group", "identified_by_team", "need", "referral_form")


class ParentConsents(TriggerData):
    manager: Contact | None = Field(None, description="the identifying worker's manager")
    group_lead: Contact | None = Field(
        None,
        description="the group's champion lead officer (needed when the worker is in Family Time)",
    )


class Reason(TriggerData):
    reason: str = Field(min_length=1)


class EndReferral(TriggerData):
    reason: str = Field(min_length=1)
    ended_by: Literal["parent", "social_worker", "identifying_worker"] = Field(
        description="who ended it: the parent withdrew consent, the social worker no longer "
        "agrees, or "
        "the worker found the group is not needed"
    )


class Liaison(TriggerData):
    outcome: str = Field(min_length=1, description="what was agreed with the group's lead")


class SocialWorkerAgrees(TriggerData):
    comments: str | None = None


class Refer(TriggerData):
    referral_form: str = Field(
        min_length=1,
        description="the referral form your service "
        "already holds (name or reference): no new form is needed",
    )
    team_manager: Contact | None = Field(None, description="Families Together's team manager")
    business_support: Contact | None = Field(
        None, description="Families Together's business support"
    )


# -- guards --------------------------------------------------------------------


def _has_email(case: CaseView, data: Mapping[str, Any], role: str) -> bool:
    person = data.get(role) or case.contacts.get(role)
    return bool(person and person.get("email"))


def well_identified(case: CaseView, data: Mapping[str, Any]) -> str | None:
    if case.data.get("group") not in GROUPS:
        return "choose the group: PoP or Freedom (IR-01)"
    if case.data.get("identified_by_team") not in TEAMS:
        return (
            "choose the team that identified the need: Parenting, Family Time or Edge of "
            "Care (IR-01)"
        )
    return None


def has_manager(case: CaseView, data: Mapping[str, Any]) -> str | None:
    if _has_email(case, data, MANAGER):
        return None
    return (
        "add the identifying worker's manager, with an email address: it is "
        "needed: the referral's timescale escalates to them (IR-05)"
    )


def has_identifying_worker(case: CaseView, data: Mapping[str, Any]) -> str | None:
    # Every email from consent on names the worker who identified the need (IR-01), so
    # consent is refused, with what to do, rather than failing to write those emails.
    if (case.contacts.get(WORKER) or {}).get("name"):
        return None
    asked = (
        "the group lead to liaise"
        if case.data.get("identified_by_team") == "family_time"
        else "the social worker to agree"
    )
    return f"add the identifying worker before asking {asked} (IR-01)"


def not_family_time(case: CaseView, data: Mapping[str, Any]) -> str | None:
    if case.data.get("identified_by_team") == "family_time":
        return "the worker is in Family Time: the group's lead is contacted first (IR-03)"
    return None


def family_time(case: CaseView, data: Mapping[str, Any]) -> str | None:
    return None if case.data.get("identified_by_team") == "family_time" else "not Family Time"


def has_group_lead(case: CaseView, data: Mapping[str, Any]) -> str | None:
    if _has_email(case, data, LEAD):
        return None
    lead = GROUPS[case.data["group"]][1]
    return (
        f"add the {lead} as the group lead, with an email address: a Family Time "
        "worker liaises with the group's lead (IR-03)"
    )


def families_together(case: CaseView, data: Mapping[str, Any]) -> str | None:
    missing = [role for role in (TM, BS) if not _has_email(case, data, role)]
    if missing:
        return (
            f"add Families Together's {' and '.join(r.replace('_', ' ') for r in missing)}, "
            "with an email address, to send the referral (IR-05)"
        )
    return None


def is_pop(case: CaseView, data: Mapping[str, Any]) -> str | None:
    return None if case.data.get("group") == "pop" else "not a PoP referral"


# -- effects -------------------------------------------------------------------


def consent(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    group, lead = GROUPS[case.data["group"]]
    return Outcome(
        data={
            "consented_at": at.isoformat(),
            "group_name": group,
            "lead_title": lead,
            "team_name": TEAMS[case.data["identified_by_team"]],
        }
    )


def liaison(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    return Outcome(data={"liaison_outcome": data["outcome"], "liaised_at": at.isoformat()})


def sw_agrees(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    return Outcome(data={"sw_agreed_at": at.isoformat(), "sw_comments": data.get("comments")})


def refer(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    return Outcome(data={"referral_form": data["referral_form"], "referred_at": at.isoformat()})


def ended_by(who: str | None) -> EffectFn:
    """End the referral with the reason; a group lead already contacted is told (IR-03).
    `who=None`: the trigger's data says who ended it."""

    def end(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
        effects: tuple[Message, ...] = ()
        if (
            case.data.get("consented_at")
            and case.data.get("identified_by_team") == ("family_time")
            and _has_email(case, {}, LEAD)
        ):
            effects = (
                Message(
                    template="internal_referral/lead_stood_down",
                    to=LEAD,
                    cc=(WORKER,),
                    rule="IR-03",
                ),
            )
        return Outcome(
            data={
                "end_reason": data["reason"],
                "ended_by": who or data["ended_by"],
                "ended_at": at.isoformat(),
            },
            effects=effects,
        )

    return end


SW_DISCUSSION = Message(
    template="internal_referral/sw_discussion", to=SW, cc=(WORKER,), rule="IR-04"
)
TO_FAMILIES_TOGETHER = Message(
    template="internal_referral/referral_to_families_together", to=TM, cc=(BS, LEAD), rule="IR-05"
)
INVITATION = Message(
    template="internal_referral/planning_invitation", to=WORKER, cc=(SW,), rule="IR-06"
)

PROCESS = Process(
    name="internal_referral",
    code="IREF",
    title="Internal referral to a group",
    source="seed 002, Internal Referrals Across Teams",
    initial="identified",
    states=(*OPEN_STATES, "referred", "ended"),
    final_states=frozenset({"referred", "ended"}),
    contact_roles=(WORKER, MANAGER, SW, "parent", LEAD, TM, BS),
    transitions=(
        transition(
            "parent_consents",
            "identified",
            "awaiting_sw_agreement",
            (WORKER, MANAGER),
            "IR-02",
            "The parent consents; the social worker is asked to agree",
            data_model=ParentConsents,
            guards=(well_identified, has_manager, has_identifying_worker, not_family_time),
            effect=consent,
            effects=(SW_DISCUSSION,),
        ),
        transition(
            "parent_consents",
            "identified",
            "awaiting_liaison",
            (WORKER, MANAGER),
            "IR-03",
            "The parent consents; a Family Time worker liaises with the group's lead",
            data_model=ParentConsents,
            guards=(
                well_identified,
                has_manager,
                has_identifying_worker,
                family_time,
                has_group_lead,
            ),
            effect=consent,
            effects=(
                Message(
                    template="internal_referral/liaison_request",
                    to=LEAD,
                    cc=(WORKER,),
                    rule="IR-03",
                ),
            ),
        ),
        transition(
            "parent_declines",
            "identified",
            "ended",
            (WORKER, MANAGER),
            "IR-02",
            "The parent does not consent: the referral ends, reason recorded",
            data_model=Reason,
            guards=(well_identified,),
            effect=ended_by("parent"),
        ),
        transition(
            "record_liaison",
            "awaiting_liaison",
            "awaiting_sw_agreement",
            (WORKER, LEAD, MANAGER),
            "IR-03",
            "Liaison with the group's lead recorded; the social worker is asked to agree",
            data_model=Liaison,
            effect=liaison,
            effects=(SW_DISCUSSION,),
        ),
        transition(
            "sw_agrees",
            "awaiting_sw_agreement",
            "agreed",
            (WORKER, SW, MANAGER),
            "IR-04",
            "The social worker agrees the parent should be referred to the group",
            data_model=SocialWorkerAgrees,
            effect=sw_agrees,
        ),
        transition(
            "sw_declines",
            "awaiting_sw_agreement",
            "ended",
            (WORKER, SW, MANAGER),
            "IR-04",
            "The social worker does not agree: the referral ends, reason recorded",
            data_model=Reason,
            effect=ended_by("social_worker"),
        ),
        transition(
            "refer",
            "agreed",
            "referred",
            (WORKER, MANAGER),
            "IR-06",
            "PoP: the held form is emailed to Families Together and a linked parenting case "
            "opens, with the identifying worker invited to its planning meeting",
            data_model=Refer,
            guards=(families_together, is_pop),
            effect=refer,
            effects=(
                TO_FAMILIES_TOGETHER,
                Link(
                    process="parenting",
                    kind="internal_referral",
                    rule="IR-06",
                    contacts=LINKED_CONTACTS,
                    data=LINKED_DATA,
                ),
                INVITATION,
            ),
        ),
        transition(
            "refer",
            "agreed",
            "referred",
            (WORKER, MANAGER),
            "IR-05",
            "Freedom: the held form is emailed to Families Together and the group's lead; no "
            "linked case",
            data_model=Refer,
            guards=(families_together,),
            effect=refer,
            effects=(TO_FAMILIES_TOGETHER, INVITATION),
        ),
        transition(
            "end",
            ANY_STATE,
            "ended",
            (WORKER, MANAGER, SW),
            "IR-02",
            "The parent or the social worker ends the referral; who and why are recorded",
            data_model=EndReferral,
            effect=ended_by(None),
        ),
    ),
    timescales=(
        Timescale(
            key="IR-05",
            rule="IR-05",
            description="referral sent to Families Together within 10 working days of the "
            "parent's consent",
            starts_on=("parent_consents",),
            met_by=("refer",),
            within=Duration(amount=10, unit="working_days"),
            remind_before=Duration(amount=3, unit="working_days"),
            on_reminder=(
                Message(template="internal_referral/referral_reminder", to=WORKER, rule="IR-05"),
            ),
            on_due=(
                Message(
                    template="internal_referral/referral_overdue",
                    to=MANAGER,
                    cc=(WORKER,),
                    rule="IR-05",
                ),
            ),
        ),
    ),
    rules={
        "IR-01": "recorded: the case records the worker, their team (parenting, family time, "
        "edge of care), the group (PoP or Freedom) and the need; checked at consent",
        "IR-02": "recorded: parent_consents / parent_declines (reason); end at any point "
        "with a reason",
        "IR-03": "automated: a Family Time worker's referral emails the group's champion lead on "
        "consent and waits for the liaison before the social worker step",
        "IR-04": "automated: the social worker is emailed to discuss; sw_agrees / sw_declines "
        "(reason)",
        "IR-05": "automated: refer emails Families Together the form already held; 10 working "
        "days from consent, worker reminded, manager emailed on breach",
        "IR-06": "automated: PoP opens a linked parenting case (contacts incl. the "
        "identifying worker, data, link on both); invitation email to the worker; "
        "Freedom: no linked case",
    },
)
