"""Parenting programme (seed 002, "Parenting"): rules PAR-01 to PAR-19.

A referral is confirmed with the social worker, sessions are chosen, a worker
is allocated and plans with the family, and the parent attends a group. The
service chases silence (PAR-04), keeps the planning timescale (PAR-05), texts
a parent who misses a session (PAR-12) and closes the place at the third miss
(PAR-14).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any

from pydantic import Field, field_validator

from workflows.contacts import Contact
from workflows.spec import (
    ANY_STATE,
    Agenda,
    AgendaSection,
    CaseView,
    Duration,
    Fire,
    Instant,
    Message,
    Note,
    Outcome,
    Process,
    Timescale,
    TriggerData,
    said,
    transition,
)

TM, BS, SW, WORKER = "team_manager", "business_support", "social_worker", "worker"
OPEN_STATES = (
    "referred",
    "awaiting_confirmation",
    "awaiting_session_choice",
    "awaiting_allocation",
    "planning",
    "planned",
    "attending",
)
MISSES_BEFORE_CLOSURE = 3


class RequestConfirmation(TriggerData):
    programme: str | None = Field(None, description="course dates and times")
    venue: str | None = None


class ChooseSessions(TriggerData):
    # Numbered 1 to 12 (a programme's sessions), so a form offers them as checkboxes.
    sessions: list[Annotated[int, Field(ge=1, le=12)]] = Field(
        min_length=1, description="the session numbers needed"
    )


class AllocateWorker(TriggerData):
    worker: Contact

    @field_validator("worker")
    @classmethod
    def _needs_email(cls, worker: Contact) -> Contact:
        if not worker.email:
            raise ValueError("the worker needs an email address for reminders (PAR-05)")
        return worker


class ConfirmAttendance(TriggerData):
    """PAR-03: the SW's confirmation is the event itself; it carries no data."""


class PlanningMeeting(TriggerData):
    """PAR-08: the meeting is held; what was said goes in a case note."""


class Complete(TriggerData):
    """PAR-19: the course is completed; the certificate follows from the template."""


class Register(TriggerData):
    venue: str = Field(min_length=1)
    sessions: list[Instant] = Field(min_length=1, description="session start times")

    @field_validator("sessions")
    @classmethod
    def _sorted_unique(cls, sessions: list[datetime]) -> list[datetime]:
        if len(set(sessions)) != len(sessions):
            raise ValueError("session start times must be distinct")
        return sorted(sessions)


class RecordSession(TriggerData):
    session: Instant
    attended: bool
    reason: str | None = None


class Close(TriggerData):
    reason: str = Field(min_length=1)
    objectives_met: bool | None = None


def _missed(case: CaseView) -> list[str]:
    return list(case.data.get("missed_sessions", []))


def _session_key(data: Mapping[str, Any]) -> str:
    session = data["session"]
    return session.isoformat() if isinstance(session, datetime) else str(session)


def session_is_registered(case: CaseView, data: Mapping[str, Any]) -> str | None:
    session = _session_key(data)
    if session not in case.data.get("session_times", []):
        return (
            f"the session of {said(session)} is not one of this case's registered sessions (PAR-10)"
        )
    recorded = {entry["session"] for entry in case.data.get("attendance", [])}
    if session in recorded:
        return f"the session of {said(session)} is already recorded"
    return None


def is_final_miss(case: CaseView, data: Mapping[str, Any]) -> str | None:
    if data["attended"] or len(_missed(case)) + 1 < MISSES_BEFORE_CLOSURE:
        return "not the third missed session"
    return None


def record_session(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    """PAR-12 to PAR-15: write the attendance, text on a miss, email the SW at the 2nd."""
    session = _session_key(data)
    attendance = [
        *case.data.get("attendance", []),
        {"session": session, "attended": data["attended"], "reason": data.get("reason")},
    ]
    if data["attended"]:
        return Outcome(data={"attendance": attendance})
    missed = [*_missed(case), session]
    upcoming = [s for s in case.data.get("session_times", []) if s > session]
    context = {
        "missed_session": session,
        "next_session": upcoming[0] if upcoming else None,
        "missed_count": len(missed),
        "reason": data.get("reason"),
    }
    new_data = {"attendance": attendance, "missed_sessions": missed, "missed_count": len(missed)}
    if len(missed) >= MISSES_BEFORE_CLOSURE:
        return Outcome(
            data={**new_data, "closure_reason": "withdrawn_missed_sessions"},
            context=context,
            effects=(
                Message(
                    template="parenting/withdrawn_missed_sessions", to=SW, cc=(TM,), rule="PAR-14"
                ),
                Message(template="parenting/closed", to=BS, cc=(TM,), rule="PAR-18"),
                Note(
                    text="Third session missed: place closed and social worker notified.",
                    rule="PAR-14",
                ),
            ),
        )
    effects: list[Message | Note] = [
        Message(template="parenting/missed_session", to="parent", medium="sms", rule="PAR-12"),
        Note(
            text="Missed-session text queued for the parent with the next session's details.",
            rule="PAR-12",
        ),
    ]
    if len(missed) == 2:
        effects.append(Message(template="parenting/second_miss", to=SW, cc=(TM,), rule="PAR-13"))
    return Outcome(data=new_data, context=context, effects=tuple(effects))


def register(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    times = [s.isoformat() for s in data["sessions"]]
    return Outcome(data={"venue": data["venue"], "session_times": times, "missed_count": 0})


def close(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    return Outcome(
        data={"closure_reason": data["reason"], "objectives_met": data.get("objectives_met")}
    )


PROCESS = Process(
    name="parenting",
    code="PAR",
    title="Parenting programme",
    source="seed 002, Parenting",
    initial="referred",
    states=(*OPEN_STATES, "completed", "closed"),
    final_states=frozenset({"completed", "closed"}),
    contact_roles=(SW, TM, BS, WORKER, "parent"),
    # PAR-06: oversight is the manager's act; a worker's note of the kind meets nothing.
    note_met_by_roles={"manager_oversight": frozenset({TM})},
    on_create=(Message(template="parenting/referral_received", to=TM, cc=(BS,), rule="PAR-01"),),
    transitions=(
        transition(
            "request_confirmation",
            "referred",
            "awaiting_confirmation",
            (TM,),
            "PAR-02",
            "Team manager confirms receipt and asks the social worker to confirm the parent will "
            "attend",
            data_model=RequestConfirmation,
            effects=(Message(template="parenting/confirmation_request", to=SW, rule="PAR-02"),),
        ),
        transition(
            "confirm_attendance",
            "awaiting_confirmation",
            "awaiting_session_choice",
            (SW, TM, BS),
            "PAR-03",
            "Social worker confirms; course content sent so sessions can be chosen",
            data_model=ConfirmAttendance,
            effects=(Message(template="parenting/course_content", to=SW, rule="PAR-03"),),
        ),
        transition(
            "choose_sessions",
            "awaiting_session_choice",
            "awaiting_allocation",
            (SW, TM, BS),
            "PAR-03",
            "Social worker chooses the sessions needed",
            data_model=ChooseSessions,
        ),
        transition(
            "allocate_worker",
            "awaiting_allocation",
            "planning",
            (TM,),
            "PAR-05",
            "Team manager passes the referral to a parenting worker",
            data_model=AllocateWorker,
            effects=(Message(template="parenting/worker_allocated", to=WORKER, rule="PAR-05"),),
        ),
        transition(
            "hold_planning_meeting",
            "planning",
            "planned",
            (WORKER, TM),
            "PAR-08",
            "Planning meeting held with updates from the social worker",
            data_model=PlanningMeeting,
        ),
        transition(
            "register",
            "planned",
            "attending",
            (BS, TM, WORKER),
            "PAR-11",
            "Schedule created and family moved onto the register",
            data_model=Register,
            effect=register,
            effects=(Message(template="parenting/session_schedule", to=SW, rule="PAR-10"),),
        ),
        transition(
            "record_session",
            "attending",
            "closed",
            (WORKER, BS, TM),
            "PAR-14",
            "Third missed session closes the place",
            data_model=RecordSession,
            guards=(session_is_registered, is_final_miss),
            effect=record_session,
            undoable=True,
            happens_at_field="session",
        ),
        transition(
            "record_session",
            "attending",
            None,
            (WORKER, BS, TM),
            "PAR-12",
            "Attendance recorded; a miss texts the parent",
            data_model=RecordSession,
            guards=(session_is_registered,),
            effect=record_session,
            undoable=True,
            happens_at_field="session",
        ),
        transition(
            "complete",
            "attending",
            "completed",
            (WORKER, TM),
            "PAR-19",
            "Course completed: certificate and closure form",
            data_model=Complete,
            effects=(Message(template="parenting/completed", to=BS, cc=(TM,), rule="PAR-19"),),
        ),
        transition(
            "close",
            ANY_STATE,
            "closed",
            (TM, BS),
            "PAR-18",
            "Closed with a reason and whether objectives were met",
            data_model=Close,
            effect=close,
            effects=(Message(template="parenting/closed", to=BS, cc=(TM,), rule="PAR-18"),),
        ),
    ),
    timescales=(
        Timescale(
            key="PAR-04-chase",
            rule="PAR-04",
            description="sessions chosen within 1 week of confirmation, else chase the "
            "social worker",
            starts_on=("confirm_attendance",),
            met_by=("choose_sessions",),
            within=Duration(amount=7, unit="calendar_days"),
            on_due=(
                Message(template="parenting/chase_session_choice", to=SW, cc=(TM,), rule="PAR-04"),
            ),
        ),
        Timescale(
            key="PAR-04-close",
            rule="PAR-04",
            description="no response after a further week: final email and referral closed",
            starts_on=("confirm_attendance",),
            met_by=("choose_sessions",),
            within=Duration(amount=14, unit="calendar_days"),
            on_due=(
                Message(template="parenting/no_response_closure", to=SW, cc=(TM,), rule="PAR-04"),
                Fire(trigger="close", data={"reason": "no_response"}),
            ),
        ),
        Timescale(
            key="PAR-05",
            rule="PAR-05",
            description="planning meeting within 5 working days of allocation",
            starts_on=("allocate_worker",),
            met_by=("hold_planning_meeting",),
            within=Duration(amount=5, unit="working_days"),
            remind_before=Duration(amount=1, unit="working_days"),
            on_reminder=(
                Message(template="parenting/planning_reminder", to=WORKER, rule="PAR-05"),
            ),
            on_due=(Message(template="parenting/planning_overdue", to=TM, rule="PAR-05"),),
        ),
        Timescale(
            key="PAR-06",
            rule="PAR-06",
            description="manager oversight case note on allocation",
            starts_on=("allocate_worker",),
            met_by=("note:manager_oversight",),
            within=Duration(amount=1, unit="working_days"),
            on_due=(Message(template="parenting/oversight_note_missing", to=TM, rule="PAR-06"),),
        ),
        Timescale(
            key="PAR-15",
            rule="PAR-15",
            description="weekly case note after each session",
            starts_on=("record_session",),
            met_by=("note:session", "record_session"),
            within=Duration(amount=2, unit="working_days"),
            on_due=(Message(template="parenting/session_note_missing", to=WORKER, rule="PAR-15"),),
        ),
    ),
    agendas=(
        Agenda(
            key="parenting_tuesday",
            rules=("PAR-13", "PAR-17"),
            template="parenting/tuesday_agenda",
            to=TM,
            day_of_week="tue",
            time="08:00",
            sections=(
                AgendaSection(
                    key="new_referrals", title="New referrals", created_since_last_run=True
                ),
                AgendaSection(
                    key="two_misses",
                    title="Parents who have missed two sessions",
                    state_in=("attending",),
                    data_equals={"missed_count": 2},
                ),
                AgendaSection(
                    key="closed",
                    title="Closed since last week: move to the withdrawn/closed register",
                    closed_since_last_run=True,
                ),
            ),
        ),
    ),
    rules={
        "PAR-01": "automated: referral creates the case; team manager and business support emailed",
        "PAR-02": "automated: confirmation request emailed to the social worker",
        "PAR-03": "automated: course content emailed on confirmation",
        "PAR-04": "automated: chase at 7 days, close as no_response at 14",
        "PAR-05": "automated: deadline 5 working days, reminder and escalation",
        "PAR-06": "automated: oversight note required, team manager reminded",
        "PAR-07": "recorded: register step",
        "PAR-08": "recorded: hold_planning_meeting",
        "PAR-09": "manual: introduction call and visit",
        "PAR-10": "automated: schedule emailed to the social worker on register",
        "PAR-11": "recorded: register moves the family to attending",
        "PAR-12": "automated: text to the parent and case note on each miss",
        "PAR-13": "automated: social worker emailed at the 2nd miss; Tuesday agenda",
        "PAR-14": "automated: 3rd miss closes as withdrawn_missed_sessions",
        "PAR-15": "automated: weekly note required, worker reminded",
        "PAR-16": "manual: offer of the next group",
        "PAR-17": "automated: Tuesday agenda lists closed cases",
        "PAR-18": "automated: closure email to business support and team manager",
        "PAR-19": "automated: completion email to business support for the certificate",
    },
)
