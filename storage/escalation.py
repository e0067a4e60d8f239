"""The escalation sweep: climb the ladder of every unclaimed lead whose next step is due.

The due time is a column (`escalate_at`, indexed with the state), so the sweep finds work with
one index range scan, and a restart simply catches up: every step that fell due while nothing
ran happens once, in order. A sweep with nothing due takes no lock at all.

Several processes on one PostgreSQL never take a step twice: a sweep takes the routing lock
first and only then selects and locks what is due (FOR UPDATE SKIP LOCKED: a lead that a claim
is changing right now is left for the next sweep). That order is also every other transaction's
that moves leads (intake, /away, "not mine" take the routing lock, then write leads), so they
cannot deadlock with a sweep that holds leads and waits for the routing lock at a "pass".
SQLite has a single writer anyway.

The ladder was copied onto the lead when it was assigned, with each step's time fixed, so
editing routing.yml never breaks a lead mid-climb. A claim clears `escalate_at`: the ladder
stops at once. A "pass" moves the lead on but keeps the ladder's clock: the lead does not
start over at every hand-off (a ladder with several "pass" steps walks the pool).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, bindparam, insert
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from routing import RoutingConfig
from storage import outbox, rows
from storage.availability import mark_away_in
from storage.db import read_only, serialize_routing, transaction
from storage.lifecycle import reroute_in
from storage.models import Event, LeadRow, LeadState, OutboxMessage, Responsiveness
from storage.routing_state import Router
from storage.rows import SYSTEM

BATCH = 1000

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StepTaken:
    lead_id: int
    step: int
    action: str
    owner: str | None  # who had the lead when the step fired


def _due(what: Any, limit: int, now: datetime) -> Any:
    return (
        select(what)
        .where(LeadRow.state == LeadState.assigned)
        .where(col(LeadRow.escalate_at) <= now)
        .order_by(col(LeadRow.escalate_at), col(LeadRow.id))
        .limit(limit)
    )


def sweep(
    engine: Engine, config: RoutingConfig, now: datetime, limit: int = BATCH
) -> list[StepTaken]:
    """Take every due ladder step (of up to `limit` leads), each exactly once, in order."""
    with read_only(engine) as session:  # the idle case: one index probe, no lock
        if session.exec(_due(LeadRow.id, 1, now)).first() is None:
            return []
    try:
        return _sweep(engine, config, now, limit, careful=False)
    except Exception:
        # One step that cannot be taken (say, lead data an older version stored) must not stop
        # every other lead's ladder: the batch rolled back; take it again step by step.
        log.exception("escalation sweep failed; taking the batch again one step at a time")
        return _sweep(engine, config, now, limit, careful=True)


def _sweep(
    engine: Engine, config: RoutingConfig, now: datetime, limit: int, careful: bool
) -> list[StepTaken]:
    with transaction(engine) as session:
        serialize_routing(session)
        due = session.exec(_due(LeadRow, limit, now).with_for_update(skip_locked=True)).all()
        climber = _Climber(session, config, now, careful)
        taken = [step for row in due for step in climber.climb_all(row)]
        climber.write()
        return taken


class _Climber:
    """The ladder steps of one sweep, in its transaction.

    Events and notifications of the simple steps are buffered and bulk-inserted (an ORM object
    per row, flushed one by one, cost most of a big sweep); a pass goes through the lifecycle
    like every re-route. The buffer is written at the end, after the session's own rows, and
    before a pass of a lead that has rows in it, so a lead's ids keep the order of its steps.
    `careful` takes each step in a savepoint, so a step that fails rolls back alone.
    """

    def __init__(self, session: Session, config: RoutingConfig, now: datetime, careful: bool):
        self.session, self.config, self.now, self.careful = session, config, now, careful
        self._router: Router | None = None
        self.events: list[dict[str, Any]] = []
        self.messages: list[dict[str, Any]] = []
        self.moves: dict[int | None, LeadRow] = {}  # leads whose ladder position changed
        self.buffered: set[int | None] = set()  # leads with rows in the buffer
        # read once: a lookup per pass would flush the whole session each time
        self.streaks = {r.rep: r for r in session.exec(select(Responsiveness)).all()}

    def router(self) -> Router:
        self._router = self._router or Router(self.session, self.config, self.now)
        return self._router

    def climb_all(self, row: LeadRow) -> list[StepTaken]:
        """Every step of this lead that is due, then one card update (not one per step)."""
        steps: list[StepTaken] = []
        while (
            row.state == LeadState.assigned
            and row.escalate_at is not None
            and row.escalate_at <= self.now
        ):
            if not self.careful:
                steps.append(_climb(self, row))
                continue
            try:
                with self.session.begin_nested():
                    steps.append(_climb(self, row))
                    self.write()
            except Exception:
                log.exception("lead %s: ladder step %s failed", row.id, len(steps))
                self.events.clear()
                self.messages.clear()
                self.moves.clear()
                self.buffered.clear()
                self.session.expire(row)
                self._router = None  # its in-memory state may include the rolled-back step
                self.streaks = {r.rep: r for r in self.session.exec(select(Responsiveness)).all()}
                break
        if steps and all(step.action != "pass" for step in steps):
            # (a pass already queued the update of every copy of the card)
            self.message(outbox.Kind.update_cards, row.id)
        return steps

    def event(self, row: LeadRow, reason: str, detail: dict[str, Any]) -> None:
        """An 'escalated' event (written in bulk by write())."""
        self.buffered.add(row.id)
        self.events.append(
            rows.event_of(row, "escalated", SYSTEM, self.now, reason=reason, detail=detail)
        )

    def message(
        self,
        kind: outbox.Kind,
        lead_id: int | None,
        target: str | None = None,
        payload: dict[str, Any] | None = None,
    ) -> None:
        """An outbox row (written in bulk by write())."""
        self.buffered.add(lead_id)
        self.messages.append(rows.message(kind, self.now, lead_id, target, payload))

    def advance(self, row: LeadRow, step: int, at: datetime | None) -> None:
        """Move the lead up its ladder in memory now and in the database at write(): one
        executemany for the whole sweep instead of an UPDATE per lead."""
        set_committed_value(row, "escalation_step", step)
        set_committed_value(row, "escalate_at", at)
        self.buffered.add(row.id)
        self.moves[row.id] = row

    def write(self) -> None:
        """The session's pending rows first, then the buffer: ids follow the order of events."""
        self.session.flush()
        if self.moves:
            leads = LeadRow.__table__  # type: ignore[attr-defined]
            move = (
                leads.update()
                .where(leads.c.id == bindparam("b_id"))
                .values(
                    escalation_step=bindparam("b_step"),
                    escalate_at=bindparam("b_at"),
                    open_to_pool=bindparam("b_open"),
                )
            )
            # the row as it is now: if a re-route later in this sweep (its owner was set away)
            # gave it a new ladder, that is what gets written
            positions = [
                {
                    "b_id": row.id,
                    "b_step": row.escalation_step,
                    "b_at": row.escalate_at,
                    "b_open": row.open_to_pool,
                }
                for row in self.moves.values()
            ]
            self.session.execute(move, positions)
            self.moves = {}
        if self.events:
            self.session.execute(insert(Event.__table__), self.events)  # type: ignore[attr-defined]
            self.events = []
        if self.messages:
            table = OutboxMessage.__table__  # type: ignore[attr-defined]
            self.session.execute(insert(table), self.messages)
            self.messages = []
        self.buffered.clear()


def _climb(climber: _Climber, row: LeadRow) -> StepTaken:
    session, config = climber.session, climber.config
    index = row.escalation_step
    ladder = row.escalation
    step = ladder[index]
    action = step["action"]
    owner = row.owner
    assert row.id is not None
    # `due` differs from the event's time when a restart catches up on missed steps
    detail = {"action": action, "step": index, "owner": owner, "due": _at(row, step).isoformat()}
    if action == "remind":
        climber.event(row, "reminder sent", detail)
        climber.message(outbox.Kind.notify, row.id, owner, {"template": "remind"})
    elif action == "pass":
        if row.id in climber.buffered:  # this lead's earlier steps must get the earlier ids
            climber.write()
        name = config.reps[owner].name if owner in config.reps else owner
        why = f"{name} did not claim it in time"
        reroute_in(session, climber.router(), row, "escalated", SYSTEM, why, detail=detail)
        _missed(climber, owner)
        if row.state != LeadState.assigned:  # nobody left to pass to: it went to triage
            return StepTaken(row.id, index, action, owner)
        row.escalation = ladder  # keep the ladder's clock (see module docstring)
    elif action == "open_to_pool":
        set_committed_value(row, "open_to_pool", True)  # written by advance(), below
        climber.event(row, "opened to the whole pool: first to claim takes it", detail)
        pool = config.pools.get(row.pool or "")
        if pool is not None and pool.channel:
            # The card is already in the channel (posted at assignment) and gets updated; an
            # edited message alerts nobody, so the pool also hears it in a new post.
            text = (
                f"🙋 Lead {row.id} was not claimed in time: anyone in {pool.name or pool.id} "
                "may take it now. First to press Claim on its card gets it."
            )
            climber.message(
                outbox.Kind.alert,
                row.id,
                f"channel:{pool.channel}",
                {"channel": pool.channel, "text": text},
            )
    elif action == "manager":
        manager = _manager_of(config, row)
        reason = "manager asked to step in" if manager else "no manager configured"
        climber.event(row, reason, {**detail, "manager": manager})
        if manager:
            climber.message(outbox.Kind.post_card, row.id, f"person:{manager}")
    elif action == "leadership":
        channel = step.get("channel") or config.triage.channel
        reason = "leadership alerted" if channel else "no leadership channel configured"
        climber.event(row, reason, {**detail, "channel": channel})
        if channel:
            climber.message(outbox.Kind.post_card, row.id, f"channel:{channel}")
    else:  # a ladder stored by a newer version: skip the step rather than stall the lead
        climber.event(row, f"unknown step {action!r}", detail)
    following = ladder[index + 1] if index + 1 < len(ladder) else None
    next_at = _at(row, following) if following else None
    if action == "pass":  # the lifecycle changed the row through the session: stay with it
        row.escalation_step, row.escalate_at = index + 1, next_at
        session.add(row)
    else:
        climber.advance(row, index + 1, next_at)
    return StepTaken(row.id, index, action, owner)


def _at(row: LeadRow, step: dict[str, Any]) -> datetime:
    """A step's fixed time; ladders stored before times were fixed count from assignment."""
    if "at" in step:
        return datetime.fromisoformat(step["at"])
    assert row.assigned_at is not None
    return row.assigned_at + timedelta(seconds=step["after"])


def _manager_of(config: RoutingConfig, row: LeadRow) -> str | None:
    """The pool's manager, else the owner's manager, else the first listed manager."""
    pool = config.pools.get(row.pool or "")
    if pool is not None and pool.manager:
        return pool.manager
    rep = config.reps.get(row.owner or "")
    if rep is not None and rep.manager:
        return rep.manager
    return config.managers[0] if config.managers else None


def _missed(climber: _Climber, rep_id: str | None) -> None:
    """Count SLAs missed in a row; past the configured limit the rep is set away and told why."""
    if rep_id is None:
        return
    session, config, now = climber.session, climber.config, climber.now
    record = climber.streaks.get(rep_id)
    if record is None:
        record = climber.streaks[rep_id] = Responsiveness(rep=rep_id, updated_at=now)
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
            router=climber.router(),
            note=f"missed {record.missed_in_a_row} lead SLAs in a row",
        )
        climber.message(
            outbox.Kind.notify,
            None,
            rep_id,
            {"template": "slow_responder", "missed": record.missed_in_a_row},
        )
        record.missed_in_a_row = 0
