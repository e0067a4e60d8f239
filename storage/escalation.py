"""The escalation sweep: climb the ladder of every unclaimed lead whose next step is due.

The due time is a column (`escalate_at`, indexed with the state), so the sweep finds work with
one index range scan, and a restart simply catches up: every step that fell due while nothing
ran happens once, in order. Leads are locked FOR UPDATE SKIP LOCKED, so several processes on
one PostgreSQL never take the same step twice (SQLite has a single writer anyway).

The ladder was copied onto the lead when it was assigned, with each step's time fixed, so
editing routing.yml never breaks a lead mid-climb. A claim clears `escalate_at`: the ladder
stops at once. A "pass" moves the lead on but keeps the ladder's clock: the lead does not
start over at every hand-off.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from routing import RoutingConfig
from storage import outbox
from storage.db import transaction
from storage.lifecycle import SYSTEM, Router, _event, _reroute, mark_away_in
from storage.models import LeadRow, LeadState, Responsiveness

BATCH = 1000


@dataclass(frozen=True)
class StepTaken:
    lead_id: int
    step: int
    action: str
    owner: str | None  # who had the lead when the step fired


def sweep(
    engine: Engine, config: RoutingConfig, now: datetime, limit: int = BATCH
) -> list[StepTaken]:
    """Take every due ladder step (up to `limit` leads), each exactly once."""
    with transaction(engine) as session:
        due = session.exec(
            select(LeadRow)
            .where(LeadRow.state == LeadState.assigned)
            .where(col(LeadRow.escalate_at) <= now)
            .order_by(col(LeadRow.escalate_at))
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        router: Router | None = None

        def get_router() -> Router:
            nonlocal router
            router = router or Router(session, config, now)
            return router

        taken: list[StepTaken] = []
        for row in due:
            while (
                row.state == LeadState.assigned
                and row.escalate_at is not None
                and row.escalate_at <= now
            ):
                taken.append(_climb(session, config, row, now, get_router))
        return taken


def _climb(
    session: Session,
    config: RoutingConfig,
    row: LeadRow,
    now: datetime,
    router: Callable[[], Router],
) -> StepTaken:
    index = row.escalation_step
    step = row.escalation[index]
    action = step["action"]
    owner = row.owner
    assert row.id is not None
    ladder = row.escalation
    detail = {"action": action, "step": index, "owner": owner}
    if action == "remind":
        _event(session, row, "escalated", SYSTEM, now, reason="reminder sent", detail=detail)
        outbox.enqueue(
            session,
            outbox.Kind.notify,
            now,
            lead_id=row.id,
            target=owner,
            payload={"template": "remind"},
        )
    elif action == "pass":
        name = config.reps[owner].name if owner in config.reps else owner
        _reroute(
            session,
            router(),
            row,
            "escalated",
            SYSTEM,
            f"{name} did not claim it in time",
            detail=detail,
        )
        _missed(session, config, owner, now, router())
        if row.state != LeadState.assigned:  # nobody left to pass to: it went to triage
            return StepTaken(row.id, index, action, owner)
        row.escalation = ladder  # keep the ladder's clock (see module docstring)
    elif action == "open_to_pool":
        row.open_to_pool = True
        _event(
            session,
            row,
            "escalated",
            SYSTEM,
            now,
            reason="opened to the whole pool: first to claim takes it",
            detail=detail,
        )
        pool = config.pools.get(row.pool or "")
        if pool is not None and pool.channel:
            outbox.enqueue(
                session,
                outbox.Kind.post_card,
                now,
                lead_id=row.id,
                target=f"channel:{pool.channel}",
            )
    elif action == "manager":
        manager = _manager_of(config, row)
        _event(
            session,
            row,
            "escalated",
            SYSTEM,
            now,
            reason="manager asked to step in" if manager else "no manager configured",
            detail={**detail, "manager": manager},
        )
        if manager:
            outbox.enqueue(
                session, outbox.Kind.post_card, now, lead_id=row.id, target=f"person:{manager}"
            )
    elif action == "leadership":
        channel = step.get("channel") or config.triage.channel
        _event(
            session,
            row,
            "escalated",
            SYSTEM,
            now,
            reason="leadership alerted",
            detail={**detail, "channel": channel},
        )
        if channel:
            outbox.enqueue(
                session, outbox.Kind.post_card, now, lead_id=row.id, target=f"channel:{channel}"
            )
    outbox.enqueue(session, outbox.Kind.update_cards, now, lead_id=row.id)
    row.escalation_step = index + 1
    following = ladder[index + 1] if index + 1 < len(ladder) else None
    row.escalate_at = datetime.fromisoformat(following["at"]) if following else None
    session.add(row)
    return StepTaken(row.id, index, action, owner)


def _manager_of(config: RoutingConfig, row: LeadRow) -> str | None:
    """The pool's manager, else the owner's manager, else the first listed manager."""
    pool = config.pools.get(row.pool or "")
    if pool is not None and pool.manager:
        return pool.manager
    rep = config.reps.get(row.owner or "")
    if rep is not None and rep.manager:
        return rep.manager
    return config.managers[0] if config.managers else None


def _missed(
    session: Session, config: RoutingConfig, rep_id: str | None, now: datetime, router: Router
) -> None:
    """Count SLAs missed in a row; past the configured limit the rep is set away and told why."""
    if rep_id is None:
        return
    record = session.get(Responsiveness, rep_id) or Responsiveness(rep=rep_id, updated_at=now)
    record.missed_in_a_row += 1
    record.updated_at = now
    session.add(record)
    limit = config.slow_responders.missed_in_a_row
    if limit and record.missed_in_a_row >= limit and rep_id in config.reps:
        mark_away_in(
            session,
            config,
            rep_id,
            now,
            router=router,
            note=f"missed {record.missed_in_a_row} lead SLAs in a row",
        )
        outbox.enqueue(
            session,
            outbox.Kind.notify,
            now,
            target=rep_id,
            payload={"template": "slow_responder", "missed": record.missed_in_a_row},
        )
        record.missed_in_a_row = 0
