"""/routing-stats [today|7d|30d|90d] [pool] — managers only; an ephemeral report.

Who sees what follows the rulebook's managers: a top-level manager sees every pool (all of
them together unless a pool is named); a pool's manager sees their own pools, one report per
pool unless one is named, and is told whose pool another one is."""

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
            pools = scoped_pools(config, context["actor"], pool)
        except ValueError as problem:
            respond(str(problem))
            return
        now = runtime.now()
        zone_now = None
        if period == "today":  # "today" is the asker's own day
            fallback = ZoneInfo(config.timezone)
            zone_now = now.astimezone(slack_zone(client, command["user_id"], fallback))
        since = period_start(period, now, zone_now)
        for each in pools:
            report = build_report(runtime.engine, config, since, now, each)
            respond(
                blocks=stats_render.blocks(report, config, period, _links(runtime, client, report)),
                text=f"Routing stats · {period}" + (f" · {each}" if each else ""),
            )


def scoped_pools(config: RoutingConfig, actor: str, asked: str | None) -> list[str | None]:
    """The reports to show: [None] (every pool together) for a top-level manager who named no
    pool, else the pool asked for or each pool the asker manages. ValueError for a pool that is
    not theirs, or when they manage reps but no pool."""
    managed = rulebook.managed_pools(config, actor)
    if managed is None:
        return [asked]
    if asked is not None:
        if asked not in managed:
            owner = config.pools[asked].manager
            whose = f"its manager, {_mention(config, owner)}" if owner else "top-level managers"
            raise ValueError(
                f"You manage {_listed(managed)}; the stats of {asked} are for {whose}."
            )
        return [asked]
    if not managed:
        raise ValueError(
            "You manage reps but no pool, and /routing-stats reports on pools. "
            "A top-level manager (managers: in routing.yml) sees every pool."
        )
    return sorted(managed)


def _listed(pools: set[str]) -> str:
    return ", ".join(sorted(pools)) if pools else "no pool"


def _mention(config: RoutingConfig, manager: str) -> str:
    """A pool's manager is a rep's key or a Slack member id."""
    rep = config.reps.get(manager)
    return f"<@{rep.slack_id if rep else manager}>"


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
