"""Round-robin credits per pool (routing.strategies), one row per pool."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql, sqlite

from storage.models import Rotation

ROTATIONS = Rotation.__table__  # type: ignore[attr-defined]


def save(conn: Connection, pool: str, credits: dict[str, int], now: datetime) -> None:
    """A pool's credits after a decision. The caller holds the routing lock."""
    conn.execute(upsert(conn.dialect.name), {"pool": pool, "credits": credits, "updated_at": now})


@cache
def upsert(dialect: str) -> Any:
    """The INSERT … ON CONFLICT statement for this kind of database."""
    insert_ = postgresql.insert(ROTATIONS) if dialect == "postgresql" else sqlite.insert(ROTATIONS)
    return insert_.on_conflict_do_update(
        index_elements=[ROTATIONS.c.pool],
        set_={"credits": insert_.excluded.credits, "updated_at": insert_.excluded.updated_at},
    )
