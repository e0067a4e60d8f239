"""Intake's PostgreSQL round trips, pipelined (psycopg pipeline mode).

Every lead is routed under one advisory lock, so what counts is how long a transaction holds
it, and on a busy server each round trip also waits for the Python thread to get the GIL back.
Two flights instead of five: [idempotency check, lock, routing state] and [the writes, COMMIT].
The statements stay separate, so the state query takes its snapshot after the lock is granted
and sees every lead routed before.

The SQL is SQLAlchemy's, compiled once for the connection's dialect; the values are adapted
here as the models' types would (times are naive UTC in the database).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import psycopg
from sqlalchemy import ClauseElement, Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import IntegrityError

from storage import db


def read(
    conn: Connection,
    seen: ClauseElement | None,
    seen_params: dict[str, Any],
    state: ClauseElement,
    state_params: dict[str, Any],
) -> tuple[Any, list[Sequence[Any]]]:
    """Run `seen` (if any), take the routing lock and run `state`, in one flight.
    Returns seen's first value (or None) and state's rows (times made aware)."""
    raw = conn.connection.driver_connection
    seen_cursor = None
    with raw.pipeline():
        if seen is not None:
            seen_cursor = raw.cursor()
            seen_cursor.execute(*_compiled(seen, conn.dialect, seen_params))
        raw.execute(db.ROUTING_LOCK_SQL)
        state_cursor = raw.cursor()
        state_cursor.execute(*_compiled(state, conn.dialect, state_params))
    conn.info["routing_lock"] = conn.get_transaction()  # (see storage.db.serialize_routing)
    found = seen_cursor.fetchone() if seen_cursor is not None else None
    rows = [tuple(_aware(value) for value in row) for row in state_cursor.fetchall()]
    return (found[0] if found else None), rows


def write_and_commit(
    conn: Connection, statement: ClauseElement, params: dict[str, Any]
) -> Sequence[Any]:
    """Run `statement` and COMMIT in one flight; returns its first row. The caller's
    SQLAlchemy transaction then finds nothing left to commit."""
    raw = conn.connection.driver_connection
    sql, values = _compiled(statement, conn.dialect, params)
    try:
        with raw.pipeline():
            cursor = raw.cursor()
            cursor.execute(sql, values)
            raw.commit()
    except psycopg.IntegrityError as exc:  # as SQLAlchemy would raise it
        raise IntegrityError(sql, values, exc) from exc
    row = cursor.fetchone()
    assert row is not None
    return row


def _compiled(
    statement: ClauseElement, dialect: Dialect, params: dict[str, Any]
) -> tuple[str, dict[str, Any]]:
    sql, defaults = _compile(statement, dialect)
    return sql, {**defaults, **{name: _naive(value) for name, value in params.items()}}


_COMPILED: dict[tuple[int, str], tuple[str, dict[str, Any]]] = {}


def _compile(statement: ClauseElement, dialect: Dialect) -> tuple[str, dict[str, Any]]:
    """Compiled once per statement (module constants) and kind of database."""
    key = (id(statement), dialect.name)
    if key not in _COMPILED:
        compiled = statement.compile(dialect=dialect)
        _COMPILED[key] = compiled.string, dict(compiled.params)
    return _COMPILED[key]


def _naive(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("store aware datetimes only")
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def _aware(value: Any) -> Any:
    return value.replace(tzinfo=UTC) if isinstance(value, datetime) else value
