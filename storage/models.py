"""Tables. Times are stored as naive UTC and read back as aware UTC (see UTCDateTime).

Every change of a lead's state writes an Event row in the same transaction: the event log is
the audit trail and the source of the analytics.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, DateTime, Index, TypeDecorator, UniqueConstraint
from sqlmodel import Field, SQLModel


class UTCDateTime(TypeDecorator):
    """Aware UTC in Python, naive UTC in the database: the same on SQLite and PostgreSQL."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("store aware datetimes only")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return value.replace(tzinfo=UTC) if value is not None else None


class LeadState(StrEnum):
    assigned = "assigned"  # has an owner who has not claimed it yet
    claimed = "claimed"
    contacted = "contacted"
    won = "won"
    lost = "lost"
    disqualified = "disqualified"
    nurture = "nurture"  # stored, not routed
    triage = "triage"  # nobody could take it: humans in the triage channel decide


OPEN_STATES = (LeadState.assigned, LeadState.claimed, LeadState.contacted)
UNCLAIMED_STATES = (LeadState.assigned, LeadState.triage)
CLOSED_STATES = (LeadState.won, LeadState.lost, LeadState.disqualified)


class LeadRow(SQLModel, table=True):
    __tablename__ = "leads"
    __table_args__ = (
        Index("ix_leads_owner_state", "owner", "state"),
        Index("ix_leads_state_escalate_at", "state", "escalate_at"),
        Index("ix_leads_email_created", "email", "created_at"),
        Index("ix_leads_created_at", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(sa_type=UTCDateTime)
    source: str = Field(max_length=40, description="generic, typeform, hubspot, ...")
    email: str | None = Field(default=None, max_length=320)
    company: str | None = Field(default=None, max_length=300)
    data: dict = Field(default_factory=dict, sa_type=JSON, description="The Lead, normalised")
    state: str = Field(max_length=20)
    owner: str | None = Field(default=None, max_length=80, description="Rep id in routing.yml")
    pool: str | None = Field(default=None, max_length=80)
    rule: str | None = Field(default=None, max_length=120)
    reason: str = Field(default="", description="The routing sentence")
    priority: str = Field(default="normal", max_length=10)
    sla_seconds: int = 1800
    assigned_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    claim_due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    escalate_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    escalation_step: int = 0
    escalation: list = Field(default_factory=list, sa_type=JSON, description="Ladder snapshot")
    open_to_pool: bool = False
    claimed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    claimed_by: str | None = Field(default=None, max_length=80)
    contacted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    previous_owners: list = Field(default_factory=list, sa_type=JSON)
    touches: int = 1


class Event(SQLModel, table=True):
    """Append-only: who did what to which lead, when, and why."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_at_kind", "at", "kind"),
        Index("ix_events_kind_at", "kind", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    lead_id: int | None = Field(default=None, foreign_key="leads.id", index=True)
    at: datetime = Field(sa_type=UTCDateTime)
    kind: str = Field(max_length=30)
    actor: str | None = Field(default=None, max_length=80, description="Rep id, Slack id or system")
    from_state: str | None = Field(default=None, max_length=20)
    to_state: str | None = Field(default=None, max_length=20)
    owner: str | None = Field(default=None, max_length=80, description="Owner after the event")
    pool: str | None = Field(default=None, max_length=80)
    rule: str | None = Field(default=None, max_length=120)
    reason: str = ""
    detail: dict = Field(default_factory=dict, sa_type=JSON)


class Assignment(SQLModel, table=True):
    """One routing decision with its full trace: the answer to 'why did this go to Sam?'."""

    __tablename__ = "assignments"
    __table_args__ = (Index("ix_assignments_at_outcome", "at", "outcome", "kind", "pool", "owner"),)

    id: int | None = Field(default=None, primary_key=True)
    lead_id: int = Field(foreign_key="leads.id", index=True)
    at: datetime = Field(sa_type=UTCDateTime)
    kind: str = Field(max_length=20, description="intake, reroute, reassign, decline, ...")
    outcome: str = Field(max_length=20)
    owner: str | None = Field(default=None, max_length=80)
    pool: str | None = Field(default=None, max_length=80)
    rule: str | None = Field(default=None, max_length=120)
    reason: str = ""
    trace: list = Field(default_factory=list, sa_type=JSON)
    exclusions: list = Field(default_factory=list, sa_type=JSON)


class Rotation(SQLModel, table=True):
    """A pool's round-robin credits (see routing.strategies)."""

    __tablename__ = "rotations"

    pool: str = Field(primary_key=True, max_length=80)
    credits: dict = Field(default_factory=dict, sa_type=JSON)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class RepLoad(SQLModel, table=True):
    """Open leads (assigned, claimed, contacted) per rep, kept by the lifecycle in the same
    transaction as the lead (see storage.load): capacity and least-loaded routing read it
    rather than counting every open lead at each decision."""

    __tablename__ = "rep_load"

    rep: str = Field(primary_key=True, max_length=80)
    open_leads: int = 0


class Availability(SQLModel, table=True):
    """A row means the rep is away; `until` None means until they say /back."""

    __tablename__ = "availability"

    rep: str = Field(primary_key=True, max_length=80)
    since: datetime = Field(sa_type=UTCDateTime)
    until: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    note: str | None = Field(default=None, max_length=200)
    set_by: str | None = Field(default=None, max_length=80)


class OutboxKind(StrEnum):
    post_card = "post_card"  # target "dm:<rep id>", "channel:<channel>", "person:<id>", "triage"
    update_cards = "update_cards"  # re-render every posted copy of the lead's card
    notify = "notify"  # a DM to a rep: payload {"template": ...} (bot.slack.messages)
    alert = "alert"  # a post to a channel (triage, leadership): payload {"text": ...}
    webhook = "webhook"  # an event to another system: target "webhook:<name>", payload {event}
    crm_sync = "crm_sync"  # bring the CRM in line with the lead: its owner, status, task
    crm_outcome = "crm_outcome"  # a deal the CRM says was won or lost: payload {deal, stage}


class OutboxStatus(StrEnum):
    pending = "pending"
    sent = "sent"
    dead = "dead"  # gave up after the last retry: visible in metrics and the triage channel


class OutboxMessage(SQLModel, table=True):
    """A notification to deliver to Slack. Written with the change that causes it.

    `next_attempt_at` is when it is due, or while leased, when the lease runs out; the lease's
    holder (`lease_owner`, one process) renews it while it works. `in_doubt`: an earlier
    attempt may have reached Slack (a timeout, a lost connection, a holder that died), so a
    card is looked for in the conversation before it is posted again."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_status_due", "status", "next_attempt_at"),
        Index("ix_outbox_status_priority_due", "status", "priority", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    lead_id: int | None = Field(default=None, foreign_key="leads.id", index=True)
    kind: str = Field(max_length=30, description="post_card, update_cards, notify, alert, ...")
    target: str | None = Field(default=None, max_length=80, description="Rep id, channel or None")
    payload: dict = Field(default_factory=dict, sa_type=JSON)
    status: str = Field(default=OutboxStatus.pending, max_length=10)
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_type=UTCDateTime)
    created_at: datetime = Field(sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = None
    priority: int = Field(
        default=2, description="0 the owner's DM card, 1 changes to cards, 2 everything else"
    )
    lease_owner: str | None = Field(default=None, max_length=60)
    in_doubt: bool = False


class SlackMessage(SQLModel, table=True):
    """One posted copy of a lead card; every copy is updated on every change."""

    __tablename__ = "slack_messages"
    __table_args__ = (UniqueConstraint("channel", "ts"),)

    id: int | None = Field(default=None, primary_key=True)
    lead_id: int = Field(foreign_key="leads.id", index=True)
    channel: str = Field(max_length=40)
    ts: str = Field(max_length=40)
    target: str | None = Field(
        default=None, max_length=120, description="The channel as configured (a name or an id)"
    )
    kind: str = Field(max_length=20, description="dm or channel")
    rep: str | None = Field(default=None, max_length=80, description="For DMs: whose")
    posted_at: datetime = Field(sa_type=UTCDateTime)


class IdempotencyKey(SQLModel, table=True):
    """A delivery seen before: a retried webhook returns the first answer, never a second lead."""

    __tablename__ = "idempotency_keys"

    key: str = Field(primary_key=True, max_length=300, description="<source>:<key or event id>")
    lead_id: int | None = Field(default=None, foreign_key="leads.id")
    response: dict = Field(default_factory=dict, sa_type=JSON)
    created_at: datetime = Field(sa_type=UTCDateTime)


class Responsiveness(SQLModel, table=True):
    """Lead SLAs a rep missed in a row (reset by a claim), for the slow-responder rule."""

    __tablename__ = "responsiveness"

    rep: str = Field(primary_key=True, max_length=80)
    missed_in_a_row: int = 0
    updated_at: datetime = Field(sa_type=UTCDateTime)


class SlackRequestSeen(SQLModel, table=True):
    """A signed Slack request (by its signature) or an Events API event (by its event_id) that
    was handled: a replay inside Slack's 5-minute window, or a retried event, is seen here and
    does nothing twice, whichever replica it reaches. Rows older than the window are pruned."""

    __tablename__ = "slack_requests_seen"

    key: str = Field(primary_key=True, max_length=100, description="sig:<hex> or event:<id>")
    seen_at: datetime = Field(sa_type=UTCDateTime, index=True)


class CrmLink(SQLModel, table=True):
    """Where a lead lives in the CRM (its contact or lead record), what was written there, and
    the link the card shows."""

    __tablename__ = "crm_links"

    lead_id: int = Field(primary_key=True, foreign_key="leads.id")
    provider: str = Field(max_length=20, description="hubspot or salesforce")
    record_type: str = Field(max_length=20, description="contact (HubSpot), Lead (Salesforce)")
    record_id: str = Field(max_length=40)
    url: str | None = Field(default=None, max_length=300, description="'Open in …' on the card")
    owner_written: str | None = Field(
        default=None, max_length=80, description="The rep last written as the record's owner"
    )
    status_written: str | None = Field(default=None, max_length=40)
    task_for: str | None = Field(
        default=None, max_length=80, description="The rep a follow-up task was created for"
    )
    updated_at: datetime = Field(sa_type=UTCDateTime)


class EventCursor(SQLModel, table=True):
    """How far a feed has read the event log (outbound webhooks: one cursor per subscription)."""

    __tablename__ = "event_cursors"

    name: str = Field(primary_key=True, max_length=100)
    last_event_id: int = 0
    updated_at: datetime = Field(sa_type=UTCDateTime)
