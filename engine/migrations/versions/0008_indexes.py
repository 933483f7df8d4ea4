"""indexes for PostgreSQL at scale: emails by lower case, unmet due deadlines per case

Revision ID: 0005_indexes
Revises: 0004_outbox

- ix_contacts_email_lower: contacts are found by email whatever the capitals
  (visibility, My work, the worker filter, the EH-11.3 caseload count); the
  expression index lets `lower(email) = ?` find them without reading every row.
- ix_deadlines_unmet_due: a case's unmet due deadlines (kind 'due', not closed),
  for the case listing's overdue flag and next due date, probed per case.
  The open-deadline index the scheduler claims from (ix_deadlines_open_due,
  partial on status = 'open') has been there since the first migration.

Both are plain SQL that SQLite (3.9+, expression and partial indexes) and
PostgreSQL share.
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_indexes"
down_revision = "0004_outbox"
branch_labels = None
depends_on = None

_UNMET_DUE = "kind = 'due' AND closed_at IS NULL"


def upgrade() -> None:
    op.create_index(
        "ix_contacts_email_lower", "contacts", [sa.text("lower(email)"), "case_id"]
    )
    op.create_index(
        "ix_deadlines_unmet_due",
        "deadlines",
        ["case_id", "due_at", "status"],
        sqlite_where=sa.text(_UNMET_DUE),
        postgresql_where=sa.text(_UNMET_DUE),
    )


def downgrade() -> None:
    op.drop_index("ix_deadlines_unmet_due", table_name="deadlines")
    op.drop_index("ix_contacts_email_lower", table_name="contacts")
