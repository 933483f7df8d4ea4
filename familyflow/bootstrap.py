"""All the wiring, in one place; nothing is created at import time."""

from __future__ import annotations

import logging
import sys
from dataclasses import replace
from datetime import timedelta

import structlog

import templates as template_files
from engine.cases import Services
from engine.clock import Clock, SystemClock
from engine.db import create_engine, upgrade
from engine.machines import ProcessMachine
from engine.service import FamilyFlow
from familyflow.db import accounts as accounts_db
from familyflow.settings import Settings
from notifications.channels.base import Transport
from notifications.inbox import Inbox
from notifications.outbox import DeliveryPolicy, MessageQueue, Outbox
from notifications.render import Renderer
from workflows import all_processes
from workflows.spec import Process

TEMPLATES = template_files.DIRECTORY


# Libraries that log through the standard library: their lines go through the same
# processors and renderer as ours, so every line of a run has one format.
STDLIB_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "apscheduler")


def configure_logging(settings: Settings) -> None:
    as_json = settings.log_json if settings.log_json is not None else not sys.stderr.isatty()
    renderer: structlog.typing.Processor = (
        structlog.processors.JSONRenderer()
        if as_json
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    shared: list[structlog.typing.Processor] = [
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[structlog.stdlib.add_logger_name, *shared],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            # The traceback's text, in the line: no locals, which could hold personal data.
            structlog.processors.format_exc_info,
            renderer,
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(logging.INFO)
    for name in STDLIB_LOGGERS:
        library = logging.getLogger(name)
        library.handlers = []
        library.propagate = True
    # The Notify client logs each request at INFO and its URL; warnings are enough.
    logging.getLogger("notifications_python_client").setLevel(logging.WARNING)
    # Alembic announces its dialect on every start, at every CLI command: noise for people.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # APScheduler's executor logs two INFO lines per job run (every 15 to 60 s, about
    # 8 a minute): noise that buries the service's own lines. Its warnings (a run
    # missed) and errors stay; each run is counted in /metrics and job_runs.
    logging.getLogger("apscheduler.executors").setLevel(logging.WARNING)


def configure_processes(settings: Settings) -> dict[str, Process]:
    """Apply the local authority's timescales and agenda times to the definitions."""
    processes = {}
    overrides = settings.timescale_overrides()
    for name, process in all_processes().items():
        process = process.with_timescales(overrides)
        agendas = []
        for agenda in process.agendas:
            slot = settings.agenda_slot(agenda.key)
            agendas.append(replace(agenda, day_of_week=slot[0], time=slot[1]) if slot else agenda)
        processes[name] = replace(process, agendas=tuple(agendas))
    return processes


def build_transports(settings: Settings) -> dict[str, Transport]:
    from notifications.channels.file import FileTransport

    file = FileTransport(directory=settings.outbox_dir)
    transports: dict[str, Transport] = {"email": file, "sms": file}
    if "notify" in (settings.email_transport, settings.sms_transport):
        from notifications.channels.notify import NotifyTransport

        notify = NotifyTransport(
            api_key=settings.notify_api_key.get_secret_value() if settings.notify_api_key else "",
            email_template_id=settings.notify_email_template_id or "",
            sms_template_id=settings.notify_sms_template_id or "",
            base_url=settings.notify_base_url,
            email_reply_to_ids={
                settings.team_reply_to[team]: reply_to_id
                for team, reply_to_id in settings.notify_team_reply_to_ids.items()
            },
            timeout=settings.notify_timeout_seconds,
        )
        if settings.email_transport == "notify":
            transports["email"] = notify
        if settings.sms_transport == "notify":
            transports["sms"] = notify
    if settings.email_transport == "smtp":
        from notifications.channels.smtp import SmtpTransport

        transports["email"] = SmtpTransport(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.smtp_sender,
            username=settings.smtp_username,
            password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
            starttls=settings.smtp_starttls,
            timeout=settings.smtp_timeout_seconds,
        )
    return transports


def build_inbox(settings: Settings) -> Inbox | None:
    """Parents' replies arrive at the Notify service's inbound number, when texts go by Notify."""
    if settings.sms_transport != "notify":
        return None
    from notifications.channels.notify_inbox import NotifyInbox

    key = settings.notify_api_key
    return NotifyInbox(
        api_key=key.get_secret_value() if key else "", base_url=settings.notify_base_url
    )


def bootstrap(
    settings: Settings,
    *,
    clock: Clock | None = None,
    transports: dict[str, Transport] | None = None,
    migrate: bool = True,
    inbox: Inbox | None = None,
) -> FamilyFlow:
    clock = clock or SystemClock()
    db = create_engine(settings.database_url)
    if migrate:
        upgrade(db)
    processes = configure_processes(settings)
    lease = settings.outbox_lease_seconds
    longest_send = 2 * max(settings.smtp_timeout_seconds, settings.notify_timeout_seconds)
    policy = DeliveryPolicy(
        quiet_start=settings.quiet_hours_start,
        quiet_end=settings.quiet_hours_end,
        max_attempts=settings.max_attempts,
        lease=timedelta(seconds=lease),
        # Claim no more than the slowest sends could finish within one lease: rows
        # waiting behind a hung server stay free for other instances.
        claim_size=max(1, min(200, int(lease / longest_send))),
    )
    services = Services(
        processes=processes,
        machines={name: ProcessMachine(p) for name, p in processes.items()},
        messages=MessageQueue(renderer=Renderer(directory=TEMPLATES), policy=policy),
        day_starts=settings.working_day_starts,
        nation=settings.nation,
        service_name=settings.service_name,
        mailing_lists={k: tuple(v) for k, v in settings.mailing_lists.items()},
        max_data_bytes=settings.max_event_data_bytes,
        max_note_chars=settings.max_note_chars,
        team_reply_to=settings.team_reply_to,
        base_url=settings.base_url,
        undo_window=timedelta(minutes=settings.sms_undo_minutes),
        part_time=accounts_db.user_part_time,
    )
    outbox = Outbox(
        db=db, transports=transports or build_transports(settings), policy=policy, clock=clock
    )
    return FamilyFlow(
        db=db,
        services=services,
        clock=clock,
        outbox=outbox,
        late_after=timedelta(minutes=settings.late_after_minutes),
        batch_size=settings.batch_size,
        inbox=inbox or build_inbox(settings),
    )
