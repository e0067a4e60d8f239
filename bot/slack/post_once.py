"""Post a card once, even after an ambiguous outcome.

chat.postMessage has no idempotency key. When an earlier attempt may have reached Slack (it
timed out, the connection broke after sending, Slack answered 5xx, or the process holding it
died before recording the answer), the message is in doubt, and before posting again we look
in the conversation for the card itself: every card carries message metadata naming its lead
and its copy (`CARD_EVENT`), and conversations.history returns it. The oldest such message is
the card (recorded, then brought up to date); any later ones are duplicates and are deleted,
so exactly one live card remains, and it is the one every update edits.

Needs the history scopes (channels:history, groups:history, im:history) and im:write (to find
a DM's channel id when no card was ever recorded there): see manifest.yml.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

log = logging.getLogger(__name__)

CARD_EVENT = "leadrouter_card"
LOOK_BACK = 120.0  # seconds before the message was queued: a card cannot be older than that


def metadata(lead_id: int, target: str) -> dict[str, Any]:
    return {"event_type": CARD_EVENT, "event_payload": {"lead": lead_id, "copy": target}}


def is_card(message: dict[str, Any], lead_id: int, target: str) -> bool:
    found = message.get("metadata") or {}
    payload = found.get("event_payload") or {}
    return (
        found.get("event_type") == CARD_EVENT
        and payload.get("lead") == lead_id
        and payload.get("copy") == target
    )


def find_posted(
    call: Callable[..., Any],
    conversation: str,
    lead_id: int,
    target: str,
    queued_at: datetime,
) -> tuple[str, str] | None:
    """(channel, ts) of the card already posted for this copy, deleting any duplicates of it;
    None when there is none. `call(method, **params)` makes a Web API call."""
    answer = call(
        "conversations.history",
        channel=conversation,
        oldest=f"{queued_at.timestamp() - LOOK_BACK:.6f}",
        limit=200,
        include_all_metadata=True,
    )
    cards = sorted(
        (m for m in answer.get("messages", []) if is_card(m, lead_id, target)),
        key=lambda m: m["ts"],
    )
    if not cards:
        return None
    for duplicate in cards[1:]:
        log.warning(
            "lead %s: a second card in %s (ts %s) deleted", lead_id, conversation, duplicate["ts"]
        )
        call("chat.delete", channel=conversation, ts=duplicate["ts"])
    return conversation, cards[0]["ts"]
