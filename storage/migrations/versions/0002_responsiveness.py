"""responsiveness

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 01:49:21.528449
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.models

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "responsiveness",
        sa.Column("rep", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("missed_in_a_row", sa.Integer(), nullable=False),
        sa.Column("updated_at", storage.models.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("rep"),
    )


def downgrade() -> None:

    op.drop_table("responsiveness")
