"""conversations.history: a conversation's messages, newest first, as its method page shows.

The scope it needs depends on the conversation (a DM needs im:history, a public channel
channels:history, a private one groups:history), so it is checked here rather than by method.
Message metadata comes back only with include_all_metadata.
"""

from __future__ import annotations

from typing import Any

from slack_standin.errors import SlackError
from slack_standin.methods.common import Handler, flag, required
from slack_standin.workspace import Workspace

MAX_LIMIT = 999  # the method page: "the maximum number of items to return ... up to 999"


def history(ws: Workspace, params: dict[str, Any]) -> dict[str, Any]:
    channel = ws.conversation(required(params, "channel"))
    kind = "im" if channel.is_im else ("private" if channel.members is not None else "channel")
    needed = {"im": "im:history", "private": "groups:history", "channel": "channels:history"}[kind]
    granted = ws.granted_scopes()
    if needed not in granted:
        raise SlackError("missing_scope", needed=needed, provided=",".join(sorted(granted)))
    if not channel.is_im and not channel.bot_is_member:
        raise SlackError("not_in_channel")
    oldest = float(params.get("oldest") or 0)
    latest = float(params.get("latest") or "inf")
    limit = min(int(params.get("limit") or 100), MAX_LIMIT)
    with_metadata = flag(params, "include_all_metadata")
    i = ws.identity
    found = [
        m
        for m in ws.messages.get(channel.id, {}).values()
        if not m.deleted and oldest < float(m.ts) < latest
    ]
    found.sort(key=lambda m: m.ts, reverse=True)
    shown = found[:limit]
    return {
        "messages": [
            m.as_slack(i.bot_id, i.app_id, i.team_id, metadata=with_metadata) for m in shown
        ],
        "has_more": len(found) > limit,
        "pin_count": 0,
        "response_metadata": {"next_cursor": ""},
    }


HANDLERS: dict[str, Handler] = {"conversations.history": history}
