"""parents' replies: received texts, the inbox cursor, and each message's reply-to

Revision ID: 0004_replies
Revises: 0004_throttle
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from engine.models import UTCDateTime

revision = "0004_replies"
down_revision = "0004_throttle"
branch_labels = None
depends_on = None

JSONType = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("reply_to", sa.String(), nullable=True))
    op.create_table(
        "received_texts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notify_id", sa.String(), nullable=False),
        sa.Column("user_number", sa.String(), nullable=False),
        sa.Column("content", sa.String(), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.Column("fetched_at", UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("candidates", JSONType, nullable=False),
        sa.Column("assigned_by", sa.String(), nullable=True),
        sa.Column("assigned_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("notify_id"),
    )
    op.create_index("ix_received_texts_status", "received_texts", ["status"])
    op.create_index("ix_received_texts_case_id", "received_texts", ["case_id"])
    op.create_table(
        "inbox_cursors",
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("last_id", sa.String(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("inbox_cursors")
    op.drop_index("ix_received_texts_case_id", table_name="received_texts")
    op.drop_index("ix_received_texts_status", table_name="received_texts")
    op.drop_table("received_texts")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("reply_to")
