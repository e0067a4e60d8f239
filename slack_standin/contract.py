"""What Slack publishes about its Web API methods, read from data/web_api.json: which methods
read a JSON body (from Slack's OpenAPI spec, corrected by the current method pages) and which
bot scope each method the stand-in answers needs. The file names its sources."""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from typing import Any


@cache
def table() -> dict[str, Any]:
    return json.loads(files("slack_standin").joinpath("data/web_api.json").read_text("utf-8"))


@cache
def _json_methods() -> frozenset[str]:
    return frozenset(table()["json_methods"])


def accepts_json(method: str) -> bool:
    """Does Slack read the arguments of a JSON body sent to `method`?"""
    corrected = table()["page_corrections"].get(method, {})
    if "json" in corrected:
        return bool(corrected["json"])
    return method in _json_methods()


def bot_scope(method: str, conversation_kind: str | None = None) -> str | None:
    """The bot scope `method` needs (for some methods it depends on the conversation: "im",
    "channel", "private", "mpim"), or None when it needs none."""
    scope = table()["bot_scopes"].get(method)
    if isinstance(scope, dict):  # without a kind: the method's handler checks it
        return scope.get(conversation_kind) if conversation_kind else None
    return scope


def all_bot_scopes() -> frozenset[str]:
    found: set[str] = set()
    for method, scope in table()["bot_scopes"].items():
        if method.startswith("_"):
            continue
        found.update(scope.values() if isinstance(scope, dict) else [scope])
    return frozenset(found)
