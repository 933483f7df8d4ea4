"""Early help: the Family Solutions practice framework (seed 003): rules EH-1.1 to EH-11.7.

A request for support reaches the Family Centre group mailbox and becomes a case (the contact
event, EH-1.3). The referrer is acknowledged, the contact is screened at the daily screening
meeting and either goes to the Multi Agency Action Meeting (MAAM), is stepped down to early
help for allocation, or is not allocated; the referrer is told each outcome. Cases stepped
down from social care and requests for wraparound support arrive ready for allocation. Once a
Family Solutions practitioner is allocated: initial contact, the first visit (child seen and
spoken to), the Early Help Assessment (EHA), the support plan and its 6-weekly reviews, direct
work with the child, Manager's Decision notes and supervision, escalation to social care
(wraparound or step-up), and a closure the manager signs off.

Every timescale of the seed is a `Timescale` (keys below; all are configuration, e.g.
FAMILYFLOW_TIMESCALES='{"EH-3.2-maximum": "7 calendar_days"}'). Where the seed gives an
expectation and a maximum there are two timescales: missing the expectation reminds the person
who does the task; missing the maximum escalates to their manager. Each breach sends one email
to each person, once: never a daily repeat.

Contacts (roles from workflows/contacts.py):

- `referrer`: the professional who made the request (for Front Door contacts the original
  referrer, not the Early Help Desk). Needs an email unless the contact is a DART.
- `duty_worker`: the Family Centre duty worker who runs the group mailbox and the
  pre-allocation list (acknowledgements, outcome emails, weekly contact).
- `manager`: the Family Solutions manager (the practitioner's supervisor): allocates, signs
  off closures, records Manager's Decisions and supervision. Every case needs one with an
  email; `allocate` may name a different one (the allocated worker's supervisor).
- `team_manager` (optional): the lead above the manager; copied on breaches of the manager's
  own timescales (allocation maximums, closure sign-off, Manager's Decisions, supervision).
  Copies to a role the case does not have are simply not sent.
- `worker`: the allocated practitioner (the Lead Professional), given on `allocate`.
- `social_worker`: the social worker of a step-down, a wraparound request or an escalation.
- `parent`, `carer`, `child` (optional, for the record; nobody is texted).

A contact needs `referrer` (unless a DART), `duty_worker` and `manager`, each with an email:
the service writes to them when timescales fall due.

Case data given when the case is created (all optional):

- `route`: `"contact"` (default: a request for support, EHA, DART, Front Door contact or
  walk-in, screened first), `"step_down"` (stepped down from social care: no screening,
  allocated within 48 hours, EH-6.1) or `"wraparound"` (a request from social care for
  wraparound support: allocated within 5 calendar days, EH-7.1).
- `contact_type`: `"request_for_support"`, `"eha"`, `"dart"`, `"front_door"`, `"walk_in"`,
  `"step_down"` (EH-1.3). A `"dart"` is not acknowledged and its screening outcome is not
  emailed to the referrer (EH-1.2, EH-2.2).
- `family`: how the family is named on lists and emails (e.g. "Smith family").
- `cypa_completed_on` (alias `cypa_date`): the date (YYYY-MM-DD, or an ISO date-time) the
  social care CYPA was completed. For a step-down whose CYPA was completed within the three
  calendar months before the case was received, no EHA is required (EH-4.5); the support plan
  still is (EH-5.1).
- `stepped_down_from`, `step_down_reason`: the social care case's reference and why it was
  stepped down (the reason is given to the allocated worker).
- `linked_from`: written by the engine when another process opens this case with a `Link`.

A `statutory_assessment` step-down opens this process with `Link(process="early_help",
kind="step_down", ...)`, data `route="step_down"` (and `cypa_completed_on`), and should map its
social worker to `social_worker` and the receiving early help manager to `manager` (the 48-hour
allocation escalation, EH-6.1, is addressed to the manager; without one it is recorded on the
case as a deadline that could not act, and the case still shows on the daily screening list).

States: `received` → `awaiting_maam` → `awaiting_allocation` (the pre-allocation list) →
`allocated` → `contacted` → `assessing` → `plan_in_place` → `closure_requested` → `closed`;
`not_allocated` (screened out or not allocated at MAAM, waiting only for the outcome email);
`escalated` → `awaiting_wraparound` → `wraparound`, or `stepped_up`.

Reminders go at the start of the working day (09:00, FAMILYFLOW_WORKING_DAY_STARTS) a number of
working days before the due day (1 for the short timescales, 5 for the EHA, plan and reviews,
3 for monthly oversight and supervision), and only when that is after the clock started. A
timescale's breach is sent when it falls due (end of day, or the exact hour), automatic emails
waiting for 08:00 if it is night. Before allocation a manager may `close` a contact (withdrawn,
duplicate); after it, `reallocate` hands the case to another worker.

Decisions where the seed is vague:

- EH-1.2, EH-2.2, EH-3.1: the emails to the referrer are sent by the service from templates when
  the duty worker records them (`acknowledge`, `send_screening_outcome`, `send_maam_outcome`),
  so someone checks who the original referrer is and can add a message. The expectation
  (1 working day) reminds the duty worker; the maximum (3 calendar days) escalates to the
  manager. Not for DARTs (EH-1.2, EH-2.2; the seed does not exempt DARTs from EH-3.1), nor
  for step-downs and wraparound requests, which are confirmed to the social worker when
  allocated.
- EH-1.1: the MAAM clock starts when screening sends the contact to MAAM and runs from the day
  the contact was received (15 calendar days). Contacts not yet screened are on the daily list.
- EH-2.1: the daily screening list (agenda `early_help_screening`) goes Monday to Friday at
  09:00 to the screening meeting's mailing list (FAMILYFLOW_MAILING_LISTS), because the
  meeting, not one case's contact, screens the Family Centre mailbox; it lists new contacts,
  step-downs and wraparound requests to allocate, cases awaiting MAAM, the pre-allocation list
  and outcomes still owed to referrers. Nothing is sent on a day with nothing to list. A
  daily list skips bank holidays and closure days (the next working day's list covers them);
  the weekly and monthly digests move to the next working day.
- EH-2.3, EH-3.2, EH-6.1, EH-7.1: allocation is the manager's task, so its expectation reminds
  the manager and its maximum goes to the manager copied to the team manager. EH-2.3 and
  EH-6.1 have one timescale each (24 and 48 hours, exactly).
- EH-3.3: weekly contact with each family on the pre-allocation list is a recurring 7-day
  timescale, started when the family joins the list and restarted by each
  `record_pre_allocation_contact` (which writes the case note); the duty worker is reminded a
  working day before, the manager is emailed if a week passes.
- EH-4.1: `record_first_visit` is refused unless the child was seen and spoken to; a visit where
  they were not is a `record_visit` and the first-visit timescale stays open. A first visit
  may also be the initial contact.
- EH-4.3: the EHA (with the support plan commenced) is due 4 calendar weeks after allocation,
  unless EH-4.5 applies. Wraparound cases (route `wraparound`, or reallocated as wraparound)
  work to the social care assessment and plan: no EHA, plan or 6-weekly review timescales.
- EH-5.1: the support plan is due 42 calendar days after allocation; reviews are due every
  42 calendar days after the plan and after each review (a recurring timescale). The plan
  records the EH-5.2 headings; SMART is the manager's judgement.
- EH-7.2 to EH-7.4 (one catalogue ID, written with an en dash): `escalate_to_social_care`
  records the decision as a case note with the Request for Support form's reference and tells
  the manager; `record_social_care_decision` records the threshold decision (the 'EH Stepped
  Up to Social Care' form): not met returns the case to where it was; met with wraparound
  starts the EH-7.1 clock for the manager to reallocate the case as Wraparound
  (`allocate_wraparound`, EH-7.3); met without further early help moves it to `stepped_up`,
  to be closed through the usual closure (EH-7.4).
- EH-8.1, EH-8.2, EH-9: `request_closure` is refused until the closure checklist is confirmed
  and the voice of the child is recorded: at assessment and plan (required when those are
  recorded), during case work (`record_direct_work`, which writes the 'Direct work/Voice of
  the child' note, once a plan or wraparound work is under way) and at closure. The guard
  names everything missing. The manager signs off within 3 calendar days (reminder on the
  working day before; escalation to the manager copied to the team manager) with the end date of
  involvement and the closing Manager's Decision (EH-11.1), which is written as a
  `managers_decision` note; closing the case deallocates it from the worker's caseload.
  A closure may be declined, with a reason, back to the worker.
- EH-10.1: the service cannot see recording done elsewhere. It chases what it can: each visit
  recorded here (first visit, visits, reviews) needs its write-up, a case note of kind `visit`,
  by the end of the next working day (to the worker, copied to the manager). A second visit
  before the first is written up replaces that clock. Every event keeps when it happened and
  when it was recorded, so late recording can be reported.
- EH-11.1: a Manager's Decision is due within 3 calendar days of each assessment, plan and
  review (met by a case note of kind `managers_decision` or by `record_managers_decision`),
  and at least monthly on every allocated case: 1 calendar month from allocation or from the
  last `record_managers_decision` (28 April to 28 May; 31 January to 28 or 29 February).
  Only the trigger restarts the monthly clock, because the engine lets a note meet a
  timescale but not start one; the reminder says so.
- EH-11.2: `record_case_discussion` (the supervisor or the worker) writes a case note and
  starts a clock to the end of the next working day, met by the supervisor's Managers Decision
  (a `managers_decision` note or `record_managers_decision`); the manager is reminded at 09:00
  on the day it is due, and a breach goes to the manager copied to the team manager.
- EH-11.3: allocating (or reallocating) a worker who already holds their limit of open cases
  (20 families, 10 if part-time in the users table) adds a warning note and emails the manager;
  it does not block the allocation (the seed allows flexibility after a caseload discussion).
- EH-11.4: prompts to the manager 3, 6, 9 and 12 calendar months after the case was
  received (the same day of the month, or the month's last day when it is shorter). A
  prompt is a milestone, not a task, so nothing meets it; the history shows it as fallen due.
- EH-11.6: supervision is per worker but is recorded in the Supervision case note on each
  case, so each allocated case has a recurring 4-week clock, started at allocation and
  restarted by `record_supervision` (which writes the note): the manager is reminded 3 working
  days before and the breach goes to the manager copied to the team manager.
- Digests (agendas, times configurable in FAMILYFLOW_AGENDA_TIMES; each run is a `job` entry),
  besides the per-case reminders. Nothing is sent to someone with nothing to list.
  `early_help_pre_allocation` (EH-3.3), Mondays 09:00, to each case's duty worker (every
  contact has one): the families on the pre-allocation list (`awaiting_allocation`), when each
  joined it, when it was last contacted (`pre_allocation_contacts`) and when the next contact
  is due. `early_help_oversight` (EH-11.1, EH-11.4), the first Monday of the month 09:00, to
  each case's manager: every allocated open case with the calendar months it has been open at
  the slot; those open 3 months or more are listed first as priorities (3, 6, 9 or 12 months
  or more). `early_help_supervision` (EH-11.6), Mondays 09:00, to each case's manager: an
  agenda's criteria see the case, not the time of the run, so it lists every allocated case
  with its supervision due date (28 days after allocation or the last `record_supervision`)
  and the template groups them by the slot as overdue, due in the next 7 days, or not yet due;
  a manager with allocated cases gets it every week, saying when nothing is due.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from pydantic import AfterValidator, ConfigDict, Field, WithJsonSchema, field_validator

from workflows.contacts import Contact
from workflows.spec import (
    Agenda,
    AgendaSection,
    CaseView,
    Duration,
    Effect,
    Guard,
    Instant,
    Message,
    Note,
    Outcome,
    Process,
    Timescale,
    Transition,
    TriggerData,
    transition,
)

LONDON = ZoneInfo("Europe/London")
REFERRER, DUTY, MANAGER, LEAD = "referrer", "duty_worker", "manager", "team_manager"
WORKER, SW, BS = "worker", "social_worker", "business_support"

CONTACT, STEP_DOWN, WRAPAROUND = "contact", "step_down", "wraparound"
# States.
RECEIVED = "received"  # contact received: to screen (or, for step-downs, to allocate)
AWAITING_MAAM = "awaiting_maam"
AWAITING_ALLOCATION = "awaiting_allocation"  # the pre-allocation list
NOT_ALLOCATED = "not_allocated"  # screened out: the referrer is to be told, then it closes
ALLOCATED = "allocated"
CONTACTED = "contacted"  # initial contact made; the first visit is due
ASSESSING = "assessing"  # first visit done; the EHA and the plan are due
PLAN_IN_PLACE = "plan_in_place"
ESCALATED = "escalated"  # waiting for social care's threshold decision
AWAITING_WRAPAROUND = "awaiting_wraparound"
IN_WRAPAROUND = "wraparound"
STEPPED_UP = "stepped_up"  # social care took over: to close
CLOSURE_REQUESTED = "closure_requested"
CLOSED = "closed"

PRE_ALLOCATION = (RECEIVED, AWAITING_MAAM, AWAITING_ALLOCATION, NOT_ALLOCATED)
KEY_WORK = (ALLOCATED, CONTACTED, ASSESSING, PLAN_IN_PLACE)  # a worker holds the case
CASE_WORK = (*KEY_WORK, ESCALATED, AWAITING_WRAPAROUND, IN_WRAPAROUND, STEPPED_UP)
HELD = (*CASE_WORK, CLOSURE_REQUESTED)
CLOSABLE = (*KEY_WORK, IN_WRAPAROUND, STEPPED_UP)

MANAGERS = (MANAGER, LEAD)
WORKERS = (WORKER, MANAGER, LEAD)
DUTY_TEAM = (DUTY, BS, MANAGER, LEAD)
ESCALATION = "EH-7.2\u20137.4"  # the catalogue's ID, with its en dash
NOT_ALLOCATING = ("signpost", "no_further_action", "social_care")
OUTCOME_WORDS = {
    "maam": "to be presented to the Multi Agency Action Meeting (MAAM)",
    "allocate": "stepped down to Early Help for allocation to a Family Solutions practitioner",
    "signpost": "signposted to other support",
    "no_further_action": "no further action by Family Solutions",
    "social_care": "referred to social care",
}


# -- reading a case ------------------------------------------------------------


def route(case: CaseView) -> str:
    value = case.data.get("route") or CONTACT
    return value if value in (CONTACT, STEP_DOWN, WRAPAROUND) else CONTACT


def is_dart(case: CaseView) -> bool:
    return str(case.data.get("contact_type") or "").strip().lower() == "dart"


def _local_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        return value
    elif isinstance(value, str) and value.strip():
        text = value.strip()
        try:
            return date.fromisoformat(text)
        except ValueError:
            try:
                moment = datetime.fromisoformat(text)
            except ValueError:
                return None
    else:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LONDON)
    return moment.astimezone(LONDON).date()


# EH-4.5: "within three calendar months", counted as the calendar_months unit is (RULES.md).
CYPA_STILL_CURRENT = Duration(amount=3, unit="calendar_months")


def cypa_is_recent(case: CaseView) -> bool:
    """EH-4.5: a step-down whose CYPA was completed in the 3 calendar months before receipt."""
    if route(case) != STEP_DOWN:
        return False
    completed = _local_date(case.data.get("cypa_completed_on") or case.data.get("cypa_date"))
    received = _local_date(case.received_at)
    if completed is None or received is None:
        return False
    return received - relativedelta(months=CYPA_STILL_CURRENT.amount) <= completed <= received


def needs_eha(case: CaseView) -> bool:
    return case.state == ALLOCATED and not cypa_is_recent(case)


def _iso_date(value: str) -> str:
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise ValueError(f"{value!r} is not a date like 2027-04-30") from None


# A YYYY-MM-DD date: forms show the date input for it (format "date").
IsoDate = Annotated[
    str, AfterValidator(_iso_date), WithJsonSchema({"type": "string", "format": "date"})
]


def _day(iso: str) -> str:
    day = date.fromisoformat(iso)
    return f"{day:%A} {day.day} {day:%B %Y}"


# -- trigger data ----------------------------------------------------------------


def _with_email(person: Contact, why: str) -> Contact:
    if not person.email:
        raise ValueError(f"{person.name} needs an email address ({why})")
    return person


class Acknowledge(TriggerData):
    message: str | None = Field(None, description="anything to add to the acknowledgement")


class Screen(TriggerData):
    outcome: Literal["maam", "allocate", "signpost", "no_further_action", "social_care"] = Field(
        description="where the contact goes next",
        json_schema_extra={
            "labels": {
                "maam": "To the Multi Agency Action Meeting (MAAM)",
                "allocate": "Allocate: stepped down to Early Help",
                "signpost": "Signpost",
                "no_further_action": "No further action",
                "social_care": "To social care",
            }
        },
    )
    rationale: str = Field(min_length=1, description="the screening decision and why")
    maam_date: Instant | None = Field(None, description="the MAAM the contact will go to")


class HoldMaam(TriggerData):
    outcome: Literal["allocate", "signpost", "no_further_action", "social_care"]
    rationale: str = Field(min_length=1, description="the MAAM decision and why")


class SendOutcome(TriggerData):
    message: str | None = Field(None, description="anything to add for the referrer")


class Allocate(TriggerData):
    worker: Contact
    manager: Contact | None = Field(
        None, description="the worker's supervisor, if not the case's manager"
    )
    direction: str | None = Field(None, description="the manager's direction to the worker")

    @field_validator("worker")
    @classmethod
    def _worker_email(cls, worker: Contact) -> Contact:
        return _with_email(worker, "reminders go to the allocated worker (EH-4.1)")

    @field_validator("manager")
    @classmethod
    def _manager_email(cls, manager: Contact | None) -> Contact | None:
        return _with_email(manager, "escalations go to the manager") if manager else None


class Reallocate(TriggerData):
    worker: Contact
    reason: str = Field(min_length=1)

    @field_validator("worker")
    @classmethod
    def _worker_email(cls, worker: Contact) -> Contact:
        return _with_email(worker, "reminders go to the allocated worker")


class PreAllocationContact(TriggerData):
    method: Literal["phone", "visit", "text", "email", "letter"]
    summary: str = Field(min_length=1, description="the case note of the contact (EH-3.3)")


class InitialContact(TriggerData):
    method: Literal["phone", "visit", "text", "email", "letter"]
    summary: str | None = None


class Visit(TriggerData):
    child_seen: bool
    child_spoken_to: bool
    purpose: str | None = Field(None, description="the purpose of the visit (EH-10.2)")


class DirectWork(TriggerData):
    summary: str = Field(min_length=1, description="the direct work and the child's voice")


class Assessment(TriggerData):
    voice_of_child: str = Field(min_length=1, description="the child's voice in the EHA (EH-9)")
    support_plan_commenced: bool = Field(False, description="the support plan was started (EH-4.3)")
    summary: str | None = None


class Plan(TriggerData):
    """EH-5.2: what the plan sets out."""

    outcomes: str = Field(min_length=1, description="the outcomes to be achieved")
    actions: str = Field(min_length=1, description="what needs to be done to achieve them")
    evaluation: str = Field(min_length=1, description="how progress will be evaluated")
    responsibilities: str = Field(min_length=1, description="who is responsible for what")
    timeframes: str = Field(min_length=1, description="the timeframes for change")
    contingency: str = Field(min_length=1, description="what happens if the plan isn't working")
    voice_of_child: str = Field(min_length=1, description="the child's voice in the plan (EH-9)")


class Review(TriggerData):
    summary: str = Field(min_length=1)
    voice_of_child: str | None = None


class ManagersDecision(TriggerData):
    decision: str = Field(min_length=1, description="the Manager's Decision case note")
    about: Literal[
        "allocation", "assessment", "plan", "review", "case_discussion", "oversight", "escalation"
    ] = "oversight"


class CaseDiscussion(TriggerData):
    model_config = ConfigDict(extra="forbid")  # as every trigger's: unknown fields refused

    summary: str = Field(min_length=1, description="what the supervisor and worker discussed")


class Supervision(TriggerData):
    summary: str = Field(min_length=1, description="the supervision discussion and actions")


class Escalate(TriggerData):
    reason: str = Field(min_length=1, description="why the case is escalated to social care")
    request_for_support: str = Field(
        min_length=1,
        description="the Request for Support form sent to social care (reference or document)",
    )


class SocialCareDecision(TriggerData):
    threshold_met: bool = Field(description="social care confirmed the Level 4 threshold")
    wraparound_required: bool | None = Field(None, description="needed when the threshold is met")
    social_worker: Contact | None = None
    notes: str | None = None


class AllocateWraparound(TriggerData):
    worker: Contact

    @field_validator("worker")
    @classmethod
    def _worker_email(cls, worker: Contact) -> Contact:
        return _with_email(worker, "reminders go to the allocated worker")


class RequestClosure(TriggerData):
    """EH-8.2's checklist and EH-9's voice of the child at closure; the guard names gaps."""

    reason: str = Field(min_length=1, description="e.g. outcomes achieved, family disengaged")
    closure_summary: str | None = None
    records_up_to_date: bool = False
    documents_uploaded: bool = False
    plan_actions_completed: bool = False
    supervisor_tasks_completed: bool = False
    voice_of_child: str | None = None


class SignOffClosure(TriggerData):
    end_date: IsoDate = Field(description="the end date of involvement (EH-8.1)")
    managers_decision: str = Field(
        min_length=1, description="the closing Manager's Decision (EH-11.1)"
    )


class Reason(TriggerData):
    reason: str = Field(min_length=1)


# -- guards --------------------------------------------------------------------


def outcome_is(*outcomes: str) -> Guard:
    def guard(case: CaseView, data: Mapping[str, Any]) -> str | None:
        return None if data["outcome"] in outcomes else f"outcome is {data['outcome']}"

    return guard


def dart(case: CaseView, data: Mapping[str, Any]) -> str | None:
    return None if is_dart(case) else "not a DART contact"


def not_dart(case: CaseView, data: Mapping[str, Any]) -> str | None:
    if is_dart(case):
        return "DART contacts are not acknowledged or sent the screening outcome (EH-1.2, EH-2.2)"
    return None


def not_acknowledged(case: CaseView, data: Mapping[str, Any]) -> str | None:
    if route(case) != CONTACT:
        return "step-downs and wraparound requests are confirmed on allocation, not acknowledged"
    sent = case.data.get("acknowledged_at")
    return f"the acknowledgement was already sent ({sent})" if sent else None


def screening_outcome_owed(case: CaseView, data: Mapping[str, Any]) -> str | None:
    if not case.data.get("screening_outcome"):
        return "the contact has not been screened yet (EH-2.1)"
    if case.data.get("screening_outcome_sent_at"):
        return "the screening outcome was already sent to the referrer"
    return None


def screened_out(case: CaseView, data: Mapping[str, Any]) -> str | None:
    return None if not case.data.get("maam_outcome") else "the case went to MAAM"


def maam_outcome_owed(case: CaseView, data: Mapping[str, Any]) -> str | None:
    if not case.data.get("maam_outcome"):
        return "the MAAM has not been held yet"
    if case.data.get("maam_outcome_sent_at"):
        return "the MAAM outcome was already sent to the referrer"
    return None


def arrives_for_allocation(case: CaseView, data: Mapping[str, Any]) -> str | None:
    if route(case) in (STEP_DOWN, WRAPAROUND):
        return None
    return "a contact is screened before it is allocated (EH-2.1)"


def stepped_down_at_screening(case: CaseView, data: Mapping[str, Any]) -> str | None:
    if case.data.get("screening_outcome") == "allocate":
        return None
    return "not stepped down to Early Help at screening"


def is_wraparound_request(case: CaseView, data: Mapping[str, Any]) -> str | None:
    return None if route(case) == WRAPAROUND else "not a wraparound request"


def has_manager(case: CaseView, data: Mapping[str, Any]) -> str | None:
    if data.get(MANAGER) or (case.contacts.get(MANAGER) or {}).get("email"):
        return None
    return "the case has no manager: add the worker's supervisor as manager, with an email address"


def child_seen_and_spoken_to(case: CaseView, data: Mapping[str, Any]) -> str | None:
    missing = [
        what
        for what, done in (("seen", data["child_seen"]), ("spoken to", data["child_spoken_to"]))
        if not done
    ]
    if missing:
        return (
            f"the first visit must include the child being seen and spoken to (EH-4.1): "
            f"the child was not {' or '.join(missing)}; record it as a visit instead"
        )
    return None


def assessment_not_done(case: CaseView, data: Mapping[str, Any]) -> str | None:
    done = case.data.get("eha_completed_at")
    return f"the Early Help Assessment was already completed ({done})" if done else None


def assessment_done_or_exempt(case: CaseView, data: Mapping[str, Any]) -> str | None:
    if case.data.get("eha_completed_at") or cypa_is_recent(case):
        return None
    return (
        "complete the Early Help Assessment first (EH-4.3); only a step-down with a CYPA "
        "under 3 months old needs none (EH-4.5)"
    )


def threshold(met: bool, wraparound: bool | None = None) -> Guard:
    def guard(case: CaseView, data: Mapping[str, Any]) -> str | None:
        if data["threshold_met"] and data.get("wraparound_required") is None:
            return (
                "say whether wraparound support is required once "
                "social care confirm the threshold (EH-7.2)"
            )
        if data["threshold_met"] != met:
            return "threshold " + ("not met" if met else "met")
        if wraparound is not None and data.get("wraparound_required") != wraparound:
            return "wraparound " + ("not required" if wraparound else "required")
        return None

    return guard


def came_from(field: str, state: str) -> Guard:
    def guard(case: CaseView, data: Mapping[str, Any]) -> str | None:
        found = case.data.get(field)
        return None if found == state else f"the case was in {found}, not {state}"

    return guard


def closure_ready(case: CaseView, data: Mapping[str, Any]) -> str | None:
    """EH-8.2 and EH-9: name everything still missing before a closure may be requested."""
    checklist = [
        label
        for key, label in (
            ("records_up_to_date", "records up to date"),
            ("documents_uploaded", "relevant documents uploaded"),
            ("plan_actions_completed", "outstanding plan actions completed"),
            ("supervisor_tasks_completed", "the supervisor's further tasks completed"),
        )
        if not data.get(key)
    ]
    if not (data.get("closure_summary") or "").strip():
        checklist.append("a case closure summary")
    voice = []
    casework = bool(case.data.get("plan_completed_at")) or case.state == IN_WRAPAROUND
    stages = {entry.get("stage") for entry in case.data.get("voice_of_child", [])}
    if casework and "case work" not in stages:
        voice.append("during case work (record it as direct work)")
    if not (data.get("voice_of_child") or "").strip():
        voice.append("at closure")
    problems = []
    if checklist:
        problems.append(f"closure checklist incomplete (EH-8.2): {'; '.join(checklist)}")
    if voice:
        problems.append(f"voice of the child not recorded (EH-9): {'; '.join(voice)}")
    return "not ready to close: " + ". ".join(problems) if problems else None


# -- effects -------------------------------------------------------------------


def _append(case: CaseView, key: str, entry: Mapping[str, Any]) -> list[Any]:
    return [*case.data.get(key, []), dict(entry)]


def _voice(case: CaseView, stage: str, text: str | None, at: datetime) -> dict[str, Any]:
    if not text or not text.strip():
        return {}
    return {
        "voice_of_child": _append(
            case, "voice_of_child", {"at": at.isoformat(), "stage": stage, "summary": text}
        )
    }


def acknowledge(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    return Outcome(
        data={"acknowledged_at": at.isoformat()}, context={"message": data.get("message")}
    )


def screen(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    maam_date = data.get("maam_date")
    new = {
        "screening_outcome": data["outcome"],
        "screening_rationale": data["rationale"],
        "screened_at": at.isoformat(),
        "contact_received_at": case.received_at.isoformat(),
        "maam_date": maam_date.isoformat() if isinstance(maam_date, datetime) else None,
    }
    if data["outcome"] in NOT_ALLOCATING and is_dart(case):
        new["closure_reason"] = f"screened: {data['outcome']} (DART: no outcome email)"
    return Outcome(data=new)


def hold_maam(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    return Outcome(
        data={
            "maam_outcome": data["outcome"],
            "maam_rationale": data["rationale"],
            "maam_held_at": at.isoformat(),
        }
    )


def send_screening_outcome(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    new: dict[str, Any] = {"screening_outcome_sent_at": at.isoformat()}
    if case.state == NOT_ALLOCATED:
        new["closure_reason"] = f"screened: {case.data.get('screening_outcome')}"
    return Outcome(data=new, context=_outcome_context(case, "screening", data))


def send_maam_outcome(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    new: dict[str, Any] = {"maam_outcome_sent_at": at.isoformat()}
    if case.state == NOT_ALLOCATED:
        new["closure_reason"] = f"MAAM: {case.data.get('maam_outcome')}"
    return Outcome(data=new, context=_outcome_context(case, "maam", data))


def _outcome_context(case: CaseView, stage: str, data: Mapping[str, Any]) -> dict[str, Any]:
    outcome = case.data.get(f"{stage}_outcome")
    return {
        "outcome": outcome,
        "outcome_words": OUTCOME_WORDS.get(str(outcome), outcome),
        "rationale": case.data.get(f"{stage}_rationale"),
        "message": data.get("message"),
    }


def _caseload(
    data: Mapping[str, Any], at: datetime, worker: str
) -> tuple[dict[str, Any], tuple[Effect, ...], dict[str, Any]]:
    """EH-11.3: warn (note and email to the manager) when the worker would go over the limit."""
    load = data.get("_caseload")
    if not isinstance(load, Mapping) or load["open_cases"] + 1 <= load["limit"]:
        return {}, (), {}
    families = load["open_cases"] + 1
    hours = "part-time" if load["part_time"] else "full-time"
    text = (
        f"Caseload warning: {worker} will hold {families} families, above the "
        f"{load['limit']} recommended for a {hours} practitioner (EH-11.3). Discuss the "
        f"caseload in supervision."
    )
    warning = {
        "at": at.isoformat(),
        "worker": load["email"],
        "families": families,
        "limit": load["limit"],
        "part_time": load["part_time"],
    }
    return (
        {"warning": warning},
        (
            Note(text=text, rule="EH-11.3", kind="caseload_warning"),
            Message(template="early_help/caseload_warning", to=MANAGER, rule="EH-11.3"),
        ),
        {"caseload": {**warning, "hours": hours}},
    )


def allocate(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    """Allocation: the worker is told the first timescales; the social worker of a step-down
    or wraparound request is told who has the case; the caseload is checked (EH-11.3)."""
    worker = data[WORKER]["name"]
    wrap = route(case) == WRAPAROUND
    caseload, warnings, context = _caseload(data, at, worker)
    effects: list[Effect] = [
        Message(template="early_help/worker_allocated", to=WORKER, rule="EH-4.1")
    ]
    if route(case) in (STEP_DOWN, WRAPAROUND) and (case.contacts.get(SW) or {}).get("email"):
        effects.append(
            Message(
                template="early_help/allocated_to_social_worker",
                to=SW,
                rule="EH-7.1" if wrap else "EH-6.1",
            )
        )
    effects.extend(warnings)
    if data.get("direction"):
        effects.append(
            Note(
                text=f"Managers Decision (allocation): {data['direction']}",
                rule="EH-11.1",
                kind="managers_decision",
            )
        )
    new: dict[str, Any] = {
        "allocated_at": at.isoformat(),
        "allocation_role": "wraparound" if wrap else "key",
        "allocations": _append(
            case,
            "allocations",
            {"at": at.isoformat(), "worker": worker, "role": "wraparound" if wrap else "key"},
        ),
    }
    if caseload:
        new["caseload_warnings"] = _append(case, "caseload_warnings", caseload["warning"])
    return Outcome(
        data=new,
        effects=tuple(effects),
        context={**context, "no_eha": cypa_is_recent(case), "wraparound": wrap},
    )


def reallocate(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    worker = data[WORKER]["name"]
    caseload, warnings, context = _caseload(data, at, worker)
    role = case.data.get("allocation_role", "key")
    new: dict[str, Any] = {
        "allocations": _append(
            case,
            "allocations",
            {"at": at.isoformat(), "worker": worker, "role": role, "reason": data["reason"]},
        )
    }
    if caseload:
        new["caseload_warnings"] = _append(case, "caseload_warnings", caseload["warning"])
    return Outcome(
        data=new,
        context={**context, "reason": data["reason"]},
        effects=(
            Message(
                template="early_help/worker_reallocated", to=WORKER, cc=(MANAGER,), rule="EH-11.3"
            ),
            *warnings,
        ),
    )


def pre_allocation_contact(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    entry = {"at": at.isoformat(), "method": data["method"], "summary": data["summary"]}
    return Outcome(
        data={"pre_allocation_contacts": _append(case, "pre_allocation_contacts", entry)},
        effects=(
            Note(
                text=f"Pre-allocation contact ({data['method']}): {data['summary']}",
                rule="EH-3.3",
                kind="pre_allocation_contact",
            ),
        ),
    )


def initial_contact(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    return Outcome(
        data={
            "initial_contact_at": at.isoformat(),
            "initial_contact_method": data["method"],
            "initial_contact_summary": data.get("summary"),
        }
    )


def _visit(case: CaseView, data: Mapping[str, Any], at: datetime, kind: str) -> dict[str, Any]:
    return {
        "visits": _append(
            case,
            "visits",
            {
                "at": at.isoformat(),
                "kind": kind,
                "child_seen": data["child_seen"],
                "child_spoken_to": data["child_spoken_to"],
                "purpose": data.get("purpose"),
            },
        )
    }


def first_visit(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    new = {"first_visit_at": at.isoformat(), **_visit(case, data, at, "first")}
    if not case.data.get("initial_contact_at"):
        new.update(initial_contact_at=at.isoformat(), initial_contact_method="visit")
    return Outcome(data=new)


def visit(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    return Outcome(data=_visit(case, data, at, "visit"))


def direct_work(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    return Outcome(
        data=_voice(case, "case work", data["summary"], at),
        effects=(
            Note(
                text=f"Direct work/Voice of the child: {data['summary']}",
                rule="EH-9",
                kind="direct_work",
            ),
        ),
    )


def complete_assessment(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    return Outcome(
        data={
            "eha_completed_at": at.isoformat(),
            "support_plan_commenced": data["support_plan_commenced"],
            "eha_summary": data.get("summary"),
            **_voice(case, "assessment", data["voice_of_child"], at),
        }
    )


def complete_plan(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    plan = {
        k: data[k]
        for k in (
            "outcomes",
            "actions",
            "evaluation",
            "responsibilities",
            "timeframes",
            "contingency",
        )
    }
    return Outcome(
        data={
            "plan": plan,
            "plan_completed_at": at.isoformat(),
            **_voice(case, "plan", data["voice_of_child"], at),
        }
    )


def review(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    new = {"reviews": _append(case, "reviews", {"at": at.isoformat(), "summary": data["summary"]})}
    return Outcome(data={**new, **_voice(case, "review", data.get("voice_of_child"), at)})


def managers_decision(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    about = str(data["about"]).replace("_", " ")
    return Outcome(
        data={"last_managers_decision_at": at.isoformat()},
        effects=(
            Note(
                text=f"Managers Decision ({about}): {data['decision']}",
                rule="EH-11.1",
                kind="managers_decision",
            ),
        ),
    )


def case_discussion(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    """EH-11.2: the discussion is noted; its Managers Decision is due next working day."""
    return Outcome(
        data={"last_case_discussion_at": at.isoformat()},
        effects=(
            Note(
                text=f"Case discussion: {data['summary']}", rule="EH-11.2", kind="case_discussion"
            ),
        ),
    )


def supervision(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    return Outcome(
        data={"last_supervision_at": at.isoformat()},
        effects=(Note(text=f"Supervision: {data['summary']}", rule="EH-11.6", kind="supervision"),),
    )


def escalate(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    text = (
        f"Escalated to social care: {data['reason']} Request for Support: "
        f"{data['request_for_support']}"
    )
    return Outcome(
        data={
            "escalated_at": at.isoformat(),
            "escalated_from": case.state,
            "escalation_reason": data["reason"],
            "request_for_support": data["request_for_support"],
        },
        context={"reason": data["reason"], "request_for_support": data["request_for_support"]},
        effects=(Note(text=text, rule=ESCALATION, kind="escalation"),),
    )


def social_care_decision(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    met, wrap = data["threshold_met"], data.get("wraparound_required")
    outcome = (
        "threshold not met: early help continues"
        if not met
        else "threshold met: wraparound support required"
        if wrap
        else "threshold met: no further early help support; the case is to close"
    )
    text = f"EH Stepped Up to Social Care: {outcome}."
    if data.get("notes"):
        text += f" {data['notes']}"
    return Outcome(
        data={
            "threshold_met": met,
            "wraparound_required": wrap,
            "social_care_decision_at": at.isoformat(),
        },
        effects=(Note(text=text, rule=ESCALATION, kind="escalation"),),
    )


def allocate_wraparound(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    worker = data[WORKER]["name"]
    caseload, warnings, context = _caseload(data, at, worker)
    new: dict[str, Any] = {
        "allocation_role": "wraparound",
        "allocations": _append(
            case, "allocations", {"at": at.isoformat(), "worker": worker, "role": "wraparound"}
        ),
    }
    if caseload:
        new["caseload_warnings"] = _append(case, "caseload_warnings", caseload["warning"])
    note = Note(
        text=f"Key worker role ended; reallocated to {worker} as Wraparound (EH-7.3).",
        rule=ESCALATION,
        kind="allocation",
    )
    return Outcome(
        data=new,
        context=context,
        effects=(
            Message(
                template="early_help/wraparound_allocated",
                to=WORKER,
                cc=(MANAGER, SW),
                rule=ESCALATION,
            ),
            note,
            *warnings,
        ),
    )


def request_closure(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    closure = {
        k: data[k]
        for k in (
            "reason",
            "closure_summary",
            "records_up_to_date",
            "documents_uploaded",
            "plan_actions_completed",
            "supervisor_tasks_completed",
        )
    }
    return Outcome(
        data={
            "closure": closure,
            "closure_requested_at": at.isoformat(),
            "closure_requested_from": case.state,
            **_voice(case, "closure", data.get("voice_of_child"), at),
        },
        context={"closure": closure},
    )


def sign_off_closure(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    reason = (case.data.get("closure") or {}).get("reason")
    return Outcome(
        data={
            "involvement_ended_on": data["end_date"],
            "closure_reason": reason,
            "closure_signed_off_at": at.isoformat(),
        },
        context={"end_date": data["end_date"], "end_day": _day(data["end_date"]), "reason": reason},
        effects=(
            Note(
                text=f"Managers Decision (closure): {data['managers_decision']}",
                rule="EH-11.1",
                kind="managers_decision",
            ),
        ),
    )


def decline_closure(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    return Outcome(
        data={
            "closure_declined": _append(
                case, "closure_declined", {"at": at.isoformat(), "reason": data["reason"]}
            )
        },
        context={"reason": data["reason"]},
    )


def close(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    return Outcome(data={"closure_reason": data["reason"]})


# -- timescales ------------------------------------------------------------------


def _referrer_told(case: CaseView) -> bool:
    return route(case) == CONTACT and not is_dart(case)


def _screened_to(outcome: str) -> Callable[[CaseView], bool]:
    return lambda case: case.data.get("screening_outcome") == outcome and route(case) == CONTACT


def _maam_allocates(case: CaseView) -> bool:
    return case.data.get("maam_outcome") == "allocate"


def _on_pre_allocation_list(case: CaseView) -> bool:
    return case.state == AWAITING_ALLOCATION


def _wraparound_requested(case: CaseView) -> bool:
    return case.state == AWAITING_WRAPAROUND or (
        case.state == RECEIVED and route(case) == WRAPAROUND
    )


def _step_down(case: CaseView) -> bool:
    return route(case) == STEP_DOWN


def _plan_in_place(case: CaseView) -> bool:
    return case.state == PLAN_IN_PLACE


def _key_allocation(case: CaseView) -> bool:
    return case.state == ALLOCATED


def _days(amount: int) -> Duration:
    return Duration(amount=amount, unit="calendar_days")


def _working(amount: int) -> Duration:
    return Duration(amount=amount, unit="working_days")


def _mail(template: str, to: str, rule: str, *cc: str) -> tuple[Message, ...]:
    return (Message(template=f"early_help/{template}", to=to, cc=tuple(cc), rule=rule),)


def _pair(
    rule: str,
    what: str,
    *,
    starts_on: tuple[str, ...],
    met_by: tuple[str, ...],
    expected: Duration,
    maximum: Duration,
    expected_to: str,
    expected_template: str,
    maximum_template: str,
    maximum_cc: tuple[str, ...],
    applies: Callable[[CaseView], bool] | None = None,
) -> tuple[Timescale, Timescale]:
    """An expectation (reminds the person doing it) and a maximum (escalates to the manager)."""
    return (
        Timescale(
            key=f"{rule}-expected",
            rule=rule,
            description=f"{what}: expected within {expected.describe()}",
            starts_on=starts_on,
            met_by=met_by,
            within=expected,
            applies=applies,
            on_due=_mail(expected_template, expected_to, rule),
        ),
        Timescale(
            key=f"{rule}-maximum",
            rule=rule,
            description=f"{what}: maximum {maximum.describe()}",
            starts_on=starts_on,
            met_by=met_by,
            within=maximum,
            applies=applies,
            on_due=_mail(maximum_template, MANAGER, rule, *maximum_cc),
        ),
    )


def _task(
    key: str,
    rule: str,
    description: str,
    *,
    owner: str,
    starts_on: tuple[str, ...],
    met_by: tuple[str, ...],
    within: Duration,
    remind_before: Duration,
    applies: Callable[[CaseView], bool] | None = None,
) -> Timescale:
    """The owner (worker or manager) is reminded before it is due; a breach goes to the
    manager, copying the worker (or, for the manager's own task, the lead)."""
    prefix, cc = ("worker", WORKER) if owner == WORKER else ("manager", LEAD)
    return Timescale(
        key=key,
        rule=rule,
        description=description,
        starts_on=starts_on,
        met_by=met_by,
        within=within,
        applies=applies,
        remind_before=remind_before,
        on_reminder=_mail(f"{prefix}_task_reminder", owner, rule),
        on_due=_mail(f"{prefix}_task_overdue", MANAGER, rule, cc),
    )


def _worker_task(key: str, rule: str, description: str, **kw: Any) -> Timescale:
    return _task(key, rule, description, owner=WORKER, **kw)


def _manager_task(key: str, rule: str, description: str, **kw: Any) -> Timescale:
    return _task(key, rule, description, owner=MANAGER, **kw)


DECISION = ("note:managers_decision", "record_managers_decision")
ALLOCATING = ("allocate", "allocate_wraparound")

TIMESCALES: tuple[Timescale, ...] = (
    *_pair(
        "EH-1.2",
        "acknowledgement email to the referrer",
        starts_on=("__created__",),
        met_by=("acknowledge",),
        expected=_working(1),
        maximum=_days(3),
        expected_to=DUTY,
        expected_template="referrer_email_expected",
        maximum_template="referrer_email_overdue",
        maximum_cc=(DUTY,),
        applies=_referrer_told,
    ),
    Timescale(
        key="EH-1.1",
        rule="EH-1.1",
        description="presented to the Multi Agency Action Meeting within 15 calendar "
        "days of the contact",
        starts_on=("screen",),
        met_by=("hold_maam",),
        within=_days(15),
        anchor_field="contact_received_at",
        applies=_screened_to("maam"),
        remind_before=_working(2),
        on_reminder=_mail("maam_reminder", DUTY, "EH-1.1"),
        on_due=_mail("maam_overdue", MANAGER, "EH-1.1", DUTY),
    ),
    *_pair(
        "EH-2.2",
        "screening outcome email to the referrer",
        starts_on=("screen",),
        met_by=("send_screening_outcome",),
        expected=_working(1),
        maximum=_days(3),
        expected_to=DUTY,
        expected_template="referrer_email_expected",
        maximum_template="referrer_email_overdue",
        maximum_cc=(DUTY,),
        applies=_referrer_told,
    ),
    Timescale(
        key="EH-2.3",
        rule="EH-2.3",
        description="allocation within 24 hours of being stepped down to Early Help at screening",
        starts_on=("screen",),
        met_by=("allocate",),
        within=Duration(amount=24, unit="hours"),
        applies=_screened_to("allocate"),
        on_due=_mail("allocation_expected", MANAGER, "EH-2.3"),
    ),
    *_pair(
        "EH-3.1",
        "MAAM outcome email to the referrer",
        starts_on=("hold_maam",),
        met_by=("send_maam_outcome",),
        expected=_working(1),
        maximum=_days(3),
        expected_to=DUTY,
        expected_template="referrer_email_expected",
        maximum_template="referrer_email_overdue",
        maximum_cc=(DUTY,),
    ),
    *_pair(
        "EH-3.2",
        "allocation after the MAAM",
        starts_on=("hold_maam",),
        met_by=("allocate",),
        expected=_working(2),
        maximum=_days(5),
        expected_to=MANAGER,
        expected_template="allocation_expected",
        maximum_template="allocation_overdue",
        maximum_cc=(LEAD,),
        applies=_maam_allocates,
    ),
    Timescale(
        key="EH-3.3",
        rule="EH-3.3",
        description="weekly contact with the family on the pre-allocation list, case-noted",
        starts_on=("screen", "hold_maam", "record_pre_allocation_contact"),
        met_by=("record_pre_allocation_contact", "allocate"),
        within=_days(7),
        applies=_on_pre_allocation_list,
        remind_before=_working(1),
        on_reminder=_mail("pre_allocation_contact_reminder", DUTY, "EH-3.3"),
        on_due=_mail("pre_allocation_contact_overdue", MANAGER, "EH-3.3", DUTY),
    ),
    Timescale(
        key="EH-6.1",
        rule="EH-6.1",
        description="allocation within 48 hours of a step-down from social care",
        starts_on=("__created__",),
        met_by=("allocate",),
        within=Duration(amount=48, unit="hours"),
        applies=_step_down,
        on_due=_mail("allocation_overdue", MANAGER, "EH-6.1", LEAD),
    ),
    *_pair(
        "EH-7.1",
        "wraparound request screened and allocated",
        starts_on=("__created__", "record_social_care_decision"),
        met_by=ALLOCATING,
        expected=_working(2),
        maximum=_days(5),
        expected_to=MANAGER,
        expected_template="allocation_expected",
        maximum_template="allocation_overdue",
        maximum_cc=(LEAD,),
        applies=_wraparound_requested,
    ),
    _worker_task(
        "EH-4.1-contact",
        "EH-4.1",
        "initial contact with the family within 2 calendar days of allocation",
        starts_on=("allocate",),
        met_by=("record_initial_contact", "record_first_visit"),
        within=_days(2),
        remind_before=_working(1),
    ),
    _worker_task(
        "EH-4.1-visit",
        "EH-4.1",
        "first visit, with the child seen and spoken to, within 5 working days of "
        "the initial contact",
        starts_on=("record_initial_contact",),
        met_by=("record_first_visit",),
        within=_working(5),
        remind_before=_working(1),
    ),
    _worker_task(
        "EH-4.3",
        "EH-4.3",
        "Early Help Assessment completed, and the support plan commenced, within "
        "4 calendar weeks of allocation",
        starts_on=("allocate", "allocate_wraparound"),
        met_by=("complete_assessment",),
        within=Duration(amount=4, unit="weeks"),
        remind_before=_working(5),
        applies=needs_eha,
    ),
    _worker_task(
        "EH-5.1-plan",
        "EH-5.1",
        "Early Help Support Plan completed within 42 calendar days of allocation",
        starts_on=("allocate", "allocate_wraparound"),
        met_by=("complete_plan",),
        within=_days(42),
        remind_before=_working(5),
        applies=_key_allocation,
    ),
    _worker_task(
        "EH-5.1-review",
        "EH-5.1",
        "support plan review at least every 42 calendar days",
        starts_on=("complete_plan", "record_review", "allocate_wraparound"),
        met_by=("record_review",),
        within=_days(42),
        remind_before=_working(5),
        applies=_plan_in_place,
    ),
    Timescale(
        key="EH-10.1",
        rule="EH-10.1",
        description="visit or review written up (a case note of kind visit) by the end "
        "of the next working day",
        starts_on=("record_first_visit", "record_visit", "record_review"),
        met_by=("note:visit",),
        within=_working(1),
        on_due=_mail("write_up_overdue", WORKER, "EH-10.1", MANAGER),
    ),
    _manager_task(
        "EH-8.1",
        "EH-8.1",
        "closure signed off by the manager within 3 calendar days of the request",
        starts_on=("request_closure",),
        met_by=("sign_off_closure", "decline_closure"),
        within=_days(3),
        remind_before=_working(1),
    ),
    _manager_task(
        "EH-11.1-assessment",
        "EH-11.1",
        "Managers Decision case note within 3 calendar days of the assessment",
        starts_on=("complete_assessment",),
        met_by=DECISION,
        within=_days(3),
        remind_before=_working(1),
    ),
    _manager_task(
        "EH-11.1-plan",
        "EH-11.1",
        "Managers Decision case note within 3 calendar days of the support plan",
        starts_on=("complete_plan",),
        met_by=DECISION,
        within=_days(3),
        remind_before=_working(1),
    ),
    _manager_task(
        "EH-11.1-review",
        "EH-11.1",
        "Managers Decision case note within 3 calendar days of the review",
        starts_on=("record_review",),
        met_by=DECISION,
        within=_days(3),
        remind_before=_working(1),
    ),
    Timescale(
        key="EH-11.1-monthly",
        rule="EH-11.1",
        description="management oversight (record_managers_decision) at least once a month",
        starts_on=("allocate", "record_managers_decision"),
        met_by=("record_managers_decision",),
        within=Duration(amount=1, unit="calendar_months"),
        remind_before=_working(3),
        on_reminder=_mail("monthly_oversight_reminder", MANAGER, "EH-11.1"),
        on_due=_mail("monthly_oversight_overdue", MANAGER, "EH-11.1", LEAD),
    ),
    _manager_task(
        "EH-11.2",
        "EH-11.2",
        "Managers Decision case note by the end of the next working day after a case discussion",
        starts_on=("record_case_discussion",),
        met_by=DECISION,
        within=_working(1),
        remind_before=_working(0),  # 09:00 on the day it is due: the discussion day is too soon
    ),
    _manager_task(
        "EH-11.6",
        "EH-11.6",
        "supervision every 4 calendar weeks, recorded in the Supervision case note",
        starts_on=("allocate", "record_supervision"),
        met_by=("record_supervision",),
        within=Duration(amount=4, unit="weeks"),
        remind_before=_working(3),
    ),
    *(
        Timescale(
            key=f"EH-11.4-{months}m",
            rule="EH-11.4",
            description=f"open {months} calendar months: prioritise oversight",
            starts_on=("__created__",),
            met_by=(),
            within=Duration(amount=months, unit="calendar_months"),
            on_due=_mail("oversight_prompt", MANAGER, "EH-11.4"),
        )
        for months in (3, 6, 9, 12)
    ),
)


def _back(
    trigger: str,
    field: str,
    states: tuple[str, ...],
    roles: tuple[str, ...],
    rule: str,
    description: str,
    **extra: Any,
) -> tuple[Transition, ...]:
    """One transition per state the case may return to, chosen by what the data recorded."""
    source = extra.pop("source")
    guards = extra.pop("guards", ())
    return tuple(
        transition(
            trigger,
            source,
            state,
            roles,
            rule,
            f"{description} ({state})",
            guards=(*guards, came_from(field, state)),
            **extra,
        )
        for state in states
    )


def _contact_route(case: CaseView) -> bool:
    return route(case) == CONTACT


def _supervision_running(case: CaseView) -> bool:
    """EH-11.6: the supervision clock runs from allocation (or the last supervision)."""
    return bool(case.data.get("last_supervision_at") or case.data.get("allocated_at"))


def _route_is(value: str) -> Callable[[CaseView], bool]:
    return lambda case: route(case) == value


PROCESS = Process(
    name="early_help",
    code="EH",
    title="Early help (Family Solutions)",
    source="seed 003, Family Solutions Practice Framework",
    initial=RECEIVED,
    states=(
        RECEIVED,
        AWAITING_MAAM,
        AWAITING_ALLOCATION,
        NOT_ALLOCATED,
        ALLOCATED,
        CONTACTED,
        ASSESSING,
        PLAN_IN_PLACE,
        ESCALATED,
        AWAITING_WRAPAROUND,
        IN_WRAPAROUND,
        STEPPED_UP,
        CLOSURE_REQUESTED,
        CLOSED,
    ),
    final_states=frozenset({CLOSED}),
    contact_roles=(REFERRER, DUTY, MANAGER, LEAD, WORKER, SW, BS, "parent", "carer", "child"),
    caseload_role=WORKER,
    # EH-11.1, EH-11.2 (and EH-5.2's oversight): the Managers Decision note is the
    # manager's act; written by anyone else it is kept but meets no timescale.
    note_met_by_roles={"managers_decision": frozenset(MANAGERS)},
    transitions=(
        # -- contact and screening (EH-1, EH-2, EH-3) --
        transition(
            "acknowledge",
            (*PRE_ALLOCATION, ALLOCATED),
            None,
            DUTY_TEAM,
            "EH-1.2",
            "Acknowledgement emailed to the referrer with the screening timescales",
            data_model=Acknowledge,
            guards=(not_dart, not_acknowledged),
            effect=acknowledge,
            effects=_mail("acknowledgement", REFERRER, "EH-1.2"),
        ),
        transition(
            "screen",
            RECEIVED,
            AWAITING_MAAM,
            DUTY_TEAM,
            "EH-2.1",
            "Screened: to the Multi Agency Action Meeting",
            data_model=Screen,
            guards=(outcome_is("maam"),),
            effect=screen,
        ),
        transition(
            "screen",
            RECEIVED,
            AWAITING_ALLOCATION,
            DUTY_TEAM,
            "EH-2.3",
            "Screened: stepped down to Early Help, to allocate within 24 hours",
            data_model=Screen,
            guards=(outcome_is("allocate"),),
            effect=screen,
        ),
        transition(
            "screen",
            RECEIVED,
            CLOSED,
            DUTY_TEAM,
            "EH-2.2",
            "Screened: not for Family Solutions; a DART, so no outcome email",
            data_model=Screen,
            guards=(outcome_is(*NOT_ALLOCATING), dart),
            effect=screen,
        ),
        transition(
            "screen",
            RECEIVED,
            NOT_ALLOCATED,
            DUTY_TEAM,
            "EH-2.2",
            "Screened: not for Family Solutions; the referrer is to be told",
            data_model=Screen,
            guards=(outcome_is(*NOT_ALLOCATING),),
            effect=screen,
        ),
        transition(
            "send_screening_outcome",
            NOT_ALLOCATED,
            CLOSED,
            DUTY_TEAM,
            "EH-2.2",
            "Screening outcome emailed to the referrer; nothing more to do, so closed",
            data_model=SendOutcome,
            guards=(screening_outcome_owed, screened_out),
            effect=send_screening_outcome,
            effects=_mail("screening_outcome", REFERRER, "EH-2.2"),
        ),
        transition(
            "send_screening_outcome",
            (AWAITING_MAAM, AWAITING_ALLOCATION, ALLOCATED, CONTACTED),
            None,
            DUTY_TEAM,
            "EH-2.2",
            "Screening outcome emailed to the referrer",
            data_model=SendOutcome,
            guards=(screening_outcome_owed,),
            effect=send_screening_outcome,
            effects=_mail("screening_outcome", REFERRER, "EH-2.2"),
        ),
        transition(
            "hold_maam",
            AWAITING_MAAM,
            AWAITING_ALLOCATION,
            (*DUTY_TEAM,),
            "EH-3.2",
            "MAAM held: allocate to a Family Solutions practitioner",
            data_model=HoldMaam,
            guards=(outcome_is("allocate"),),
            effect=hold_maam,
        ),
        transition(
            "hold_maam",
            AWAITING_MAAM,
            NOT_ALLOCATED,
            (*DUTY_TEAM,),
            "EH-3.1",
            "MAAM held: not allocated; the referrer is to be told",
            data_model=HoldMaam,
            effect=hold_maam,
        ),
        transition(
            "send_maam_outcome",
            NOT_ALLOCATED,
            CLOSED,
            DUTY_TEAM,
            "EH-3.1",
            "MAAM outcome emailed to the referrer; nothing more to do, so closed",
            data_model=SendOutcome,
            guards=(maam_outcome_owed,),
            effect=send_maam_outcome,
            effects=_mail("maam_outcome", REFERRER, "EH-3.1"),
        ),
        transition(
            "send_maam_outcome",
            (AWAITING_ALLOCATION, ALLOCATED, CONTACTED),
            None,
            DUTY_TEAM,
            "EH-3.1",
            "MAAM outcome emailed to the referrer",
            data_model=SendOutcome,
            guards=(maam_outcome_owed,),
            effect=send_maam_outcome,
            effects=_mail("maam_outcome", REFERRER, "EH-3.1"),
        ),
        transition(
            "record_pre_allocation_contact",
            AWAITING_ALLOCATION,
            None,
            (DUTY, *WORKERS),
            "EH-3.3",
            "Weekly contact with a family on the pre-allocation list, case-noted",
            data_model=PreAllocationContact,
            effect=pre_allocation_contact,
        ),
        transition(
            "close",
            PRE_ALLOCATION,
            CLOSED,
            MANAGERS,
            "EH-8.1",
            "Closed before allocation (withdrawn, duplicate, moved away) with a reason",
            data_model=Reason,
            effect=close,
        ),
        # -- allocation (EH-2.3, EH-3.2, EH-6.1, EH-7.1, EH-11.3) --
        transition(
            "allocate",
            (RECEIVED, AWAITING_ALLOCATION),
            IN_WRAPAROUND,
            MANAGERS,
            "EH-7.1",
            "Wraparound request allocated to a practitioner in the Wraparound role",
            data_model=Allocate,
            guards=(is_wraparound_request, has_manager),
            effect=allocate,
        ),
        transition(
            "allocate",
            (RECEIVED,),
            ALLOCATED,
            MANAGERS,
            "EH-6.1",
            "Step-down from social care allocated to a practitioner",
            data_model=Allocate,
            guards=(arrives_for_allocation, has_manager),
            effect=allocate,
        ),
        transition(
            "allocate",
            (AWAITING_ALLOCATION,),
            ALLOCATED,
            MANAGERS,
            "EH-2.3",
            "Stepped down at screening: allocated to a Family Solutions practitioner",
            data_model=Allocate,
            guards=(stepped_down_at_screening, has_manager),
            effect=allocate,
        ),
        transition(
            "allocate",
            (AWAITING_ALLOCATION,),
            ALLOCATED,
            MANAGERS,
            "EH-3.2",
            "Allocated to a Family Solutions practitioner (the Lead Professional)",
            data_model=Allocate,
            guards=(has_manager,),
            effect=allocate,
        ),
        transition(
            "reallocate",
            CASE_WORK,
            None,
            MANAGERS,
            "EH-11.3",
            "Reallocated to another practitioner; the caseload is checked",
            data_model=Reallocate,
            effect=reallocate,
        ),
        # -- assessment, plan and reviews (EH-4, EH-5, EH-9, EH-10) --
        transition(
            "record_initial_contact",
            ALLOCATED,
            CONTACTED,
            WORKERS,
            "EH-4.1",
            "Initial contact made with the family",
            data_model=InitialContact,
            effect=initial_contact,
        ),
        transition(
            "record_initial_contact",
            IN_WRAPAROUND,
            None,
            WORKERS,
            "EH-4.1",
            "Initial contact made with the family (wraparound)",
            data_model=InitialContact,
            effect=initial_contact,
        ),
        transition(
            "record_first_visit",
            (ALLOCATED, CONTACTED),
            ASSESSING,
            WORKERS,
            "EH-4.1",
            "First visit: the child seen and spoken to",
            data_model=Visit,
            guards=(child_seen_and_spoken_to,),
            effect=first_visit,
        ),
        transition(
            "record_first_visit",
            IN_WRAPAROUND,
            None,
            WORKERS,
            "EH-4.1",
            "First visit (wraparound): the child seen and spoken to",
            data_model=Visit,
            guards=(child_seen_and_spoken_to,),
            effect=first_visit,
        ),
        transition(
            "record_visit",
            CASE_WORK,
            None,
            WORKERS,
            "EH-10.1",
            "A visit; its write-up (note of kind visit) is due by the end of the next working day",
            data_model=Visit,
            effect=visit,
        ),
        transition(
            "record_direct_work",
            CASE_WORK,
            None,
            WORKERS,
            "EH-9",
            "Direct work/Voice of the child case note",
            data_model=DirectWork,
            effect=direct_work,
        ),
        transition(
            "complete_assessment",
            ASSESSING,
            None,
            WORKERS,
            "EH-4.3",
            "Early Help Assessment completed, with the voice of the child",
            data_model=Assessment,
            guards=(assessment_not_done,),
            effect=complete_assessment,
        ),
        transition(
            "complete_plan",
            ASSESSING,
            PLAN_IN_PLACE,
            WORKERS,
            "EH-5.1",
            "Early Help Support Plan completed (EH-5.2 headings, voice of the child)",
            data_model=Plan,
            guards=(assessment_done_or_exempt,),
            effect=complete_plan,
        ),
        transition(
            "record_review",
            PLAN_IN_PLACE,
            None,
            WORKERS,
            "EH-5.1",
            "Support plan review meeting held",
            data_model=Review,
            effect=review,
        ),
        # -- management oversight (EH-11) --
        transition(
            "record_managers_decision",
            HELD,
            None,
            MANAGERS,
            "EH-11.1",
            "Managers Decision case note",
            data_model=ManagersDecision,
            effect=managers_decision,
        ),
        transition(
            "record_case_discussion",
            HELD,
            None,
            WORKERS,
            "EH-11.2",
            "Case discussion between the supervisor and the worker",
            data_model=CaseDiscussion,
            effect=case_discussion,
        ),
        transition(
            "record_supervision",
            HELD,
            None,
            MANAGERS,
            "EH-11.6",
            "Supervision recorded in the Supervision case note",
            data_model=Supervision,
            effect=supervision,
        ),
        # -- escalation and wraparound (EH-7) --
        transition(
            "escalate_to_social_care",
            KEY_WORK,
            ESCALATED,
            WORKERS,
            ESCALATION,
            "Escalated to social care: case note with the Request for Support form",
            data_model=Escalate,
            effect=escalate,
            effects=_mail("escalated", MANAGER, ESCALATION),
        ),
        transition(
            "record_social_care_decision",
            ESCALATED,
            AWAITING_WRAPAROUND,
            WORKERS,
            ESCALATION,
            "Level 4 threshold met, wraparound support required: to reallocate as Wraparound",
            data_model=SocialCareDecision,
            guards=(threshold(True, True),),
            effect=social_care_decision,
        ),
        transition(
            "record_social_care_decision",
            ESCALATED,
            STEPPED_UP,
            WORKERS,
            ESCALATION,
            "Level 4 threshold met, no further early help support: the case is to close",
            data_model=SocialCareDecision,
            guards=(threshold(True, False),),
            effect=social_care_decision,
        ),
        *_back(
            "record_social_care_decision",
            "escalated_from",
            KEY_WORK,
            WORKERS,
            ESCALATION,
            "Threshold not met: early help continues",
            source=(ESCALATED,),
            data_model=SocialCareDecision,
            guards=(threshold(False),),
            effect=social_care_decision,
        ),
        transition(
            "allocate_wraparound",
            AWAITING_WRAPAROUND,
            IN_WRAPAROUND,
            MANAGERS,
            ESCALATION,
            "Key worker deallocated; the case reallocated as Wraparound",
            data_model=AllocateWraparound,
            effect=allocate_wraparound,
        ),
        # -- closure (EH-8, EH-9) --
        transition(
            "request_closure",
            CLOSABLE,
            CLOSURE_REQUESTED,
            WORKERS,
            "EH-8.1",
            "Closure requested: checklist complete and the voice of the child recorded",
            data_model=RequestClosure,
            guards=(closure_ready,),
            effect=request_closure,
            effects=_mail("closure_requested", MANAGER, "EH-8.1"),
        ),
        transition(
            "sign_off_closure",
            CLOSURE_REQUESTED,
            CLOSED,
            MANAGERS,
            "EH-8.1",
            "Manager signs off: end date of involvement, closing Managers Decision; deallocated",
            data_model=SignOffClosure,
            effect=sign_off_closure,
            effects=_mail("case_closed", WORKER, "EH-8.1", MANAGER),
        ),
        *_back(
            "decline_closure",
            "closure_requested_from",
            CLOSABLE,
            MANAGERS,
            "EH-8.1",
            "Closure declined with a reason: back to the worker",
            source=(CLOSURE_REQUESTED,),
            data_model=Reason,
            effect=decline_closure,
            effects=_mail("closure_declined", WORKER, "EH-8.1"),
        ),
    ),
    timescales=TIMESCALES,
    agendas=(
        Agenda(
            key="early_help_screening",
            rules=("EH-2.1",),
            template="early_help/screening_list",
            to="screening_meeting",
            day_of_week="mon-fri",
            time="09:00",
            mailing_list=True,
            sections=(
                AgendaSection(
                    key="contacts",
                    title="New contacts to screen",
                    state_in=(RECEIVED,),
                    where=_contact_route,
                ),
                AgendaSection(
                    key="step_downs",
                    title="Step-downs from social care: allocate "
                    "within 48 hours of receipt (EH-6.1)",
                    state_in=(RECEIVED,),
                    where=_route_is(STEP_DOWN),
                ),
                AgendaSection(
                    key="wraparound",
                    title="Wraparound requests: screen and "
                    "allocate within 5 calendar days (EH-7.1)",
                    state_in=(RECEIVED, AWAITING_WRAPAROUND),  # as _wraparound_requested
                    where=_wraparound_requested,
                ),
                AgendaSection(
                    key="maam",
                    title="Awaiting the Multi Agency Action Meeting "
                    "(within 15 calendar days of contact, EH-1.1)",
                    state_in=(AWAITING_MAAM,),
                ),
                AgendaSection(
                    key="pre_allocation",
                    title="Pre-allocation list: weekly contact with each family (EH-3.3)",
                    state_in=(AWAITING_ALLOCATION,),
                ),
                AgendaSection(
                    key="outcome_owed",
                    title="Not allocated: tell the referrer the outcome, then the case closes",
                    state_in=(NOT_ALLOCATED,),
                ),
            ),
        ),
        Agenda(
            key="early_help_pre_allocation",
            rules=("EH-3.3",),
            template="early_help/pre_allocation_digest",
            to=DUTY,
            day_of_week="mon",
            time="09:00",
            sections=(
                AgendaSection(
                    key="pre_allocation",
                    title="Families on the pre-allocation list: contact each one weekly",
                    state_in=(AWAITING_ALLOCATION,),
                ),
            ),
        ),
        Agenda(
            key="early_help_oversight",
            rules=("EH-11.1", "EH-11.4"),
            template="early_help/oversight_digest",
            to=MANAGER,
            day="1st mon",
            day_of_week="*",
            time="09:00",
            sections=(
                AgendaSection(
                    key="allocated",
                    title="Allocated open cases",
                    state_in=HELD,
                ),
            ),
        ),
        Agenda(
            key="early_help_supervision",
            rules=("EH-11.6",),
            template="early_help/supervision_digest",
            to=MANAGER,
            day_of_week="mon",
            time="09:00",
            sections=(
                AgendaSection(
                    key="supervision",
                    title="Allocated cases and when their supervision is due",
                    state_in=HELD,
                    where=_supervision_running,
                ),
            ),
        ),
    ),
    rules={
        "EH-1.1": "automated: MAAM due 15 calendar days from the contact when screening sends "
        "it there; duty worker reminded 2 working days before, manager on breach",
        "EH-1.2": "automated: acknowledgement emailed to the referrer from a template "
        "(acknowledge); expected 1 working day (duty worker reminded), maximum "
        "3 calendar days (manager); not for DARTs",
        "EH-1.3": "recorded: every request for support is a case with its contact_type (the "
        "contact event); the EIS form itself is manual",
        "EH-2.1": "automated: daily screening list, Monday to Friday 09:00, to the screening "
        "meeting's mailing list; screen records the outcome",
        "EH-2.2": "automated: screening outcome emailed to the referrer from a template; "
        "expected 1 working day (duty worker), maximum 3 calendar days (manager); "
        "not for DARTs; a MAAM outcome says so",
        "EH-2.3": "automated: allocation within 24 hours of a screening step-down, else the "
        "manager is emailed",
        "EH-3.1": "automated: MAAM outcome emailed to the referrer; expected 1 working day "
        "(duty worker), maximum 3 calendar days (manager)",
        "EH-3.2": "automated: allocation after MAAM expected in 2 working days (manager "
        "reminded), maximum 5 calendar days (manager, cc team manager)",
        "EH-3.3": "automated: weekly pre-allocation contact, a recurring 7-day timescale "
        "restarted by each case-noted contact; duty worker reminded, manager on "
        "breach; a Monday 09:00 digest to each duty worker lists the families on the "
        "pre-allocation list with when each was last contacted",
        "EH-4.1": "automated: initial contact within 2 calendar days of allocation, first "
        "visit within 5 working days of it; worker reminded, manager on breach; "
        "the first visit is refused unless the child was seen and spoken to",
        "EH-4.2": "manual: lone working policy when scheduling visits",
        "EH-4.3": "automated: EHA (support plan commenced) due 4 calendar weeks after "
        "allocation; worker reminded, manager on breach",
        "EH-4.4": "manual: EHA audits by the Early Help Enablers",
        "EH-4.5": "automated: no EHA timescale for a step-down whose CYPA is under 3 "
        "calendar months old; the plan may follow without an EHA",
        "EH-5.1": "automated: support plan within 42 calendar days of allocation, reviews "
        "every 42 days after (recurring); worker reminded, manager on breach",
        "EH-5.2": "recorded: the plan's headings are required fields; oversight per EH-11.1",
        "EH-6.1": "automated: allocation within 48 hours of a step-down's receipt, else the "
        "manager (cc team manager) is emailed; the social worker is told who has it",
        "EH-7.1": "automated: wraparound requests allocated: expected 2 working days "
        "(manager reminded), maximum 5 calendar days (manager, cc team manager)",
        ESCALATION: "automated: escalation case note with the Request for Support and an "
        "email to the manager; the threshold decision returns the case, starts "
        "the wraparound reallocation (EH-7.1) or moves it to stepped_up to close",
        "EH-8.1": "automated: closure sign-off within 3 calendar days of the request; manager "
        "reminded, cc team manager on breach; end date of involvement recorded and "
        "the case deallocated",
        "EH-8.2": "automated: request_closure is refused until the checklist and summary are "
        "recorded; the refusal names what is missing",
        "EH-9": "automated: voice of the child required with the EHA, the plan and the closure "
        "request, and direct work during case work; closure refused without it",
        "EH-10.1": "automated: for visits recorded here, the write-up note (kind visit) is due "
        "by the end of the next working day (worker, cc manager); recording done "
        "elsewhere is not seen, but every event keeps when it happened and was "
        "recorded",
        "EH-10.2": "manual: the visit write-up's content; purpose and whether the child was "
        "seen and spoken to are recorded with each visit",
        "EH-11.1": "automated: Managers Decision within 3 calendar days of each assessment, "
        "plan and review (note or trigger), every calendar month on every allocated "
        "case (record_managers_decision); closure's decision is part of the sign-off; a "
        "monthly oversight digest (first Monday 09:00) lists each manager's allocated "
        "open cases",
        "EH-11.2": "automated: record_case_discussion (supervisor or worker) starts a "
        "Managers Decision clock to the end of the next working day, met by the "
        "supervisor's Managers Decision note; manager reminded at 09:00 that day, "
        "cc team manager on breach",
        "EH-11.3": "automated: allocation beyond 20 families (10 part-time) adds a warning "
        "note and emails the manager; not blocked",
        "EH-11.4": "automated: oversight prompts to the manager at 3, 6, 9 and 12 calendar "
        "months open; the monthly oversight digest flags cases open 3, 6, 9 or 12 months or "
        "more as priorities",
        "EH-11.5": "manual: leads aware of the most intensive/high-risk cases",
        "EH-11.6": "automated: supervision every 4 calendar weeks on each allocated case, "
        "restarted by record_supervision; manager reminded, cc team manager on "
        "breach; a Monday 09:00 digest to each manager marks supervision overdue or "
        "due within 7 days",
        "EH-11.7": "manual: oversight for Early Help Enablers' cases",
    },
)
