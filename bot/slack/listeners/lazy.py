"""Ack at once, work after: Slack gets its answer before any database or Web API call."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack


def _ack_now(ack: Ack) -> None:
    ack()


def later(register: Callable[..., Any]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """`@later(app.action(ID))`: ack on the request's own thread and run the handler as a Bolt
    lazy listener. (A handler's own ack() call is then a harmless no-op.)"""

    def decorate(handler: Callable[..., Any]) -> Callable[..., Any]:
        register(ack=_ack_now, lazy=[handler])
        return handler

    return decorate
