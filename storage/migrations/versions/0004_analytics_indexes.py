"""indexes for /routing-stats: leads by arrival, events by kind, offers by time

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 02:25:00.000000

- leads (created_at): the report reads the leads that arrived in the period; without it
  "today" scans every lead ever stored.
- events (kind, at): time away (away/back events before the period's end, however old),
  reassignments and escalations are a few kinds among millions of events; (at, kind) makes
  PostgreSQL scan the whole table for them.
- assignments (at, outcome, kind, pool, owner): offers per rep and first decisions per
  period, answered from the index alone.
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_leads_created_at", "leads", ["created_at"])
    op.create_index("ix_events_kind_at", "events", ["kind", "at"])
    op.create_index(
        "ix_assignments_at_outcome", "assignments", ["at", "outcome", "kind", "pool", "owner"]
    )


def downgrade() -> None:
    op.drop_index("ix_assignments_at_outcome", table_name="assignments")
    op.drop_index("ix_events_kind_at", table_name="events")
    op.drop_index("ix_leads_created_at", table_name="leads")
