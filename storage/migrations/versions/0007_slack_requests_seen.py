"""slack_requests_seen: signed Slack requests and event ids already handled, so replays and
retried events do nothing twice (across replicas)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 21:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.models

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "slack_requests_seen",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("seen_at", storage.models.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index(
        op.f("ix_slack_requests_seen_seen_at"), "slack_requests_seen", ["seen_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_slack_requests_seen_seen_at"), table_name="slack_requests_seen")
    op.drop_table("slack_requests_seen")
