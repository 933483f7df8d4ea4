"""APScheduler drives time; our tables hold it. Jobs only read and claim rows,
so nothing is lost when the process stops and nothing runs twice when several
instances run at once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial

import structlog
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from engine.agendas import cron
from engine.clock import LONDON
from engine.db import is_postgres, refresh_statistics
from engine.service import FamilyFlow

log = structlog.get_logger("familyflow.scheduler")


JobObserver = Callable[[str, bool], None]  # (job name, succeeded): metrics count runs


def _guarded(
    name: str, job: Callable[[], object], observe: JobObserver | None = None
) -> Callable[[], None]:
    def run() -> None:
        ok = True
        try:
            job()
        except Exception:  # a failing tick must not stop the next one
            ok = False
            log.exception("job_failed", job=name)
        if observe is not None:
            observe(name, ok)

    return run


def add_jobs(
    scheduler: BaseScheduler,
    flow: FamilyFlow,
    *,
    tick_seconds: int,
    outbox_seconds: int,
    replies_seconds: int = 60,
    observe: JobObserver | None = None,
) -> None:
    start = datetime.now(LONDON)
    scheduler.add_job(
        _guarded("fire_due", flow.fire_due, observe),
        IntervalTrigger(seconds=tick_seconds),
        id="fire_due",
        next_run_time=start,
    )
    scheduler.add_job(
        _guarded("deliver_outbox", flow.outbox.deliver_due, observe),
        IntervalTrigger(seconds=outbox_seconds),
        id="deliver_outbox",
        next_run_time=start,
    )
    if flow.inbox is not None:  # parents' replies: idempotent, so any instance may read
        scheduler.add_job(
            _guarded("read_replies", flow.read_replies, observe),
            IntervalTrigger(seconds=replies_seconds),
            id="read_replies",
            next_run_time=start,
        )
    if not is_postgres(flow.db):
        # SQLite's planner statistics (PostgreSQL's autovacuum keeps its own): at start,
        # then each night, when a second of the write lock holds nobody up.
        scheduler.add_job(
            _guarded("statistics", partial(refresh_statistics, flow.db), observe),
            CronTrigger(hour=2, minute=30, timezone=LONDON),
            id="statistics",
            next_run_time=start,
        )
    # Agendas missed while stopped run once now; after that, on their cron, and a run moved
    # off a bank holiday to the next working day is picked up by this job's interval.
    scheduler.add_job(
        _guarded("agendas", flow.run_agendas, observe),
        IntervalTrigger(seconds=tick_seconds),
        id="agendas_catch_up",
        next_run_time=start,
    )
    for process in flow.services.processes.values():
        for agenda in process.agendas:
            scheduler.add_job(
                _guarded(agenda.key, flow.run_agendas, observe),
                cron(agenda),
                id=f"agenda:{agenda.key}",
            )


def build_scheduler(
    flow: FamilyFlow,
    *,
    tick_seconds: int,
    outbox_seconds: int,
    blocking: bool = True,
    replies_seconds: int = 60,
    observe: JobObserver | None = None,
) -> BaseScheduler:
    from apscheduler.schedulers.background import BackgroundScheduler

    kind = BlockingScheduler if blocking else BackgroundScheduler
    scheduler = kind(
        timezone=LONDON,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
    )
    add_jobs(
        scheduler,
        flow,
        tick_seconds=tick_seconds,
        outbox_seconds=outbox_seconds,
        replies_seconds=replies_seconds,
        observe=observe,
    )
    return scheduler


def run_forever(flow: FamilyFlow, *, tick_seconds: int, outbox_seconds: int, port: int) -> None:
    log.info("service_started", port=port, tick_seconds=tick_seconds)
    scheduler = build_scheduler(flow, tick_seconds=tick_seconds, outbox_seconds=outbox_seconds)
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        log.info("service_stopped")
