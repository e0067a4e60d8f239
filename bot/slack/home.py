"""Publishing the App Home: the rep's queue and availability, and the manager's team board."""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient
from sqlmodel import col, select

from bot.runtime import Runtime
from bot.slack.views import home_view
from routing import permissions
from storage.db import read_only
from storage.lifecycle import open_leads
from storage.models import OPEN_STATES, UNCLAIMED_STATES, Availability, LeadRow


def publish_home(runtime: Runtime, client: WebClient, slack_user_id: str) -> None:
    config = runtime.config
    rep = config.rep_by_slack_id(slack_user_id)
    actor = rep.id if rep else slack_user_id
    now = runtime.now()
    board: dict[str, Any] | None = None
    with read_only(runtime.engine) as session:
        mine = (
            session.exec(
                select(LeadRow)
                .where(LeadRow.owner == actor)
                .where(col(LeadRow.state).in_(OPEN_STATES))
                .order_by(col(LeadRow.assigned_at))
            ).all()
            if rep
            else []
        )
        away = session.get(Availability, actor) if rep else None
        if permissions.is_manager(config, actor):
            board = {
                "away": {a.rep: a for a in session.exec(select(Availability)).all()},
                "open_leads": open_leads(session),
                "unclaimed": session.exec(
                    select(LeadRow)
                    .where(col(LeadRow.state).in_(UNCLAIMED_STATES))
                    .order_by(col(LeadRow.created_at))
                    .limit(50)
                ).all(),
            }
    view = home_view(config, actor, now, my_leads=mine, away=away, board=board)
    client.views_publish(user_id=slack_user_id, view=view)
