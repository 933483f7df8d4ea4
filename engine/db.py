"""Connections, transactions and migrations: the one place that knows the dialects."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

MIGRATIONS = Path(__file__).parent / "migrations"
_MIGRATION_LOCK = 7_041_966  # pg advisory lock id: one instance migrates at a time


def create_engine(url: str, *, echo: bool = False) -> Engine:
    if url.startswith("sqlite"):
        # hide_parameters: an error's text (logged) never quotes a name or an address.
        engine = sa.create_engine(
            url, echo=echo, connect_args={"timeout": 30}, hide_parameters=True
        )
        _sqlite_pragmas(engine)
        return engine
    return sa.create_engine(url, echo=echo, pool_pre_ping=True, hide_parameters=True)


def _sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        # We issue BEGIN ourselves so that every write transaction takes the
        # write lock up front (BEGIN IMMEDIATE) instead of failing mid-way.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # WAL + NORMAL is crash-safe for the application; see README "Storage".
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    # Writers (engine.begin()) take the write lock up front with BEGIN IMMEDIATE, so
    # they wait their turn instead of failing half-way; readers (engine.connect()) begin
    # DEFERRED so that a page or report never holds the lock.
    @contextmanager
    def begin_for_writing() -> Iterator[Connection]:
        with engine.connect() as connection:
            connection.execution_options(familyflow_write=True)
            with connection.begin():
                yield connection

    setattr(engine, "begin", begin_for_writing)  # noqa: B010  (mypy: a method slot)

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        writing = connection.get_execution_options().get("familyflow_write")
        # Straight to the driver: this runs on every transaction.
        connection.connection.driver_connection.execute(  # type: ignore[union-attr]
            "BEGIN IMMEDIATE" if writing else "BEGIN"
        )


def is_postgres(connection: Connection | Engine) -> bool:
    return connection.dialect.name == "postgresql"


def refresh_statistics(engine: Engine) -> None:
    """The query planner's statistics. PostgreSQL's autovacuum keeps its own; SQLite has
    none until ANALYZE runs, and without them it may read most of an index where another
    takes a few rows (the overdue-only listing at 100,000 cases: 64 ms, and 29 ms once
    analysed). A whole ANALYZE: a sampled one (analysis_limit) misjudged that very
    index. It took 1.6 s at 100,000 cases, holding the write lock."""
    if is_postgres(engine):
        return
    with engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE")


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    """A read outside any transaction. On PostgreSQL it runs in autocommit, one round
    trip, where a transaction would add a BEGIN and its end; a read on SQLite (a
    deferred BEGIN, in process) costs next to nothing already."""
    with engine.connect() as connection:
        if is_postgres(connection):
            connection.execution_options(isolation_level="AUTOCOMMIT")
        yield connection


@contextmanager
def transaction(engine: Engine) -> Iterator[Connection]:
    """One unit of work: everything inside commits together or not at all."""
    with engine.begin() as connection:
        yield connection


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine) -> None:
    """Apply every migration; safe to call from several instances at once."""
    with engine.begin() as connection:
        if is_postgres(connection):
            connection.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK})
        command.upgrade(alembic_config(connection), "head")


_ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def service_role_sql(role: str) -> list[str]:
    """Least privilege for the service on PostgreSQL (issue 7): the owner runs the
    migrations; the service's role reads and writes the tables it works in, but may
    only INSERT and SELECT the audit trail, and may not change the schema."""
    if not _ROLE_NAME.match(role):
        from engine.errors import InputError

        raise InputError(field="role", reason=f"{role!r} is not a plain role name (a-z, 0-9, _)")
    return [
        f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') "
        f'THEN CREATE ROLE "{role}" LOGIN; END IF; END $$',
        f'GRANT USAGE ON SCHEMA public TO "{role}"',
        f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "{role}"',
        f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO "{role}"',
        f'REVOKE UPDATE, DELETE, TRUNCATE ON audit_events FROM "{role}"',
        f'REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON alembic_version FROM "{role}"',
    ]


def grant_service_role(engine: Engine, *, role: str) -> None:
    """Create (if need be) and grant the service's role; run as the owner after
    every upgrade, since new tables start with no grants."""
    statements = service_role_sql(role)
    with engine.begin() as connection:
        if not is_postgres(connection):
            from engine.errors import ConfigError

            raise ConfigError(
                field="database_url",
                reason="database roles are PostgreSQL's; on SQLite the file's permissions "
                "and the append-only triggers guard the audit trail",
            )
        for statement in statements:
            connection.exec_driver_sql(statement)


def migrations_at_head(connection: Connection) -> bool:
    """Whether the database carries every migration this code knows of."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    heads = set(ScriptDirectory.from_config(alembic_config()).get_heads())
    return set(MigrationContext.configure(connection).get_current_heads()) == heads
