"""/routing-stats [today|7d|30d|90d] [pool] — managers only; an ephemeral report."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from slack_bolt import App, BoltContext, Respond
from slack_sdk import WebClient

from bot import stats_render
from bot.runtime import Runtime
from bot.slack.ids import Command
from bot.slack.listeners.lazy import later
from bot.slack.people import slack_zone
from routing import RoutingConfig, rulebook
from storage import queries
from storage.analytics import PERIODS, build_report, period_start

USAGE = "Usage: `/routing-stats [today|7d|30d|90d] [pool]`, e.g. `/routing-stats 7d emea-smb`."


def parse_args(text: str, config: RoutingConfig) -> tuple[str, str | None]:
    """Period and pool in any order; ValueError with the usage for anything else."""
    period, pool = "7d", None
    for word in text.split():
        if word.lower() in PERIODS:
            period = word.lower()
        elif word in config.pools and pool is None:
            pool = word
        else:
            known = ", ".join(sorted(config.pools))
            raise ValueError(f"I don't know {word!r}. {USAGE}\nPools: {known}.")
    return period, pool


def register(app: App, runtime: Runtime) -> None:
    config = runtime.config

    @later(app.command(Command.routing_stats.value))
    def routing_stats(
        command: dict[str, Any], context: BoltContext, client: WebClient, respond: Respond
    ) -> None:
        if not rulebook.is_manager(config, context["actor"]):
            respond(
                "Sorry, /routing-stats is for managers listed in routing.yml. "
                "Ask your manager or sales-ops admin for the numbers."
            )
            return
        try:
            period, pool = parse_args(command.get("text", ""), config)
        except ValueError as problem:
            respond(str(problem))
            return
        now = runtime.now()
        zone_now = None
        if period == "today":  # "today" is the asker's own day
            fallback = ZoneInfo(config.timezone)
            zone_now = now.astimezone(slack_zone(client, command["user_id"], fallback))
        report = build_report(
            runtime.engine, config, period_start(period, now, zone_now), now, pool
        )
        respond(
            blocks=stats_render.blocks(report, config, period, _links(runtime, client, report)),
            text=f"Routing stats · {period}",
        )


def _links(runtime: Runtime, client: WebClient, report: Any) -> dict[int, str]:
    """Permalinks to a posted card of each of the oldest unclaimed leads."""
    links: dict[int, str] = {}
    oldest = [lead.id for lead in report.oldest_unclaimed]
    copies = queries.first_card_copies(runtime.engine, oldest)
    for lead_id, copy in copies.items():
        try:
            answer = client.chat_getPermalink(channel=copy.channel, message_ts=copy.ts)
        except Exception:  # a link is a nicety; the report stands without it
            continue
        links[lead_id] = answer["permalink"]
    return links
