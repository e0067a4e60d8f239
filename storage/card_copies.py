"""Where each lead's card was posted (channel and ts), so every copy can be updated and a
retried post finds the copy it already made."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import select

from storage.db import read_only
from storage.models import SlackMessage


def exists(
    engine: Engine,
    lead_id: int,
    *,
    target: str | None = None,
    kind: str | None = None,
    rep: str | None = None,
) -> bool:
    """Was the card already posted there? `target` is the channel as configured (id or name)."""
    query = select(SlackMessage.id).where(SlackMessage.lead_id == lead_id)
    if target:
        query = query.where((SlackMessage.target == target) | (SlackMessage.channel == target))
    if kind:
        query = query.where(SlackMessage.kind == kind).where(SlackMessage.rep == rep)
    with read_only(engine) as session:
        return session.exec(query.limit(1)).first() is not None


def channel_of(engine: Engine, *, target: str | None = None, rep: str | None = None) -> str | None:
    """The channel id Slack gave an earlier card: of a channel configured by name (`target`),
    or of a rep's DM (`rep`)."""
    query = select(SlackMessage.channel)
    if rep is not None:
        query = query.where(SlackMessage.kind == "dm").where(SlackMessage.rep == rep)
    elif target is not None:
        query = query.where(SlackMessage.target == target)
    else:
        return None
    with read_only(engine) as session:
        return session.exec(query.limit(1)).first()


def copy(
    lead_id: int,
    channel: str,
    ts: str,
    kind: str,
    rep: str | None,
    now: datetime,
    target: str | None = None,
) -> SlackMessage:
    """The row of one posted copy, for the transaction that records the post as delivered."""
    return SlackMessage(
        lead_id=lead_id, channel=channel, ts=ts, target=target, kind=kind, rep=rep, posted_at=now
    )
