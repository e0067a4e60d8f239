"""Building event histories with known answers: through the lifecycle where the path matters,
by direct inserts where only the rows do (many offers, escalation events)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from routing import Lead, RoutingConfig
from storage import intake, lifecycle
from storage.analytics import Report, build_report
from storage.db import transaction
from storage.models import Assignment, Event, LeadRow

BOSS = "U0BOSS"  # a manager in tests/support/team.py
WEEK = timedelta(days=7)

_count = 0


def lead(**fields: Any) -> Lead:
    """A fresh buyer each time (no repeat-touch joins), 50 people unless told."""
    global _count
    _count += 1
    fields.setdefault("employees", 50)
    return Lead(email=f"buyer{_count}@firm{_count}.com", company=f"Firm {_count}", **fields)


def arrive(engine: Engine, config: RoutingConfig, at: datetime, **fields: Any) -> tuple[int, str]:
    """A lead arrives at `at`; returns (lead id, owner or state)."""
    result = intake.intake(engine, config, lead(**fields), source="generic", now=at)
    return result.lead_id, result.owner or result.state


def claimed(
    engine: Engine,
    config: RoutingConfig,
    at: datetime,
    wait: float,
    contact: float | None = None,
    **fields: Any,
) -> tuple[int, str]:
    """A lead that arrives at `at`, is claimed `wait` s later by its owner and, if given,
    contacted `contact` s after arriving."""
    lead_id, owner = arrive(engine, config, at, **fields)
    lifecycle.claim(engine, config, lead_id, owner, at + timedelta(seconds=wait))
    if contact is not None:
        lifecycle.mark_contacted(engine, config, lead_id, owner, at + timedelta(seconds=contact))
    return lead_id, owner


def offers(engine: Engine, pool: str, at: datetime, counts: dict[str, int]) -> None:
    """Routing decisions that offered leads of `pool` to these reps (assignment rows only, on a
    lead from long before the period, so volume and speed are untouched)."""
    with transaction(engine) as session:
        old = LeadRow(created_at=at - timedelta(days=365), source="generic", state="lost")
        session.add(old)
        session.flush()
        for rep, n in counts.items():
            for _ in range(n):
                session.add(
                    Assignment(
                        lead_id=old.id,
                        at=at,
                        kind="intake",
                        outcome="assigned",
                        owner=rep,
                        pool=pool,
                        rule="Everyone else",
                    )
                )


def escalated(
    engine: Engine, lead_id: int, at: datetime, action: str, owner: str, pool: str = "sales"
) -> None:
    """An 'escalated' event as the ladder writes it (the owner when the step fired)."""
    with transaction(engine) as session:
        session.add(
            Event(
                lead_id=lead_id,
                at=at,
                kind="escalated",
                actor="leadrouter",
                owner=owner,
                pool=pool,
                rule="Everyone else",
                detail={"action": action, "step": 0, "owner": owner},
            )
        )


def report(
    engine: Engine,
    config: RoutingConfig,
    until: datetime,
    length: timedelta = WEEK,
    pool: str | None = None,
) -> Report:
    return build_report(engine, config, until - length, until, pool)
