"""Events API: the App Home tab."""

from __future__ import annotations

from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from bot.runtime import Runtime
from bot.slack.home import publish_home
from bot.slack.listeners.lazy import later


def register(app: App, runtime: Runtime) -> None:
    @later(app.event("app_home_opened"))
    def home_opened(event: dict[str, Any], client: WebClient) -> None:
        if event.get("tab", "home") == "home":
            publish_home(runtime, client, event["user"])
