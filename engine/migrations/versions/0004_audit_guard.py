"""the audit trail refuses REPLACE (SQLite) and TRUNCATE (PostgreSQL)

0001 already refuses UPDATE and DELETE. On SQLite, `INSERT OR REPLACE` with an
existing id deletes the row without firing a DELETE trigger (no recursive
triggers), so a BEFORE INSERT trigger refuses any insert whose id is taken. On
PostgreSQL, TRUNCATE fires no row trigger, so a statement trigger refuses it.

Revision ID: 0004_audit
Revises: 0003
"""

from alembic import op

revision = "0004_audit"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()"
        )
        return
    op.execute(
        "CREATE TRIGGER audit_events_no_replace BEFORE INSERT ON audit_events "
        "WHEN EXISTS (SELECT 1 FROM audit_events WHERE id = NEW.id) "
        "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events")
        return
    op.execute("DROP TRIGGER IF EXISTS audit_events_no_replace")
