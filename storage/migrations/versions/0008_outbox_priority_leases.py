"""outbox: priority (the owner's DM card first), the lease's owner (renewed by a heartbeat,
taken over within seconds when its process dies) and in_doubt (look before posting again)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 22:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("priority", sa.Integer(), nullable=False, server_default="2"))
        batch_op.add_column(
            sa.Column("lease_owner", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True)
        )
        batch_op.add_column(
            sa.Column("in_doubt", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.create_index(
            "ix_outbox_status_priority_due", ["status", "priority", "next_attempt_at"]
        )
    op.execute("UPDATE outbox SET priority = 0 WHERE kind = 'post_card' AND target LIKE 'dm:%'")
    op.execute(
        "UPDATE outbox SET priority = 1 WHERE kind = 'update_cards'"
        " OR (kind = 'post_card' AND (target = 'triage' OR target LIKE 'person:%'))"
    )


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_status_priority_due")
        batch_op.drop_column("in_doubt")
        batch_op.drop_column("lease_owner")
        batch_op.drop_column("priority")
