"""The Web API methods the stand-in answers, by name."""

from __future__ import annotations

from slack_standin.methods import chat, history, people, views
from slack_standin.methods.common import Handler

HANDLERS: dict[str, Handler] = {
    **chat.HANDLERS,
    **history.HANDLERS,
    **people.HANDLERS,
    **views.HANDLERS,
}

__all__ = ["HANDLERS", "Handler"]
