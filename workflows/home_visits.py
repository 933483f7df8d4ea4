"""Home visits (seed 000, "Home visits: a short guide for social workers"): VIS-01 to VIS-09.

One case per child living at home with an allocated social worker. The service keeps the
visiting clocks and tells the manager and the relevant IRO when visits do not go ahead,
as the seed says; the social worker gets the reminders before each clock runs out.

Decisions where the seed is vague (all timescales are configuration):

- The case's data holds `child_name`, `date_of_birth` (YYYY-MM-DD, for VIS-06) and
  `plan_type`: `child_in_need` or `child_protection` (a missing plan type is treated as
  child in need; `change_plan` records a new plan). A case opened from a joint under-5
  assessment (U5-11) arrives with these and with the SW, manager, IRO and parent.
- VIS-01: the initial visit is due within 7 calendar days of the referral (the day the
  case opened is day 0). VIS-02 / VIS-03: after each visit in which the child was seen,
  the next is due within 21 days (3 weeks) for a child in need, 10 days on a child
  protection plan, counted from the latest visit; a visit restarts the clock. Two
  timescales (`VIS-02`, `VIS-03`) rather than one, so that a council can configure each
  and the timeline cites the right rule; which one runs depends on the plan type.
- VIS-05: the core group's frequency is a per-child `visit_every_days` (set by
  `set_visit_frequency`, only ever more often than the plan's standard; empty returns to
  the standard). The clock is re-counted from the last visit. A new plan clears it.
- VIS-04: "at least one unannounced visit every 3 months" is its own clock of 3 calendar
  months from the referral and from each unannounced visit (a visit recorded with
  `announced: false`): from 15 February it is due by the end of 15 May, from 30 November by
  the end of 28 February (the month's last day). The SW is reminded 14 days before.
- Reminders go to the SW 2 calendar days before a visit is due (VIS-01 to VIS-03). When a
  clock runs out, the manager is emailed, copied to the IRO (VIS-08 names them; there may
  be no IRO for a child in need, then the manager alone) — once, never daily.
- VIS-03 + VIS-08: the CP clock running out *is* "a child on a CP plan not seen for 10
  days": the escalation email names it.
- VIS-06: each visit record says whether the child was seen alone and/or awake. A child
  aged 3 or over (on the day of the visit, from the date of birth) not seen alone, or not
  recorded as seen alone, is escalated at once (VIS-08). A child under 3 not seen awake is
  written to the case notes for the SW to arrange; it is not in the seed's escalation list.
- VIS-07: a postponement emails the manager and IRO at once with the reason and the new
  date; the visit must then happen within 3 working days of the date it was scheduled
  for, or the manager and IRO are told.
- VIS-08: a visit that did not go ahead is recorded with `record_missed_visit`. Access
  refused or no access emails the manager and IRO at once; so does the 2nd (and any
  further) scheduled visit missed since the child was last seen. One email names every
  reason that applies.
- VIS-09: every visit, and every visit that did not happen, is recorded under the seven
  headings (the data model requires them) and kept in the case's `visits`. Siblings each
  have their own case; `add_sibling` records the references, and each visit's note lists
  the siblings' cases on which the visit must be recorded too (a visit is recorded per
  sibling, on each child's case).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, Field, WithJsonSchema

from workflows.contacts import Contact
from workflows.spec import (
    ANY_STATE,
    CaseView,
    Duration,
    Effect,
    Fire,
    Instant,
    Message,
    Note,
    Outcome,
    Process,
    Timescale,
    TriggerData,
    transition,
)

SW, MANAGER, IRO, PARENT = "social_worker", "manager", "iro", "parent"
CIN, CP = "child_in_need", "child_protection"
STANDARD_DAYS = {CIN: 21, CP: 10}  # VIS-02, VIS-03: the defaults, for the VIS-05 check
SEEN_ALONE_FROM = 3  # years (VIS-06)
MISSES_TO_ESCALATE = 2  # VIS-08
ACCESS_PROBLEMS = ("access_refused", "no_access")
LONDON = ZoneInfo("Europe/London")
OPEN_STATES = ("awaiting_initial_visit", "visiting")
SIBLING_REFERENCE = r"^VIS-\d{6}$"


def _iso_date(value: str) -> str:
    return date.fromisoformat(value).isoformat()


# A YYYY-MM-DD date: forms show the date input for it (format "date").
IsoDate = Annotated[
    str, AfterValidator(_iso_date), WithJsonSchema({"type": "string", "format": "date"})
]


class RecordVisit(TriggerData):
    """VIS-09: the seven headings, and VIS-06: how the child was seen."""

    purpose: str = Field(min_length=1, description="areas to be discussed during the visit")
    present: list[str] = Field(min_length=1, description="people seen during the visit")
    discussion_with_parent: str = Field(
        min_length=1, description="home situation, the plan, incidents incl. domestic abuse"
    )
    discussion_with_child: str = Field(min_length=1)
    seen_alone: bool | None = Field(None, description="children 3 and over (VIS-06)")
    seen_awake: bool | None = Field(None, description="children under 3 (VIS-06)")
    observation: str = Field(
        min_length=1, description="home, bedroom, interactions with parent/carer, relationships"
    )
    analysis: str = Field(min_length=1)
    actions: str = Field(min_length=1, description="actions and issues arising")
    announced: bool = Field(True, description="false for an unannounced visit (VIS-04)")


class RecordMissedVisit(TriggerData):
    """VIS-08/VIS-09: a scheduled visit that did not go ahead, recorded all the same."""

    scheduled_for: Instant
    reason: Literal["access_refused", "no_access", "child_not_present", "family_cancelled"]
    purpose: str = Field(min_length=1)
    what_happened: str = Field(min_length=1)
    actions: str = Field(min_length=1)


class PostponeVisit(TriggerData):
    scheduled_for: Instant
    reason: str = Field(min_length=1)
    rescheduled_for: Instant


class SetVisitFrequency(TriggerData):
    every_days: int | None = Field(
        None,
        ge=1,
        title="Visit every (days)",
        description="empty: back to the plan's standard",
    )
    agreed_by: str = Field(min_length=1, description="e.g. core group on 12 January")
    reason: str = Field(min_length=1)


class ChangePlan(TriggerData):
    plan_type: Literal["child_in_need", "child_protection"]
    reason: str = Field(min_length=1)
    iro: Contact | None = None


class AddSibling(TriggerData):
    reference: str = Field(pattern=SIBLING_REFERENCE, description="the sibling's case, VIS-...")
    name: str = Field(min_length=1)


class UnannouncedVisit(TriggerData):
    """VIS-04: fired by the service after an unannounced visit is recorded; no data."""


class Close(TriggerData):
    reason: str = Field(min_length=1)


# -- pure facts ----------------------------------------------------------------------


def plan_type(case: CaseView) -> str:
    return CP if case.data.get("plan_type") == CP else CIN


def age_on(case: CaseView, at: datetime) -> int | None:
    """The child's age in whole years on the (London) day of `at`, if the DOB is known."""
    born = case.data.get("date_of_birth")
    if not born:
        return None
    dob, day = date.fromisoformat(born), at.astimezone(LONDON).date()
    return day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day))


def seen(case: CaseView) -> bool:
    return bool(case.data.get("last_seen_at"))


def on_plan(kind: str) -> Any:
    def applies(case: CaseView) -> bool:
        return seen(case) and plan_type(case) == kind

    return applies


def core_group_frequency(case: CaseView) -> Duration | None:
    """VIS-05: the core group's frequency for this child, when it is more often."""
    days = case.data.get("visit_every_days")
    if isinstance(days, int) and days < STANDARD_DAYS[plan_type(case)]:
        return Duration(amount=days, unit="calendar_days")
    return None


# -- guards ----------------------------------------------------------------------------


def says_how_child_was_seen(case: CaseView, data: Mapping[str, Any]) -> str | None:
    if data["seen_alone"] is None and data["seen_awake"] is None:
        return (
            "say whether the child was seen alone (aged 3 and over) or seen awake "
            "(under 3) (VIS-06)"
        )
    return None


def only_more_often(case: CaseView, data: Mapping[str, Any]) -> str | None:
    days, standard = data.get("every_days"), STANDARD_DAYS[plan_type(case)]
    if days is not None and days >= standard:
        return (
            f"the core group may increase visits only: on a {plan_type(case)} plan they "
            f"are already every {standard} days (VIS-05)"
        )
    return None


def rescheduled_later(case: CaseView, data: Mapping[str, Any]) -> str | None:
    if data["rescheduled_for"] <= data["scheduled_for"]:
        return "the rescheduled visit must be after the postponed one (VIS-07)"
    return None


def new_sibling(case: CaseView, data: Mapping[str, Any]) -> str | None:
    if data["reference"] == f"VIS-{case.case_id:06d}":
        return "a case cannot be its own sibling"
    if any(s["reference"] == data["reference"] for s in case.data.get("siblings", [])):
        return f"{data['reference']} is already recorded as a sibling"
    return None


def different_plan(case: CaseView, data: Mapping[str, Any]) -> str | None:
    if case.data.get("plan_type") == data["plan_type"]:
        return f"the child is already on a {data['plan_type']} plan"
    return None


# -- effects ---------------------------------------------------------------------------


def _concern() -> Message:
    """VIS-08: one email to the manager, copied to the IRO, naming every reason."""
    return Message(template="home_visits/visit_concern", to=MANAGER, cc=(IRO,), rule="VIS-08")


def _siblings_note(case: CaseView) -> tuple[Effect, ...]:
    siblings = case.data.get("siblings", [])
    if not siblings:
        return ()
    names = ", ".join(f"{s['reference']} ({s['name']})" for s in siblings)
    return (Note(text=f"Record this visit on each sibling's case too: {names}.", rule="VIS-09"),)


def record_visit(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    """A visit in which the child was seen: the clocks restart from it (VIS-01 to VIS-04)."""
    age = age_on(case, at)
    record = {**dict(data), "kind": "completed", "at": at.isoformat(), "age": age}
    last = case.data.get("last_seen_at")
    latest = max(at, datetime.fromisoformat(last)) if last else at
    effects: list[Effect] = [*_siblings_note(case)]
    reasons: list[str] = []
    must_be_alone = age >= SEEN_ALONE_FROM if age is not None else data["seen_alone"] is False
    if must_be_alone and data["seen_alone"] is not True:
        aged = f"aged {age}" if age is not None else "age not recorded"
        reasons.append(
            f"the child ({aged}) could not be seen alone"
            if data["seen_alone"] is False
            else f"the child ({aged}) is not recorded as seen alone"
        )
        effects.append(_concern())
    if age is not None and age < SEEN_ALONE_FROM and data["seen_awake"] is not True:
        effects.append(
            Note(
                text="The child (under 3) was not seen awake: arrange to see the child awake.",
                rule="VIS-06",
            )
        )
    if not data["announced"]:
        effects.append(Fire(trigger="unannounced_visit"))
    return Outcome(
        data={
            "visits": [*case.data.get("visits", []), record],
            "last_seen_at": latest.isoformat(),
            "missed_since_seen": 0,
        },
        context={"reasons": reasons, "visit": dict(data), "visit_at": at},
        effects=tuple(effects),
    )


def record_missed_visit(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    missed = int(case.data.get("missed_since_seen", 0)) + 1
    record = {**dict(data), "kind": "missed", "at": at.isoformat()}
    reasons = []
    if data["reason"] in ACCESS_PROBLEMS:
        reasons.append(
            "access to the child was refused"
            if data["reason"] == "access_refused"
            else "the social worker could not get access to the child"
        )
    if missed >= MISSES_TO_ESCALATE:
        reasons.append(
            f"{missed} scheduled visits have now been missed since the child was last seen"
        )
    return Outcome(
        data={"visits": [*case.data.get("visits", []), record], "missed_since_seen": missed},
        context={"reasons": reasons, "missed": dict(data), "missed_count": missed},
        effects=(_concern(),) if reasons else (),
    )


def postpone_visit(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    record = {**dict(data), "kind": "postponed", "at": at.isoformat()}
    return Outcome(
        data={
            "visits": [*case.data.get("visits", []), record],
            "postponed_from": data["scheduled_for"].isoformat(),
            "rescheduled_for": data["rescheduled_for"].isoformat(),
        },
        context={"postponed": dict(data)},
        effects=(Message(template="home_visits/postponed", to=MANAGER, cc=(IRO,), rule="VIS-07"),),
    )


def set_visit_frequency(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    days = data.get("every_days")
    text = (
        f"Core group frequency: visits every {days} days"
        if days
        else f"Core group frequency removed: visits as the {plan_type(case)} standard"
    )
    return Outcome(
        data={
            "visit_every_days": days,
            "visit_frequency_agreed_by": data["agreed_by"],
            "visit_frequency_reason": data["reason"],
        },
        effects=(
            Note(text=f"{text} ({data['agreed_by']}: {data['reason']}).", rule="VIS-05"),
            Message(template="home_visits/frequency_changed", to=SW, cc=(MANAGER,), rule="VIS-05"),
        ),
    )


def change_plan(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    return Outcome(
        data={
            "plan_type": data["plan_type"],
            "plan_changed_reason": data["reason"],
            "visit_every_days": None,
        },
        effects=(
            Note(
                text=f"Plan changed to {data['plan_type']} ({data['reason']}); any core "
                "group frequency is cleared.",
                rule="VIS-02",
            ),
        ),
    )


def add_sibling(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    return Outcome(data={"siblings": [*case.data.get("siblings", []), dict(data)]})


def close(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    return Outcome(data={"closure_reason": data["reason"]})


def _escalate(template: str, rule: str) -> tuple[Effect, ...]:
    """The manager and the relevant IRO, once, when a clock runs out (VIS-08)."""
    return (Message(template=f"home_visits/{template}", to=MANAGER, cc=(IRO,), rule=rule),)


def _remind(rule: str) -> tuple[Effect, ...]:
    return (Message(template="home_visits/visit_reminder", to=SW, rule=rule),)


VISITS_START = ("record_visit", "change_plan", "set_visit_frequency")
WORKERS = (SW, MANAGER)

PROCESS = Process(
    name="home_visits",
    code="VIS",
    title="Home visits",
    source="seed 000, Home visits: a short guide for social workers",
    initial="awaiting_initial_visit",
    states=(*OPEN_STATES, "closed"),
    final_states=frozenset({"closed"}),
    contact_roles=(SW, MANAGER, IRO, PARENT, "carer", "health_visitor"),
    on_create=(Message(template="home_visits/case_opened", to=SW, cc=(MANAGER,), rule="VIS-01"),),
    transitions=(
        transition(
            "record_visit",
            "awaiting_initial_visit",
            "visiting",
            WORKERS,
            "VIS-01",
            "Initial home visit, recorded under the VIS-09 headings",
            data_model=RecordVisit,
            guards=(says_how_child_was_seen,),
            effect=record_visit,
        ),
        transition(
            "record_visit",
            "visiting",
            None,
            WORKERS,
            "VIS-02",
            "Home visit in which the child was seen: the visiting clock restarts",
            data_model=RecordVisit,
            guards=(says_how_child_was_seen,),
            effect=record_visit,
        ),
        transition(
            "unannounced_visit",
            OPEN_STATES,
            None,
            ("system",),
            "VIS-04",
            "The visit was unannounced: the 3-month clock restarts",
            data_model=UnannouncedVisit,
        ),
        transition(
            "record_missed_visit",
            OPEN_STATES,
            None,
            WORKERS,
            "VIS-08",
            "A scheduled visit did not go ahead (recorded under the headings)",
            data_model=RecordMissedVisit,
            effect=record_missed_visit,
        ),
        transition(
            "postpone_visit",
            OPEN_STATES,
            None,
            WORKERS,
            "VIS-07",
            "Visit postponed with the reason: manager and IRO told; 3 working days",
            data_model=PostponeVisit,
            guards=(rescheduled_later,),
            effect=postpone_visit,
        ),
        transition(
            "set_visit_frequency",
            OPEN_STATES,
            None,
            (*WORKERS, IRO),
            "VIS-05",
            "Core group / network sets a higher visit frequency for this child",
            data_model=SetVisitFrequency,
            guards=(only_more_often,),
            effect=set_visit_frequency,
        ),
        transition(
            "change_plan",
            OPEN_STATES,
            None,
            WORKERS,
            "VIS-03",
            "The child's plan changes (child in need / child protection)",
            data_model=ChangePlan,
            guards=(different_plan,),
            effect=change_plan,
        ),
        transition(
            "add_sibling",
            OPEN_STATES,
            None,
            WORKERS,
            "VIS-09",
            "Link a sibling's home visits case; visits are recorded on each",
            data_model=AddSibling,
            guards=(new_sibling,),
            effect=add_sibling,
        ),
        transition(
            "close",
            ANY_STATE,
            "closed",
            WORKERS,
            "VIS-01",
            "The child no longer needs visits (plan ended, moved)",
            data_model=Close,
            effect=close,
        ),
    ),
    timescales=(
        Timescale(
            key="VIS-01",
            rule="VIS-01",
            description="initial home visit within 7 days of the referral",
            starts_on=("__created__",),
            met_by=("record_visit",),
            within=Duration(amount=7, unit="calendar_days"),
            remind_before=Duration(amount=2, unit="calendar_days"),
            on_reminder=_remind("VIS-01"),
            on_due=_escalate("initial_visit_overdue", "VIS-01"),
        ),
        Timescale(
            key="VIS-02",
            rule="VIS-02",
            description="a child in need visited at least every 3 weeks",
            starts_on=VISITS_START,
            met_by=("record_visit",),
            within=Duration(amount=21, unit="calendar_days"),
            remind_before=Duration(amount=2, unit="calendar_days"),
            on_reminder=_remind("VIS-02"),
            on_due=_escalate("visit_overdue", "VIS-02"),
            anchor_field="last_seen_at",
            applies=on_plan(CIN),
            within_for=core_group_frequency,
        ),
        Timescale(
            key="VIS-03",
            rule="VIS-03",
            description="a child on a child protection plan visited every 10 days",
            starts_on=VISITS_START,
            met_by=("record_visit",),
            within=Duration(amount=10, unit="calendar_days"),
            remind_before=Duration(amount=2, unit="calendar_days"),
            on_reminder=_remind("VIS-03"),
            on_due=_escalate("cp_child_not_seen", "VIS-08"),
            anchor_field="last_seen_at",
            applies=on_plan(CP),
            within_for=core_group_frequency,
        ),
        Timescale(
            key="VIS-04",
            rule="VIS-04",
            description="at least one unannounced visit every 3 months",
            starts_on=("__created__", "unannounced_visit"),
            met_by=("unannounced_visit",),
            within=Duration(amount=3, unit="calendar_months"),
            remind_before=Duration(amount=14, unit="calendar_days"),
            on_reminder=(
                Message(template="home_visits/unannounced_reminder", to=SW, rule="VIS-04"),
            ),
            on_due=_escalate("unannounced_overdue", "VIS-04"),
        ),
        Timescale(
            key="VIS-07",
            rule="VIS-07",
            description="a postponed visit rescheduled within 3 working days",
            starts_on=("postpone_visit",),
            met_by=("record_visit",),
            within=Duration(amount=3, unit="working_days"),
            on_due=_escalate("rescheduled_overdue", "VIS-07"),
            anchor_field="postponed_from",
        ),
    ),
    rules={
        "VIS-01": "automated: initial visit due 7 days from referral; social worker reminded, "
        "manager and IRO emailed if missed",
        "VIS-02": "automated: child in need visited every 3 weeks from the last visit; social "
        "worker reminded, manager and IRO emailed if missed",
        "VIS-03": "automated: child protection plan visited every 10 days from the last visit; "
        "social worker reminded",
        "VIS-04": "automated: an unannounced visit every 3 calendar months on its own clock; "
        "social worker reminded, manager and IRO emailed if missed",
        "VIS-05": "automated: the core group's per-child frequency sets the visiting clock "
        "(more often only)",
        "VIS-06": "automated: each visit must say how the child was seen; a child 3 or over not "
        "seen alone is escalated; an under 3 not seen awake is noted",
        "VIS-07": "automated: postponement emails the manager and IRO with the reason; the "
        "visit is due within 3 working days, else they are emailed again",
        "VIS-08": "automated: manager and IRO emailed at the 2nd missed visit, on access "
        "problems, when a child 3+ is not seen alone and when a CP child is not seen "
        "for 10 days",
        "VIS-09": "recorded: every visit, missed or postponed, kept under the seven headings; "
        "sibling cases listed on each visit",
    },
)
