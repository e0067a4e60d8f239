"""Slash commands: /away and /back (/routing-stats lives with the analytics)."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, BoltContext, Respond
from slack_sdk import WebClient

from bot.runtime import Runtime
from bot.slack.away_text import AwayUsageError, parse_away
from bot.slack.ids import Command
from bot.slack.listeners.lazy import later
from bot.slack.people import slack_zone
from bot.slack.views import queue_line
from routing import Rep
from storage import availability, queries

NOT_A_REP = (
    "You are not a rep in routing.yml, so leads don't come to you. "
    "Ask your sales-ops admin to add your Slack id ({user})."
)


def register(app: App, runtime: Runtime) -> None:
    config = runtime.config

    @later(app.command(Command.away.value))
    def away(
        command: dict[str, Any], context: BoltContext, client: WebClient, respond: Respond
    ) -> None:
        rep: Rep | None = context["rep"]
        if rep is None:
            respond(NOT_A_REP.format(user=command["user_id"]))
            return
        now = runtime.now()
        try:
            request = parse_away(
                command.get("text", ""), now, slack_zone(client, command["user_id"], rep.zone)
            )
        except AwayUsageError as usage:
            respond(str(usage))
            return
        result = availability.set_away(
            runtime.engine,
            config,
            rep.id,
            now,
            until=request.until,
            note=request.note,
            actor=rep.id,
        )
        moved = len(result.rerouted)
        passed = (
            f" {moved} unclaimed lead{'s' if moved != 1 else ''} passed to your team."
            if moved
            else ""
        )
        respond(f"{request.understood}{passed}")
        runtime.kick()

    @later(app.command(Command.back.value))
    def back(command: dict[str, Any], context: BoltContext, respond: Respond) -> None:
        rep: Rep | None = context["rep"]
        if rep is None:
            respond(NOT_A_REP.format(user=command["user_id"]))
            return
        now = runtime.now()
        was_away = availability.set_back(runtime.engine, config, rep.id, now, actor=rep.id)
        queue = queries.open_leads_of(runtime.engine, rep.id)
        greeting = (
            "Welcome back! New leads come to you again."
            if was_away
            else ("You were not away: leads are coming to you.")
        )
        if not queue:
            respond(f"{greeting} Your queue is empty.")
            return
        lines = [f"• {queue_line(lead, now)}" for lead in queue[:15]]
        more = f"\n…and {len(queue) - 15} more (see the App Home)." if len(queue) > 15 else ""
        respond(f"{greeting} Your open leads ({len(queue)}):\n" + "\n".join(lines) + more)
