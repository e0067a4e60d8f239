"""Writing a routed new lead: the lead row and every row that comes with it, in few statements.

Intake holds the routing lock while it writes, so every round trip to the database there is
time no other lead can be routed. On PostgreSQL all the rows go in ONE statement (the lead's
insert and the others as data-modifying CTEs that take its id), sent with the COMMIT; on
SQLite, where a statement is a function call, one Core statement per table. Both write the
same rows, built by storage.lifecycle's helpers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import Connection, TextClause, insert, text
from sqlalchemy.dialects import postgresql, sqlite

from storage import load, pipelined
from storage.models import (
    Assignment,
    Event,
    IdempotencyKey,
    LeadRow,
    OutboxMessage,
    RepLoad,
    Rotation,
)

LEADS = LeadRow.__table__  # type: ignore[attr-defined]
EVENTS = Event.__table__  # type: ignore[attr-defined]
ASSIGNMENTS = Assignment.__table__  # type: ignore[attr-defined]
OUTBOX = OutboxMessage.__table__  # type: ignore[attr-defined]
ROTATIONS = Rotation.__table__  # type: ignore[attr-defined]
IDEMPOTENCY = IdempotencyKey.__table__  # type: ignore[attr-defined]
LOAD = RepLoad.__table__  # type: ignore[attr-defined]
INSERT_LEAD = insert(LEADS).returning(LEADS.c.id)
INSERT_EVENTS, INSERT_OUTBOX = insert(EVENTS), insert(OUTBOX)
INSERT_ASSIGNMENT, INSERT_KEY = insert(ASSIGNMENTS), insert(IDEMPOTENCY)


@dataclass
class NewLead:
    """The rows of one routed lead; `lead_id` is left out of each (the insert gives it)."""

    lead: dict[str, Any]
    events: list[dict[str, Any]]
    messages: list[dict[str, Any]]
    assignment: dict[str, Any]
    rotation: dict[str, Any] | None = None  # the pool's new credits, when they moved
    load: dict[str, int] = field(default_factory=dict)  # rep -> change of open leads
    key: dict[str, Any] | None = None  # the idempotency row; response without lead_id


def write(conn: Connection, rows: NewLead) -> int:
    """Insert the lead and its rows; returns the lead's id. The last thing the transaction
    does: on PostgreSQL the COMMIT goes in the same round trip (storage.pipelined)."""
    if conn.dialect.name == "postgresql":
        return _write_postgres(conn, rows)
    return _write_each(conn, rows)


def _write_each(conn: Connection, rows: NewLead) -> int:
    lead_id: int = conn.execute(INSERT_LEAD, rows.lead).scalar_one()
    conn.execute(INSERT_EVENTS, [{**row, "lead_id": lead_id} for row in rows.events])
    if rows.messages:
        conn.execute(INSERT_OUTBOX, [{**row, "lead_id": lead_id} for row in rows.messages])
    conn.execute(INSERT_ASSIGNMENT, {**rows.assignment, "lead_id": lead_id})
    if rows.rotation is not None:
        conn.execute(_rotation_upsert(conn.dialect.name), rows.rotation)
    load.add(conn, rows.load)
    if rows.key is not None:
        response = {"lead_id": lead_id, **rows.key["response"]}
        conn.execute(INSERT_KEY, {**rows.key, "lead_id": lead_id, "response": response})
    return lead_id


@cache
def _rotation_upsert(dialect: str) -> Any:
    insert_ = postgresql.insert(ROTATIONS) if dialect == "postgresql" else sqlite.insert(ROTATIONS)
    return insert_.on_conflict_do_update(
        index_elements=[ROTATIONS.c.pool],
        set_={"credits": insert_.excluded.credits, "updated_at": insert_.excluded.updated_at},
    )


def save_rotation(conn: Connection, pool: str, credits: dict[str, int], now: datetime) -> None:
    """A pool's round-robin credits after a decision (both paths write them this way)."""
    conn.execute(
        _rotation_upsert(conn.dialect.name), {"pool": pool, "credits": credits, "updated_at": now}
    )


# ---------------------------------------------------------------- PostgreSQL: one statement


def _write_postgres(conn: Connection, rows: NewLead) -> int:
    params = {
        "lead": _json(rows.lead),
        "events": _json(rows.events),
        "messages": _json(rows.messages),
        "assignment": _json(rows.assignment),
        "rotations": _json([rows.rotation] if rows.rotation is not None else []),
        "loads": _json([{"rep": r, "open_leads": n} for r, n in sorted(rows.load.items()) if n]),
        "keys": _json([rows.key] if rows.key is not None else []),
    }
    return int(pipelined.write_and_commit(conn, _postgres_statement(), params)[0])


def _json(value: Any) -> str:
    return json.dumps(value, default=_naive_utc, separators=(",", ":"))


def _naive_utc(value: Any) -> str:
    """Times as UTCDateTime stores them: naive UTC."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("store aware datetimes only")
        return value.astimezone(UTC).replace(tzinfo=None).isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


@cache
def _postgres_statement() -> TextClause:
    """Columns come from the tables, so the statement follows the models."""

    def columns(table: Any, *skip: str) -> list[str]:
        return [c.name for c in table.c if c.name not in ("id", *skip)]

    def from_rows(table: Any, alias: str, names: list[str]) -> str:
        return ", ".join(f"{alias}.{name}" for name in names)

    lead_cols = columns(LEADS)
    event_cols = columns(EVENTS, "lead_id")
    message_cols = columns(OUTBOX, "lead_id")
    assignment_cols = columns(ASSIGNMENTS, "lead_id")
    key_cols = ["key", "created_at"]
    sql = f"""
WITH new_lead AS (
    INSERT INTO leads ({", ".join(lead_cols)})
    SELECT {from_rows(LEADS, "r", lead_cols)}
    FROM json_populate_record(NULL::leads, CAST(:lead AS json)) AS r
    RETURNING id
), new_events AS (
    INSERT INTO events (lead_id, {", ".join(event_cols)})
    SELECT new_lead.id, {from_rows(EVENTS, "r", event_cols)}
    FROM new_lead, json_populate_recordset(NULL::events, CAST(:events AS json))
        WITH ORDINALITY AS r
    ORDER BY r.ordinality
), new_messages AS (
    INSERT INTO outbox (lead_id, {", ".join(message_cols)})
    SELECT new_lead.id, {from_rows(OUTBOX, "r", message_cols)}
    FROM new_lead, json_populate_recordset(NULL::outbox, CAST(:messages AS json))
        WITH ORDINALITY AS r
    ORDER BY r.ordinality
), new_assignment AS (
    INSERT INTO assignments (lead_id, {", ".join(assignment_cols)})
    SELECT new_lead.id, {from_rows(ASSIGNMENTS, "r", assignment_cols)}
    FROM new_lead, json_populate_record(NULL::assignments, CAST(:assignment AS json)) AS r
), new_rotation AS (
    INSERT INTO rotations (pool, credits, updated_at)
    SELECT r.pool, r.credits, r.updated_at
    FROM json_populate_recordset(NULL::rotations, CAST(:rotations AS json)) AS r
    ON CONFLICT (pool) DO UPDATE
    SET credits = excluded.credits, updated_at = excluded.updated_at
), new_load AS (
    INSERT INTO rep_load (rep, open_leads)
    SELECT r.rep, r.open_leads
    FROM json_populate_recordset(NULL::rep_load, CAST(:loads AS json)) AS r
    ON CONFLICT (rep) DO UPDATE SET open_leads = rep_load.open_leads + excluded.open_leads
), new_key AS (
    INSERT INTO idempotency_keys (lead_id, response, {", ".join(key_cols)})
    SELECT new_lead.id,
        CAST(jsonb_build_object('lead_id', new_lead.id) || CAST(r.response AS jsonb) AS json),
        {from_rows(IDEMPOTENCY, "r", key_cols)}
    FROM new_lead, json_populate_recordset(NULL::idempotency_keys, CAST(:keys AS json)) AS r
)
SELECT id FROM new_lead
"""
    return text(sql)
