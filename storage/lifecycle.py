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

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from routing import Decision, Lead, RoutingConfig, RoutingState, decide, permissions
from routing.team import Strategy
from storage import outbox
from storage.db import read_only, serialize_routing, transaction
from storage.models import (
    CLOSED_STATES,
    OPEN_STATES,
    Assignment,
    Availability,
    Event,
    IdempotencyKey,
    LeadRow,
    LeadState,
    Responsiveness,
    Rotation,
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


@dataclass(frozen=True)
class IntakeResult:
    lead_id: int
    state: str
    owner: str | None
    rule: str | None
    reason: str
    duplicate: bool = False  # joined an open lead with the same email as a repeat touch
    replayed: bool = False  # the same delivery was seen before: this is the first answer

    def response(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "lead_id": self.lead_id,
            "state": self.state,
            "owner": self.owner,
            "rule": self.rule,
            "reason": self.reason,
        }
        if self.duplicate:
            body["duplicate"] = True
        return body


# ---------------------------------------------------------------- intake


def intake(
    engine: Engine,
    config: RoutingConfig,
    lead: Lead,
    *,
    source: str,
    now: datetime,
    idempotency_key: str | None = None,
) -> IntakeResult:
    """Store a lead and route it, in one transaction. A repeated delivery returns the first
    answer; a new lead from the email of a recent open lead joins it as a repeat touch."""
    key = f"{source}:{idempotency_key}" if idempotency_key else None
    try:
        with transaction(engine) as session:
            serialize_routing(session)
            if key:
                seen = session.get(IdempotencyKey, key)
                if seen is not None:
                    return IntakeResult(**seen.response, replayed=True)
            result = _touch_open_lead(session, config, lead, now) or _new_lead(
                session, config, lead, source, now
            )
            if key:
                session.add(
                    IdempotencyKey(
                        key=key, lead_id=result.lead_id, response=_stored(result), created_at=now
                    )
                )
            return result
    except IntegrityError:
        if not key:
            raise
        # A concurrent delivery of the same key won the insert: answer as it did.
        with read_only(engine) as session:
            seen = session.get(IdempotencyKey, key)
            if seen is None:
                raise
            return IntakeResult(**seen.response, replayed=True)


def _stored(result: IntakeResult) -> dict[str, Any]:
    return {
        "lead_id": result.lead_id,
        "state": result.state,
        "owner": result.owner,
        "rule": result.rule,
        "reason": result.reason,
        "duplicate": result.duplicate,
    }


def _touch_open_lead(
    session: Session, config: RoutingConfig, lead: Lead, now: datetime
) -> IntakeResult | None:
    if not lead.email:
        return None
    window_start = now - config.intake.duplicate_window
    existing = session.exec(
        select(LeadRow)
        .where(LeadRow.email == lead.email)
        .where(col(LeadRow.state).in_([*OPEN_STATES, LeadState.triage]))
        .where(LeadRow.created_at >= window_start)
        .order_by(col(LeadRow.created_at).desc())
        .limit(1)
    ).first()
    if existing is None:
        return None
    existing.touches += 1
    session.add(existing)
    _event(
        session,
        existing,
        "repeat_touch",
        SYSTEM,
        now,
        reason=f"the same person wrote again ({lead.source or 'form'})",
        detail={"lead": lead.model_dump(mode="json", exclude_none=True)},
    )
    if existing.owner:
        outbox.enqueue(
            session,
            outbox.Kind.notify,
            now,
            lead_id=existing.id,
            target=existing.owner,
            payload={"template": "repeat_touch", "message": lead.message or ""},
        )
    outbox.enqueue(session, outbox.Kind.update_cards, now, lead_id=existing.id)
    assert existing.id is not None
    return IntakeResult(
        existing.id,
        existing.state,
        existing.owner,
        existing.rule,
        "repeat touch on an open lead: " + existing.reason,
        duplicate=True,
    )


def _new_lead(
    session: Session, config: RoutingConfig, lead: Lead, source: str, now: datetime
) -> IntakeResult:
    row = LeadRow(
        created_at=now,
        source=source,
        email=lead.email,
        company=lead.company,
        data=lead.model_dump(mode="json", exclude_none=True, exclude_defaults=True),
        state=LeadState.triage,  # replaced by the decision below, in this same transaction
    )
    session.add(row)
    session.flush()
    _event(session, row, "received", SYSTEM, now, reason=f"from {source}")
    router = Router(session, config, now)
    _apply(session, config, row, router.decide(row, lead), "intake", SYSTEM, now)
    assert row.id is not None
    return IntakeResult(row.id, row.state, row.owner, row.rule, row.reason)


def routing_state(
    session: Session, config: RoutingConfig, now: datetime, exclude: Sequence[str] = ()
) -> RoutingState:
    """What the engine needs to know, read inside the caller's (locked) transaction."""
    rotation = {r.pool: r.credits for r in session.exec(select(Rotation)).all()}
    away = {
        a.rep: a.until
        for a in session.exec(select(Availability)).all()
        if a.until is None or a.until > now
    }
    performance: dict[str, float] = {}
    if any(p.strategy is Strategy.top_performer for p in config.pools.values()):
        performance = win_rates(session, since=now - timedelta(days=90))
    return RoutingState(
        rotation=rotation,
        open_leads=open_leads(session),
        away=away,
        performance=performance,
        exclude=frozenset(exclude),
    )


def open_leads(session: Session) -> dict[str, int]:
    rows = session.exec(
        select(LeadRow.owner, func.count())
        .where(col(LeadRow.state).in_(OPEN_STATES))
        .where(col(LeadRow.owner).is_not(None))
        .group_by(LeadRow.owner)
    ).all()
    return {owner: count for owner, count in rows if owner}


def win_rates(session: Session, since: datetime) -> dict[str, float]:
    """Won / closed per rep since `since`; the top_performer strategy ranks by it."""
    rows = session.exec(
        select(LeadRow.owner, LeadRow.state, func.count())
        .where(col(LeadRow.state).in_(CLOSED_STATES))
        .where(col(LeadRow.closed_at) >= since)
        .group_by(LeadRow.owner, LeadRow.state)
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
    re-read every open lead for each one."""

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
    """Write a routing decision onto the lead: owner, SLA, ladder, trace, events, notifications."""
    previous_state = row.state
    row.state = {
        "assigned": LeadState.assigned,
        "nurture": LeadState.nurture,
        "triage": LeadState.triage,
    }[decision.outcome]
    row.owner = decision.owner_id
    row.pool = decision.pool_id
    row.rule = decision.rule_name
    row.reason = decision.reason
    row.priority = decision.priority.value
    row.sla_seconds = int(decision.sla.total_seconds())
    row.open_to_pool = False
    row.escalation_step = 0
    if decision.outcome == "assigned":
        row.assigned_at = now
        row.claim_due_at = now + decision.sla
        start_ladder(row, _ladder(config, decision), now)
    else:
        row.claim_due_at = row.escalate_at = None
        row.escalation = []
    session.add(row)
    session.add(
        Assignment(
            lead_id=row.id,
            at=now,
            kind=kind,
            outcome=decision.outcome,
            owner=decision.owner_id,
            pool=decision.pool_id,
            rule=decision.rule_name,
            reason=decision.reason,
            trace=list(decision.trace),
            exclusions=[e.__dict__ for e in decision.exclusions],
        )
    )
    if decision.rotation is not None and decision.pool is not None:
        _save_rotation(session, decision.pool.id, dict(decision.rotation), now)
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
    _notify_new_owner(session, config, row, decision, now)


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


def start_ladder(row: LeadRow, steps: list[dict[str, Any]], now: datetime) -> None:
    """Fix each step's time from `now` (a new owner gets the whole ladder)."""
    row.escalation = [
        {**step, "at": (now + timedelta(seconds=step["after"])).isoformat()} for step in steps
    ]
    row.escalation_step = 0
    row.escalate_at = now + timedelta(seconds=steps[0]["after"]) if steps else None


def _save_rotation(session: Session, pool: str, credits: dict[str, int], now: datetime) -> None:
    current = session.get(Rotation, pool)
    if current is None:
        session.add(Rotation(pool=pool, credits=credits, updated_at=now))
    else:
        current.credits = credits
        current.updated_at = now
        session.add(current)


def _notify_new_owner(
    session: Session, config: RoutingConfig, row: LeadRow, decision: Decision, now: datetime
) -> None:
    if decision.outcome == "assigned" and row.owner:
        outbox.enqueue(
            session, outbox.Kind.post_card, now, lead_id=row.id, target=f"dm:{row.owner}"
        )
        channel = decision.pool.channel if decision.pool else None
        if channel:
            outbox.enqueue(
                session, outbox.Kind.post_card, now, lead_id=row.id, target=f"channel:{channel}"
            )
    elif decision.outcome == "triage":
        outbox.enqueue(session, outbox.Kind.post_card, now, lead_id=row.id, target="triage")


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
    session.add(
        Event(
            lead_id=row.id if row else None,
            at=now,
            kind=kind,
            actor=actor,
            from_state=from_state if from_state is not None else (row.state if row else None),
            to_state=row.state if row else None,
            owner=row.owner if row else None,
            pool=row.pool if row else None,
            rule=row.rule if row else None,
            reason=reason,
            detail=detail or {},
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
        row = _get(session, lead_id)
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
        row.claim_due_at = now + timedelta(seconds=row.sla_seconds)
        start_ladder(row, row.escalation, now)
        row.open_to_pool = False
        session.add(row)
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
        row = _get(session, lead_id)
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
        row = _get(session, lead_id)
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
