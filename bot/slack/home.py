"""Publishing the App Home: the rep's queue and availability, and the manager's team board."""

from __future__ import annotations

from slack_sdk import WebClient

from bot.runtime import Runtime
from bot.slack.views import home_view
from routing import rulebook
from storage import queries


def publish_home(runtime: Runtime, client: WebClient, slack_user_id: str) -> None:
    config = runtime.config
    rep = config.rep_by_slack_id(slack_user_id)
    actor = rep.id if rep else slack_user_id
    engine = runtime.engine
    mine = queries.open_leads_of(engine, actor) if rep else []
    away = queries.away_of(engine, actor) if rep else None
    board = None
    if rulebook.is_manager(config, actor):  # the team board of what they manage
        board = queries.board(
            engine,
            pools=rulebook.managed_pools(config, actor),
            reps=rulebook.managed_reps(config, actor),
        )
    view = home_view(config, actor, runtime.now(), my_leads=mine, away=away, board=board)
    client.views_publish(user_id=slack_user_id, view=view)
