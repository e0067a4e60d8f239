"""Many rows into several tables at the end of a transaction, with little Python per row;
and, on PostgreSQL, intake's locked read in one round trip.

Intake ends each batch with rows for six tables that need no answer back. SQLAlchemy would
pass every value of every row through its type processors; here each statement is compiled once
per database and set of columns, only the values that need it are converted (aware times to
naive UTC, JSON to text) exactly as the models' types convert them, and the rows go to the
driver's executemany. On PostgreSQL all the statements also travel in one round trip (psycopg's
pipeline mode) instead of one each. Rows read back exactly as if SQLAlchemy had written them.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cache
from typing import Any

import psycopg
from sqlalchemy import JSON, Connection, Row, Select
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.sql.dml import Insert

from storage import db
from storage.models import UTCDateTime

Write = tuple[Insert, Sequence[dict[str, Any]]]  # a statement and its rows (same keys each)


def insert_all(conn: Connection, writes: Sequence[Write], *, commit: bool = False) -> None:
    """Run every write, in order, inside the caller's transaction. `commit`: on PostgreSQL,
    COMMIT in the same round trip (the caller's transaction then finds nothing left to do)."""
    raw = conn.connection.driver_connection
    writes = [(statement, rows) for statement, rows in writes if rows]
    for statement, rows in writes:
        if any(row.keys() != rows[0].keys() for row in rows):
            raise ValueError(f"{statement.table}: rows of one write must have the same columns")
    with _as_sqlalchemy_errors():
        if conn.dialect.name == "postgresql":
            with raw.pipeline(), raw.cursor() as cursor:  # type: ignore[union-attr]
                for statement, rows in writes:
                    sql, convert = _compiled(statement, tuple(rows[0]), conn.dialect)
                    cursor.executemany(sql, [convert(row) for row in rows])
                if commit:
                    raw.commit()  # type: ignore[union-attr]
        else:
            for statement, rows in writes:
                _sqlite_insert(raw, statement, rows, conn.dialect)  # type: ignore[arg-type]


@contextmanager
def _as_sqlalchemy_errors() -> Iterator[None]:
    """The driver's errors as SQLAlchemy raises them, so callers tell a conflict (Integrity)
    from a database in trouble (Operational: down, full, read-only) as everywhere else."""
    try:
        yield
    except (psycopg.IntegrityError, sqlite3.IntegrityError) as exc:
        raise IntegrityError(str(exc), None, exc) from exc
    except (psycopg.OperationalError, sqlite3.OperationalError) as exc:
        raise OperationalError(str(exc), None, exc) from exc
    except (psycopg.Error, sqlite3.Error) as exc:
        raise DBAPIError(str(exc), None, exc) from exc


def _sqlite_insert(
    raw: sqlite3.Connection, statement: Insert, rows: Sequence[dict[str, Any]], dialect: Dialect
) -> None:
    """All the rows in multi-row INSERTs: one statement, not one step per row, and so one
    release of the GIL (the sqlite3 module lets it go around every step, and the writer then
    waits to get it back from the threads serving HTTP)."""
    sql, convert = _compiled(statement, tuple(rows[0]), dialect)
    values = [convert(row) for row in rows]
    limit = raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)  # 999 before SQLite 3.32
    per_statement = max(1, limit // len(values[0]))
    for start in range(0, len(values), per_statement):
        chunk = values[start : start + per_statement]
        raw.execute(_multi_row(sql, len(chunk)), [value for row in chunk for value in row])


@cache
def _multi_row(sql: str, rows: int) -> str:
    head, _, rest = sql.partition(" VALUES ")
    one_row, _, tail = rest.partition(")")  # (?, ?, …) then ON CONFLICT … if an upsert
    return f"{head} VALUES {', '.join([one_row + ')'] * rows)}{tail}"


def read_locked(
    conn: Connection, query: Select, params: dict[str, Any], *, new_ids: int
) -> tuple[list[Row], list[int]]:
    """PostgreSQL: take the routing lock, run `query` and draw `new_ids` lead ids, in one
    round trip (and the BEGIN with them). Separate statements, so the query's snapshot is
    taken once the lock is granted and sees every lead routed before. Rows come back as
    SQLAlchemy would give them (aware times)."""
    raw = conn.connection.driver_connection
    sql, constants = _compiled_query(query, conn.dialect)
    values = {k: _naive_utc(v) if isinstance(v, datetime) else v for k, v in params.items()}
    values = {**constants, **values}
    with (
        _as_sqlalchemy_errors(),
        raw.pipeline(),  # type: ignore[union-attr]
        raw.cursor() as lock,  # type: ignore[union-attr]
        raw.cursor() as read,  # type: ignore[union-attr]
        raw.cursor() as ids,  # type: ignore[union-attr]
    ):
        lock.execute(db.ROUTING_LOCK_SQL)
        read.execute(sql, values)
        ids.execute(NEW_LEAD_IDS, {"n": new_ids})
        rows, drawn = read.fetchall(), sorted(lead_id for (lead_id,) in ids.fetchall())
    conn.info["routing_lock"] = conn.get_transaction()  # (see storage.db.serialize_routing)
    return [tuple(_aware(v) for v in row) for row in rows], drawn  # type: ignore[misc]


NEW_LEAD_IDS = (
    "SELECT nextval(pg_get_serial_sequence('leads', 'id')) FROM generate_series(1, %(n)s)"
)


@cache
def _compiled_query(query: Select, dialect: Dialect) -> tuple[str, dict[str, Any]]:
    """The SQL, and the values SQLAlchemy binds for the query's own constants."""
    compiled = query.compile(dialect=dialect)
    return compiled.string, dict(compiled.params)


def _aware(value: Any) -> Any:
    return value.replace(tzinfo=UTC) if isinstance(value, datetime) else value


@cache
def _compiled(
    statement: Insert, columns: tuple[str, ...], dialect: Dialect
) -> tuple[str, Callable[[dict[str, Any]], Any]]:
    compiled = statement.compile(dialect=dialect, column_keys=list(columns), for_executemany=True)
    table = statement.table
    to_sql: dict[str, Callable[[Any], Any]] = {}
    for name in columns:
        kind = table.c[name].type  # type: ignore[attr-defined]
        if isinstance(kind, UTCDateTime):
            to_sql[name] = _naive_utc if dialect.name == "postgresql" else _sqlite_time
        elif isinstance(kind, JSON):
            to_sql[name] = json.dumps  # (None too, as 'null': SQLAlchemy's JSON does the same)
    order = compiled.positiontup  # SQLite's ? placeholders; PostgreSQL's are named
    if order is not None and (missing := set(order) - set(columns)):
        raise ValueError(f"{table}: rows lack {sorted(missing)}")

    def convert(row: dict[str, Any]) -> Any:
        values = dict(row)
        for name, to_value in to_sql.items():
            if values[name] is not None or to_value is json.dumps:
                values[name] = to_value(values[name])
        return values if order is None else tuple(values[name] for name in order)

    return compiled.string, convert


def _naive_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("store aware datetimes only")
    return value.astimezone(UTC).replace(tzinfo=None)


def _sqlite_time(value: datetime) -> str:
    """As SQLAlchemy's SQLite DATETIME stores it: '2026-11-22 04:38:04.487041'."""
    return _naive_utc(value).isoformat(sep=" ", timespec="microseconds")
