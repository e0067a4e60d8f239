"""rep_load: open leads per rep, kept by the lifecycle instead of counted at every decision

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 03:00:00.000000

Filled from the leads as they are (assigned, claimed and contacted leads count for their
owner); from here on every transition keeps it (storage.load).
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rep_load",
        sa.Column("rep", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("open_leads", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("rep"),
    )
    op.execute(
        "INSERT INTO rep_load (rep, open_leads)"
        " SELECT owner, count(*) FROM leads"
        " WHERE state IN ('assigned', 'claimed', 'contacted') AND owner IS NOT NULL"
        " GROUP BY owner"
    )


def downgrade() -> None:
    op.drop_table("rep_load")
