"""Chaos: do deadlines fire once and messages arrive once, with three instances
on one PostgreSQL database, while things go wrong? (Prints figures; not a test.)

    .venv/bin/python bench/chaos.py postgresql+psycopg://postgres@127.0.0.1:5432/postgres

A fresh database is created (and dropped afterwards) on that server. Three
`familyflow serve` instances run against it, with a local SMTP sink (aiosmtpd)
that records the Message-ID and recipient of every message it accepts, and the
fake GOV.UK Notify of the tests (tests/support/fake_notify.py). Each phase makes
parenting PAR-04 chase deadlines fall due over a few seconds; each firing
queues the chase to the social worker and its copy to the team manager (two
messages). Phases:

  kill    kill -9 of a random instance every 3 s (restarted at once), SMTP
  hung    the SMTP server stops answering for 12 s (accepts nothing), then recovers
  slow    a relay taking 1-2 s a message
  notify  kill -9 every 3 s, as in `kill`, with email through Notify

Figures per phase: due, fired, fired twice (a deadline fired more than once),
queued, delivered, lost (queued, never arrived), doubled (arrived more than
once), and the time from the last due instant until everything queued had
arrived.
"""

from __future__ import annotations

import os
import sys

if __name__ == "__main__" and not __package__:
    # `python bench/chaos.py`: this file's folder would shadow the `engine` package.
    _bench = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _bench]
    sys.path.insert(0, os.path.dirname(_bench))

import argparse
import asyncio
import random
import signal
import subprocess
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from aiosmtpd.controller import Controller

from engine.cases import ANY_ROLE, Actor
from engine.clock import SimulatedClock
from engine.store import audit, deadlines, outbox
from familyflow.bootstrap import bootstrap
from familyflow.settings import Settings
from notifications.channels.smtp import message_id_for
from tests.support.fake_notify import FakeNotify
from tests.support.mail import free_port

FAMILYFLOW = Path(sys.executable).parent / "familyflow"
INSTANCES = 3
LEASE_SECONDS = 20
TIMEOUT_SECONDS = 5
CONTACTS = {
    "social_worker": {"name": "Sam Jones", "email": "sam.jones@example.org"},
    "team_manager": {"name": "Ade Bello", "email": "ade.bello@example.org"},
    "business_support": {"name": "Business Support", "email": "bs@example.org"},
    "parent": {"name": "Jo Parent", "mobile": "07700900123"},
}


# -- the SMTP sink -----------------------------------------------------------------


@dataclass
class Sink:
    """Records (Message-ID, recipient) of every message accepted; can hang or be slow."""

    received: list[tuple[str, str]] = field(default_factory=list)
    hung_until: float = 0.0
    slow: tuple[float, float] | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if time.monotonic() < self.hung_until:  # never answers while hung
            await asyncio.sleep(self.hung_until - time.monotonic() + 30)
            return "451 4.3.0 try again"
        if self.slow:
            await asyncio.sleep(random.uniform(*self.slow))
        text = envelope.original_content.decode("utf-8", "replace")
        message_id = next(
            line.split(":", 1)[1].strip()
            for line in text.splitlines()
            if line.lower().startswith("message-id:")
        )
        self.received.extend((message_id, rcpt) for rcpt in envelope.rcpt_tos)
        return "250 accepted"


# -- the instances -----------------------------------------------------------------


class Cluster:
    def __init__(self, *, url: str, env: dict[str, str], folder: Path) -> None:
        self.url, self.env, self.folder = url, env, folder
        self.procs: list[subprocess.Popen[bytes] | None] = [None] * INSTANCES
        self.kills = 0

    def start(self, index: int) -> None:
        log = (self.folder / f"instance{index}.log").open("ab")
        self.procs[index] = subprocess.Popen(
            [str(FAMILYFLOW), "serve", "--port", str(free_port())],
            env=self.env,
            cwd=self.folder,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )

    def start_all(self) -> None:
        for index in range(INSTANCES):
            self.start(index)

    def kill_one(self) -> None:
        index = random.randrange(INSTANCES)
        proc = self.procs[index]
        if proc is not None:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            self.kills += 1
        self.start(index)

    def stop(self) -> None:
        for proc in self.procs:
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGINT)
        for proc in self.procs:
            if proc is not None:
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


# -- a phase -----------------------------------------------------------------------


@dataclass
class Result:
    phase: str
    due: int
    fired: int
    fired_twice: int
    queued: int
    delivered: int
    lost: int
    doubled: int
    drain: float | None
    kills: int


def prepare_cases(url: str, count: int) -> list[int]:
    """`count` parenting referrals with attendance confirmed: each has a PAR-04 chase."""
    clock = SimulatedClock(datetime.now(UTC) - timedelta(days=2))
    flow = bootstrap(Settings(database_url=url), clock=clock)
    anyone = Actor("bench", ANY_ROLE)
    ids = []
    for _ in range(count):
        case_id = flow.create_case(
            process="parenting", received_at=clock.now(), data={}, contacts=CONTACTS
        )
        flow.fire(case_id, "request_confirmation", {}, actor=anyone)
        flow.fire(case_id, "confirm_attendance", {}, actor=anyone)
        ids.append(case_id)
    with flow.db.begin() as conn:  # only this phase's chases fire and send
        # (the referral emails these steps queued; any an instance is sending stay its own)
        conn.execute(sa.update(outbox).where(outbox.c.status == "queued").values(status="sent"))
        conn.execute(
            sa.update(deadlines)
            .where(deadlines.c.case_id.in_(ids), deadlines.c.timescale != "PAR-04-chase")
            .values(status="cancelled")
        )
    flow.db.dispose()
    return ids


def schedule(db: sa.Engine, ids: list[int], *, over: float) -> datetime:
    """The cases' chases fall due over the next `over` seconds; returns the last instant."""
    start = datetime.now(UTC) + timedelta(seconds=2)
    last = start
    with db.begin() as conn:
        for number, case_id in enumerate(ids):
            due = start + timedelta(seconds=over * number / max(len(ids) - 1, 1))
            last = max(last, due)
            conn.execute(
                sa.update(deadlines)
                .where(deadlines.c.case_id == case_id, deadlines.c.timescale == "PAR-04-chase")
                .values(due_at=due)
            )
    return last


def queued_rows(db: sa.Engine, ids: list[int]) -> list[dict[str, Any]]:
    with db.connect() as conn:
        query = sa.select(outbox).where(
            outbox.c.case_id.in_(ids), outbox.c.template == "parenting/chase_session_choice"
        )
        return [dict(r) for r in conn.execute(query).mappings()]


def firings(db: sa.Engine, ids: list[int]) -> Counter[int]:
    with db.connect() as conn:
        query = sa.select(audit.c.case_id).where(
            audit.c.case_id.in_(ids), audit.c.kind == "deadline_missed", audit.c.rule == "PAR-04"
        )
        return Counter(r[0] for r in conn.execute(query))


def run_phase(
    *,
    name: str,
    url: str,
    db: sa.Engine,
    cluster: Cluster,
    count: int,
    over: float,
    arrived: Callable[[list[dict[str, Any]]], Counter[Any]],
    key: Callable[[dict[str, Any]], Any],
    chaos: Callable[[float], None] | None = None,
    deadline: float = 240.0,
) -> Result:
    print(f"{name}: preparing {count} cases", flush=True)
    ids = prepare_cases(url, count)
    kills_before = cluster.kills
    last_due = schedule(db, ids, over=over)
    began = time.monotonic()
    drained_at: datetime | None = None
    while time.monotonic() - began < deadline:
        elapsed = time.monotonic() - began
        if chaos is not None:
            chaos(elapsed)
        rows = queued_rows(db, ids)
        got = arrived(rows)
        if (
            datetime.now(UTC) > last_due
            and len(rows) == 2 * count
            and all(got[key(r)] for r in rows)
            and all(r["status"] in ("sent", "delivered") for r in rows)
        ):
            drained_at = datetime.now(UTC)
            break
        time.sleep(0.5)
    time.sleep(3)  # late doubles: anything still in flight lands now
    rows = queued_rows(db, ids)
    got = arrived(rows)
    fired = firings(db, ids)
    drain = (drained_at - last_due).total_seconds() if drained_at is not None else None
    return Result(
        phase=name,
        due=count,
        fired=len(fired),
        fired_twice=sum(1 for n in fired.values() if n > 1),
        queued=len(rows),
        delivered=sum(1 for r in rows if got[key(r)]),
        lost=sum(1 for r in rows if not got[key(r)]) + (count - len(fired)),
        doubled=sum(got[key(r)] - 1 for r in rows if got[key(r)] > 1),
        drain=max(drain, 0.0) if drain is not None else None,
        kills=cluster.kills - kills_before,
    )


def every(seconds: float, action: Callable[[], None], until: float) -> Callable[[float], None]:
    state = {"next": seconds}

    def tick(elapsed: float) -> None:
        if elapsed >= state["next"] and elapsed < until:
            action()
            state["next"] += seconds

    return tick


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("postgres_url", help="a PostgreSQL server to create a database on")
    parser.add_argument("--cases", type=int, default=150, help="deadlines due per phase")
    args = parser.parse_args(argv)

    name = f"familyflow_chaos_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(args.postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.make_url(args.postgres_url).set(database=name).render_as_string(hide_password=False)
    folder = Path(tempfile.mkdtemp(prefix="familyflow-chaos-"))
    sink = Sink()
    smtp = Controller(sink, hostname="127.0.0.1", port=free_port())
    smtp.start()
    notify = FakeNotify()
    results: list[Result] = []
    try:
        bootstrap(Settings(database_url=url)).db.dispose()  # migrate once, up front
        db = sa.create_engine(url)
        base = {k: v for k, v in os.environ.items() if not k.startswith("FAMILYFLOW_")}
        base.update(
            FAMILYFLOW_DATABASE_URL=url,
            FAMILYFLOW_LOG_JSON="true",
            FAMILYFLOW_SECRET_KEY=uuid.uuid4().hex,  # one for all three, as PostgreSQL needs
            FAMILYFLOW_OUTBOX_DIR=str(folder / "outbox"),
            FAMILYFLOW_TICK_SECONDS="1",
            FAMILYFLOW_OUTBOX_SECONDS="1",
            FAMILYFLOW_OUTBOX_LEASE_SECONDS=str(LEASE_SECONDS),
            FAMILYFLOW_SMTP_TIMEOUT_SECONDS=str(TIMEOUT_SECONDS),
            FAMILYFLOW_NOTIFY_TIMEOUT_SECONDS=str(TIMEOUT_SECONDS),
            FAMILYFLOW_QUIET_HOURS_START="00:00",  # no quiet hours: send whenever due
            FAMILYFLOW_QUIET_HOURS_END="00:00",
        )
        smtp_env = {
            **base,
            "FAMILYFLOW_EMAIL_TRANSPORT": "smtp",
            "FAMILYFLOW_SMTP_HOST": "127.0.0.1",
            "FAMILYFLOW_SMTP_PORT": str(smtp.port),
        }
        notify_env = {
            **base,
            "FAMILYFLOW_EMAIL_TRANSPORT": "notify",
            "FAMILYFLOW_NOTIFY_API_KEY": notify.api_key,
            "FAMILYFLOW_NOTIFY_BASE_URL": notify.base_url,
            "FAMILYFLOW_NOTIFY_EMAIL_TEMPLATE_ID": notify.email_template_id,
            "FAMILYFLOW_NOTIFY_SMS_TEMPLATE_ID": notify.sms_template_id,
        }

        def by_smtp(rows: list[dict[str, Any]]) -> Counter[Any]:
            return Counter(sink.received)

        def smtp_key(row: dict[str, Any]) -> Any:
            return (message_id_for(row["dedupe_key"]), row["to_address"])

        def by_notify(rows: list[dict[str, Any]]) -> Counter[Any]:
            return Counter((s["reference"], s["email_address"]) for s in list(notify.sent))

        def notify_key(row: dict[str, Any]) -> Any:
            return (f"familyflow-{row['id']}", row["to_address"])

        cluster = Cluster(url=url, env=smtp_env, folder=folder)
        cluster.start_all()
        over = 20.0
        results.append(
            run_phase(
                name="kill",
                url=url,
                db=db,
                cluster=cluster,
                count=args.cases,
                over=over,
                arrived=by_smtp,
                key=smtp_key,
                chaos=every(3.0, cluster.kill_one, until=over + 2),
            )
        )

        def hang(elapsed: float) -> None:
            if elapsed < 1 and not sink.hung_until:
                sink.hung_until = time.monotonic() + 12

        results.append(
            run_phase(
                name="hung",
                url=url,
                db=db,
                cluster=cluster,
                count=args.cases // 3,
                over=8.0,
                arrived=by_smtp,
                key=smtp_key,
                chaos=hang,
            )
        )
        sink.slow = (1.0, 2.0)
        results.append(
            run_phase(
                name="slow",
                url=url,
                db=db,
                cluster=cluster,
                count=args.cases // 3,
                over=8.0,
                arrived=by_smtp,
                key=smtp_key,
            )
        )
        sink.slow = None
        cluster.stop()

        cluster = Cluster(url=url, env=notify_env, folder=folder)
        cluster.start_all()
        results.append(
            run_phase(
                name="notify",
                url=url,
                db=db,
                cluster=cluster,
                count=args.cases,
                over=over,
                arrived=by_notify,
                key=notify_key,
                chaos=every(3.0, cluster.kill_one, until=over + 2),
            )
        )
        cluster.stop()
        db.dispose()
    finally:
        smtp.stop()
        notify.close()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    header = "phase   kills  due  fired  fired twice  queued  delivered  lost  doubled  drain"
    print(header)
    for r in results:
        drain = f"{r.drain:5.1f} s" if r.drain is not None else "not drained"
        print(
            f"{r.phase:<7} {r.kills:>5} {r.due:>4} {r.fired:>6} {r.fired_twice:>12} "
            f"{r.queued:>7} {r.delivered:>10} {r.lost:>5} {r.doubled:>8}  {drain}"
        )
    print(f"instance logs: {folder}")
    return 0


if __name__ == "__main__":
    threading.current_thread().name = "chaos"
    raise SystemExit(main())
