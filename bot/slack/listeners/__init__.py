"""Every Slack listener, one module per kind; each has register(app, runtime)."""

from __future__ import annotations

from slack_bolt import App

from bot.runtime import Runtime
from bot.slack.listeners import actions, commands, events, fallbacks, stats, views


def register(app: App, runtime: Runtime) -> None:
    for kind in (actions, views, commands, stats, events, fallbacks):  # fallbacks last
        kind.register(app, runtime)
