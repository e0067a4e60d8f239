"""drop account_owners: named accounts live in routing.yml (accounts, accounts_csv); the table
was never read or written

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 03:50:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.models

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_table("account_owners")


def downgrade() -> None:
    op.create_table(
        "account_owners",
        sa.Column("domain", sa.String(length=255), nullable=False),
        sa.Column("owner", sa.String(length=80), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("updated_at", storage.models.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("domain"),
    )
