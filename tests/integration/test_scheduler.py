"""The APScheduler wiring: APScheduler only says "now"; the database holds what is due.

The scheduler is started paused (its jobs never run on their own) or not at
all; the jobs are inspected and their functions called directly, with time on
the SimulatedClock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from engine import store
from engine.clock import LONDON, local
from engine.scheduler import build_scheduler
from engine.service import FamilyFlow
from familyflow.db import admin as admin_db
from tests.conftest import AppFactory
from tests.support.database import confirmed_referrals, rows
from tests.support.journeys import CONTACTS, at, history, outbox_rows
from tests.support.logs import captured_logs

# One cron job per agenda of every process, and the interval jobs; nothing per case.
JOBS = sorted(
    [
        "agenda:early_help_oversight",
        "agenda:early_help_pre_allocation",
        "agenda:early_help_screening",
        "agenda:early_help_supervision",
        "agenda:family_therapy_panel",
        "agenda:family_therapy_waiting_list",
        "agenda:joint_under5_locality_meeting",
        "agenda:parenting_tuesday",
        "agendas_catch_up",
        "deliver_outbox",
        "fire_due",
    ]
)


def expected_jobs(flow: FamilyFlow) -> list[str]:
    """JOBS, and on SQLite the planner statistics' job (PostgreSQL keeps its own)."""
    return JOBS if flow.db.dialect.name == "postgresql" else sorted([*JOBS, "statistics"])


@pytest.fixture
def paused() -> Iterator[Callable[[FamilyFlow], BaseScheduler]]:
    """A background scheduler for a flow, started paused so no job runs by itself."""
    started: list[BaseScheduler] = []

    def start(flow: FamilyFlow) -> BaseScheduler:
        scheduler = build_scheduler(flow, tick_seconds=30, outbox_seconds=15, blocking=False)
        scheduler.start(paused=True)
        started.append(scheduler)
        return scheduler

    yield start
    for scheduler in started:
        scheduler.shutdown(wait=True)


def job_ids(scheduler: BaseScheduler) -> list[str]:
    return sorted(job.id for job in scheduler.get_jobs())


def test_the_scheduler_has_the_tick_outbox_and_tuesday_agenda_jobs_with_their_triggers(
    make_app: AppFactory,
) -> None:
    """PAR-13, PAR-17: the Tuesday agenda is a cron job at 08:00 Europe/London (GMT in
    winter, BST in summer); deadlines and the outbox are polled on an interval."""
    flow = make_app()
    scheduler = build_scheduler(flow, tick_seconds=30, outbox_seconds=15, blocking=False)

    assert isinstance(scheduler, BackgroundScheduler)
    assert scheduler.timezone == LONDON
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert sorted(jobs) == expected_jobs(flow)
    fire_due, deliver = jobs["fire_due"].trigger, jobs["deliver_outbox"].trigger
    assert isinstance(fire_due, IntervalTrigger)
    assert isinstance(deliver, IntervalTrigger)
    assert (fire_due.interval, deliver.interval) == (timedelta(seconds=30), timedelta(seconds=15))
    tuesday = jobs["agenda:parenting_tuesday"].trigger
    assert isinstance(tuesday, CronTrigger)
    assert tuesday.timezone == LONDON
    after_monday = [
        tuesday.get_next_fire_time(None, at(moment))
        for moment in ("2026-12-14T09:00", "2027-06-07T09:00", "2027-06-08T08:00")
    ]
    assert [local(moment).isoformat() for moment in after_monday if moment] == [
        "2026-12-15T08:00:00+00:00",
        "2027-06-08T08:00:00+01:00",
        "2027-06-08T08:00:00+01:00",
    ]
    assert tuesday.get_next_fire_time(None, at("2027-06-08T08:00:01")) == at("2027-06-15T08:00")


def test_no_deadline_is_stored_in_the_scheduler_whatever_cases_are_added(
    make_app: AppFactory,
    paused: Callable[[FamilyFlow], BaseScheduler],
) -> None:
    """Deadlines live in the deadlines table only: adding 30 referrals with their PAR-04
    timers, and firing them through the scheduler's own jobs, leaves the job store
    with the same four jobs."""
    flow = make_app(start="2026-12-16T11:00")
    scheduler = paused(flow)
    stored = job_ids(scheduler)
    assert stored == expected_jobs(flow)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    # A run missed while the process was busy or stopped happens once, however late.
    assert {(j.coalesce, j.max_instances, j.misfire_grace_time) for j in jobs.values()} == {
        (True, 1, None)
    }
    tuesday = local(jobs["agenda:parenting_tuesday"].next_run_time)
    assert (tuesday.strftime("%a %H:%M"), tuesday.tzinfo) == ("Tue 08:00", LONDON)

    confirmed_referrals(flow, 30, at=at("2026-12-16T11:00"))
    assert len(rows(flow, store.deadlines)) == 60
    assert job_ids(scheduler) == stored

    flow.clock.advance_to(at("2026-12-24T09:00"))  # type: ignore[attr-defined]
    jobs["fire_due"].func()
    jobs["deliver_outbox"].func()
    chases = outbox_rows(flow, template="parenting/chase_session_choice")
    assert [c["status"] for c in chases] == ["sent"] * 30
    assert job_ids(scheduler) == stored
    assert [j.id for j in scheduler.get_jobs(jobstore="default")] == [
        j.id for j in scheduler.get_jobs()
    ]


def test_the_tuesday_agenda_job_runs_the_agenda_for_its_slot(
    make_app: AppFactory,
    new_referral: Callable[..., int],
    paused: Callable[[FamilyFlow], BaseScheduler],
) -> None:
    """PAR-13, PAR-17: when APScheduler fires the Tuesday job at 08:00, the agenda for
    that slot is queued once, however many times the job is called for it."""
    flow = make_app(start="2026-12-14T09:00")
    jobs = {job.id: job for job in paused(flow).get_jobs()}
    jobs["agendas_catch_up"].func()  # first start: runs are counted from now
    new_referral(flow, "2026-12-14T10:00")

    flow.clock.advance_to(at("2026-12-15T08:00"))  # type: ignore[attr-defined]
    jobs["agenda:parenting_tuesday"].func()
    jobs["agenda:parenting_tuesday"].func()
    jobs["deliver_outbox"].func()

    (agenda,) = outbox_rows(flow, template="parenting/tuesday_agenda")
    assert (agenda["subject"], agenda["status"]) == (
        "Parenting Tuesday meeting agenda, Tuesday 15 December 2026",
        "sent",
    )


def test_a_job_that_fails_is_logged_and_does_not_stop_the_others(
    make_app: AppFactory,
    paused: Callable[[FamilyFlow], BaseScheduler],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An unexpected error in a job (here the deadlines table has gone) is logged as
    job_failed and goes no further, so the other jobs still run."""
    flow = make_app()
    jobs = {job.id: job for job in paused(flow).get_jobs()}
    flow.create_case(
        process="parenting", received_at=at("2026-12-14T09:00"), data={}, contacts=CONTACTS
    )
    with flow.db.begin() as conn:
        conn.execute(sa.text("ALTER TABLE deadlines RENAME TO deadlines_gone"))
    try:
        with captured_logs(monkeypatch) as events:
            jobs["fire_due"].func()
            jobs["deliver_outbox"].func()
    finally:  # the PostgreSQL database is shared by the rest of the session
        with flow.db.begin() as conn:
            conn.execute(sa.text("ALTER TABLE deadlines_gone RENAME TO deadlines"))

    assert [(e["event"], e["job"], e["log_level"]) for e in events if "job" in e] == [
        ("job_failed", "fire_due", "error")
    ]
    assert [m["status"] for m in outbox_rows(flow)] == ["sent"]


def _jobs(flow: FamilyFlow, key: str) -> list[tuple[str, str]]:
    return [
        (e["at"], e["reason"])
        for e in history(flow)
        if e["kind"] == "job" and e["reason"].startswith(key)
    ]


def test_a_tuesday_agenda_on_a_bank_holiday_goes_on_the_wednesday_at_the_same_time(
    make_app: AppFactory,
    new_referral: Callable[..., int],
    paused: Callable[[FamilyFlow], BaseScheduler],
) -> None:
    """PAR-13, PAR-17: Tuesday 28 December 2027 is a bank holiday (Boxing Day's substitute):
    the cron job at 08:00 queues nothing; the interval job runs it on Wednesday 29 December
    at 08:00, once, and the history's job entry says it was moved and why."""
    flow = make_app(start="2027-12-20T09:00")
    jobs = {job.id: job for job in paused(flow).get_jobs()}
    jobs["agendas_catch_up"].func()  # first start: runs are counted from now
    new_referral(flow, "2027-12-21T10:00")

    flow.clock.advance_to(at("2027-12-28T08:00"))  # type: ignore[attr-defined]
    jobs["agenda:parenting_tuesday"].func()
    assert outbox_rows(flow, template="parenting/tuesday_agenda") == []
    flow.clock.advance_to(at("2027-12-29T08:00"))  # type: ignore[attr-defined]
    jobs["agendas_catch_up"].func()
    jobs["agendas_catch_up"].func()
    jobs["deliver_outbox"].func()

    (agenda,) = outbox_rows(flow, template="parenting/tuesday_agenda")
    assert (agenda["status"], local(agenda["sent_at"]).isoformat()) == (
        "sent",
        "2027-12-29T08:00:00+00:00",
    )
    assert _jobs(flow, "parenting_tuesday") == [
        ("2027-12-21T08:00:00+00:00", "parenting_tuesday: 0 agenda(s) queued"),
        (
            "2027-12-29T08:00:00+00:00",
            "parenting_tuesday: moved from Tuesday 28 December 2027, a bank holiday (Boxing "
            "Day (observed)), to Wednesday 29 December 2027; 1 agenda(s) queued",
        ),
    ]
    slots = [r["slot"] for r in rows(flow, store.job_runs) if r["job"] == "parenting_tuesday"]
    assert slots == [at("2027-12-20T09:00"), at("2027-12-21T08:00"), at("2027-12-29T08:00")]


def test_a_daily_list_skips_a_closure_day_and_after_downtime_runs_once(
    make_app: AppFactory,
) -> None:
    """EH-2.1: the daily screening list skips a local closure day (Friday 7 January 2028);
    the service is stopped from Thursday to Tuesday 10:00, and on start the list runs once,
    late, for Tuesday's 09:00 slot; the skip is in the history with its reason."""
    before = make_app(start="2028-01-05T12:00")
    before.tick()  # first start
    with before.db.begin() as conn:
        admin_db.add_closure_day(conn, day=at("2028-01-07T12:00").date(), description="Staff day")
    before.advance(at("2028-01-06T12:00"))  # Thursday 6 January 09:00 runs on time
    before.db.dispose()

    after = make_app(start="2028-01-11T10:00")
    after.tick()

    assert _jobs(after, "early_help_screening") == [
        ("2028-01-06T09:00:00+00:00", "early_help_screening: 0 agenda(s) queued"),
        (
            "2028-01-07T09:00:00+00:00",
            "early_help_screening: skipped, Friday 7 January 2028 is a local closure day; "
            "the next run lists what it would have",
        ),
        ("2028-01-11T09:00:00+00:00", "early_help_screening: 0 agenda(s) queued"),
    ]
    runs = [
        (r["slot"], r["ran_at"], r["late"])
        for r in rows(after, store.job_runs)
        if r["job"] == "early_help_screening"
    ]
    assert runs[-1] == (at("2028-01-11T09:00"), at("2028-01-11T10:00"), True)


def test_on_sqlite_the_planners_statistics_are_gathered_at_start_and_each_night(
    make_app: AppFactory,
    new_referral: Callable[..., int],
) -> None:
    """SQLite plans its queries without statistics until ANALYZE runs (PostgreSQL's
    autovacuum gathers its own): the job runs at start, then at 02:30 each night."""
    flow = make_app()
    new_referral(flow)
    scheduler = build_scheduler(flow, tick_seconds=30, outbox_seconds=15, blocking=False)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    if flow.db.dialect.name == "postgresql":
        assert "statistics" not in jobs
        return
    job = jobs["statistics"]
    assert job.next_run_time is not None  # at start
    assert isinstance(job.trigger, CronTrigger)
    after = job.trigger.get_next_fire_time(None, at("2026-12-14T09:00"))
    assert after is not None and local(after).isoformat() == "2026-12-15T02:30:00+00:00"
    job.func()
    with flow.db.connect() as conn:
        analysed = {t for (t,) in conn.exec_driver_sql("SELECT DISTINCT tbl FROM sqlite_stat1")}
    assert {"cases", "contacts", "audit_events", "outbox"} <= analysed
