"""Background work in the `serve` process: outbox delivery (bot.slack.dispatch, woken at once
by every change), and on APScheduler the escalation sweep and the end of /away periods.

The database holds every due time, so a restart picks up where it left off, and several
replicas never do the same work twice (leases and SKIP LOCKED in storage/)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from bot.crm.outcomes import poll_salesforce
from bot.jobs.digest import send_digest
from bot.runtime import Runtime
from bot.slack.delivery import Delivery
from bot.slack.dispatch import Dispatcher
from storage import availability, escalation, event_feed, slack_requests

log = logging.getLogger(__name__)

ESCALATION_SECONDS = 5
AWAY_SECONDS = 30


class Background:
    """Everything `serve` runs besides HTTP; `--no-scheduler` replicas run none of it."""

    def __init__(self, runtime: Runtime, delivery: Delivery | None) -> None:
        # APScheduler logs every run at INFO (several a second here): keep warnings and errors.
        logging.getLogger("apscheduler").setLevel(logging.WARNING)
        self.loop = (
            Dispatcher(delivery, runtime.settings.slack_workers) if delivery is not None else None
        )
        self.jobs = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(2)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 30},
            timezone=UTC,
        )
        self.jobs.add_job(
            escalate,
            "interval",
            args=[runtime],
            seconds=ESCALATION_SECONDS,
            id="escalate",
            next_run_time=datetime.now(UTC),
        )
        self.jobs.add_job(end_away, "interval", args=[runtime], seconds=AWAY_SECONDS, id="away")
        self.jobs.add_job(
            forget_old_slack_requests, "interval", args=[runtime], minutes=5, id="replays"
        )
        crm = runtime.config.crm
        if crm is not None and crm.provider == "salesforce":
            self.jobs.add_job(
                poll_salesforce, "interval", args=[runtime], minutes=5, id="salesforce"
            )
        if runtime.config.events:
            self.jobs.add_job(feed_events, "interval", args=[runtime], seconds=1, id="events")
        if runtime.config.digest is not None:
            self.jobs.add_job(send_digest, "interval", args=[runtime], minutes=5, id="digest")
        if self.loop is not None:
            runtime.kick = self.loop.kick

    def start(self) -> Background:
        if self.loop is not None:
            self.loop.start()
        self.jobs.start()
        return self

    def stop(self) -> None:
        self.jobs.shutdown(wait=True)
        if self.loop is not None:
            self.loop.stop()


def escalate(runtime: Runtime) -> None:
    """Every due ladder step, each once; a full batch means more are due, so go again."""
    while True:
        taken = escalation.sweep(runtime.engine, runtime.config, runtime.now())
        for step in taken:
            runtime.metrics.escalations.labels(step.action).inc()
        if taken:
            runtime.kick()
        if len({step.lead_id for step in taken}) < escalation.BATCH:
            return


def feed_events(runtime: Runtime) -> None:
    """New events to the outbound webhooks that want them (storage.event_feed)."""
    wanted = {name: {str(e) for e in sub.events} for name, sub in runtime.config.events.items()}
    if event_feed.feed(runtime.engine, wanted, runtime.now()):
        runtime.kick()


def forget_old_slack_requests(runtime: Runtime) -> None:
    """Replays are refused by their timestamp after 5 minutes; their record can go."""
    slack_requests.prune(runtime.engine, runtime.now())


def end_away(runtime: Runtime) -> None:
    back = availability.end_due_away(runtime.engine, runtime.config, runtime.now())
    if back:
        log.info("back from time away: %s", ", ".join(back))
        runtime.kick()
