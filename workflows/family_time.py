"""Family Time (seed 002, "Family Time"): rules FT-01 to FT-10.

A social worker (SW) may first ask the Family Time Service about requirements
and availability; the referral follows; a brochure goes to the SW and the carer;
the Family Time Officer holds the introduction and planning meeting within 5
working days; the children visit the venue; sessions go into the planner within
10 working days and the schedule goes to the SW; every session is case-noted;
the service is invited to CIOC reviews (or reports to the SW before them); at
closure the arrangements form is updated and Business Support (BS) updates
Protocol and the tracker.

Decisions where the seed is vague (each timescale is configuration):

- People: `family_time_worker` is the Family Time Officer, `manager` the Family
  Time manager (who receives escalations), `carer` the children's carer.
- FT-01: a case opens in `enquiry` when the SW first contacts the service
  (requirements, availability); `refer` records the referral. A referral with no
  enquiry is created and referred at once; an enquiry that never becomes a
  referral is closed. Timescales run from the referral, not the enquiry.
- FT-02: the seed has no allocation step, so `refer` names the Family Time
  Officer and the carer; the officer is emailed (cc the manager); documents
  attached (genogram, Words and Pictures) are listed.
- FT-03: the brochure goes to the SW and the carer at referral. The SW's
  children's-views section is wanted before the planning meeting: the SW is
  reminded at 09:00 two working days before the meeting's deadline; the meeting
  cannot be recorded without the views (received earlier, or brought to it).
- FT-04 and FT-06: 5 and 10 working days from the referral (day 0; due 23:59:59 on
  the Nth working day; England's bank holidays skipped). The officer is reminded
  at 09:00 on the working day before; a breach emails the manager once.
  FT-06 says "usually": a breach is still reported, as a manager would want.
- FT-05: sessions cannot be put in the planner unless the children's venue visit
  (recorded, or booked) is on a day before the first session. A booked visit is
  due on its day: the officer is reminded at 09:00 that day to record it, and the
  manager is emailed once if the day passes unrecorded.
- FT-07: adding the sessions emails the schedule and start date to the SW, unless
  they were shared at the planning meeting (recorded as `shared_at_meeting`).
- FT-08: sessions are recorded in order, each with its case note (a session that
  did not happen is recorded with the reason). The note for each planned session
  is due by the end of the next working day after it; when it is missing the
  officer is reminded once (as PAR-15 does in parenting). A schedule change keeps
  past sessions and replaces the future ones; it restarts that clock only when the
  next session to note changes, so an overdue note is never chased twice (its
  breach stays recorded, but a later "met late" is then not).
- FT-09: `invite_to_review` records the invitation to a CIOC review (or another
  meeting) and emails the officer. If the service cannot attend, the report is
  due with the SW before the meeting starts (a timescale due at the instant in
  `review.meeting_at`): the officer is reminded at 09:00 the working day before
  the meeting, a breach emails the manager, and `send_review_report` emails the
  report to the SW. Changes after a review (`update_arrangements`) are recorded
  and an updated schedule goes to the SW. The due instant is also kept in the
  case's data (`review.report_due_by`) for the invitation's template.
- FT-10: `close` (arrangements form updated, once sessions were planned) moves
  the case to `closing` and asks BS (cc the manager) to update Protocol and the
  tracker; BS confirms with `confirm_closed`, which closes the case. `closing` is
  not a final state, so every clock also "starts" on `close` and does not apply
  there: that cancels whatever was open.
- References are FTS-000123 (Family Time Service): "FT-" is the rules' prefix.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import Field, PlainSerializer, field_validator

from workflows.contacts import Contact
from workflows.spec import (
    CaseView,
    Duration,
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

LONDON = ZoneInfo("Europe/London")
MANAGER, BS, SW, WORKER, CARER = (
    "manager",
    "business_support",
    "social_worker",
    "family_time_worker",
    "carer",
)
STAFF = (WORKER, MANAGER)
OPEN_STATES = ("enquiry", "referred", "planned", "in_sessions", "closing")

Day = Annotated[date, PlainSerializer(lambda d: d.isoformat(), return_type=str)]


def _with_email(person: Contact, why: str) -> Contact:
    if not person.email:
        raise ValueError(f"needs an email address ({why})")
    return person


class Refer(TriggerData):
    family_time_worker: Contact = Field(description="the Family Time Officer")
    carer: Contact
    children: list[str] = Field(min_length=1, description="the children's names")
    documents: list[str] = Field(
        default_factory=list, description="attached, e.g. genogram, Words and Pictures"
    )
    arrangements: str | None = Field(None, description="what is asked for, e.g. frequency")

    @field_validator("family_time_worker")
    @classmethod
    def _worker_email(cls, worker: Contact) -> Contact:
        return _with_email(worker, "for reminders, FT-04")

    @field_validator("carer")
    @classmethod
    def _carer_email(cls, carer: Contact) -> Contact:
        return _with_email(carer, "for the brochure, FT-03")


class Reallocate(TriggerData):
    family_time_worker: Contact

    @field_validator("family_time_worker")
    @classmethod
    def _worker_email(cls, worker: Contact) -> Contact:
        return _with_email(worker, "for reminders")


class ChildrensViews(TriggerData):
    views: str = Field(min_length=1, description="the brochure's children's views section")


class PlanningMeeting(TriggerData):
    parents_met: bool = Field(description="introduction held with the parent(s) too")
    agreement_signed: bool = Field(description="ground rules / family time agreement booklet")
    tour_done: bool = Field(description="tour incl. health and safety and fire escapes")
    contact_type: str = Field(min_length=1, description="e.g. fully supervised, community")
    red_flags: list[str] = Field(default_factory=list, description="red flags, non-negotiables")
    support: str | None = Field(None, description="concerns, areas of support")
    risk_assessments: list[str] = Field(default_factory=list, description="e.g. PEEP")
    childrens_views: str | None = Field(None, description="if not received before")


class VenueVisit(TriggerData):
    notes: str | None = None


class AddSessions(TriggerData):
    venue: str = Field(min_length=1)
    sessions: list[Instant] = Field(min_length=1, description="session start times")
    venue_visit_on: Day | None = Field(None, description="the children's venue visit, booked")
    shared_at_meeting: bool = Field(
        False, description="schedule already given to the social worker"
    )

    @field_validator("sessions")
    @classmethod
    def _sorted_unique(cls, sessions: list[datetime]) -> list[datetime]:
        if len(set(sessions)) != len(sessions):
            raise ValueError("session start times must be distinct")
        return sorted(sessions)


class RecordSession(TriggerData):
    session: Instant
    took_place: bool
    note: str = Field(min_length=1, description="the session's case note")


class InviteToReview(TriggerData):
    meeting: str = Field("CIOC review", min_length=1)
    meeting_at: Instant
    attending: bool


class ReviewReport(TriggerData):
    report: str = Field(min_length=1)


class UpdateArrangements(TriggerData):
    changes: str = Field(min_length=1, description="what changed in the arrangements form")
    sessions: list[Instant] | None = Field(None, description="the updated schedule, if any")

    @field_validator("sessions")
    @classmethod
    def _sorted_unique(cls, sessions: list[datetime] | None) -> list[datetime] | None:
        if sessions is not None and len(set(sessions)) != len(sessions):
            raise ValueError("session start times must be distinct")
        return sorted(sessions) if sessions is not None else None


class ConfirmClosed(TriggerData):
    """FT-10: business support confirm Protocol and the tracker are updated; no data."""


class Close(TriggerData):
    reason: str = Field(min_length=1)
    arrangements_form_updated: bool = False


# -- helpers -------------------------------------------------------------------


def _local(moment: datetime | str) -> datetime:
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.astimezone(LONDON)


def _day_start(day: date) -> str:
    return datetime.combine(day, time(0), tzinfo=LONDON).isoformat()


def _iso(moment: datetime | str) -> str:
    """One spelling per instant (UTC), so planner times compare as text."""
    return _local(moment).astimezone(ZoneInfo("UTC")).isoformat()


def _next_session(times: list[str], recorded: list[str]) -> str | None:
    pending = [t for t in times if t not in recorded]
    return pending[0] if pending else None


def _sessions_data(case: CaseView, times: list[str]) -> dict[str, Any]:
    recorded = [s["session"] for s in case.data.get("session_records", [])]
    upcoming = [t for t in times if t not in recorded]
    next_session = upcoming[0] if upcoming else None
    return {
        "session_times": times,
        "next_session_at": next_session,
        "start_date": times[0] if times else None,
        # FT-08: a change that leaves the same session waiting for its note
        # must not chase that note a second time.
        "next_session_unchanged": next_session == case.data.get("next_session_at"),
    }


# -- guards ----------------------------------------------------------------------


def views_in_hand(case: CaseView, data: Mapping[str, Any]) -> str | None:
    if not case.data.get("childrens_views") and not data.get("childrens_views"):
        return (
            "the children's views section is needed for the planning meeting: record it "
            "first or give the children's views here (FT-03)"
        )
    return None


def venue_visit_first(case: CaseView, data: Mapping[str, Any]) -> str | None:
    first = _local(data["sessions"][0]).date()
    done = case.data.get("venue_visit")
    if done:
        if _local(done["at"]).date() >= first:
            return "the children's venue visit must be on a day before the first session (FT-05)"
        return None
    booked = data.get("venue_visit_on")
    if not booked:
        return (
            "give the date the children will visit the venue with their carer: "
            "they visit before sessions begin (FT-05)"
        )
    if date.fromisoformat(booked) >= first:
        return "the children's venue visit must be on a day before the first session (FT-05)"
    return None


def arrangements_updated(case: CaseView, data: Mapping[str, Any]) -> str | None:
    if case.data.get("session_times") and not data["arrangements_form_updated"]:
        return "update the arrangements form to reflect closure first (FT-10)"
    return None


def next_session_in_order(case: CaseView, data: Mapping[str, Any]) -> str | None:
    session = _iso(data["session"])
    times = case.data.get("session_times", [])
    if session not in times:
        return f"the session of {said(session)} is not in the planner for this case"
    expected = case.data.get("next_session_at")
    if session != expected:
        recorded = [s["session"] for s in case.data.get("session_records", [])]
        if session in recorded:
            return f"the session of {said(session)} is already recorded"
        return (
            f"record the sessions in order: the session of "
            f"{said(expected) if expected else 'none'} comes first (FT-08)"
        )
    return None


# -- effects ---------------------------------------------------------------------


def refer(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    return Outcome(
        data={
            "referred_at": at.isoformat(),
            "children": list(data["children"]),
            "documents": list(data["documents"]),
            "arrangements": data.get("arrangements"),
        },
        effects=(
            Note(
                text=f"Family Time referral received for "
                f"{', '.join(data['children'])}; documents: "
                f"{', '.join(data['documents']) or 'none'}.",
                rule="FT-02",
                kind="referral",
            ),
        ),
    )


def reallocate(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    return Outcome(
        effects=(Note(text=f"Reallocated to {data['family_time_worker']['name']}.", rule="FT-02"),)
    )


def record_views(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    return Outcome(
        data={"childrens_views": data["views"], "childrens_views_at": at.isoformat()},
        effects=(
            Note(
                text=f"Children's views received: {data['views']}",
                rule="FT-03",
                kind="childrens_views",
            ),
        ),
    )


def hold_planning_meeting(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    meeting = {k: v for k, v in data.items() if k != "childrens_views"}
    views = (
        {}
        if case.data.get("childrens_views")
        else {"childrens_views": data["childrens_views"], "childrens_views_at": at.isoformat()}
    )
    return Outcome(
        data={**views, "planning_meeting": {**meeting, "at": at.isoformat()}},
        effects=(
            Note(
                text="Introduction and planning meeting held: "
                f"agreement {'signed' if data['agreement_signed'] else 'not signed'}, "
                f"tour {'done' if data['tour_done'] else 'not done'}, contact "
                f"{data['contact_type']}; red flags: "
                f"{', '.join(data['red_flags']) or 'none'}.",
                rule="FT-04",
                kind="planning_meeting",
            ),
        ),
    )


def record_venue_visit(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    return Outcome(
        data={"venue_visit": {"at": at.isoformat(), "notes": data.get("notes")}},
        effects=(
            Note(
                text="Children visited the venue with their carer."
                + (f" {data['notes']}" if data.get("notes") else ""),
                rule="FT-05",
                kind="venue_visit",
            ),
        ),
    )


def add_sessions(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    """FT-06/FT-07: the planner, the schedule to the SW, and the clocks that follow."""
    times = [_iso(s) for s in data["sessions"]]
    booked = data.get("venue_visit_on")
    new = {
        **_sessions_data(case, times),
        "venue": data["venue"],
        "planner_updated_at": at.isoformat(),
        "schedule_shared_at_meeting": data["shared_at_meeting"],
    }
    if booked and not case.data.get("venue_visit"):
        new.update(
            {
                "venue_visit_on": booked,
                "venue_visit_due_from": _day_start(date.fromisoformat(booked)),
            }
        )
    if data["shared_at_meeting"]:
        effects: tuple[Message | Note, ...] = (
            Note(
                text="Sessions added to the planner; schedule and start date already shared "
                "with the social worker at the planning meeting.",
                rule="FT-07",
            ),
        )
    else:
        effects = (Message(template="family_time/schedule", to=SW, cc=(WORKER,), rule="FT-07"),)
    return Outcome(data=new, effects=effects)


def record_session(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    """FT-08: the session's case note; the next session's note clock follows."""
    session = _iso(data["session"])
    records = [
        *case.data.get("session_records", []),
        {"session": session, "took_place": data["took_place"], "recorded_at": at.isoformat()},
    ]
    recorded = [r["session"] for r in records]
    when = _local(session)
    status = "" if data["took_place"] else "did not take place: "
    return Outcome(
        data={
            "session_records": records,
            "next_session_unchanged": False,
            "next_session_at": _next_session(case.data["session_times"], recorded),
        },
        effects=(
            Note(
                text=f"Family time session {when:%d/%m/%Y %H:%M}: {status}{data['note']}",
                rule="FT-08",
                kind="session",
            ),
        ),
    )


def invite_to_review(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    review: dict[str, Any] = {
        "meeting": data["meeting"],
        "meeting_at": data["meeting_at"].isoformat(),
        "attending": data["attending"],
        "invited_at": at.isoformat(),
        "invited_on": _local(at).date().isoformat(),
    }
    if not data["attending"]:  # FT-09: the report is due before the meeting starts
        review["report_due_by"] = review["meeting_at"]
    return Outcome(
        data={"review": review, "reviews": [*case.data.get("reviews", []), review]},
        effects=(Message(template="family_time/review_invitation", to=WORKER, rule="FT-09"),),
    )


def send_review_report(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    review = dict(case.data.get("review") or {})
    review["report_sent_at"] = at.isoformat()
    return Outcome(
        data={"review": review, "review_report": data["report"]},
        effects=(
            Message(template="family_time/review_report", to=SW, cc=(WORKER,), rule="FT-09"),
            Note(
                text=f"Report sent to the social worker for the {review.get('meeting', 'review')}.",
                rule="FT-09",
            ),
        ),
    )


def update_arrangements(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    changes = [
        *case.data.get("arrangement_changes", []),
        {"at": at.isoformat(), "changes": data["changes"]},
    ]
    new: dict[str, Any] = {
        "arrangement_changes": changes,
        "latest_change": data["changes"],
        "next_session_unchanged": True,
    }
    effects: list[Message | Note] = [
        Note(
            text=f"Arrangements form updated: {data['changes']}", rule="FT-09", kind="arrangements"
        )
    ]
    if data.get("sessions") is not None:
        recorded = {r["session"] for r in case.data.get("session_records", [])}
        kept = [
            t
            for t in case.data.get("session_times", [])
            if t in recorded or datetime.fromisoformat(t) <= at
        ]  # the past stays
        times = sorted({*kept, *(_iso(s) for s in data["sessions"])})
        new.update(_sessions_data(case, times))
        new["upcoming_sessions"] = [t for t in times if datetime.fromisoformat(t) > at]
        effects.append(
            Message(template="family_time/updated_schedule", to=SW, cc=(WORKER,), rule="FT-09")
        )
    return Outcome(data=new, effects=tuple(effects))


def close(case: CaseView, data: Mapping[str, Any], at: datetime) -> Outcome:
    return Outcome(
        data={
            "closure_reason": data["reason"],
            "arrangements_form_updated": data["arrangements_form_updated"],
            "closing_at": at.isoformat(),
        },
        effects=(
            Message(template="family_time/closure", to=BS, cc=(MANAGER,), rule="FT-10"),
            Note(text=f"Closing: {data['reason']}", rule="FT-10", kind="closure"),
        ),
    )


# `close` moves the case to `closing`, which is not final, so every timescale also
# "starts" on `close` and does not apply there: starting it cancels the open one.
CLOSING = "closing"


def _open(case: CaseView) -> bool:
    return case.state != CLOSING


def _venue_visit_booked(case: CaseView) -> bool:
    return (
        _open(case)
        and bool(case.data.get("venue_visit_due_from"))
        and not case.data.get("venue_visit")
    )


def _session_note_clock(case: CaseView) -> bool:
    if not _open(case) or not case.data.get("next_session_at"):
        return False
    return not ("FT-08" in case.breached and case.data.get("next_session_unchanged"))


def _report_needed(case: CaseView) -> bool:
    review = case.data.get("review") or {}
    return _open(case) and review.get("attending") is False


ONE_WORKING_DAY = Duration(amount=1, unit="working_days")
OPEN_AFTER_REFERRAL = ("referred", "planned", "in_sessions")

PROCESS = Process(
    name="family_time",
    code="FTS",  # Family Time Service: FTS-000123
    title="Family Time",
    source="seed 002, Family Time",
    initial="enquiry",
    states=(*OPEN_STATES, "closed"),
    final_states=frozenset({"closed"}),
    contact_roles=(SW, MANAGER, BS, WORKER, CARER, "parent", "iro"),
    tracks_breaches=True,  # FT-08: a schedule change does not chase a missing note twice
    transitions=(
        transition(
            "refer",
            "enquiry",
            "referred",
            (SW, MANAGER, BS, WORKER),
            "FT-02",
            "Referral received with documents; officer named; brochure to the social worker and "
            "carer",
            data_model=Refer,
            effect=refer,
            effects=(
                Message(template="family_time/referral", to=WORKER, cc=(MANAGER,), rule="FT-02"),
                Message(template="family_time/brochure_social_worker", to=SW, rule="FT-03"),
                Message(template="family_time/brochure_carer", to=CARER, rule="FT-03"),
            ),
        ),
        transition(
            "reallocate",
            OPEN_AFTER_REFERRAL,
            None,
            (MANAGER,),
            "FT-02",
            "Another Family Time Officer takes the case",
            data_model=Reallocate,
            effect=reallocate,
            effects=(
                Message(template="family_time/referral", to=WORKER, cc=(MANAGER,), rule="FT-02"),
            ),
        ),
        transition(
            "record_childrens_views",
            ("referred", "planned"),
            None,
            (SW, WORKER, MANAGER),
            "FT-03",
            "The social worker's children's views section received",
            data_model=ChildrensViews,
            effect=record_views,
        ),
        transition(
            "hold_planning_meeting",
            "referred",
            "planned",
            STAFF,
            "FT-04",
            "Introduction and planning meeting: agreement, tour, red flags, support, risks",
            data_model=PlanningMeeting,
            guards=(views_in_hand,),
            effect=hold_planning_meeting,
        ),
        transition(
            "record_venue_visit",
            OPEN_AFTER_REFERRAL,
            None,
            STAFF,
            "FT-05",
            "The children visited the venue with their carer",
            data_model=VenueVisit,
            effect=record_venue_visit,
        ),
        transition(
            "add_sessions",
            "planned",
            "in_sessions",
            (WORKER, MANAGER, BS),
            "FT-06",
            "Sessions added to the planner; schedule and start date to the social worker",
            data_model=AddSessions,
            guards=(venue_visit_first,),
            effect=add_sessions,
        ),
        transition(
            "record_session",
            "in_sessions",
            None,
            STAFF,
            "FT-08",
            "A session's case note by the officer who oversaw it",
            data_model=RecordSession,
            guards=(next_session_in_order,),
            effect=record_session,
        ),
        transition(
            "invite_to_review",
            ("planned", "in_sessions"),
            None,
            (SW, "iro", WORKER, MANAGER, BS),
            "FT-09",
            "Invited to a CIOC review or other meeting",
            data_model=InviteToReview,
            effect=invite_to_review,
        ),
        transition(
            "send_review_report",
            ("planned", "in_sessions"),
            None,
            STAFF,
            "FT-09",
            "Report to the social worker before a meeting the service cannot attend",
            data_model=ReviewReport,
            effect=send_review_report,
        ),
        transition(
            "update_arrangements",
            "in_sessions",
            None,
            STAFF,
            "FT-09",
            "Arrangements form changed after a review; updated schedule to the social worker",
            data_model=UpdateArrangements,
            effect=update_arrangements,
        ),
        transition(
            "close",
            ("enquiry", *OPEN_AFTER_REFERRAL),
            "closing",
            STAFF,
            "FT-10",
            "Arrangements form updated for closure; business support asked to update Protocol and "
            "tracker",
            data_model=Close,
            guards=(arrangements_updated,),
            effect=close,
        ),
        transition(
            "confirm_closed",
            "closing",
            "closed",
            (BS, MANAGER),
            "FT-10",
            "Business support has updated Protocol and the tracker",
            data_model=ConfirmClosed,
        ),
    ),
    timescales=(
        Timescale(
            key="FT-03",
            rule="FT-03",
            description="children's views from the social worker before the planning meeting",
            starts_on=("refer", "close"),
            met_by=("record_childrens_views", "hold_planning_meeting"),
            within=Duration(amount=5, unit="working_days"),
            applies=_open,
            remind_before=Duration(amount=2, unit="working_days"),
            on_reminder=(
                Message(template="family_time/childrens_views_reminder", to=SW, rule="FT-03"),
            ),
        ),
        Timescale(
            key="FT-04",
            rule="FT-04",
            description="introduction and planning meeting within 5 working days of referral",
            starts_on=("refer", "close"),
            met_by=("hold_planning_meeting",),
            within=Duration(amount=5, unit="working_days"),
            applies=_open,
            remind_before=ONE_WORKING_DAY,
            on_reminder=(
                Message(template="family_time/planning_reminder", to=WORKER, rule="FT-04"),
            ),
            on_due=(Message(template="family_time/planning_overdue", to=MANAGER, rule="FT-04"),),
        ),
        Timescale(
            key="FT-05",
            rule="FT-05",
            description="children's venue visit recorded on the day it was booked",
            starts_on=("add_sessions", "close"),
            met_by=("record_venue_visit",),
            within=Duration(amount=0, unit="calendar_days"),
            anchor_field="venue_visit_due_from",
            applies=_venue_visit_booked,
            remind_before=Duration(amount=0, unit="calendar_days"),
            on_reminder=(
                Message(template="family_time/venue_visit_reminder", to=WORKER, rule="FT-05"),
            ),
            on_due=(Message(template="family_time/venue_visit_overdue", to=MANAGER, rule="FT-05"),),
        ),
        Timescale(
            key="FT-06",
            rule="FT-06",
            description="sessions in the planner within 10 working days of referral",
            starts_on=("refer", "close"),
            met_by=("add_sessions",),
            within=Duration(amount=10, unit="working_days"),
            applies=_open,
            remind_before=ONE_WORKING_DAY,
            on_reminder=(
                Message(template="family_time/planner_reminder", to=WORKER, rule="FT-06"),
            ),
            on_due=(Message(template="family_time/planner_overdue", to=MANAGER, rule="FT-06"),),
        ),
        Timescale(
            key="FT-08",
            rule="FT-08",
            description="case note for each session by the end of the next working day",
            starts_on=("add_sessions", "record_session", "update_arrangements", "close"),
            met_by=("record_session",),
            within=ONE_WORKING_DAY,
            anchor_field="next_session_at",
            applies=_session_note_clock,
            on_due=(Message(template="family_time/session_note_missing", to=WORKER, rule="FT-08"),),
        ),
        Timescale(
            key="FT-09",
            rule="FT-09",
            description="report to the social worker before a meeting the service cannot "
            "attend starts",
            starts_on=("invite_to_review", "close"),
            met_by=("send_review_report",),
            # Due at the meeting's start; `within` only counts if no start is recorded.
            within=Duration(amount=1, unit="calendar_days"),
            due_field="review.meeting_at",
            applies=_report_needed,
            remind_before=ONE_WORKING_DAY,
            on_reminder=(Message(template="family_time/report_reminder", to=WORKER, rule="FT-09"),),
            on_due=(Message(template="family_time/report_overdue", to=MANAGER, rule="FT-09"),),
        ),
    ),
    rules={
        "FT-01": "recorded: the case opens as an enquiry (requirements, availability) "
        "before the referral",
        "FT-02": "automated: refer records the documents and names the officer, who is "
        "emailed (cc the manager)",
        "FT-03": "automated: brochure emailed to the social worker and the carer; social worker "
        "reminded of the children's views; the planning meeting needs them",
        "FT-04": "automated: 5 working days from the referral; officer reminded, manager "
        "emailed on a breach",
        "FT-05": "automated: no sessions in the planner unless the venue visit is a day "
        "before the first; booked visit reminded and escalated if unrecorded",
        "FT-06": "automated: 10 working days from the referral; officer reminded, manager "
        "emailed on a breach",
        "FT-07": "automated: schedule and start date emailed to the social worker unless shared at "
        "the meeting",
        "FT-08": "automated: each session recorded in order with its case note; officer "
        "reminded when a note is missing after 1 working day",
        "FT-09": "automated: invitation emailed to the officer; if not attending, report due "
        "before the meeting starts (reminder the working day before, escalation) and emailed to "
        "the social worker; updated schedule emailed",
        "FT-10": "automated: closure email to business support (cc manager) to update Protocol and "
        "the tracker once the arrangements form is updated; business support confirms to close",
    },
)
