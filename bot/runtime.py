"""What a running leadrouter holds: settings, routing config, database, metrics and a clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine

from bot.metrics import Metrics
from bot.settings import Settings
from bot.slack.status import SlackStatus
from routing import RoutingConfig, load_config
from storage.db import make_engine
from storage.intake_queue import IntakeQueue
from storage.migrate import upgrade

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Runtime:
    settings: Settings
    config: RoutingConfig
    engine: Engine
    clock: Clock = utc_now
    metrics: Metrics = field(default_factory=Metrics)
    # Wakes the outbox delivery at once after a change (set by the scheduler when it runs).
    kick: Callable[[], None] = field(default=lambda: None)
    # routing.yml's crm:, when set (bot.crm.service.CrmService; set by bot.server.assemble)
    crm: Any = None

    # New leads are written through one queue, several per transaction under load.
    intake: IntakeQueue = field(init=False)
    # Whether Slack takes the bot token (delivery pauses while it does not; /healthz says so).
    slack: SlackStatus = field(init=False)

    def __post_init__(self) -> None:
        self.metrics.watch_outbox(self.engine, self.now)
        self.slack = SlackStatus(self.metrics.slack_paused, self.now)
        self.intake = IntakeQueue(
            self.engine, self.config, on_batch=self.metrics.intake_batch_size.observe
        )

    def now(self) -> datetime:
        return self.clock()


def build_runtime(
    settings: Settings | None = None, *, migrate: bool = True, clock: Clock = utc_now
) -> Runtime:
    """Load the config (raises routing.ConfigError naming file and line), open the database,
    bring its schema up to date unless told not to."""
    settings = settings or Settings()
    config = load_config(settings.routing_config)
    engine = make_engine(settings.database_url)
    if migrate:
        upgrade(engine)
    return Runtime(settings=settings, config=config, engine=engine, clock=clock)
