"""Modals and the App Home, built from state like the cards are."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from bot.slack.cards import lead_title, mention, slack_time, span
from bot.slack.ids import (
    REASON_BLOCK,
    REASON_INPUT,
    REASSIGN_USER_BLOCK,
    REASSIGN_USER_INPUT,
    Action,
    LeadRef,
    View,
)
from bot.slack.mrkdwn import escape, packed
from routing import RoutingConfig
from storage.models import Availability, LeadRow, LeadState
from storage.queries import Board

HOME_LEADS_SHOWN = 20


def reassign_modal(lead: LeadRow) -> dict[str, Any]:
    assert lead.id is not None
    return {
        "type": "modal",
        "callback_id": View.reassign.value,
        "private_metadata": LeadRef(lead=lead.id).encode(),
        "title": {"type": "plain_text", "text": "Reassign lead"},
        "submit": {"type": "plain_text", "text": "Reassign"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": f"*{escape(lead_title(lead, 120))}*"},
            },
            {
                "type": "input",
                "block_id": REASSIGN_USER_BLOCK,
                "label": {"type": "plain_text", "text": "Give it to"},
                "element": {
                    "type": "users_select",
                    "action_id": REASSIGN_USER_INPUT,
                    "placeholder": {"type": "plain_text", "text": "Pick a rep"},
                },
            },
            _reason_input("Why?", optional=False),
        ],
    }


def decline_modal(lead: LeadRow) -> dict[str, Any]:
    assert lead.id is not None
    return {
        "type": "modal",
        "callback_id": View.decline.value,
        "private_metadata": LeadRef(lead=lead.id).encode(),
        "title": {"type": "plain_text", "text": "Not mine"},
        "submit": {"type": "plain_text", "text": "Pass it on"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": (
                        f"*{escape(lead_title(lead, 120))}* goes to the next available rep. "
                        "It counts as your turn in the rotation."
                    ),
                },
            },
            _reason_input("Why isn't it yours?", optional=True),
        ],
    }


def _reason_input(label: str, optional: bool) -> dict[str, Any]:
    return {
        "type": "input",
        "block_id": REASON_BLOCK,
        "optional": optional,
        "label": {"type": "plain_text", "text": label},
        "element": {
            "type": "plain_text_input",
            "action_id": REASON_INPUT,
            "max_length": 300,
            "placeholder": {"type": "plain_text", "text": "e.g. wrong territory"},
        },
    }


def home_view(
    config: RoutingConfig,
    actor: str,
    now: datetime,
    *,
    my_leads: Sequence[LeadRow],
    away: Availability | None,
    board: Board | None = None,
) -> dict[str, Any]:
    """The rep's queue and availability; managers also get the team board."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "Your leads"}},
    ]
    if actor in config.reps:
        if away is not None:
            until = (
                f" until {slack_time(away.until, '{date_short_pretty} {time}')}"
                if away.until
                else ""
            )
            status = f"🌴 You are *away*{until}: new leads go to your team."
            button = {
                "type": "button",
                "action_id": Action.home_back.value,
                "text": {"type": "plain_text", "text": "I'm back"},
                "style": "primary",
                "value": "back",
            }
        else:
            status = "🟢 You are *available* for new leads."
            button = {
                "type": "button",
                "action_id": Action.home_away.value,
                "text": {"type": "plain_text", "text": "Go away until /back"},
                "value": "away",
            }
        blocks.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": status}, "accessory": button}
        )
        blocks.append({"type": "divider"})
        if not my_leads:
            blocks.append(
                {"type": "section", "text": {"type": "mrkdwn", "text": "No open leads. 🎉"}}
            )
        for lead in list(my_leads)[:HOME_LEADS_SHOWN]:
            blocks.append(
                {"type": "section", "text": {"type": "mrkdwn", "text": queue_line(lead, now)}}
            )
        if len(my_leads) > HOME_LEADS_SHOWN:
            blocks.append(
                {
                    "type": "context",
                    "elements": [
                        {"type": "mrkdwn", "text": f"…and {len(my_leads) - HOME_LEADS_SHOWN} more."}
                    ],
                }
            )
    else:
        blocks.append(
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": "You are not a rep in routing.yml, so no leads come to you.",
                },
            }
        )
    if board is not None:
        blocks.extend(_board(config, now, board))
    return {"type": "home", "blocks": blocks[:100]}


def queue_line(lead: LeadRow, now: datetime) -> str:
    """One of a rep's open leads, as the App Home and /back list them."""
    title = escape(lead_title(lead, 120))
    age = span(now - (lead.assigned_at or lead.created_at))
    if lead.state == LeadState.assigned and lead.claim_due_at:
        left = lead.claim_due_at - now
        sla = (
            f"⏰ overdue by {span(-left)}" if left < timedelta(0) else f"claim within {span(left)}"
        )
        return f"*{title}* · waiting {age} · {sla}"
    return f"*{title}* · {lead.state} · {age} old"


def _board(config: RoutingConfig, now: datetime, board: Board) -> list[dict[str, Any]]:
    away, load, unclaimed = board.away, board.open_leads, board.unclaimed
    lines = []
    for rep_id, rep in config.reps.items():
        if board.reps is not None and rep_id not in board.reps:
            continue
        status = "🌴 away" if rep_id in away else ("⚪ inactive" if not rep.active else "🟢")
        capacity = f"/{rep.capacity}" if rep.capacity is not None else ""
        lines.append(f"{status} {mention(config, rep_id)} · {load.get(rep_id, 0)}{capacity} open")
    blocks: list[dict[str, Any]] = [
        {"type": "divider"},
        {"type": "header", "text": {"type": "plain_text", "text": "Team board"}},
    ]
    waiting = [
        f"• {escape(lead_title(lead, 120))} · {lead.state} · "
        f"{span(now - (lead.assigned_at or lead.created_at))} · "
        f"{mention(config, lead.owner) if lead.owner else 'triage'}"
        for lead in list(unclaimed)[:15]
    ]
    # Every text is measured after escaping: one "<" in a lead's name is four characters.
    texts = packed(lines) + packed([f"*Unclaimed: {len(unclaimed)}*", *(waiting or ["none 🎉"])])
    blocks.extend({"type": "section", "text": {"type": "mrkdwn", "text": t}} for t in texts)
    return blocks
