"""Open leads per rep, kept in the `rep_load` table instead of counted at every decision.

A lead counts for its owner while it is assigned, claimed or contacted. Every transition that
changes an owner or opens or closes a lead shifts the count in the same transaction, and holds
the routing lock while it does (storage.db.serialize_routing): so the counts a decision reads
under that lock are exact, and rep_load rows are never written by two transactions at once
(no lock waits, no deadlocks between them). `reconcile` recounts from the leads and repairs.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.dialects import postgresql, sqlite

from storage.db import serialize_routing
from storage.models import OPEN_STATES, LeadRow, RepLoad

LOAD = RepLoad.__table__  # type: ignore[attr-defined]
LEADS = LeadRow.__table__  # type: ignore[attr-defined]
_OPEN = frozenset(OPEN_STATES)


def holder(owner: str | None, state: str | None) -> str | None:
    """Whose count a lead in this state adds to, if anyone's."""
    return owner if owner and state in _OPEN else None


def shift(
    conn: Connection, before: tuple[str | None, str | None], after: tuple[str | None, str | None]
) -> None:
    """A lead went from (owner, state) `before` to `after`: move its count along.
    The caller holds the routing lock."""
    old, new = holder(*before), holder(*after)
    if old == new:
        return
    deltas = {}
    if old:
        deltas[old] = -1
    if new:
        deltas[new] = 1
    add(conn, deltas)


def add(conn: Connection, deltas: Mapping[str, int]) -> None:
    """Add to the counts (a rep without a row gets one); in rep order, one statement."""
    if changes := rows(deltas):
        conn.execute(upsert(conn.dialect.name), changes)


def rows(deltas: Mapping[str, int]) -> list[dict[str, Any]]:
    """The upsert's rows for these changes, in rep order (so concurrent writers never
    deadlock on them)."""
    return [{"rep": rep, "open_leads": n} for rep, n in sorted(deltas.items()) if n]


@cache
def upsert(dialect: str) -> Any:
    """The INSERT … ON CONFLICT statement for this kind of database."""
    insert = postgresql.insert(LOAD) if dialect == "postgresql" else sqlite.insert(LOAD)
    return insert.on_conflict_do_update(
        index_elements=[LOAD.c.rep],
        set_={"open_leads": LOAD.c.open_leads + insert.excluded.open_leads},
    )


def read(conn: Connection) -> dict[str, int]:
    """The stored counts of reps with open leads."""
    rows = conn.execute(select(LOAD.c.rep, LOAD.c.open_leads).where(LOAD.c.open_leads != 0))
    return {rep: n for rep, n in rows}


def recount(conn: Connection) -> dict[str, int]:
    """The counts from the leads themselves (a scan of every open lead)."""
    rows = conn.execute(
        select(LEADS.c.owner, func.count())
        .where(LEADS.c.state.in_(OPEN_STATES))
        .where(LEADS.c.owner.is_not(None))
        .group_by(LEADS.c.owner)
    )
    return {owner: n for owner, n in rows if owner}


def reconcile(engine: Engine) -> dict[str, tuple[int, int]]:
    """Recount under the routing lock and fix the stored counts that differ.
    Returns {rep: (stored, counted)} of what was fixed (empty when all was right)."""
    with engine.begin() as conn:
        serialize_routing(conn)
        stored, counted = read(conn), recount(conn)
        wrong = {
            rep: (stored.get(rep, 0), counted.get(rep, 0))
            for rep in stored.keys() | counted.keys()
            if stored.get(rep, 0) != counted.get(rep, 0)
        }
        add(conn, {rep: right - was for rep, (was, right) in wrong.items()})
        return wrong
