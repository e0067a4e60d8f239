"""Slack requests already handled: the guard that makes a replay, or a retried event, a no-op.

A signed request replayed inside Slack's 5-minute window carries the same signature; an
Events API retry (X-Slack-Retry-Num) carries the same event_id. The first to insert its key
handles the request; every later copy, on any replica, finds the key and does nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine, delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col

from storage.db import transaction
from storage.models import SlackRequestSeen

KEEP = timedelta(minutes=10)  # Slack refuses timestamps over 5 minutes old; keep twice that


def first_time(engine: Engine, key: str, now: datetime) -> bool:
    """True for the first request with this key; False for a replay or a retry."""
    insert = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(SlackRequestSeen)
        .values(key=key[:100], seen_at=now)
        .on_conflict_do_nothing()
        .returning(col(SlackRequestSeen.key))  # a row back only when this insert made it
    )
    with transaction(engine) as session:
        return session.execute(statement).first() is not None


def prune(engine: Engine, now: datetime) -> int:
    with transaction(engine) as session:
        result = session.execute(
            delete(SlackRequestSeen).where(col(SlackRequestSeen.seen_at) < now - KEEP)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
