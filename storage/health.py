"""Is the database usable: can it be read, and can it be written?

A database that answers SELECT 1 may still refuse every lead: a read-only file or volume, a
full disk, a replica that became a standby. `check_writable` commits a small write and takes
it back (a row of a few KB in idempotency_keys, under a key no delivery can have), so
/healthz fails exactly when intake would.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Engine, delete, insert, text

from storage.models import IdempotencyKey

_KEYS = IdempotencyKey.__table__  # type: ignore[attr-defined]
_PADDING = "x" * 8192  # more than a page: a full database cannot take it


def check_readable(engine: Engine) -> None:
    """Raises the database's error when it cannot be reached or read."""
    with engine.execution_options(read_only=True).connect() as conn:  # (SQLite: no write lock)
        conn.execute(text("SELECT 1"))


def check_writable(engine: Engine, now: datetime) -> None:
    """Raises the database's error (SQLAlchemyError) when it cannot take a write."""
    key = f"/healthz:{uuid.uuid4().hex}"  # no source name holds a '/': no delivery's key
    with engine.begin() as conn:
        conn.execute(insert(_KEYS), {"key": key, "response": {"pad": _PADDING}, "created_at": now})
    with engine.begin() as conn:
        conn.execute(delete(_KEYS).where(_KEYS.c.key == key))
