"""The logs of a real `familyflow serve` run: one JSON format for every line, ours and
the libraries' (APScheduler, uvicorn), an exception's text inside its line, and no
personal data anywhere."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import sqlalchemy as sa

from engine.cases import AS_NAMED, Actor
from engine.clock import SystemClock
from familyflow.bootstrap import bootstrap
from familyflow.settings import Settings
from tests.support.journeys import CONTACTS
from tests.support.mail import free_port

FAMILYFLOW = Path(sys.executable).parent / "familyflow"
PERSONAL = [
    *(c["name"] for c in CONTACTS.values()),
    *(c["email"] for c in CONTACTS.values() if "email" in c),
    "07700900123",
    "7700900123",
]


def test_a_serve_run_logs_one_json_format_with_exception_text_and_no_personal_data(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'familyflow.db'}"
    flow = bootstrap(Settings(database_url=url), clock=SystemClock())
    # Referred by a person, so that the referral email goes at once whatever the hour: one
    # the service sends on its own waits for the morning (quiet hours, 20:00 to 08:00).
    referrer = Actor(CONTACTS["business_support"]["email"], AS_NAMED)
    flow.create_case(
        process="parenting",
        received_at=flow.clock.now(),
        data={},
        contacts=CONTACTS,
        actor=referrer,
    )
    with flow.db.begin() as conn:  # the agendas job will fail: an exception to log
        conn.execute(sa.text("DROP TABLE job_runs"))
    flow.db.dispose()

    env = {k: v for k, v in os.environ.items() if not k.startswith("FAMILYFLOW_")}
    env.update(
        FAMILYFLOW_DATABASE_URL=url,
        FAMILYFLOW_LOG_JSON="true",
        FAMILYFLOW_OUTBOX_DIR=str(tmp_path / "outbox"),
    )
    serve = subprocess.Popen(
        [str(FAMILYFLOW), "serve", "--port", str(free_port())],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    seen = threading.Event()

    def read() -> None:
        assert serve.stderr is not None
        for line in serve.stderr:
            lines.append(line)
            text = "".join(lines)
            if "job_failed" in text and "message_sent" in text:
                seen.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert seen.wait(timeout=60), "".join(lines)
    finally:
        serve.send_signal(signal.SIGINT)
        serve.wait(timeout=30)
        reader.join(timeout=10)
        assert serve.stderr is not None
        serve.stderr.close()

    output = "".join(lines)
    records = [json.loads(line) for line in lines if line.strip()]  # every line is JSON
    assert all({"event", "level", "timestamp"} <= set(r) for r in records), output
    assert any(r.get("logger", "").startswith("apscheduler") for r in records), output
    # ...but not two lines for every job run that went well (8 a minute).
    assert not [r for r in records if "executed successfully" in r["event"]], output
    (failed,) = [r for r in records if r["event"] == "job_failed"]
    assert failed["job"] == "agendas"
    assert failed["exception"].startswith("Traceback (most recent call last):")
    assert "no such table: job_runs" in failed["exception"]
    assert "exc_info" not in failed
    sent = [r for r in records if r["event"] == "message_sent"]
    assert {r["rule"] for r in sent} == {"PAR-01"} and len(sent) == 2
    assert not [p for p in PERSONAL if p.lower() in output.lower()], output
