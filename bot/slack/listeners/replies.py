"""The sentences people see when a click cannot do what they asked."""

from __future__ import annotations

from datetime import datetime

from bot.slack.cards import mention, slack_time, span
from routing import RoutingConfig
from storage.lifecycle import Refused
from storage.models import LeadRow


def offered_until(lead: LeadRow) -> datetime | None:
    """When the ladder opens this lead to its pool, or its SLA if the ladder never does."""
    for step in lead.escalation:
        if step["action"] == "open_to_pool" and step.get("at"):
            return datetime.fromisoformat(step["at"])
    return lead.claim_due_at


def refusal(refused: Refused, config: RoutingConfig, now: datetime) -> str:
    lead = refused.lead
    if refused.code == "already_claimed" and lead is not None and lead.claimed_at:
        who = mention(config, lead.claimed_by)
        return f"Already claimed by {who}, {span(now - lead.claimed_at)} ago."
    if refused.code == "not_allowed" and lead is not None and lead.owner:
        until = offered_until(lead)
        when = f" until {slack_time(until)}" if until else ""
        return f"This lead is offered to {mention(config, lead.owner)}{when}."
    return refused.message[:1].upper() + refused.message[1:] + "."
