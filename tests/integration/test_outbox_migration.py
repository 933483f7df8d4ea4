"""Migration 0004_outbox: a message queued before it with copies (Cc) becomes one
message per recipient, so that its retry never resends to anyone else; a sent
message keeps its record as it was."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from alembic import command

from engine.db import alembic_config, create_engine
from engine.store import outbox
from tests.support.journeys import at


@pytest.fixture
def unmigrated_url(database_url: str) -> Iterator[str]:
    """A database no migration has touched: the SQLite file is new; on PostgreSQL the
    session's database is already at head, so the test gets a scratch one of its own."""
    if not database_url.startswith("postgresql"):
        yield database_url
        return
    name = f"familyflow_migration_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield sa.engine.make_url(database_url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _queue(conn: sa.Connection, *, key: str, status: str, cc: list[str]) -> None:
    conn.execute(
        sa.insert(outbox),
        {
            "dedupe_key": key,
            "medium": "email",
            "template": "parenting/referral_received",
            "rule": "PAR-01",
            "to_role": "team_manager",
            "to_name": "Ade Bello",
            "to_address": "ade.bello@example.org",
            "cc": cc,
            "subject": "New parenting referral",
            "body": "Dear Ade Bello,\n",
            "status": status,
            "attempts": 1,
            "created_at": at("2026-12-14T10:00"),
            "not_before": at("2026-12-14T10:00"),
            "next_attempt_at": at("2026-12-14T10:01"),
        },
    )


def test_a_pending_message_with_copies_is_split_into_one_message_per_recipient(
    unmigrated_url: str,
) -> None:
    db = create_engine(unmigrated_url)
    with db.begin() as conn:
        command.upgrade(alembic_config(conn), "0004_replies")
    with db.begin() as conn:
        # the table as the migration before left it: no claim_token yet
        old = sa.Table("outbox", sa.MetaData(), autoload_with=conn)
        assert "claim_token" not in old.c
    with db.begin() as conn:
        _queue(conn, key="pending", status="queued", cc=["bs@example.org"])
        _queue(conn, key="done", status="sent", cc=["bs@example.org"])
    with db.begin() as conn:
        command.upgrade(alembic_config(conn), "head")
    with db.connect() as conn:
        rows = [dict(r) for r in conn.execute(sa.select(outbox).order_by(outbox.c.id)).mappings()]
    db.dispose()

    assert [(r["dedupe_key"], r["to_address"], r["status"], r["attempts"]) for r in rows] == [
        ("pending", "ade.bello@example.org", "queued", 1),
        ("done", "ade.bello@example.org", "sent", 1),
        ("pending:cc1", "bs@example.org", "queued", 0),
    ]
    copy = rows[2]
    assert (copy["body"], copy["subject"], copy["cc"], copy["claim_token"]) == (
        "Dear Ade Bello,\n",
        "New parenting referral",
        [],
        None,
    )
    assert copy["next_attempt_at"] == at("2026-12-14T10:01")
