"""auth.test, users.info and conversations.open."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from slack_standin.errors import SlackError
from slack_standin.methods.common import Handler, flag, required
from slack_standin.records import Channel, User
from slack_standin.workspace import Workspace


def auth_test(ws: Workspace, params: dict[str, Any]) -> dict[str, Any]:
    i = ws.identity
    return {
        "url": f"https://{i.team_domain}.slack.com/",
        "team": i.team_name,
        "user": i.bot_name,
        "team_id": i.team_id,
        "user_id": i.bot_user_id,
        "bot_id": i.bot_id,
        "is_enterprise_install": False,
    }


def bots_info(ws: Workspace, params: dict[str, Any]) -> dict[str, Any]:
    """bots.info: the bot user's app, as its reference page shows it."""
    i = ws.identity
    if params.get("bot") not in (i.bot_id, None, ""):
        raise SlackError("bot_not_found")
    return {
        "bot": {
            "id": i.bot_id,
            "deleted": False,
            "name": i.bot_name,
            "updated": int(ws.clock.now()),
            "app_id": i.app_id,
            "user_id": i.bot_user_id,
            "icons": {},
        }
    }


def user_object(ws: Workspace, user: User) -> dict[str, Any]:
    local = datetime.fromtimestamp(ws.clock.now(), ZoneInfo(user.tz))
    offset = local.utcoffset()
    real_name = user.real_name or user.name
    return {
        "id": user.id,
        "team_id": ws.identity.team_id,
        "name": user.name,
        "deleted": user.deleted,
        "real_name": real_name,
        "tz": user.tz,
        "tz_label": local.tzname(),
        "tz_offset": int(offset.total_seconds()) if offset else 0,
        "is_bot": user.is_bot,
        "is_app_user": False,
        "is_admin": False,
        "is_owner": False,
        "updated": int(ws.clock.now()),
        "profile": {
            "real_name": real_name,
            "real_name_normalized": real_name,
            "display_name": user.display_name,
            "display_name_normalized": user.display_name,
            "email": user.email,
            "team": ws.identity.team_id,
        },
    }


def users_info(ws: Workspace, params: dict[str, Any]) -> dict[str, Any]:
    # Without a `user` argument (or with one Slack did not read) Slack answers user_not_found.
    return {"user": user_object(ws, ws.user(str(params.get("user") or "")))}


def conversations_open(ws: Workspace, params: dict[str, Any]) -> dict[str, Any]:
    if params.get("channel"):
        channel = ws.conversation(params["channel"])
        return {"no_op": True, "already_open": True, "channel": {"id": channel.id}}
    users = [u.strip() for u in str(required(params, "users")).split(",") if u.strip()]
    for user_id in users:
        ws.user(user_id)
    if len(users) == 1:
        existed = ws.find_channel(users[0]) is not None
        channel = ws.dm_with(users[0])
        body: dict[str, Any] = {"id": channel.id}
        if flag(params, "return_im"):
            body.update(is_im=True, user=users[0], created=int(ws.clock.now()))
        return {"no_op": existed, "already_open": existed, "channel": body}
    if len(users) > 8:
        raise SlackError("too_many_users")
    members = {*users, ws.identity.bot_user_id}
    for existing in ws.channels.values():
        if existing.members == members and existing.name.startswith("mpdm-"):
            return {"no_op": True, "already_open": True, "channel": {"id": existing.id}}
    group = Channel(id=ws.new_id("G"), name="mpdm-" + "--".join(users), members=members)
    ws.channels[group.id] = group
    return {"no_op": False, "already_open": False, "channel": {"id": group.id}}


HANDLERS: dict[str, Handler] = {
    "auth.test": auth_test,
    "bots.info": bots_info,
    "users.info": users_info,
    "conversations.open": conversations_open,
}
