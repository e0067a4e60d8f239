"""The weekly digest: last week's /routing-stats, sent by DM to every manager once a week.

Several replicas may run the scheduler: the first to take the routing lock records the week
as sent (an event), the others find it and send nothing."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from bot import stats_render
from bot.runtime import Runtime
from storage import outbox
from storage.analytics import build_report

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def send_digest(runtime: Runtime) -> bool:
    """Queue this week's digest if it is due and not yet sent; True if it was queued."""
    config = runtime.config
    if config.digest is None:
        return False
    now = runtime.now()
    local = now.astimezone(ZoneInfo(config.timezone))
    year, week, weekday = local.isocalendar()
    if (weekday - 1, local.hour) < (DAYS.index(config.digest.day), config.digest.hour):
        return False
    key = f"{year}-W{week:02d}"
    report = build_report(runtime.engine, config, now - timedelta(days=7), now)
    blocks = stats_render.blocks(report, config, "weekly digest, last 7 days")
    text = f"Weekly routing digest {key}"
    notices = [
        (outbox.Kind.alert, manager, {"channel": manager, "text": text, "blocks": blocks})
        for manager in config.manager_slack_ids()
    ]
    if not outbox.enqueue_once(runtime.engine, key, now, notices, event_kind="digest"):
        return False
    runtime.kick()
    return True
