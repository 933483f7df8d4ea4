"""Reports at scale: due deadlines met or missed, in a covering index

Revision ID: 0007_reports
Revises: 0006_undo

The timeliness report (PAR-05, EH-4.1 and every other rule's share met) groups every
resolved due deadline by process, rule, timescale, status and month. On SQLite an
index holding just those columns (and the case, for a team's visibility) is read
instead of the table: at 100k cases, 190k resolved deadlines grouped in about half
the time.
The long-open cases list each band's oldest open cases: an index of open cases by
when they were received gives them without sorting every open case (10 ms to 0.2).
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_reports"
down_revision = "0006_undo"
branch_labels = None
depends_on = None

DUE = "kind = 'due'"
COLUMNS = ["status", "process", "rule", "timescale", "due_at", "case_id"]
OPEN = "closed_at IS NULL"


def upgrade() -> None:
    op.create_index(
        "ix_cases_open_by_received",
        "cases",
        ["received_at", "id"],
        sqlite_where=sa.text(OPEN),
        postgresql_where=sa.text(OPEN),
    )
    if op.get_bind().dialect.name == "sqlite":
        # PostgreSQL reads the table faster than this index (a sequential scan and a
        # hash aggregate) and would pay for it on every deadline fired or met.
        op.create_index(
            "ix_deadlines_resolved_for_reports",
            "deadlines",
            COLUMNS,
            sqlite_where=sa.text(DUE),
        )


def downgrade() -> None:
    op.drop_index("ix_cases_open_by_received", table_name="cases")
    op.drop_index("ix_deadlines_resolved_for_reports", table_name="deadlines", if_exists=True)
