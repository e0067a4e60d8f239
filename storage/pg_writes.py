"""Many INSERTs in one PostgreSQL round trip (psycopg's pipeline mode).

A batch of new leads ends with rows for five tables that need no answer back. Sent one statement
at a time, each is a round trip during which the writer thread waits for the network and then
for the GIL; in one pipeline they cost one. The SQL is SQLAlchemy's, compiled for PostgreSQL once
per statement and set of columns; the values are converted as the models' types would convert
them (aware times to naive UTC, JSON to text), so rows read back exactly as if SQLAlchemy had
written them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import cache
from typing import Any

import psycopg
from sqlalchemy import JSON, Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.dml import Insert

from storage.models import UTCDateTime

Write = tuple[Insert, Sequence[dict[str, Any]]]  # a statement and its rows (same columns each)


def insert_all(conn: Connection, writes: Sequence[Write]) -> None:
    """Run every write in order in one flight, inside the caller's transaction."""
    raw = conn.connection.driver_connection
    try:
        with raw.pipeline(), raw.cursor() as cursor:
            for statement, rows in writes:
                if not rows:
                    continue
                sql, convert = _compiled(statement, tuple(rows[0]), conn.dialect)
                cursor.executemany(sql, [convert(row) for row in rows])
    except psycopg.IntegrityError as exc:  # as SQLAlchemy would raise it
        raise IntegrityError(str(exc), None, exc) from exc


@cache
def _compiled(
    statement: Insert, columns: tuple[str, ...], dialect: Any
) -> tuple[str, Callable[[dict[str, Any]], dict[str, Any]]]:
    sql = statement.compile(dialect=dialect, column_keys=list(columns), for_executemany=True)
    table = statement.table
    converters: dict[str, Callable[[Any], Any]] = {}
    for name in columns:
        kind = table.c[name].type  # type: ignore[attr-defined]
        if isinstance(kind, UTCDateTime):
            converters[name] = _naive_utc
        elif isinstance(kind, JSON):
            converters[name] = json.dumps

    def convert(row: dict[str, Any]) -> dict[str, Any]:
        converted = dict(row)
        for name, to_sql in converters.items():
            value = converted[name]
            if value is not None:
                converted[name] = to_sql(value)
        return converted

    return sql.string, convert


def _naive_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("store aware datetimes only")
    return value.astimezone(UTC).replace(tzinfo=None)
