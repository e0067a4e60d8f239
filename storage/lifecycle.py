"""The lead lifecycle: every transition, each one transaction (state + event + outbox rows).

    received ─▶ assigned ─▶ claimed ─▶ contacted ─▶ won / lost / disqualified
        │          │  ▲
        │          └──┘ reassigned, declined ("not mine"), re-routed (away, unreachable, ladder)
        ├─▶ nurture (stored, not routed)
        └─▶ triage  (nobody could take it; any rep may claim it from the triage channel)

Listeners, the webhook and the scheduler call these functions; none of them changes a lead's
state any other way. Claims are compare-and-set updates, so exactly one of many simultaneous
clicks wins, on SQLite and on PostgreSQL alike.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    JSON,
    Connection,
    Engine,
    Integer,
    bindparam,
    cast,
    func,
    literal_column,
    null,
    or_,
    union_all,
    update,
)
from sqlmodel import Session, col, select

from routing import Decision, Lead, RoutingConfig, RoutingState, decide, permissions
from routing.business_time import business_deadline
from routing.team import Pool, Strategy
from storage import load, outbox, rotations
from storage.db import read_only, serialize_routing, transaction
from storage.models import (
    CLOSED_STATES,
    OPEN_STATES,
    Assignment,
    Availability,
    Event,
    LeadRow,
    LeadState,
    OutboxMessage,
    OutboxStatus,
    RepLoad,
    Responsiveness,
    Rotation,
    UTCDateTime,
)

SYSTEM = "leadrouter"


class Refused(Exception):
    """A transition that cannot happen, with a message for the person who asked.

    code: not_found, not_allowed, already_claimed, wrong_state, unknown_rep.
    """

    def __init__(self, code: str, message: str, lead: LeadRow | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        # a plain copy: the transaction that raised this rolls back and expires its rows
        self.lead = LeadRow(**lead.model_dump()) if lead is not None else None


# ---------------------------------------------------------------- routing state
#
# Intake itself (new leads, many per transaction) is storage.intake; it builds its rows with the
# helpers below, as the re-routes here do.

EVENTS = Event.__table__  # type: ignore[attr-defined]
OUTBOX = OutboxMessage.__table__  # type: ignore[attr-defined]
ROTATIONS = Rotation.__table__  # type: ignore[attr-defined]
AVAILABILITY = Availability.__table__  # type: ignore[attr-defined]
LOAD = RepLoad.__table__  # type: ignore[attr-defined]
LEADS = LeadRow.__table__  # type: ignore[attr-defined]


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


def routing_state(
    session: Session, config: RoutingConfig, now: datetime, exclude: Sequence[str] = ()
) -> RoutingState:
    """What the engine needs to know, read inside the caller's (locked) transaction."""
    rotation: dict[str, Any] = {}
    away: dict[str, datetime | None] = {}
    open_: dict[str, int] = {}
    conn = session.connection()
    for kind, key, credits, until, number in conn.execute(STATE, {"now": now}):
        if kind == "r":
            rotation[key] = credits
        elif kind == "a":
            away[key] = until
        else:
            open_[key] = number
    performance: dict[str, float] = {}
    if ranks_performance(config):
        performance = win_rates(conn, since=now - timedelta(days=90))
    return RoutingState(
        rotation=rotation,
        open_leads=open_,
        away=away,
        performance=performance,
        exclude=frozenset(exclude),
    )


def open_leads(session: Session) -> dict[str, int]:
    """Open leads per rep with any (kept in rep_load, see storage.load)."""
    return load.read(session.connection())


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


class Router:
    """Routing decisions inside one transaction: takes the routing lock, reads the state once
    and keeps it current as leads move, so a sweep or an /away that moves many leads does not
    re-read the state for each one."""

    def __init__(self, session: Session, config: RoutingConfig, now: datetime) -> None:
        serialize_routing(session)
        self.config = config
        self.now = now
        state = routing_state(session, config, now)
        self.rotation = dict(state.rotation)
        self.open = dict(state.open_leads)
        self.away = dict(state.away)
        self.performance = state.performance

    def decide(self, row: LeadRow, lead: Lead | None = None) -> Decision:
        """Decide for `row` (never back to a rep who already had it) and update the state."""
        lead = lead or Lead.model_validate(row.data)
        state = RoutingState(
            rotation=self.rotation,
            open_leads=self.open,
            away=self.away,
            performance=self.performance,
            exclude=frozenset(row.previous_owners),
        )
        decision = decide(lead, self.config, state, self.now)
        if decision.rotation is not None and decision.pool is not None:
            self.rotation[decision.pool.id] = decision.rotation
        if row.owner and row.state in OPEN_STATES and self.open.get(row.owner):
            self.open[row.owner] -= 1
        if decision.owner_id:
            self.open[decision.owner_id] = self.open.get(decision.owner_id, 0) + 1
        return decision


def _apply(
    session: Session,
    config: RoutingConfig,
    row: LeadRow,
    decision: Decision,
    kind: str,
    actor: str,
    now: datetime,
) -> None:
    """Write a routing decision onto the lead: owner, SLA, ladder, trace, events, notifications.
    The caller holds the routing lock."""
    previous_state, previous_owner = row.state, row.owner
    for name, value in _decision_values(config, decision, now).items():
        setattr(row, name, value)
    session.add(row)
    session.add(Assignment(**_assignment_values(row.id, decision, kind, now)))
    conn = session.connection()
    if decision.rotation is not None and decision.pool is not None:
        rotations.save(conn, decision.pool.id, dict(decision.rotation), now)
    load.shift(conn, (previous_owner, previous_state), (row.owner, row.state))
    _event(
        session,
        row,
        decision.outcome,
        actor,
        now,
        from_state=previous_state,
        reason=decision.reason,
        detail={"via": kind},
    )
    for notice, target in _new_owner_notices(decision):
        outbox.enqueue(session, notice, now, lead_id=row.id, target=target)


# ---------------------------------------------------------------- rows (shared by both paths)


def _new_lead_values(
    lead: Lead, data: dict[str, Any], source: str, now: datetime
) -> dict[str, Any]:
    """Every column of a new lead that a decision does not set."""
    return {
        "created_at": now,
        "source": source,
        "email": lead.email,
        "company": lead.company,
        "data": data,
        "assigned_at": None,
        "claimed_at": None,
        "claimed_by": None,
        "contacted_at": None,
        "closed_at": None,
        "previous_owners": [],
        "touches": 1,
    }


def _decision_values(config: RoutingConfig, decision: Decision, now: datetime) -> dict[str, Any]:
    """The lead's columns that a routing decision sets."""
    values: dict[str, Any] = {
        "state": {
            "assigned": LeadState.assigned,
            "nurture": LeadState.nurture,
            "triage": LeadState.triage,
        }[decision.outcome].value,
        "owner": decision.owner_id,
        "pool": decision.pool_id,
        "rule": decision.rule_name,
        "reason": decision.reason,
        "priority": decision.priority.value,
        "sla_seconds": int(decision.sla.total_seconds()),
        "open_to_pool": False,
    }
    if decision.outcome == "assigned":
        deadline = _deadlines(decision.pool, now, held=decision.held)
        values["assigned_at"] = now
        values["claim_due_at"] = deadline(decision.sla)
        values.update(_ladder_values(_ladder(config, decision), now, deadline))
    else:
        values.update(claim_due_at=None, escalate_at=None, escalation=[], escalation_step=0)
    return values


def _assignment_values(
    lead_id: int | None, decision: Decision, kind: str, now: datetime
) -> dict[str, Any]:
    return {
        "lead_id": lead_id,
        "at": now,
        "kind": kind,
        "outcome": decision.outcome,
        "owner": decision.owner_id,
        "pool": decision.pool_id,
        "rule": decision.rule_name,
        "reason": decision.reason,
        "trace": list(decision.trace),
        "exclusions": [e.__dict__ for e in decision.exclusions],
    }


def _event_values(
    lead_id: int | None,
    kind: str,
    actor: str | None,
    now: datetime,
    lead: tuple[str | None, str | None, str | None, str | None, str | None],
    *,
    reason: str = "",
    detail: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An event row; `lead` is (from_state, to_state, owner, pool, rule) after the change."""
    from_state, to_state, owner, pool, rule = lead
    return {
        "lead_id": lead_id,
        "at": now,
        "kind": kind,
        "actor": actor,
        "from_state": from_state,
        "to_state": to_state,
        "owner": owner,
        "pool": pool,
        "rule": rule,
        "reason": reason,
        "detail": detail or {},
    }


def _message_values(
    kind: outbox.Kind,
    now: datetime,
    lead_id: int | None = None,
    target: str | None = None,
    payload: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An outbox row, as outbox.enqueue writes it."""
    return {
        "lead_id": lead_id,
        "kind": kind.value,
        "target": target,
        "payload": payload or {},
        "status": OutboxStatus.pending.value,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
        "sent_at": None,
        "last_error": None,
    }


def _new_owner_notices(decision: Decision) -> list[tuple[outbox.Kind, str]]:
    """The cards a decision posts: the owner's DM and the pool's channel, or triage."""
    if decision.outcome == "assigned" and decision.owner_id:
        notices = [(outbox.Kind.post_card, f"dm:{decision.owner_id}")]
        channel = decision.pool.channel if decision.pool else None
        if channel:
            notices.append((outbox.Kind.post_card, f"channel:{channel}"))
        return notices
    if decision.outcome == "triage":
        return [(outbox.Kind.post_card, "triage")]
    return []


def _ladder(config: RoutingConfig, decision: Decision) -> list[dict[str, Any]]:
    """The escalation ladder, copied onto the lead so later config edits don't break it."""
    name = config.escalation_for(decision.rule, decision.pool)
    policy = config.escalation_policies.get(name) if name else None
    if policy is None:
        return []
    return [
        {
            "after": int(step.after.total_seconds()),
            "action": step.action.value,
            "channel": step.channel,
        }
        for step in policy.steps
    ]


def _deadlines(
    pool: Pool | None, now: datetime, *, held: bool = False
) -> Callable[[timedelta], datetime]:
    """How a lead's clocks run from `now`: on the wall clock, or only in the pool's open hours
    (a pool with `pause_sla`, or a lead held while its pool is closed)."""
    if pool is not None and pool.hours is not None and (pool.pause_sla or held):
        hours, zone = pool.hours, pool.zone
        return lambda delta: business_deadline(now, delta, hours, zone)
    return lambda delta: now + delta


def _ladder_values(
    steps: list[dict[str, Any]], now: datetime, deadline: Callable[[timedelta], datetime]
) -> dict[str, Any]:
    """Each step's time fixed from `now` (a new owner gets the whole ladder)."""
    times = [deadline(timedelta(seconds=step["after"])) for step in steps]
    return {
        "escalation": [
            {**step, "at": at.isoformat()} for step, at in zip(steps, times, strict=True)
        ],
        "escalation_step": 0,
        "escalate_at": times[0] if times else None,
    }


def start_ladder(
    row: LeadRow, steps: list[dict[str, Any]], now: datetime, pool: Pool | None = None
) -> None:
    """Fix each step's time from `now` (a new owner gets the whole ladder)."""
    for name, value in _ladder_values(steps, now, _deadlines(pool, now)).items():
        setattr(row, name, value)


def _event(
    session: Session,
    row: LeadRow | None,
    kind: str,
    actor: str | None,
    now: datetime,
    *,
    from_state: str | None = None,
    reason: str = "",
    detail: dict[str, Any] | None = None,
) -> None:
    before = from_state if from_state is not None else (row.state if row else None)
    lead = (
        (before, row.state, row.owner, row.pool, row.rule)
        if row
        else (before, None, None, None, None)
    )
    session.add(
        Event(
            **_event_values(
                row.id if row else None, kind, actor, now, lead, reason=reason, detail=detail
            )
        )
    )


# ---------------------------------------------------------------- claim and work


def claim(
    engine: Engine, config: RoutingConfig, lead_id: int, actor: str, now: datetime
) -> LeadRow:
    """Compare-and-set: the first allowed click wins; the others get Refused('already_claimed')."""
    with transaction(engine) as session:
        row = _get(session, lead_id)
        unclaimed = row.state in (LeadState.assigned, LeadState.triage)
        allowed = permissions.may_claim(
            config,
            actor,
            owner=row.owner,
            pool_id=row.pool,
            open_to_pool=row.open_to_pool,
            triage=row.state == LeadState.triage,
        )
        if unclaimed and not allowed:
            raise Refused("not_allowed", "offered to someone else", row)
        expected = row.state if unclaimed else None
        before, after = (row.owner, expected), (actor, LeadState.claimed.value)
        moves_load = expected is not None and load.holder(*before) != load.holder(*after)
        if moves_load:  # a pool or triage claim: the lead counts for someone else now
            serialize_routing(session)
        won = (
            expected is not None
            and session.execute(
                update(LeadRow)
                .where(col(LeadRow.id) == lead_id)
                .where(col(LeadRow.state) == expected)
                .where(
                    col(LeadRow.owner) == row.owner if row.owner else col(LeadRow.owner).is_(None)
                )
                .values(
                    state=LeadState.claimed,
                    claimed_by=actor,
                    claimed_at=now,
                    owner=actor,
                    escalate_at=None,
                    open_to_pool=False,
                )
            ).rowcount
            == 1
        )
        if not won:
            session.expire(row)
            row = _get(session, lead_id)
            if row.claimed_by:
                raise Refused("already_claimed", "already claimed", row)
            raise Refused("wrong_state", f"this lead is {row.state}", row)
        if moves_load:  # the update matched the owner and state read above
            load.shift(session.connection(), before, after)
        session.refresh(row)
        _event(
            session,
            row,
            "claimed",
            actor,
            now,
            from_state=expected,
            reason=f"claimed {_age(row, now)} after assignment",
        )
        outbox.enqueue(session, outbox.Kind.update_cards, now, lead_id=row.id)
        streak = session.get(Responsiveness, actor)
        if streak is not None and streak.missed_in_a_row:
            streak.missed_in_a_row, streak.updated_at = 0, now
            session.add(streak)
        return row


def mark_contacted(
    engine: Engine, config: RoutingConfig, lead_id: int, actor: str, now: datetime
) -> LeadRow:
    return _advance(
        engine, config, lead_id, actor, now, (LeadState.claimed,), LeadState.contacted, "contacted"
    )


def set_outcome(
    engine: Engine,
    config: RoutingConfig,
    lead_id: int,
    actor: str,
    outcome: LeadState,
    now: datetime,
    note: str = "",
) -> LeadRow:
    if outcome not in CLOSED_STATES:
        raise Refused("wrong_state", f"{outcome} is not an outcome (won, lost, disqualified)")
    outcome = LeadState(outcome)
    return _advance(
        engine,
        config,
        lead_id,
        actor,
        now,
        (LeadState.claimed, LeadState.contacted),
        outcome,
        "outcome",
        note,
    )


def _advance(
    engine: Engine,
    config: RoutingConfig,
    lead_id: int,
    actor: str,
    now: datetime,
    allowed_from: tuple[LeadState, ...],
    to_state: LeadState,
    kind: str,
    note: str = "",
) -> LeadRow:
    with transaction(engine) as session:
        closes = to_state in CLOSED_STATES
        if closes:  # the lead stops counting for its owner (see storage.load)
            serialize_routing(session)
        row = _get(session, lead_id)
        if not permissions.may_work(config, actor, owner=row.owner):
            raise Refused("not_allowed", "only the owner or a manager can do that", row)
        before = row.state
        values: dict[str, Any] = {"state": to_state}
        if to_state == LeadState.contacted:
            values["contacted_at"] = now
        if to_state in CLOSED_STATES:
            values["closed_at"] = now
        done = session.execute(
            update(LeadRow)
            .where(col(LeadRow.id) == lead_id)
            .where(col(LeadRow.state).in_(allowed_from))
            .values(**values)
        ).rowcount
        if done != 1:
            session.expire(row)
            raise Refused("wrong_state", f"this lead is {_get(session, lead_id).state}", row)
        session.refresh(row)
        if closes:  # from claimed or contacted; under the routing lock the owner is current
            load.shift(session.connection(), (row.owner, before), (row.owner, to_state))
        if to_state in CLOSED_STATES and row.contacted_at is None:
            row.contacted_at = now  # an outcome implies the lead was reached
            session.add(row)
        _event(session, row, kind, actor, now, from_state=before, reason=note or to_state.value)
        outbox.enqueue(session, outbox.Kind.update_cards, now, lead_id=row.id)
        return row


# ---------------------------------------------------------------- moving a lead


def reassign(
    engine: Engine,
    config: RoutingConfig,
    lead_id: int,
    actor: str,
    to_rep: str,
    reason: str,
    now: datetime,
) -> LeadRow:
    """A person moves the lead to a named rep (modal: pick a person, give a reason)."""
    if to_rep not in config.reps:
        raise Refused("unknown_rep", "that person is not a rep in routing.yml")
    with transaction(engine) as session:
        row = _get_for_update(session, lead_id)
        if not permissions.may_reassign(config, actor, owner=row.owner, pool_id=row.pool):
            raise Refused("not_allowed", _who_may_reassign(config), row)
        if row.state not in (*OPEN_STATES, LeadState.triage, LeadState.nurture):
            raise Refused("wrong_state", f"this lead is {row.state}", row)
        if row.owner == to_rep:
            raise Refused("wrong_state", f"{config.reps[to_rep].name} already owns it", row)
        previous, previous_state = row.owner, row.state
        _remember_owner(row)
        rep = config.reps[to_rep]
        row.state = LeadState.assigned
        row.owner = to_rep
        row.claimed_by = row.claimed_at = None
        row.reason = (
            f"reassigned by {_name(config, actor)}: {reason}"
            if reason
            else (f"reassigned by {_name(config, actor)}")
        )
        row.assigned_at = now
        pool = config.pools.get(row.pool or "")
        row.claim_due_at = _deadlines(pool, now)(timedelta(seconds=row.sla_seconds))
        start_ladder(row, row.escalation, now, pool)
        row.open_to_pool = False
        session.add(row)
        load.shift(session.connection(), (previous, previous_state), (to_rep, row.state))
        session.add(
            Assignment(
                lead_id=row.id,
                at=now,
                kind="reassign",
                outcome="assigned",
                owner=to_rep,
                pool=row.pool,
                rule=row.rule,
                reason=row.reason,
                trace=[row.reason],
                exclusions=[],
            )
        )
        _event(
            session,
            row,
            "reassigned",
            actor,
            now,
            from_state=previous_state,
            reason=reason,
            detail={"from": previous, "to": to_rep},
        )
        outbox.enqueue(session, outbox.Kind.update_cards, now, lead_id=row.id)
        outbox.enqueue(session, outbox.Kind.post_card, now, lead_id=row.id, target=f"dm:{rep.id}")
        return row


def decline(
    engine: Engine, config: RoutingConfig, lead_id: int, actor: str, reason: str, now: datetime
) -> LeadRow:
    """'Not mine': the lead passes to the next eligible rep. The decliner's turn is spent."""
    with transaction(engine) as session:
        row = _get_for_update(session, lead_id)
        if not permissions.may_decline(config, actor, owner=row.owner, pool_id=row.pool):
            raise Refused(
                "not_allowed", "only the owner, the pool or a manager can pass it on", row
            )
        if row.state != LeadState.assigned:
            raise Refused("wrong_state", f"this lead is {row.state}", row)
        router = Router(session, config, now)
        return _reroute(session, router, row, "declined", actor, reason or "not mine")


def reroute(
    engine: Engine,
    config: RoutingConfig,
    lead_id: int,
    why: str,
    now: datetime,
    *,
    kind: str = "rerouted",
    actor: str = SYSTEM,
    expected_owner: str | None = None,
) -> LeadRow:
    """Move an unclaimed lead on (owner away, unreachable in Slack, or the ladder's 'pass').
    With `expected_owner`, only if that rep still has it."""
    with transaction(engine) as session:
        row = _get_for_update(session, lead_id)
        if row.state != LeadState.assigned:
            raise Refused("wrong_state", f"this lead is {row.state}", row)
        if expected_owner is not None and row.owner != expected_owner:
            raise Refused("wrong_state", "someone else has this lead now", row)
        return _reroute(session, Router(session, config, now), row, kind, actor, why)


def _reroute(
    session: Session,
    router: Router,
    row: LeadRow,
    kind: str,
    actor: str,
    why: str,
    detail: dict[str, Any] | None = None,
) -> LeadRow:
    """Pass an unclaimed lead to the next eligible rep; `kind` says why (declined, rerouted,
    unreachable, escalated) and the old cards are updated to say so."""
    now = router.now
    _remember_owner(row)
    previous = row.owner
    decision = router.decide(row)
    _event(session, row, kind, actor, now, reason=why, detail={"from": previous, **(detail or {})})
    outbox.enqueue(session, outbox.Kind.update_cards, now, lead_id=row.id)
    _apply(session, router.config, row, decision, kind, SYSTEM, now)
    return row


def _remember_owner(row: LeadRow) -> None:
    if row.owner and row.owner not in row.previous_owners:
        row.previous_owners = [*row.previous_owners, row.owner]


# ---------------------------------------------------------------- availability


@dataclass(frozen=True)
class AwayResult:
    until: datetime | None
    rerouted: list[int]


def set_away(
    engine: Engine,
    config: RoutingConfig,
    rep_id: str,
    now: datetime,
    *,
    until: datetime | None = None,
    note: str | None = None,
    actor: str | None = None,
) -> AwayResult:
    """Mark a rep away and pass on their unclaimed leads at once (claimed ones stay theirs)."""
    if rep_id not in config.reps:
        raise Refused("unknown_rep", "you are not a rep in routing.yml")
    with transaction(engine) as session:
        return mark_away_in(session, config, rep_id, now, until=until, note=note, actor=actor)


def mark_away_in(
    session: Session,
    config: RoutingConfig,
    rep_id: str,
    now: datetime,
    *,
    until: datetime | None = None,
    note: str | None = None,
    actor: str | None = None,
    router: Router | None = None,
) -> AwayResult:
    """set_away inside the caller's transaction (the escalation sweep uses it)."""
    current = session.get(Availability, rep_id)
    if current is None:
        current = Availability(rep=rep_id, since=now)
    current.until, current.note, current.set_by = until, note, actor or SYSTEM
    session.add(current)
    _event(
        session,
        None,
        "away",
        actor or SYSTEM,
        now,
        reason=note or "",
        detail={"rep": rep_id, "until": until.isoformat() if until else None},
    )
    session.flush()
    if router is None:
        router = Router(session, config, now)
    else:
        router.away[rep_id] = until
    unclaimed = session.exec(
        select(LeadRow)
        .where(LeadRow.owner == rep_id)
        .where(LeadRow.state == LeadState.assigned)
        .order_by(col(LeadRow.id))
        .with_for_update()  # a claim committed meanwhile is not overwritten by the re-route
    ).all()
    name = config.reps[rep_id].name
    for row in unclaimed:
        _reroute(session, router, row, "rerouted", SYSTEM, f"{name} is away")
    return AwayResult(until, [row.id for row in unclaimed if row.id is not None])


def set_back(
    engine: Engine, config: RoutingConfig, rep_id: str, now: datetime, actor: str | None = None
) -> bool:
    """Return from time away. False if the rep was not away."""
    with transaction(engine) as session:
        current = session.get(Availability, rep_id)
        if current is None:
            return False
        session.delete(current)
        _event(session, None, "back", actor or rep_id, now, detail={"rep": rep_id})
        return True


def end_due_away(engine: Engine, config: RoutingConfig, now: datetime) -> list[str]:
    """Everyone whose `/away until …` has passed is back; they are told so."""
    with transaction(engine) as session:
        due = session.exec(
            select(Availability)
            .where(col(Availability.until).is_not(None))
            .where(col(Availability.until) <= now)
            .with_for_update(skip_locked=True)
        ).all()
        for away in due:
            session.delete(away)
            _event(
                session,
                None,
                "back",
                SYSTEM,
                now,
                reason="time away ended",
                detail={"rep": away.rep},
            )
            if away.rep in config.reps:
                outbox.enqueue(
                    session,
                    outbox.Kind.notify,
                    now,
                    target=away.rep,
                    payload={"template": "back_automatically"},
                )
        return [away.rep for away in due]


def away_status(engine: Engine) -> dict[str, Availability]:
    with read_only(engine) as session:
        return {a.rep: a for a in session.exec(select(Availability)).all()}


# ---------------------------------------------------------------- helpers


def get_lead(engine: Engine, lead_id: int) -> LeadRow:
    with read_only(engine) as session:
        return _get(session, lead_id)


def _get_for_update(session: Session, lead_id: int) -> LeadRow:
    """The lead as it is now, locked until commit, under the routing lock (taken first, the
    order every transaction that moves leads keeps): a transition that writes the whole row
    cannot overwrite a claim committed since the caller last read it."""
    serialize_routing(session)
    row = session.get(LeadRow, lead_id, with_for_update=True, populate_existing=True)
    if row is None:
        raise Refused("not_found", f"there is no lead {lead_id}")
    return row


def _get(session: Session, lead_id: int) -> LeadRow:
    row = session.get(LeadRow, lead_id)
    if row is None:
        raise Refused("not_found", f"there is no lead {lead_id}")
    return row


def _age(row: LeadRow, now: datetime) -> str:
    if row.assigned_at is None:
        return "right away"
    seconds = int((now - row.assigned_at).total_seconds())
    minutes, seconds = divmod(max(seconds, 0), 60)
    return f"{minutes}m {seconds:02d}s" if minutes else f"{seconds}s"


def _name(config: RoutingConfig, actor: str) -> str:
    rep = config.reps.get(actor) or config.rep_by_slack_id(actor)
    return rep.name if rep else actor


def _who_may_reassign(config: RoutingConfig) -> str:
    if config.permissions.reassign == "managers":
        return "only managers can reassign leads"
    return "only the owner, the pool's members or a manager can reassign it"
