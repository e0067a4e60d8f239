"""card copies remember their configured channel

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 01:56:42.105771
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:

    with op.batch_alter_table("slack_messages", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("target", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True)
        )


def downgrade() -> None:

    with op.batch_alter_table("slack_messages", schema=None) as batch_op:
        batch_op.drop_column("target")
