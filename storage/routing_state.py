"""The live routing state: what routing.decide needs to know (round-robin credits, who is away,
open leads per rep, win rates), read once under the routing lock and kept current in memory as
leads are decided, so a transaction that routes many leads reads it once.

One class serves both paths that route: intake's batches (storage.intake reads the state with
its other rows in one statement and feeds them in with `take`) and the transitions that move
leads one by one (`Router`, for "not mine", re-routes, the ladder's "pass", /away).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    JSON,
    Connection,
    Integer,
    bindparam,
    cast,
    func,
    literal_column,
    null,
    or_,
    select,
    union_all,
)
from sqlmodel import Session

from routing import Decision, Lead, RoutingConfig, RoutingState, decide
from routing.crm_config import CrmAnswer
from routing.team import Strategy
from storage import load
from storage.db import serialize_routing
from storage.models import (
    CLOSED_STATES,
    Availability,
    LeadRow,
    LeadState,
    RepLoad,
    Rotation,
    UTCDateTime,
)

ROTATIONS = Rotation.__table__  # type: ignore[attr-defined]
AVAILABILITY = Availability.__table__  # type: ignore[attr-defined]
LOAD = RepLoad.__table__  # type: ignore[attr-defined]
LEADS = LeadRow.__table__  # type: ignore[attr-defined]
PERFORMANCE_WINDOW = timedelta(days=90)


def state_branches() -> list[Any]:
    """Rotation credits, who is away and open leads per rep as rows of
    (kind, key, credits, until, number): read in one statement under the routing lock."""
    no_json, no_time, no_int = cast(null(), JSON), cast(null(), UTCDateTime), cast(null(), Integer)
    return [
        select(literal_column("'r'"), ROTATIONS.c.pool, ROTATIONS.c.credits, no_time, no_int),
        select(
            literal_column("'a'"), AVAILABILITY.c.rep, no_json, AVAILABILITY.c.until, no_int
        ).where(or_(AVAILABILITY.c.until.is_(None), AVAILABILITY.c.until > bindparam("now"))),
        select(literal_column("'l'"), LOAD.c.rep, no_json, no_time, LOAD.c.open_leads).where(
            LOAD.c.open_leads != 0
        ),
    ]


# Built once: SQLAlchemy's statement cache still computes a key per execution, building costs more.
STATE = union_all(*state_branches())


def ranks_performance(config: RoutingConfig) -> bool:
    return any(p.strategy is Strategy.top_performer for p in config.pools.values())


def win_rates(conn: Connection | Session, since: datetime) -> dict[str, float]:
    """Won / closed per rep since `since`; the top_performer strategy ranks by it."""
    rows = conn.execute(
        select(LEADS.c.owner, LEADS.c.state, func.count())
        .where(LEADS.c.state.in_(CLOSED_STATES))
        .where(LEADS.c.closed_at >= since)
        .group_by(LEADS.c.owner, LEADS.c.state)
    ).all()
    won: dict[str, int] = {}
    closed: dict[str, int] = {}
    for owner, state, count in rows:
        if owner:
            closed[owner] = closed.get(owner, 0) + count
            if state == LeadState.won:
                won[owner] = won.get(owner, 0) + count
    return {owner: won.get(owner, 0) / total for owner, total in closed.items()}


class LiveState:
    """The routing state of one transaction, current after every decision made through it."""

    def __init__(self, config: RoutingConfig) -> None:
        self.config = config
        self.rotation: dict[str, Any] = {}  # pool -> smooth round-robin credits
        self.away: dict[str, datetime | None] = {}  # rep -> until (None: until /back)
        self.open: dict[str, int] = {}  # rep -> open leads
        self.performance: dict[str, float] = {}  # rep -> win rate (top_performer pools only)
        self.moved_pools: set[str] = set()  # pools whose credits changed: to be written

    def take(self, kind: str, key: str, credits: Any, until: datetime | None, n: int) -> bool:
        """One row of `state_branches`; False if the row is not routing state."""
        if kind == "r":
            self.rotation[key] = credits
        elif kind == "a":
            self.away[key] = until
        elif kind == "l":
            self.open[key] = n
        else:
            return False
        return True

    def read(self, conn: Connection, now: datetime) -> LiveState:
        """Read the whole state inside the caller's (locked) transaction."""
        for row in conn.execute(STATE, {"now": now}):
            self.take(*row)
        return self.read_performance(conn, now)

    def read_performance(self, conn: Connection, now: datetime) -> LiveState:
        if ranks_performance(self.config):
            self.performance = win_rates(conn, since=now - PERFORMANCE_WINDOW)
        return self

    def decide(
        self,
        lead: Lead,
        now: datetime,
        *,
        exclude: Iterable[str] = (),
        moving: tuple[str | None, str | None] | None = None,
        crm: CrmAnswer | None = None,
    ) -> Decision:
        """Decide, and keep the state current: the pool's credits, and open leads (the new
        owner's one more; `moving` is the lead's (owner, state) before, whose count drops)."""
        state = RoutingState(
            rotation=self.rotation,
            open_leads=self.open,
            away=self.away,
            performance=self.performance,
            exclude=frozenset(exclude),
        )
        decision = decide(lead, self.config, state, now, crm)
        if decision.rotation is not None and decision.pool is not None:
            self.rotation[decision.pool.id] = decision.rotation
            self.moved_pools.add(decision.pool.id)
        previous = load.holder(*moving) if moving else None
        if previous and self.open.get(previous):
            self.open[previous] -= 1
        if decision.owner_id:
            self.open[decision.owner_id] = self.open.get(decision.owner_id, 0) + 1
        return decision


class Router(LiveState):
    """Routing decisions inside one transaction that moves existing leads: takes the routing
    lock and reads the state once, so a sweep or an /away that moves many leads does not
    re-read it for each one."""

    def __init__(self, session: Session, config: RoutingConfig, now: datetime) -> None:
        super().__init__(config)
        serialize_routing(session)
        self.now = now
        self.read(session.connection(), now)

    def decide_for(self, row: LeadRow) -> Decision:
        """Decide for an existing lead: never back to a rep who already had it."""
        return self.decide(
            Lead.model_validate(row.data),
            self.now,
            exclude=row.previous_owners,
            moving=(row.owner, row.state),
        )
