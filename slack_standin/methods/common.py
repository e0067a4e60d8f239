"""Argument handling shared by the Web API method handlers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_standin.errors import SlackError
from slack_standin.workspace import Workspace

Handler = Callable[[Workspace, dict[str, Any]], dict[str, Any]]


def required(params: dict[str, Any], name: str) -> Any:
    value = params.get(name)
    if value in (None, ""):
        raise SlackError(
            "invalid_arguments",
            response_metadata={"messages": [f"[ERROR] missing required field: {name}"]},
        )
    return value


def flag(params: dict[str, Any], name: str) -> bool:
    """Form bodies carry booleans as strings; JSON bodies as booleans."""
    value = params.get(name)
    if isinstance(value, str):
        return value.lower() in ("1", "true", "yes")
    return bool(value)


def invalid(error: str, problems: list[str]) -> SlackError:
    """Slack's shape for schema problems: the list in `errors` and in response_metadata."""
    return SlackError(
        error,
        errors=problems,
        response_metadata={"messages": [f"[ERROR] {p}" for p in problems]},
    )
