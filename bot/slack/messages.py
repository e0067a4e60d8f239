"""Plain-text DMs the bot sends besides lead cards, by template name (stored in the outbox)."""

from __future__ import annotations

from typing import Any

from bot.slack.cards import lead_title
from bot.slack.mrkdwn import escape
from routing import RoutingConfig
from storage.models import LeadRow


def lead_label(lead: LeadRow | None) -> str:
    return escape(lead_title(lead)) if lead is not None else "a lead"


def notification(payload: dict[str, Any], lead: LeadRow | None, config: RoutingConfig) -> str:
    template = payload.get("template")
    if template == "repeat_touch":
        note = payload.get("message") or ""
        quoted = f"\n> {escape(note[:500])}" if note else ""
        return f"🔁 {lead_label(lead)} got in touch again.{quoted}"
    if template == "remind":
        due = (
            f" (due <!date^{int(lead.claim_due_at.timestamp())}^{{time}}|soon>)"
            if (lead is not None and lead.claim_due_at)
            else ""
        )
        return f"⏰ Reminder: {lead_label(lead)} is waiting for you to claim it{due}."
    if template == "slow_responder":
        missed = payload.get("missed", "several")
        return (
            f"🌴 You missed {missed} lead SLAs in a row, so I set you away to stop leads "
            "piling up. Type `/back` when you are ready for leads again."
        )
    if template == "back_automatically":
        return "👋 Your time away has ended: you are receiving leads again. (`/away` to step out.)"
    if template == "text":
        return escape(payload.get("text", ""))
    return escape(payload.get("text") or f"Update on {lead_label(lead)}")


def flood(leads: list[int]) -> str:
    """The one message a flooded pool channel gets instead of a card per lead."""
    shown = ", ".join(str(n) for n in leads[:20]) + (" …" if len(leads) > 20 else "")
    return (
        f"📬 {len(leads)} new leads arrived for this channel faster than Slack lets a bot post "
        "here (about one message a second), so their cards are not posted one by one. Each "
        "lead's card is in its owner's DM, where it can be claimed; the Home tab's team board "
        f"lists the unclaimed ones. Leads: {shown}."
    )
