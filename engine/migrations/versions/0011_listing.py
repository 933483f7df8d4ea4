"""The case listing read from indexes alone: covering columns for two indexes

Revision ID: 0008_listing
Revises: 0007_reports

GET /api/cases counts and pages the cases a person may see. Two of its reads now
come from an index without visiting the table (an index-only scan on PostgreSQL, a
covering index on SQLite):

- ix_contacts_email_lower gains `email` itself: PostgreSQL reads an expression
  index alone only when the column under the expression is in it too. A team
  manager's cases named elsewhere were 4,000 table visits at 100k cases.
- ix_deadlines_unmet_in_due_order gains `case_id` and `status`: "overdue only"
  finds the cases with an unmet due deadline past due from the index, in due order,
  instead of visiting each deadline's row (10,000 at 100k cases).

Both indexes are rebuilt: seconds for a million deadlines, under the start-up lock.
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_listing"
down_revision = "0007_reports"
branch_labels = None
depends_on = None

UNMET_DUE = "kind = 'due' AND closed_at IS NULL"


def _contacts(*columns: str) -> None:
    op.drop_index("ix_contacts_email_lower", table_name="contacts")
    op.create_index("ix_contacts_email_lower", "contacts", [sa.text("lower(email)"), *columns])


def _unmet(*columns: str) -> None:
    op.drop_index("ix_deadlines_unmet_in_due_order", table_name="deadlines")
    op.create_index(
        "ix_deadlines_unmet_in_due_order",
        "deadlines",
        ["due_at", "id", *columns],
        sqlite_where=sa.text(UNMET_DUE),
        postgresql_where=sa.text(UNMET_DUE),
    )


def upgrade() -> None:
    _contacts("case_id", "email")
    _unmet("case_id", "status")


def downgrade() -> None:
    _contacts("case_id")
    _unmet()
