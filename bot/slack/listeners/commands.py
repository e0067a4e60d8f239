"""Slash commands: /away and /back (/routing-stats lives with the analytics)."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_bolt import App, BoltContext, Respond
from slack_sdk import WebClient
from sqlmodel import col, select

from bot.away_text import AwayUsageError, parse_away
from bot.runtime import Runtime
from bot.slack.cards import lead_title, span
from bot.slack.ids import Command
from bot.slack.listeners.lazy import later
from bot.slack.mrkdwn import escape
from routing import Rep
from storage import lifecycle
from storage.db import read_only
from storage.models import OPEN_STATES, LeadRow

NOT_A_REP = (
    "You are not a rep in routing.yml, so leads don't come to you. "
    "Ask your sales-ops admin to add your Slack id ({user})."
)


def register(app: App, runtime: Runtime) -> None:
    config = runtime.config

    def zone_of(client: WebClient, user_id: str, rep: Rep) -> ZoneInfo:
        """The rep's Slack time zone (what their clock shows), else the one in routing.yml."""
        try:
            tz = client.users_info(user=user_id)["user"].get("tz")
            return ZoneInfo(tz) if tz else rep.zone
        except (ZoneInfoNotFoundError, Exception):
            return rep.zone

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
                command.get("text", ""), now, zone_of(client, command["user_id"], rep)
            )
        except AwayUsageError as usage:
            respond(str(usage))
            return
        result = lifecycle.set_away(
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
        was_away = lifecycle.set_back(runtime.engine, config, rep.id, now, actor=rep.id)
        with read_only(runtime.engine) as session:
            queue = session.exec(
                select(LeadRow)
                .where(LeadRow.owner == rep.id)
                .where(col(LeadRow.state).in_(OPEN_STATES))
                .order_by(col(LeadRow.assigned_at))
            ).all()
        greeting = (
            "Welcome back! New leads come to you again."
            if was_away
            else ("You were not away: leads are coming to you.")
        )
        if not queue:
            respond(f"{greeting} Your queue is empty.")
            return
        lines = [
            f"• {escape(lead_title(lead))} · {lead.state} · "
            f"{span(now - (lead.assigned_at or lead.created_at))}"
            for lead in queue[:15]
        ]
        more = f"\n…and {len(queue) - 15} more (see the App Home)." if len(queue) > 15 else ""
        respond(f"{greeting} Your open leads ({len(queue)}):\n" + "\n".join(lines) + more)
