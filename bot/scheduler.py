"""Background work in the `serve` process (APScheduler): outbox delivery, the escalation
sweep and the end of /away periods. The database holds every due time, so a restart simply
picks up where it left off, and several replicas never do the same work twice (leases and
SKIP LOCKED in storage/)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from bot.runtime import Runtime
from bot.slack.delivery import Delivery
from storage import escalation, lifecycle

log = logging.getLogger(__name__)

DELIVERY_SECONDS = 2
ESCALATION_SECONDS = 5
AWAY_SECONDS = 30


def start_scheduler(runtime: Runtime, delivery: Delivery | None) -> BackgroundScheduler:
    # APScheduler logs every run at INFO (several a second here): keep warnings and errors.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    scheduler = BackgroundScheduler(
        executors={"default": ThreadPoolExecutor(4)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 30},
        timezone=UTC,
    )
    if delivery is not None:
        job = scheduler.add_job(
            delivery.run_once,
            "interval",
            seconds=DELIVERY_SECONDS,
            id="deliver",
            next_run_time=datetime.now(UTC),
        )

        def kick() -> None:  # a change was committed: deliver now rather than in 2 s
            try:
                job.modify(next_run_time=datetime.now(UTC))
            except Exception:  # the scheduler is shutting down
                log.debug("kick ignored", exc_info=True)

        runtime.kick = kick
    scheduler.add_job(
        lambda: escalate(runtime),
        "interval",
        seconds=ESCALATION_SECONDS,
        id="escalate",
        next_run_time=datetime.now(UTC),
    )
    scheduler.add_job(lambda: end_away(runtime), "interval", seconds=AWAY_SECONDS, id="away")
    scheduler.start()
    return scheduler


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


def end_away(runtime: Runtime) -> None:
    back = lifecycle.end_due_away(runtime.engine, runtime.config, runtime.now())
    if back:
        log.info("back from time away: %s", ", ".join(back))
        runtime.kick()
