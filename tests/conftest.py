"""Shared fixtures: every database test runs on a real SQLite file and, when
FAMILYFLOW_TEST_POSTGRES_URL is set, on real PostgreSQL too (never skipped)."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from engine.clock import SimulatedClock
from engine.service import FamilyFlow
from familyflow.bootstrap import bootstrap
from familyflow.settings import Settings
from notifications.channels.base import Transport
from notifications.channels.file import FileTransport
from tests.support.journeys import CONTACTS, at

POSTGRES_URL = os.environ.get("FAMILYFLOW_TEST_POSTGRES_URL")
BACKENDS = ["sqlite", "postgres"] if POSTGRES_URL else ["sqlite"]
TABLES = (
    "audit_events",
    "outbox",
    "deadlines",
    "case_links",
    "contacts",
    "cases",
    "job_runs",
    "closure_days",
    "api_tokens",
    "web_sessions",
    "users",
)


@pytest.fixture(scope="session")
def postgres_database(worker_id: str) -> Iterator[str]:
    """A fresh database for this test session; fails loudly when the server is down."""
    assert POSTGRES_URL is not None
    name = f"familyflow_test_{re.sub(r'[^a-z0-9]', '', worker_id)}_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as error:
        pytest.fail(f"FAMILYFLOW_TEST_POSTGRES_URL is set but PostgreSQL is unreachable: {error}")
    url = sa.engine.make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    yield url
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def worker_id() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'familyflow.db'}"
    url: str = request.getfixturevalue("postgres_database")
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        present = set(sa.inspect(conn).get_table_names())
        tables = ", ".join(t for t in TABLES if t in present)
        if tables:
            # The audit trail refuses TRUNCATE (0004_audit); between tests the
            # superuser resets the scratch database with triggers off.
            conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
            conn.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return url


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        outbox_dir=tmp_path / "outbox",
        email_transport="file",
        sms_transport="file",
        log_json=True,
    )


AppFactory = Callable[..., FamilyFlow]


@pytest.fixture
def make_app(settings: Settings, tmp_path: Path) -> Iterator[AppFactory]:
    """Build FamilyFlow as `familyflow` does, on a clock the test drives."""
    built: list[FamilyFlow] = []

    def make(
        *,
        start: str = "2026-12-14T09:00",
        clock: SimulatedClock | None = None,
        transports: dict[str, Transport] | None = None,
        **overrides: Any,
    ) -> FamilyFlow:
        config = settings.model_copy(update=overrides)
        file = FileTransport(directory=tmp_path / "outbox")
        flow = bootstrap(
            config,
            clock=clock or SimulatedClock(at(start)),
            transports=transports or {"email": file, "sms": file},
        )
        built.append(flow)
        return flow

    yield make
    for flow in built:
        flow.db.dispose()


@pytest.fixture
def new_referral() -> Callable[..., int]:
    """Factory: a parenting referral received at `received` (local time)."""

    def create(
        flow: FamilyFlow,
        received: str = "2026-12-14T10:00",
        contacts: dict[str, dict[str, Any]] | None = None,
    ) -> int:
        flow.clock.advance_to(at(received))  # type: ignore[attr-defined]
        case_id = flow.create_case(
            process="parenting", received_at=at(received), data={}, contacts=contacts or CONTACTS
        )
        flow.tick()
        return case_id

    return create
