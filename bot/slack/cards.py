"""The lead card: one pure function from a lead's stored state to Block Kit.

The first post and every update use it, so every copy (the owner's DM, the pool channel,
triage) always shows the same truth. Buttons are chosen by state. Text from the form is
escaped, so a form cannot make the bot post <!channel> or a disguised link.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.slack.ids import Action, LeadRef
from bot.slack.mrkdwn import escape, escaped, fit, truncate
from routing import RoutingConfig, rulebook
from routing.durations import format_duration, format_elapsed
from storage.models import CrmLink, Event, LeadRow, LeadState

MESSAGE_LIMIT = 1200  # characters of the form's message shown on the card, before escaping
TEXT_LIMIT = 2900  # Slack allows 3000 per section text; every text is cut *after* escaping
FIELD_LIMIT = 1900  # Slack allows 2000 per field

OUTCOME_LABELS = {
    LeadState.won: "Won 🎉",
    LeadState.lost: "Lost",
    LeadState.disqualified: "Disqualified",
}
NOTABLE_EVENTS = ("declined", "rerouted", "reassigned", "escalated", "repeat_touch", "unreachable")


@dataclass(frozen=True)
class Card:
    text: str  # notification and screen-reader fallback
    blocks: list[dict[str, Any]]


def slack_time(moment: datetime, fmt: str = "{time}") -> str:
    """Shown in each reader's own time zone by Slack; the fallback is UTC."""
    return f"<!date^{int(moment.timestamp())}^{fmt}|{moment:%H:%M} UTC>"


# How long / how long ago: one formatter, routing.durations.format_elapsed (kept by this name
# for the cards' callers).
span = format_elapsed


def mention(config: RoutingConfig, rep_id: str | None) -> str:
    if rep_id is None:
        return "nobody"
    rep = config.reps.get(rep_id)
    if rep is not None:
        return f"<@{rep.slack_id}>"
    return f"<@{rep_id}>" if rep_id[:1] in "UW" else escape(rep_id)


def lead_title(lead: LeadRow, limit: int = 150) -> str:
    """'Kim Lee — Acme GmbH' (plain text: escape it for mrkdwn)."""
    data = lead.data
    who = data.get("name") or data.get("email") or f"Lead {lead.id}"
    company = data.get("company")
    return truncate(f"{who} — {company}" if company else str(who), limit)


def render_card(
    lead: LeadRow,
    config: RoutingConfig,
    now: datetime,
    events: Sequence[Event] = (),
    crm: CrmLink | None = None,
) -> Card:
    data = lead.data
    title = lead_title(lead)
    hot = "🔥 " if lead.priority == "high" else ""
    header = truncate(f"{hot}{title}", 150)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": header, "emoji": True}},
        {"type": "section", "fields": _fields(data)},
    ]
    message = data.get("message")
    if message:
        quoted = "\n".join(
            f"> {line}" for line in escape(truncate(str(message), MESSAGE_LIMIT)).splitlines()
        )
        blocks.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": fit(quoted, TEXT_LIMIT) or ">"}}
        )
    why = f"*Why:* {escape(lead.reason)}" if lead.reason else "*Why:* not routed yet"
    blocks.append(
        {"type": "context", "elements": [{"type": "mrkdwn", "text": fit(why, TEXT_LIMIT)}]}
    )
    status = _status(lead, config, now, events)
    blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": fit(status, TEXT_LIMIT)}})
    buttons = _buttons(lead)
    if crm is not None and crm.url:  # where the rep works the lead
        label = {"hubspot": "Open in HubSpot", "salesforce": "Open in Salesforce"}
        buttons.append(
            {
                "type": "button",
                "text": {"type": "plain_text", "text": label.get(crm.provider, "Open in CRM")},
                "action_id": Action.open_crm.value,
                "url": crm.url[:3000],
            }
        )
    if buttons:
        blocks.append({"type": "actions", "block_id": f"lead_{lead.id}", "elements": buttons})
    state_word = OUTCOME_LABELS.get(LeadState(lead.state), lead.state)
    text = escaped(f"Lead: {title} ({state_word})", 300)  # `text` is mrkdwn too
    return Card(text=text, blocks=blocks)


def minimal_card(lead: LeadRow) -> Card:
    """What is posted when Slack refuses a lead's full card: no form text at all, only the
    lead's number, its state and the buttons for that state, so it can always be claimed."""
    assert lead.id is not None
    blocks: list[dict[str, Any]] = [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": f"*Lead {lead.id}* ({lead.state}). Slack could not show this lead's "
                "full card; its details are in leadrouter (`leadrouter stats`, the App Home).",
            },
        }
    ]
    buttons = _buttons(lead)
    if buttons:
        blocks.append({"type": "actions", "block_id": f"lead_{lead.id}", "elements": buttons})
    return Card(text=f"Lead {lead.id} ({lead.state})", blocks=blocks)


def _fields(data: dict[str, Any]) -> list[dict[str, str]]:
    size = data.get("employees")
    revenue = data.get("annual_revenue")
    pairs = [
        ("Title", data.get("title")),
        ("Email", data.get("email")),
        ("Company size", f"{size:,} employees" if isinstance(size, int) else None),
        ("Revenue", f"${revenue:,.0f}" if isinstance(revenue, int | float) else None),
        ("Industry", data.get("industry")),
        (
            "Country",
            " ".join(str(p) for p in (data.get("region"), data.get("country")) if p) or None,
        ),
        ("Product", data.get("product")),
        ("Score", f"{data['score']:g}" if isinstance(data.get("score"), int | float) else None),
        ("Language", data.get("language")),
        ("Source", data.get("source")),
    ]
    fields = [
        {"type": "mrkdwn", "text": fit(f"*{label}*\n{escape(value)}", FIELD_LIMIT)}
        for label, value in pairs
        if value not in (None, "")
    ]
    return fields[:10] or [{"type": "mrkdwn", "text": "*Details*\nnone given"}]


def _status(lead: LeadRow, config: RoutingConfig, now: datetime, events: Sequence[Event]) -> str:
    state = LeadState(lead.state)
    owner = mention(config, lead.owner)
    lines: list[str] = []
    if state is LeadState.assigned:
        due = lead.claim_due_at
        sla = format_duration(timedelta(seconds=lead.sla_seconds))
        if lead.open_to_pool:
            lines.append(f"🙋 *Open to the whole pool* — first to claim takes it (was {owner}'s)")
        elif due and due < now:
            lines.append(f"⏰ Offered to {owner} — *overdue* by {span(now - due)} (SLA {sla})")
        elif due:
            lines.append(f"⏳ Offered to {owner} — claim within {sla} (by {slack_time(due)})")
        upcoming = _next_step(lead)
        if upcoming:
            lines.append(upcoming)
    elif state is LeadState.triage:
        lines.append("🚨 *Nobody could take this lead* — anyone may claim it")
    elif state is LeadState.nurture:
        lines.append("🌱 In nurture (stored, not routed)")
    elif lead.claimed_at and lead.assigned_at:
        lines.append(f"✅ Claimed by {owner} in {span(lead.claimed_at - lead.assigned_at)}")
    elif lead.claimed_at:
        lines.append(f"✅ Claimed by {owner}")
    if state is LeadState.contacted or (state in OUTCOME_LABELS and lead.contacted_at):
        lines.append("📞 Contacted")
    if state in OUTCOME_LABELS:
        lines.append(f"*{OUTCOME_LABELS[state]}*")
    note = _latest_note(config, events)
    if note:
        lines.append(note)
    if lead.touches > 1:
        lines.append(f"🔁 Got in touch {lead.touches} times")
    return "\n".join(lines) or escape(state.value)


STEP_LABELS = {
    "remind": "a reminder",
    "pass": "passes to the next rep",
    "open_to_pool": "opens to the whole pool",
    "manager": "goes to the manager",
    "leadership": "goes to leadership",
}


def _next_step(lead: LeadRow) -> str | None:
    """What happens next if nobody claims it, and when: the ladder is no secret."""
    if lead.escalate_at is None or lead.escalation_step >= len(lead.escalation):
        return None
    action = lead.escalation[lead.escalation_step].get("action", "")
    return f"_Unclaimed at {slack_time(lead.escalate_at)}: {STEP_LABELS.get(action, action)}_"


def _latest_note(config: RoutingConfig, events: Sequence[Event]) -> str | None:
    for event in reversed(events):
        if event.kind not in NOTABLE_EVENTS:
            continue
        actor = (
            mention(config, event.actor) if event.actor and event.actor != "leadrouter" else None
        )
        reason = f": {escape(event.reason)}" if event.reason else ""
        if event.kind == "declined":
            return f"↪️ {actor or 'Someone'} passed it on{reason}"
        if event.kind == "reassigned":
            return f"↪️ Reassigned by {actor or 'someone'}{reason}"
        if event.kind == "rerouted":
            return f"↪️ Re-routed{reason}"
        if event.kind == "unreachable":
            return f"⚠️ Re-routed{reason}"
        if event.kind == "escalated":
            return f"📣 Escalated{reason}"
        if event.kind == "repeat_touch":
            continue  # shown as the touch count
    return None


def _button(text: str, action: Action, lead_id: int, style: str | None = None) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "text": {"type": "plain_text", "text": text, "emoji": True},
        "action_id": action.value,
        "value": LeadRef(lead=lead_id).encode(),
    }
    if style:
        button["style"] = style
    return button


def _outcome_menu(lead_id: int) -> dict[str, Any]:
    options = [
        {
            "text": {"type": "plain_text", "text": label},
            "value": LeadRef(lead=lead_id, outcome=state.value).encode(),
        }
        for state, label in OUTCOME_LABELS.items()
    ]
    return {
        "type": "static_select",
        "action_id": Action.outcome.value,
        "placeholder": {"type": "plain_text", "text": "Outcome"},
        "options": options,
    }


def _buttons(lead: LeadRow) -> list[dict[str, Any]]:
    """A button for each thing somebody may do now (routing.rulebook); each click is checked
    against the person who clicks, since every copy of the card shows the same buttons."""
    assert lead.id is not None
    if lead.state == LeadState.nurture:
        return []  # nurture leads have no card buttons: a manager reassigns from the CLI
    allowed = set(rulebook.actions(lead.state, lead.open_to_pool))
    buttons = {
        rulebook.Action.claim: lambda: _button("Claim", Action.claim, lead.id, "primary"),
        rulebook.Action.contacted: lambda: _button(
            "Mark contacted", Action.contacted, lead.id, "primary"
        ),
        rulebook.Action.outcome: lambda: _outcome_menu(lead.id),
        rulebook.Action.reassign: lambda: _button("Reassign", Action.reassign, lead.id),
        rulebook.Action.decline: lambda: _button("Not mine", Action.decline, lead.id),
    }
    return [make() for action, make in buttons.items() if action in allowed]
