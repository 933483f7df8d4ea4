"""The tables the application's SQL reads and writes (defined with the schema in
engine/models.py, which the migrations create)."""

from __future__ import annotations

from engine.models import (
    ApiToken,
    AuditEvent,
    Case,
    ClosureDay,
    Contact,
    Deadline,
    OutboxMessage,
    User,
    WebSession,
)

cases = Case.__table__  # type: ignore[attr-defined]
contacts = Contact.__table__  # type: ignore[attr-defined]
deadlines = Deadline.__table__  # type: ignore[attr-defined]
audit = AuditEvent.__table__  # type: ignore[attr-defined]
outbox = OutboxMessage.__table__  # type: ignore[attr-defined]
closure_days = ClosureDay.__table__  # type: ignore[attr-defined]
users = User.__table__  # type: ignore[attr-defined]
api_tokens = ApiToken.__table__  # type: ignore[attr-defined]
web_sessions = WebSession.__table__  # type: ignore[attr-defined]
