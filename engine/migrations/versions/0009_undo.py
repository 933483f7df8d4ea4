"""My work at scale: indexes for a person's cases and for unmet due deadlines

Revision ID: 0006_undo
Revises: 0005_indexes

My work lists a page of unmet due deadlines, in due order, on the cases a person
is named on (contacts by email, whatever its capitals: 0005_indexes) or of their
teams; with 100k cases that needs an index in due order. The undo window needs no schema change: a held
message is a queued outbox row whose not_before is the end of the window.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_undo"
down_revision = "0005_indexes"
branch_labels = None
depends_on = None

UNMET_DUE = "kind = 'due' AND closed_at IS NULL"


def upgrade() -> None:
    op.create_index(
        "ix_deadlines_unmet_in_due_order",
        "deadlines",
        ["due_at", "id"],
        sqlite_where=sa.text(UNMET_DUE),
        postgresql_where=sa.text(UNMET_DUE),
    )


def downgrade() -> None:
    op.drop_index("ix_deadlines_unmet_in_due_order", table_name="deadlines")
