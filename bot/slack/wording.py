"""Every sentence a person reads when Slack cannot do what they asked: refusals (worded from
storage's Refused codes and routing.rulebook's reasons), old buttons, stale forms, and how they
are shown (`tell`). The rules themselves are routing.rulebook's; only the words are here."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from slack_bolt import Respond
from slack_sdk import WebClient

from bot.slack.cards import mention, slack_time, span
from routing import RoutingConfig
from routing.rulebook import Action
from storage.lifecycle import Refused
from storage.models import LeadRow

OLD_BUTTON = (
    "That button is from an older version of leadrouter's messages and does nothing now. "
    "Use the buttons on the lead's newest card, or open leadrouter's Home tab."
)
EXPIRED_TRIGGER = (
    "Slack gives an app 3 seconds to open a form after a click, and that time ran out. "
    "Please press the button again."
)
STALE_FORM = (
    "This form is out of date (it was opened from an older card, or by an older version of "
    "leadrouter). Close it and press the button on the lead's newest card."
)
UNKNOWN_COMMAND = "I don't know {command}. I understand /away, /back and /routing-stats."


def tell(body: dict[str, Any], respond: Respond | None, client: WebClient, text: str) -> None:
    """A sentence only the person who clicked sees: ephemeral where the click came from a
    message, a DM from the bot where it came from the Home tab (which has no response_url)."""
    if respond is not None and body.get("response_url"):
        respond(text=text, response_type="ephemeral", replace_original=False)
    else:
        client.chat_postMessage(channel=body["user"]["id"], text=text)


def notice_modal(title: str, text: str) -> dict[str, Any]:
    """What a submitted form turns into when it cannot be done (response_action "update")."""
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": title[:24]},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}],
    }


def offered_until(lead: LeadRow) -> datetime | None:
    """When the ladder opens this lead to its pool, or its SLA if the ladder never does."""
    for step in lead.escalation:
        if step["action"] == "open_to_pool" and step.get("at"):
            return datetime.fromisoformat(step["at"])
    return lead.claim_due_at


ACTION_WORDS = {
    Action.claim: "claim",
    Action.decline: "pass on",
    Action.reassign: "reassign",
    Action.contacted: "mark as contacted",
    Action.outcome: "close",
}


def not_allowed(
    reason: str, lead: LeadRow, action: Action, config: RoutingConfig, now: datetime
) -> str:
    """The rulebook's reason (rulebook.Verdict.reason), as a sentence about this lead."""
    owner = mention(config, lead.owner) if lead.owner else None
    if reason == "offered_to_owner" and owner:
        until = offered_until(lead)
        when = f" until {slack_time(until)}" if until else ""
        return f"This lead is offered to {owner}{when}."
    if reason == "only_owner_declines":
        return (
            f"Only {owner or 'its owner'} can say it is not theirs. "
            "To move it to someone else, use Reassign."
        )
    if reason == "managers_only":
        return "Only managers can reassign leads."
    if reason == "wrong_state":
        return f"This lead is {lead.state}: nothing to {ACTION_WORDS[action]}."
    who = f"{owner} or a manager of this lead" if owner else "a manager of this lead"
    if action is Action.reassign and lead.state == "assigned" and not lead.open_to_pool:
        return f"Only {who} can reassign it while it is offered to {owner or 'its owner'}."
    return f"Only {who} can {ACTION_WORDS[action]} it."


def refusal(
    refused: Refused, config: RoutingConfig, now: datetime, action: Action | None = None
) -> str:
    lead = refused.lead
    if refused.code == "already_claimed" and lead is not None and lead.claimed_at:
        who = mention(config, lead.claimed_by)
        return f"Already claimed by {who}, {span(now - lead.claimed_at)} ago."
    if refused.code == "not_allowed" and lead is not None and action is not None:
        return not_allowed(refused.reason, lead, action, config, now)
    if refused.code == "wrong_state" and lead is not None:
        return f"This lead is {lead.state} now."
    if refused.code == "not_found":
        return "That lead no longer exists."
    return refused.message[:1].upper() + refused.message[1:] + "."
