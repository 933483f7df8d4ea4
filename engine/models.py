"""The tables. The database is the single source of truth for every case."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect
from sqlmodel import Field, SQLModel


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """Aware UTC in, aware UTC out, on SQLite (no zones) and PostgreSQL (timestamptz)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value.isoformat()} cannot be stored")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


JSONType = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _dt(*, nullable: bool = False, index: bool = False) -> Any:
    return Field(default=None, sa_column=sa.Column(UTCDateTime(), nullable=nullable, index=index))


def _json(default: Any) -> Any:
    return Field(default_factory=default, sa_column=sa.Column(JSONType, nullable=False))


class Case(SQLModel, table=True):
    __tablename__ = "cases"

    id: int | None = Field(default=None, primary_key=True)
    process: str = Field(index=True)
    state: str = Field(index=True)
    data: dict[str, Any] = _json(dict)
    version: int = 1
    team: str | None = Field(default=None, index=True)
    received_at: datetime = _dt()
    created_at: datetime = _dt()
    closed_at: datetime | None = _dt(nullable=True)


class Contact(SQLModel, table=True):
    __tablename__ = "contacts"
    # A person's cases are found by email whatever its capitals (My work, visibility):
    # ix_contacts_email_lower, declared in engine/store.py beside its migration.

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    role: str
    name: str
    email: str | None = None
    mobile: str | None = None
    flagged: str | None = None  # why this detail bounced, for business support


class CaseLink(SQLModel, table=True):
    __tablename__ = "case_links"

    id: int | None = Field(default=None, primary_key=True)
    from_case_id: int = Field(foreign_key="cases.id", index=True)
    to_case_id: int = Field(foreign_key="cases.id", index=True)
    kind: str
    rule: str | None = None


class Deadline(SQLModel, table=True):
    __tablename__ = "deadlines"
    __table_args__ = (
        sa.Index(
            "ix_deadlines_open_due",
            "due_at",
            "id",
            sqlite_where=sa.text("status = 'open'"),
            postgresql_where=sa.text("status = 'open'"),
        ),
        sa.Index("ix_deadlines_case_status", "case_id", "status"),
        # My work: a page of unmet due deadlines in due order (0006_undo); the case
        # listing's "overdue only" reads the cases from it alone (0008_listing).
        sa.Index(
            "ix_deadlines_unmet_in_due_order",
            "due_at",
            "id",
            "case_id",
            "status",
            sqlite_where=sa.text("kind = 'due' AND closed_at IS NULL"),
            postgresql_where=sa.text("kind = 'due' AND closed_at IS NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id")
    process: str
    timescale: str
    rule: str
    kind: str  # "due" or "reminder"
    status: str = "open"  # open, met, cancelled, fired
    due_at: datetime = _dt()
    started_at: datetime = _dt()
    created_at: datetime = _dt()
    closed_at: datetime | None = _dt(nullable=True)
    fired_at: datetime | None = _dt(nullable=True)
    late: bool = False


class AuditEvent(SQLModel, table=True):
    """Append-only: the migrations forbid UPDATE, DELETE, REPLACE (SQLite) and TRUNCATE."""

    __tablename__ = "audit_events"
    __table_args__ = (sa.Index("ix_audit_case", "case_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int | None = Field(default=None, foreign_key="cases.id")
    kind: str  # transition, deadline_set, deadline_met, deadline_missed, message, note, job
    actor: str
    actor_role: str | None = None
    occurred_at: datetime = _dt()
    recorded_at: datetime = _dt()
    rule: str | None = None
    reason: str | None = None
    trigger: str | None = None
    from_state: str | None = None
    to_state: str | None = None
    detail: dict[str, Any] = _json(dict)


class OutboxMessage(SQLModel, table=True):
    """One message to one recipient: a copy (Cc) is a row of its own."""

    __tablename__ = "outbox"
    __table_args__ = (
        sa.Index("ix_outbox_pending", "status", "next_attempt_at"),
        sa.Index("ix_outbox_provider_ref", "provider_ref"),
    )

    id: int | None = Field(default=None, primary_key=True)
    case_id: int | None = Field(default=None, foreign_key="cases.id", index=True)
    dedupe_key: str = Field(unique=True)
    medium: str  # email or sms
    template: str
    rule: str
    to_role: str | None = None
    to_name: str | None = None
    to_address: str
    cc: list[str] = _json(list)
    subject: str | None = None
    body: str
    status: str = "queued"  # queued, sending, sent, delivered, failed
    attempts: int = 0
    created_at: datetime = _dt()
    not_before: datetime = _dt()
    next_attempt_at: datetime = _dt()
    claimed_until: datetime | None = _dt(nullable=True)
    claim_token: str | None = None  # set by the claim; the outcome is recorded only with it
    sent_at: datetime | None = _dt(nullable=True)
    provider_ref: str | None = None
    last_error: str | None = None
    delivery_status: str | None = None  # the provider's receipt: delivered, permanent-failure, ...
    reply_to: str | None = None  # the owning team's mailbox (Reply-To, Notify's reply-to id)


class ClosureDay(SQLModel, table=True):
    __tablename__ = "closure_days"

    day: date = Field(primary_key=True)
    description: str


class JobRun(SQLModel, table=True):
    __tablename__ = "job_runs"
    __table_args__ = (sa.UniqueConstraint("job", "slot"),)

    id: int | None = Field(default=None, primary_key=True)
    job: str
    slot: datetime = _dt()
    ran_at: datetime = _dt()
    late: bool = False


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(unique=True)
    name: str
    role: str
    team: str | None = None
    part_time: bool = False  # caseload limit 10 instead of 20 (EH-11.3)
    manager_email: str | None = None
    password_hash: str | None = None  # argon2; None: cannot sign in with a password
    active: bool = True
    failed_logins: int = 0
    locked_until: datetime | None = _dt(nullable=True)


class ApiToken(SQLModel, table=True):
    """A bearer token for an integration: shown once, stored as its SHA-256."""

    __tablename__ = "api_tokens"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    name: str
    token_hash: str = Field(unique=True)
    created_at: datetime = _dt()
    last_used_at: datetime | None = _dt(nullable=True)
    revoked_at: datetime | None = _dt(nullable=True)


class WebSession(SQLModel, table=True):
    """A signed-in browser; the cookie carries the token, the table its SHA-256."""

    __tablename__ = "web_sessions"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True)
    token_hash: str = Field(unique=True)
    created_at: datetime = _dt()
    expires_at: datetime = _dt()
    revoked_at: datetime | None = _dt(nullable=True)


class ReceivedText(SQLModel, table=True):
    """A text a parent sent to the service's Notify number (PAR-12: their reply).

    Matched by mobile to one open case it becomes a case note (`noted`); matching
    none or several, it waits for business support to assign (`unmatched`,
    `ambiguous`, then `assigned`)."""

    __tablename__ = "received_texts"

    id: int | None = Field(default=None, primary_key=True)
    notify_id: str = Field(unique=True)  # Notify's id: reading twice stores it once
    user_number: str  # E.164, +447700900123
    content: str
    received_at: datetime = _dt()
    fetched_at: datetime = _dt()
    status: str = Field(index=True)  # noted, unmatched, ambiguous, assigned
    case_id: int | None = Field(default=None, foreign_key="cases.id", index=True)
    candidates: list[int] = _json(list)  # the open cases the number matched
    assigned_by: str | None = None
    assigned_at: datetime | None = _dt(nullable=True)


class InboxCursor(SQLModel, table=True):
    """How far an inbox has been read: the newest provider id seen."""

    __tablename__ = "inbox_cursors"

    name: str = Field(primary_key=True)
    last_id: str
    updated_at: datetime = _dt()
