"""crm_links (where a lead lives in the CRM, what was written there) and event_cursors (how far
each outbound-webhook subscription has read the event log)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 22:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.models

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    text = sqlmodel.sql.sqltypes.AutoString
    op.create_table(
        "crm_links",
        sa.Column("lead_id", sa.Integer(), nullable=False),
        sa.Column("provider", text(length=20), nullable=False),
        sa.Column("record_type", text(length=20), nullable=False),
        sa.Column("record_id", text(length=40), nullable=False),
        sa.Column("url", text(length=300), nullable=True),
        sa.Column("owner_written", text(length=80), nullable=True),
        sa.Column("status_written", text(length=40), nullable=True),
        sa.Column("task_for", text(length=80), nullable=True),
        sa.Column("updated_at", storage.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["lead_id"], ["leads.id"]),
        sa.PrimaryKeyConstraint("lead_id"),
    )
    op.create_table(
        "event_cursors",
        sa.Column("name", text(length=100), nullable=False),
        sa.Column("last_event_id", sa.Integer(), nullable=False),
        sa.Column("updated_at", storage.models.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("event_cursors")
    op.drop_table("crm_links")
