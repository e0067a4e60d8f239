"""A running leadrouter against the Slack stand-in, in the test's process: webhooks in through
its TestClient, cards out to the stand-in, signed clicks back (tests/slack and others)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.runtime import Runtime
from bot.server import Server, assemble
from bot.settings import Settings
from routing import RoutingConfig
from slack_standin import SlackRequests, SlackStandin
from storage.db import make_engine
from storage.migrate import upgrade
from storage.models import SlackMessage
from tests.web.conftest import WEBHOOK_SECRET, MovableClock, sign_generic

SIGNING_SECRET = "slack-signing-secret-for-tests"


@dataclass
class Bot:
    """A running leadrouter (no background scheduler: tests deliver and sweep explicitly)."""

    server: Server
    http: TestClient
    slack: SlackRequests
    standin: SlackStandin
    clock: MovableClock

    @property
    def runtime(self) -> Runtime:
        return self.server.runtime

    @property
    def engine(self) -> Engine:
        return self.runtime.engine

    @property
    def config(self) -> RoutingConfig:
        return self.runtime.config

    def deliver(self) -> None:
        assert self.server.delivery is not None
        self.server.delivery.drain()

    def post_lead(self, **fields: object) -> dict:
        body = json.dumps(fields).encode()
        response = self.http.post(
            "/webhooks/leads",
            content=body,
            headers=sign_generic(body, int(self.clock().timestamp())),
        )
        assert response.status_code == 202, response.text
        return response.json()

    def card(self, channel: str, lead_id: int):  # type: ignore[no-untyped-def]
        """The current version of the lead's card in a channel, or in a user's DM (U…)."""
        if channel.startswith("U"):
            channel = self.standin.dm_channel(channel)
        with Session(self.engine) as session:
            copy = session.exec(
                select(SlackMessage)
                .where(SlackMessage.lead_id == lead_id)
                .where(SlackMessage.channel == channel)
            ).first()
        assert copy is not None, f"no card of lead {lead_id} was posted in {channel}"
        return next(m for m in self.standin.messages(channel) if m.ts == copy.ts)

    def card_text(self, channel: str, lead_id: int) -> str:
        return json.dumps(self.card(channel, lead_id).blocks, ensure_ascii=False)


def make_bot(  # type: ignore[no-untyped-def]
    standin: SlackStandin, tmp_path, now: datetime, config: RoutingConfig, **settings: object
) -> Bot:
    engine = make_engine(f"sqlite:///{tmp_path / 'bot.db'}")
    upgrade(engine)
    settings = Settings(
        slack_bot_token=standin.token,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=standin.url,
        webhook_secret=WEBHOOK_SECRET,
        # no .env unless a test gives one; the clock stands still: pacing has its own tests
        **{"_env_file": None, "slack_pacing": False, **settings},
    )
    clock = MovableClock(now)
    runtime = Runtime(settings=settings, config=config, engine=engine, clock=clock)
    server = assemble(runtime, scheduler=False)
    http = TestClient(server.app)
    return Bot(
        server,
        http,
        SlackRequests("http://testserver", SIGNING_SECRET, standin, http=http),
        standin,
        clock,
    )
