"""Prometheus metrics, one registry per app (tests build many apps in one process)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine

from storage import outbox
from storage.db import read_only

SPEED_BUCKETS = (5, 15, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600, 24 * 3600)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.leads_received = Counter(
            "leadrouter_leads_received",
            "Leads accepted by the webhooks",
            ["source"],
            registry=self.registry,
        )
        self.leads_routed = Counter(
            "leadrouter_leads_routed",
            "Routing outcomes of new leads",
            ["outcome", "rule"],
            registry=self.registry,
        )
        self.duplicates = Counter(
            "leadrouter_repeat_touches",
            "Leads that joined an open lead of the same email",
            registry=self.registry,
        )
        self.rejected = Counter(
            "leadrouter_webhook_rejected",
            "Webhook deliveries refused",
            ["source", "status"],
            registry=self.registry,
        )
        self.intake_seconds = Histogram(
            "leadrouter_intake_seconds",
            "Time to verify, store and route one lead",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
            registry=self.registry,
        )
        self.intake_batch_size = Histogram(
            "leadrouter_intake_batch_size",
            "Leads written together in one intake transaction (more under load)",
            buckets=(1, 2, 4, 8, 16, 32, 64),
            registry=self.registry,
        )
        self.slack_ack_seconds = Histogram(
            "leadrouter_slack_ack_seconds",
            "From a Slack request's arrival to our ack",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 3),
            registry=self.registry,
        )
        self.time_to_claim = Histogram(
            "leadrouter_time_to_claim_seconds",
            "Assignment to claim",
            ["pool"],
            buckets=SPEED_BUCKETS,
            registry=self.registry,
        )
        self.slack_calls = Counter(
            "leadrouter_slack_calls",
            "Slack Web API calls by method and result",
            ["method", "result"],
            registry=self.registry,
        )
        self.escalations = Counter(
            "leadrouter_escalations",
            "Ladder steps taken",
            ["action"],
            registry=self.registry,
        )
        self.notifications = Counter(
            "leadrouter_notifications",
            "Outbox deliveries by kind and result",
            ["kind", "result"],
            registry=self.registry,
        )

        self.slack_paused = Gauge(
            "leadrouter_slack_delivery_paused",
            "1 while Slack refuses the bot token and delivery waits (label: Slack's error)",
            ["error"],
            registry=self.registry,
        )
        self.slack_in_flight = Gauge(
            "leadrouter_slack_calls_in_flight",
            "Slack Web API calls waiting for their answer",
            registry=self.registry,
        )
        self.slack_ratelimited = Counter(
            "leadrouter_slack_ratelimited",
            "Slack calls answered 429 (rate limited), by method",
            ["method"],
            registry=self.registry,
        )
        self.slack_refused = Counter(
            "leadrouter_slack_requests_refused",
            "Requests to /slack/events refused before any work, by reason",
            ["reason"],
            registry=self.registry,
        )

    def watch_outbox(self, engine: Engine, clock: Callable[[], datetime]) -> None:
        self.registry.register(_OutboxCollector(engine, clock))


class _OutboxCollector(Collector):
    """Reads the outbox backlog at scrape time, so every replica reports the shared truth."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime]) -> None:
        self.engine = engine
        self.clock = clock

    def collect(self) -> Iterator[GaugeMetricFamily]:
        with read_only(self.engine) as session:
            counts = outbox.backlog(session, self.clock())
            queue = outbox.queue_by_priority(session)
            oldest = outbox.oldest_dm_card(session)
        gauge = GaugeMetricFamily(
            "leadrouter_outbox_messages", "Slack notifications not delivered yet", labels=["status"]
        )
        for status, count in counts.items():
            gauge.add_metric([status], count)
        yield gauge
        by_priority = GaugeMetricFamily(
            "leadrouter_outbox_queue",
            "Pending notifications by priority: 0 DM cards, 1 card changes, 2 the rest",
            labels=["priority"],
        )
        for priority, count in sorted(queue.items()):
            by_priority.add_metric([str(priority)], count)
        yield by_priority
        age = (self.clock() - oldest).total_seconds() if oldest is not None else 0.0
        yield GaugeMetricFamily(
            "leadrouter_outbox_oldest_dm_card_seconds",
            "Age of the oldest DM card not delivered yet (0: none waiting)",
            value=max(age, 0.0),
        )
