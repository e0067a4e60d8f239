"""The bodies Slack sends to an app's Request URL, built from small arguments.

Field names follow Slack's reference: block_actions and view_submission interaction
payloads, slash command form fields, and Events API event_callback envelopes.
"""

from __future__ import annotations

from typing import Any

from slack_standin.elements import find_element, selection
from slack_standin.workspace import Identity


def user_ref(identity: Identity, user_id: str, name: str) -> dict[str, Any]:
    return {"id": user_id, "username": name, "name": name, "team_id": identity.team_id}


def _envelope(identity: Identity, kind: str, user: dict[str, Any], trigger_id: str) -> dict:
    return {
        "type": kind,
        "user": user,
        "api_app_id": identity.app_id,
        "token": identity.verification_token,
        "trigger_id": trigger_id,
        "team": {"id": identity.team_id, "domain": identity.team_domain},
        "enterprise": None,
        "is_enterprise_install": False,
    }


def action(
    blocks: list[dict[str, Any]], action_id: str, action_ts: str, value: Any = None
) -> dict[str, Any]:
    """The `actions[0]` entry for a click on the element with `action_id` in `blocks`.
    `value` overrides a button's value, or picks the option/user/date of a select."""
    block_id, element = find_element(blocks, action_id)
    entry: dict[str, Any] = {
        "action_id": action_id,
        "block_id": block_id,
        "type": element["type"],
        "action_ts": action_ts,
    }
    if element["type"] == "button":
        entry["text"] = element.get("text")
        chosen = element.get("value") if value is None else value
        if chosen is not None:
            entry["value"] = chosen
        if element.get("style"):
            entry["style"] = element["style"]
    else:
        entry.update(selection(element, value))
    return entry


def block_actions(
    identity: Identity,
    user: dict[str, Any],
    act: dict[str, Any],
    *,
    trigger_id: str,
    container: dict[str, Any],
    channel: dict[str, Any] | None = None,
    message: dict[str, Any] | None = None,
    view: dict[str, Any] | None = None,
    response_url: str | None = None,
) -> dict[str, Any]:
    body = _envelope(identity, "block_actions", user, trigger_id)
    body.update(container=container, actions=[act], state={"values": {}})
    if channel is not None:
        body["channel"] = channel
    if message is not None:
        body["message"] = message
    if view is not None:
        body["view"] = view
    if response_url is not None:
        body["response_url"] = response_url
    return body


def view_state(blocks: list[dict[str, Any]], values: dict[str, Any]) -> dict[str, Any]:
    """state.values of a modal: every input block, filled from `values` by action_id.
    A dict value is taken as the raw state entry; other values are shaped per element type."""
    state: dict[str, dict[str, Any]] = {}
    unused = set(values)
    for block in blocks:
        element = block.get("element") if block.get("type") == "input" else None
        if not isinstance(element, dict):
            continue
        action_id = element.get("action_id", "")
        given = values.get(action_id)
        unused.discard(action_id)
        entry = (
            given
            if isinstance(given, dict)
            else {"type": element.get("type"), **selection(element, given)}
        )
        state.setdefault(block.get("block_id", action_id), {})[action_id] = entry
    if unused:
        raise LookupError(f"the view has no input with action_id {sorted(unused)}")
    return {"values": state}


def view_submission(
    identity: Identity,
    user: dict[str, Any],
    view: dict[str, Any],
    values: dict[str, Any],
    *,
    trigger_id: str,
) -> dict[str, Any]:
    body = _envelope(identity, "view_submission", user, trigger_id)
    body["view"] = {**view, "state": view_state(view.get("blocks") or [], values)}
    body["response_urls"] = []
    return body


def slash_command(
    identity: Identity,
    user_id: str,
    user_name: str,
    command: str,
    text: str,
    *,
    channel_id: str,
    channel_name: str,
    response_url: str,
    trigger_id: str,
) -> dict[str, str]:
    return {
        "token": identity.verification_token,
        "team_id": identity.team_id,
        "team_domain": identity.team_domain,
        "channel_id": channel_id,
        "channel_name": channel_name,
        "user_id": user_id,
        "user_name": user_name,
        "command": command,
        "text": text,
        "api_app_id": identity.app_id,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id,
    }


def event_callback(
    identity: Identity, event: dict[str, Any], *, event_id: str, event_time: int
) -> dict[str, Any]:
    return {
        "token": identity.verification_token,
        "team_id": identity.team_id,
        "api_app_id": identity.app_id,
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": event_time,
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": identity.team_id,
                "user_id": identity.bot_user_id,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
    }


def app_home_opened(
    user_id: str,
    channel_id: str,
    event_ts: str,
    *,
    tab: str = "home",
    view: dict[str, Any] | None = None,
) -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": "app_home_opened",
        "user": user_id,
        "channel": channel_id,
        "tab": tab,
        "event_ts": event_ts,
    }
    if view is not None:
        event["view"] = view
    return event


def url_verification(identity: Identity, challenge: str) -> dict[str, str]:
    return {
        "token": identity.verification_token,
        "challenge": challenge,
        "type": "url_verification",
    }
