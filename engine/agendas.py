"""Scheduled agendas: which slots are due, and what each manager's agenda lists."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache, partial
from typing import Any

from apscheduler.triggers.cron import CronTrigger

from engine import store
from engine.calendar import WorkingCalendar
from engine.cases import Actor, CaseWork
from engine.clock import LONDON, aware, local
from engine.ports import MessageIntent, Recipient
from engine.store import CaseRow
from workflows.spec import Agenda, AgendaSection, CaseView, Process


def cron(agenda: Agenda) -> CronTrigger:
    return _cron(agenda.day, agenda.day_of_week, agenda.time)


# A CronTrigger is immutable and costly to build (it parses its fields): one per schedule.
@lru_cache(maxsize=128)
def _cron(day: str, day_of_week: str, at: str) -> CronTrigger:
    hour, minute = at.split(":")
    return CronTrigger(
        day=day, day_of_week=day_of_week, hour=int(hour), minute=int(minute), timezone=LONDON
    )


@dataclass(frozen=True)
class Run:
    """One slot of an agenda's cron, placed on the calendar: it runs at `run_at` (the
    slot, or the same time on the next working day), or is skipped (`run_at` None).
    `why` says why the slot's day is not a working day."""

    slot: datetime
    run_at: datetime | None
    why: str | None = None


# Enough slots to get past any run of non-working days (a daily list over Christmas).
_SEARCH = 400


def _cron_slot(agenda: Agenda, after: datetime) -> datetime:
    moment = cron(agenda).get_next_fire_time(None, after + timedelta(seconds=1))
    assert moment is not None
    return moment


def place(agenda: Agenda, slot: datetime, calendar: WorkingCalendar) -> Run:
    """Move or skip a slot whose day is a bank holiday, closure day or weekend."""
    at = local(slot)
    why = calendar.why_not_working(at.date())
    if why is None:
        return Run(slot=slot, run_at=slot, why=None)
    if agenda.on_non_working_day == "skip":
        return Run(slot=slot, run_at=None, why=why)
    day = calendar.next_working_day(at.date())
    return Run(slot=slot, run_at=aware(datetime.combine(day, at.time(), tzinfo=LONDON)), why=why)


def _runs(agenda: Agenda, after: datetime, calendar: WorkingCalendar) -> Iterator[Run]:
    slot = after
    for _ in range(_SEARCH):
        slot = _cron_slot(agenda, slot)
        yield place(agenda, slot, calendar)


def next_slot(agenda: Agenda, after: datetime, calendar: WorkingCalendar) -> datetime | None:
    """When the agenda next runs after `after` (its last run), skipped slots passed over."""
    return next((r.run_at for r in _runs(agenda, after, calendar) if r.run_at), None)


class NextRuns:
    """Each agenda's next run after its last one, remembered: the answer changes only
    when the agenda runs (a new last slot) or the closure days change, so a tick that
    finds nothing due costs a dictionary lookup, not a walk of the cron (issue 11)."""

    LIMIT = 4096  # schedules x last slots x closure lists; cleared when full

    def __init__(self) -> None:
        self._known: dict[tuple[Any, ...], datetime | None] = {}

    def after(self, agenda: Agenda, last: datetime, calendar: WorkingCalendar) -> datetime | None:
        key = (
            agenda.key,
            agenda.day,
            agenda.day_of_week,
            agenda.time,
            agenda.on_non_working_day,
            last,
            calendar.nation,
            calendar.closures,
        )
        if key not in self._known:
            if len(self._known) >= self.LIMIT:
                self._known.clear()
            self._known[key] = next_slot(agenda, last, calendar)
        return self._known[key]


def latest_slot(
    agenda: Agenda, after: datetime, now: datetime, calendar: WorkingCalendar
) -> tuple[Run | None, list[Run]]:
    """The last run due in (after, now], so a run missed during downtime runs once, and
    the slots skipped before it. Moving keeps slots in order, so the first run placed
    after `now` ends the search."""
    found: Run | None = None
    skipped: list[Run] = []
    pending: list[Run] = []
    for run in _runs(agenda, after, calendar):
        if run.slot > now or (run.run_at is not None and run.run_at > now):
            break
        if run.run_at is None:
            pending.append(run)
            continue
        found = run
        skipped += pending
        pending = []
    return found, skipped


def _day(moment: datetime) -> str:
    return f"{local(moment):%A} {local(moment).day} {local(moment):%B %Y}"


def _matches(
    section: AgendaSection,
    view: Callable[[], CaseView],
    case: CaseRow,
    since: datetime,
    until: datetime,
) -> bool:
    if section.state_in and case.state not in section.state_in:
        return False
    if section.created_since_last_run and not since <= case.received_at <= until:
        return False
    if section.closed_since_last_run and not (
        case.closed_at is not None and since < case.closed_at <= until
    ):
        return False
    if not all(case.data.get(k) == v for k, v in section.data_equals.items()):
        return False
    return section.where is None or section.where(view())


def _states(agenda: Agenda) -> list[str] | None:
    """The states an open case must be in to be listed, when every section names its
    states (so that a run loads those cases only); None when a section takes any."""
    if any(not section.state_in for section in agenda.sections):
        return None
    return sorted({state for section in agenda.sections for state in section.state_in})


def run_agenda(
    work: CaseWork,
    process: Process,
    agenda: Agenda,
    *,
    since: datetime,
    slot: datetime,
    moved_from: Run | None = None,
    skipped: tuple[Run, ...] = (),
) -> int:
    """Queue one agenda per manager; returns how many were queued. The history's `job`
    entries say which slots were skipped since the last run, and why this one moved."""
    for run in skipped:
        _skipped(work, agenda, run)
    conn = work.conn
    mailing_list = work.services.mailing_lists.get(agenda.key, ()) if agenda.mailing_list else ()
    ids: list[int] = []
    # A meeting's list with nobody on its mailing list goes to no one: its run is
    # recorded, and no case need be read (a county's daily screening list, issue 11).
    if mailing_list or not agenda.mailing_list:
        ids = store.open_case_ids_for_process(conn, process.name, states=_states(agenda))
        ids += store.cases_created_or_closed_between(
            conn, process=process.name, start=since, end=slot
        )
    work.preload(ids)
    by_recipient: dict[str, dict[str, Any]] = {
        email: {"name": email, "email": email} for email in mailing_list if agenda.send_when_empty
    }
    listed: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for case_id in dict.fromkeys(ids):
        case = work.cases[case_id]
        if agenda.mailing_list:  # a meeting's list: every case goes to every address
            recipients = [{"name": email, "email": email} for email in mailing_list]
        else:  # each case goes to its own manager (or whoever `to` names)
            recipient = case.contacts_by_role().get(agenda.to)
            recipients = [recipient] if recipient and recipient.get("email") else []
        # The case's view (a query for its breached timescales, in some processes) only
        # for a section whose own test needs it, once the plain criteria have passed.
        view = lru_cache(maxsize=1)(partial(work.view, case))
        for section in agenda.sections:
            if not _matches(section, view, case, since, slot):
                continue
            for recipient in recipients:
                by_recipient[recipient["email"]] = recipient
                listed[recipient["email"]][section.key].append(
                    {
                        "reference": f"{process.code}-{case.id:06d}",
                        "state": case.state,
                        "received_at": case.received_at,
                        "closed_at": case.closed_at,
                        "data": case.data,
                        "contacts": case.contacts_by_role(),
                    }
                )
    dedupe_keys: list[str] = []
    for email, recipient in by_recipient.items():
        sections = [
            {"key": s.key, "title": s.title, "cases": listed[email][s.key]} for s in agenda.sections
        ]
        context = {
            "recipient": recipient,
            "sections": sections,
            "slot": slot,
            "since": since,
            "rule": ", ".join(agenda.rules),
            "service_name": work.services.service_name,
        }
        dedupe_key = f"job:{agenda.key}:{slot.isoformat()}:{email}"
        dedupe_keys.append(dedupe_key)
        work.intents.append(
            MessageIntent(
                case_id=None,
                template=agenda.template,
                medium="email",
                rule=", ".join(agenda.rules),
                to=Recipient(role=agenda.to, name=recipient.get("name"), address=email),
                context=context,
                dedupe_key=dedupe_key,
            )
        )
    moved = (
        f"moved from {_day(moved_from.slot)}, {moved_from.why}, to {_day(slot)}; "
        if moved_from is not None
        else ""
    )
    work.audit(
        None,
        kind="job",
        actor=Actor(),
        at=slot,
        rule=", ".join(agenda.rules),
        reason=f"{agenda.key}: {moved}{len(by_recipient)} agenda(s) queued",
        detail={
            "job": agenda.key,
            "slot": slot.isoformat(),
            "recipients": len(by_recipient),
            **({"moved_from": moved_from.slot.isoformat()} if moved_from else {}),
        },
    )
    for dedupe_key in dedupe_keys:  # each agenda email on the timeline, like any message
        work.audit(
            None,
            kind="message",
            actor=Actor(),
            at=slot,
            rule=", ".join(agenda.rules),
            reason=f"email to {agenda.to}",
            detail={"dedupe_key": dedupe_key, "template": agenda.template},
        )
    return len(by_recipient)


def _skipped(work: CaseWork, agenda: Agenda, run: Run) -> None:
    work.audit(
        None,
        kind="job",
        actor=Actor(),
        at=run.slot,
        rule=", ".join(agenda.rules),
        reason=f"{agenda.key}: skipped, {_day(run.slot)} is {run.why}; "
        "the next run lists what it would have",
        detail={"job": agenda.key, "slot": run.slot.isoformat(), "skipped": True},
    )
