"""outbox fencing: a claim token, an index on the provider's id, one row per copy

Revision ID: 0004_outbox
Revises: 0004_replies

A copy (Cc) becomes a message of its own. Messages not yet sent that still
carry copies are split here, so that retrying one recipient never resends to
another; sent ones keep their record as it was.
"""

import sqlalchemy as sa
from alembic import op

from engine.models import JSONType

revision = "0004_outbox"
down_revision = "0004_replies"
branch_labels = None
depends_on = None

_COPIED = (
    "case_id", "medium", "template", "rule", "subject", "body", "status",
    "created_at", "not_before", "next_attempt_at",
)


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("claim_token", sa.String(), nullable=True))
    op.create_index("ix_outbox_provider_ref", "outbox", ["provider_ref"])
    _split_copies()


def _split_copies() -> None:
    conn = op.get_bind()
    table = sa.table(
        "outbox",
        sa.column("id", sa.Integer()),
        sa.column("dedupe_key", sa.String()),
        sa.column("to_role", sa.String()),
        sa.column("to_name", sa.String()),
        sa.column("to_address", sa.String()),
        sa.column("cc", JSONType),
        sa.column("attempts", sa.Integer()),
        *(sa.column(name) for name in _COPIED),
    )
    pending = conn.execute(
        sa.select(table).where(table.c.status.in_(["queued", "sending"]))
    ).mappings()
    for row in list(pending):
        if not row["cc"]:
            continue
        copies = [
            {
                **{name: row[name] for name in _COPIED},
                "status": "queued",
                "dedupe_key": f"{row['dedupe_key']}:cc{number}",
                "to_role": None,
                "to_name": None,
                "to_address": address,
                "cc": [],
                "attempts": 0,
            }
            for number, address in enumerate(row["cc"], 1)
        ]
        conn.execute(sa.insert(table), copies)
        # The main row keeps its list of copies as a record; it no longer sends to them.


def downgrade() -> None:
    op.drop_index("ix_outbox_provider_ref", table_name="outbox")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("claim_token")
