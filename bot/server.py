"""Putting the pieces together: HTTP app, Slack (HTTP or Socket Mode), outbox, scheduler."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from fastapi import FastAPI
from slack_bolt import App

from bot.crm.service import make_crm
from bot.jobs.scheduler import Background
from bot.runtime import Runtime
from bot.slack.app import build_bolt, make_client, router
from bot.slack.delivery import Delivery
from bot.web import create_app

log = logging.getLogger(__name__)


@dataclass
class Server:
    runtime: Runtime
    app: FastAPI
    bolt: App | None
    delivery: Delivery | None
    background: Background | None
    socket_mode: object | None = None

    def close(self) -> None:
        if self.background is not None:
            self.background.stop()
        if self.runtime.crm is not None:
            self.runtime.crm.close()
        if self.socket_mode is not None:
            self.socket_mode.close()  # type: ignore[attr-defined]
        self.runtime.intake.close()
        self.runtime.engine.dispose()


def assemble(runtime: Runtime, *, scheduler: bool = True) -> Server:
    settings = runtime.settings
    if runtime.crm is None:
        runtime.crm = make_crm(runtime.config, settings)
    bolt = delivery = None
    if settings.slack_bot_token and settings.slack_signing_secret:
        client = make_client(runtime)
        bolt = build_bolt(runtime, client)
        delivery = Delivery(runtime, make_client(runtime, retries=False))
    else:
        log.warning(
            "Slack is not configured (SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET): leads are "
            "stored and routed, and their notifications wait in the outbox"
        )
    for name, subscription in runtime.config.events.items():
        if not settings.secret(subscription.secret_env):
            log.warning(
                "events.%s: %s is not set: its events are given up unsent (`leadrouter outbox "
                "list --status dead`, then `outbox retry --kind webhook` once it is set)",
                name,
                subscription.secret_env,
            )
    app = create_app(runtime, router(bolt, runtime) if bolt else None)
    background = Background(runtime, delivery).start() if scheduler else None
    server = Server(runtime, app, bolt, delivery, background)
    if bolt is not None and settings.slack_app_token:
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        handler = SocketModeHandler(bolt, settings.slack_app_token.get_secret_value())
        handler.connect()  # Slack's requests arrive over a WebSocket; HTTP still takes webhooks
        server.socket_mode = handler
        log.info("Socket Mode connected")
    return server
