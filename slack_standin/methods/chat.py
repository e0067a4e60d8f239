"""chat.* methods: post, update, ephemeral, permalink."""

from __future__ import annotations

from typing import Any

from slack_standin.blocks import MESSAGE_BLOCKS, block_errors
from slack_standin.errors import SlackError
from slack_standin.methods.common import Handler, invalid, required
from slack_standin.records import Channel, Ephemeral, Message
from slack_standin.workspace import Workspace

MAX_TEXT = 40_000


def _content(params: dict[str, Any], lenient: bool) -> tuple[str, list[dict[str, Any]]]:
    text = params.get("text") or ""
    blocks = params.get("blocks") or []
    if not text and not blocks:
        raise SlackError("no_text")
    if len(text) > MAX_TEXT:
        raise SlackError("msg_too_long")
    problems = block_errors(blocks, limit=MESSAGE_BLOCKS, models=not lenient)
    if problems:
        raise invalid("invalid_blocks", problems)
    return text, blocks


def _writable(channel: Channel) -> Channel:
    if channel.archived:
        raise SlackError("is_archived")
    if not channel.is_im and not channel.bot_is_member:
        raise SlackError("not_in_channel")
    return channel


def _slack(ws: Workspace, message: Message) -> dict[str, Any]:
    i = ws.identity
    return message.as_slack(i.bot_id, i.app_id, i.team_id)


def _metadata(params: dict[str, Any]) -> dict[str, Any] | None:
    """Message metadata as chat.postMessage takes it: an event_type and an event_payload."""
    metadata = params.get("metadata")
    if metadata in (None, ""):
        return None
    if (
        not isinstance(metadata, dict)
        or not isinstance(metadata.get("event_type"), str)
        or not isinstance(metadata.get("event_payload"), dict)
    ):
        raise SlackError("invalid_metadata_format")
    return {"event_type": metadata["event_type"], "event_payload": metadata["event_payload"]}


def post_message(ws: Workspace, params: dict[str, Any]) -> dict[str, Any]:
    channel = _writable(ws.conversation(required(params, "channel"), open_dm=True))
    text, blocks = _content(params, ws.lenient)
    message = Message(
        channel=channel.id,
        ts=ws.next_ts(),
        text=text,
        blocks=blocks,
        user=ws.identity.bot_user_id,
        thread_ts=params.get("thread_ts") or None,
        metadata=_metadata(params),
    )
    ws.store(message)
    return {"channel": channel.id, "ts": message.ts, "message": _slack(ws, message)}


def update(ws: Workspace, params: dict[str, Any]) -> dict[str, Any]:
    channel = ws.conversation(required(params, "channel"))
    message = ws.message(channel.id, required(params, "ts"))
    if message.user != ws.identity.bot_user_id:
        raise SlackError("cant_update_message")
    _writable(channel)
    # Slack keeps the previous text or blocks when a field is left out.
    merged = {
        "text": params.get("text", message.text),
        "blocks": params.get("blocks", message.blocks),
    }
    message.text, message.blocks = _content(merged, ws.lenient)
    message.edits += 1
    return {
        "channel": channel.id,
        "ts": message.ts,
        "text": message.text,
        "message": _slack(ws, message),
    }


def delete(ws: Workspace, params: dict[str, Any]) -> dict[str, Any]:
    """chat.delete: a bot token deletes only the bot's own messages."""
    channel = ws.conversation(required(params, "channel"))
    message = ws.message(channel.id, required(params, "ts"))
    if message.user != ws.identity.bot_user_id:
        raise SlackError("cant_delete_message")
    message.deleted = True
    return {"channel": channel.id, "ts": message.ts}


def post_ephemeral(ws: Workspace, params: dict[str, Any]) -> dict[str, Any]:
    channel = _writable(ws.conversation(required(params, "channel"), open_dm=True))
    user = ws.user(required(params, "user"))
    if channel.members is not None and user.id not in channel.members:
        raise SlackError("user_not_in_channel")
    if channel.is_im and channel.dm_user != user.id:
        raise SlackError("user_not_in_channel")
    text, blocks = _content(params, ws.lenient)
    ephemeral = Ephemeral(channel.id, user.id, text, blocks, message_ts=ws.next_ts())
    ws.ephemerals.append(ephemeral)
    return {"message_ts": ephemeral.message_ts}


def get_permalink(ws: Workspace, params: dict[str, Any]) -> dict[str, Any]:
    channel = ws.conversation(required(params, "channel"))
    message = ws.message(channel.id, required(params, "message_ts"))
    link = (
        f"https://{ws.identity.team_domain}.slack.com/archives/{channel.id}"
        f"/p{message.ts.replace('.', '')}"
    )
    return {"channel": channel.id, "permalink": link}


HANDLERS: dict[str, Handler] = {
    "chat.postMessage": post_message,
    "chat.update": update,
    "chat.delete": delete,
    "chat.postEphemeral": post_ephemeral,
    "chat.getPermalink": get_permalink,
}
