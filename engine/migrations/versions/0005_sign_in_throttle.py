"""sign-in throttle: failed sign-ins counted per account and per client address
(digests only), shared by every instance of the service (issue 7)

Revision ID: 0004_throttle
Revises: 0004_audit
"""

import sqlalchemy as sa
from alembic import op

from engine.models import UTCDateTime

revision = "0004_throttle"
down_revision = "0004_audit"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sign_in_throttle",
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )


def downgrade() -> None:
    op.drop_table("sign_in_throttle")
