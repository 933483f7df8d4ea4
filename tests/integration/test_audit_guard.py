"""The audit trail cannot be rewritten (issue 7): on SQLite not even by REPLACE, on
PostgreSQL not by TRUNCATE, and the service's own PostgreSQL role may only INSERT
and SELECT it (migrations run as the owner)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from engine.cases import Actor
from engine.errors import ConfigError
from tests.conftest import AppFactory
from tests.e2e.test_cli import CLI
from tests.support.journeys import CONTACTS, WORKER, at, history, step

TM = CONTACTS["team_manager"]["email"]
BS = CONTACTS["business_support"]["email"]
COLUMNS = (
    "id, case_id, kind, actor, actor_role, occurred_at, recorded_at, rule, reason, "
    "trigger, from_state, to_state, detail"
)
# The first record again, rewritten: the same id, another actor and reason.
REWRITE = (
    "SELECT id, case_id, kind, 'mallory@example.org', actor_role, occurred_at, recorded_at, "
    "rule, 'rewritten', trigger, from_state, to_state, detail FROM audit_events WHERE id = 1"
)


def _audit(engine: sa.Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text("SELECT * FROM audit_events ORDER BY id"))]


def test_the_audit_trail_refuses_replace_on_sqlite_and_truncate_on_postgresql(
    make_app: AppFactory, new_referral: Callable[..., int]
) -> None:
    flow = make_app()
    new_referral(flow)
    stored = _audit(flow.db)
    assert stored
    if flow.db.dialect.name == "sqlite":
        attacks = [
            f"INSERT OR REPLACE INTO audit_events ({COLUMNS}) {REWRITE}",
            f"REPLACE INTO audit_events ({COLUMNS}) {REWRITE}",
            f"INSERT INTO audit_events ({COLUMNS}) {REWRITE} "
            "ON CONFLICT (id) DO UPDATE SET reason = 'rewritten'",
        ]
    else:
        attacks = [
            "TRUNCATE audit_events CASCADE",
            f"INSERT INTO audit_events ({COLUMNS}) {REWRITE} "
            "ON CONFLICT (id) DO UPDATE SET reason = 'rewritten'",
        ]
    for statement in attacks:
        with (
            pytest.raises(sa.exc.DBAPIError, match="audit_events is append-only"),
            flow.db.begin() as conn,
        ):
            conn.exec_driver_sql(statement)
    assert _audit(flow.db) == stored
    # New records still go in.
    flow.add_note(1, text="still appending", actor=Actor(TM))
    assert len(_audit(flow.db)) == len(stored) + 1


def test_the_service_role_may_only_insert_and_select_the_audit_trail(
    make_app: AppFactory,
    new_referral: Callable[..., int],
    database_url: str,
    tmp_path: Path,
) -> None:
    owner = make_app()  # migrations run as the owner
    if owner.db.dialect.name == "sqlite":
        # No roles on SQLite: the file's permissions and the triggers guard it.
        result = CLI(tmp_path, database_url)("db", "grant-service-role", "familyflow_service")
        assert result.returncode == ConfigError.exit_code == 2
        assert "database roles are PostgreSQL's" in result.stderr
        return
    role = f"familyflow_service_{uuid.uuid4().hex[:8]}"
    granted = CLI(tmp_path, database_url).ok("db", "grant-service-role", role)
    assert f"role {role} may use the database" in granted
    url = sa.engine.make_url(database_url).set(username=role)
    # The service, connected as its role, does its everyday work.
    flow = make_app(database_url=url.render_as_string(hide_password=False))
    try:
        case_id = new_referral(flow)
        step(flow, case_id, "2026-12-15T09:00", "request_confirmation", by=TM)
        flow.add_note(case_id, text="called the SW", actor=Actor(TM))
        flow.change_contact(
            case_id, role="worker", contact=WORKER, actor=Actor(BS, "business_support")
        )
        flow.advance(at("2027-01-20T09:00"))  # deadlines fire, the case auto-closes
        assert [e["kind"] for e in history(flow, case_id)][:1] == ["transition"]
        stored = _audit(flow.db)
        refused = {
            "UPDATE audit_events SET reason = 'rewritten'": "permission denied",
            "DELETE FROM audit_events": "permission denied",
            "TRUNCATE audit_events": "permission denied",
            "ALTER TABLE audit_events DISABLE TRIGGER USER": "must be owner",
            "DROP TABLE audit_events": "must be owner",
        }
        for statement, reason in refused.items():
            with pytest.raises(sa.exc.ProgrammingError, match=reason), flow.db.begin() as conn:
                conn.exec_driver_sql(statement)
        assert _audit(flow.db) == stored
    finally:
        flow.db.dispose()
        admin = sa.create_engine(database_url)
        with admin.begin() as conn:
            conn.exec_driver_sql(f'DROP OWNED BY "{role}"')
            conn.exec_driver_sql(f'DROP ROLE "{role}"')
        admin.dispose()
