"""What a POST to an interaction's response_url does to the conversation."""

from __future__ import annotations

from typing import Any

from slack_standin.blocks import MESSAGE_BLOCKS, block_errors
from slack_standin.records import Ephemeral, Message
from slack_standin.workspace import Workspace

MAX_USES = 5  # Slack allows a response_url to be used up to five times


def apply_response(ws: Workspace, hook_id: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    hook = ws.response_urls.get(hook_id)
    if hook is None:
        return 404, {"ok": False, "error": "no_active_hooks"}
    if len(hook.posts) >= MAX_USES:
        return 404, {"ok": False, "error": "used_url"}
    hook.posts.append(body)
    ws.response_log.append((hook.id, body))
    blocks = body.get("blocks") or []
    if block_errors(blocks, limit=MESSAGE_BLOCKS, models=not ws.lenient):
        return 400, {"ok": False, "error": "invalid_blocks"}
    original = ws.messages.get(hook.channel or "", {}).get(hook.message_ts or "")
    if body.get("delete_original") and original is not None:
        original.deleted = True
    elif body.get("replace_original") and original is not None:
        original.text = body.get("text", original.text)
        original.blocks = blocks
        original.edits += 1
    elif body.get("response_type") == "in_channel" and hook.channel:
        message = Message(
            hook.channel,
            ws.next_ts(),
            body.get("text") or "",
            blocks,
            user=ws.identity.bot_user_id,
            thread_ts=body.get("thread_ts"),
        )
        ws.store(message)
    elif hook.channel:
        ws.ephemerals.append(
            Ephemeral(hook.channel, hook.user, body.get("text") or "", blocks, ws.next_ts())
        )
    return 200, {"ok": True}
