"""The lead lifecycle: every transition of a lead, each one transaction (state + event + outbox
rows). Time away (which re-routes a rep's leads) is storage.availability; new leads are
storage.intake; the ladder is storage.escalation. Their rows come from storage.rows.

    received ─▶ assigned ─▶ claimed ─▶ contacted ─▶ won / lost / disqualified
        │          │  ▲
        │          └──┘ reassigned, declined ("not mine"), re-routed (away, unreachable, ladder)
        ├─▶ nurture (stored, not routed)
        └─▶ triage  (nobody could take it; any rep may claim it from the triage channel)

Listeners, the webhook and the scheduler call these functions; none of them changes a lead's
state any other way. Who may do what is routing.rulebook's, asked here before every change.
Claims are compare-and-set updates, so exactly one of many simultaneous clicks wins, on SQLite
and on PostgreSQL alike.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, update
from sqlmodel import Session, col

from routing import Decision, RoutingConfig, rulebook
from routing.durations import format_elapsed
from routing.rulebook import Action
from storage import load, outbox, rotations, rows
from storage.db import read_only, serialize_routing, transaction
from storage.models import (
    CLOSED_STATES,
    Assignment,
    LeadRow,
    LeadState,
    Responsiveness,
)
from storage.routing_state import Router
from storage.rows import SYSTEM

__all__ = ["SYSTEM", "Refused", "Router"]


class Refused(Exception):
    """A transition that cannot happen. bot.slack words it for the person who asked.

    code: not_found, not_allowed (with the rulebook's `reason`), already_claimed, wrong_state,
    unknown_rep, inactive_rep, already_owner. `message` is for logs and the CLI.
    """

    def __init__(
        self, code: str, message: str, lead: LeadRow | None = None, reason: str = ""
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.reason = reason
        # a plain copy: the transaction that raised this rolls back and expires its rows
        self.lead = LeadRow(**lead.model_dump()) if lead is not None else None


def apply_decision(
    session: Session,
    config: RoutingConfig,
    row: LeadRow,
    decision: Decision,
    kind: str,
    actor: str,
    now: datetime,
) -> None:
    """Write a routing decision onto an existing lead: owner, SLA, ladder, trace, events,
    notifications. The caller holds the routing lock."""
    previous_state, previous_owner = row.state, row.owner
    for name, value in rows.decided(config, decision, now).items():
        setattr(row, name, value)
    session.add(row)
    session.add(Assignment(**rows.decision_assignment(row.id, decision, kind, now)))
    conn = session.connection()
    if decision.rotation is not None and decision.pool is not None:
        rotations.save(conn, decision.pool.id, dict(decision.rotation), now)
    load.shift(conn, (previous_owner, previous_state), (row.owner, row.state))
    rows.add_event(
        session,
        row,
        decision.outcome,
        actor,
        now,
        from_state=previous_state,
        reason=decision.reason,
        detail={"via": kind},
    )
    for notice, target in rows.new_owner_notices(decision, config):
        if notice is outbox.Kind.post_card:
            outbox.enqueue_card(session, now, row.id, target)
        else:
            outbox.enqueue(session, notice, now, lead_id=row.id, target=target)


def _sync_crm(session: Session, config: RoutingConfig, row: LeadRow, now: datetime) -> None:
    """The CRM hears of the change (bot.crm.writeback), when it is written back to."""
    if rows.writes_crm(config):
        outbox.enqueue(session, outbox.Kind.crm_sync, now, lead_id=row.id)


def start_ladder(row: LeadRow, now: datetime, pool: Any = None) -> None:
    """Fix each step of the lead's ladder from `now` (a new owner gets the whole ladder)."""
    for name, value in rows.ladder_times(row.escalation, now, rows.deadlines(pool, now)).items():
        setattr(row, name, value)


# ---------------------------------------------------------------- claim and work


def claim(
    engine: Engine, config: RoutingConfig, lead_id: int, actor: str, now: datetime
) -> LeadRow:
    """Compare-and-set: the first allowed click wins; the others get Refused('already_claimed')."""
    with transaction(engine) as session:
        row = _get(session, lead_id)
        unclaimed = row.state in (LeadState.assigned, LeadState.triage)
        if unclaimed:
            _require(config, actor, Action.claim, row)
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
        rows.add_event(
            session,
            row,
            "claimed",
            actor,
            now,
            from_state=expected,
            reason=(
                f"claimed {format_elapsed(now - row.assigned_at)} after assignment"
                if row.assigned_at
                else "claimed right away"
            ),
        )
        outbox.enqueue(session, outbox.Kind.update_cards, now, lead_id=row.id)
        _sync_crm(session, config, row, now)
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


def record_crm_outcome(
    engine: Engine,
    config: RoutingConfig,
    lead_id: int,
    outcome: LeadState,
    now: datetime,
    crm: str,
    note: str = "",
) -> LeadRow:
    """The CRM says the lead was won, lost or disqualified (a deal closed, a lead's status):
    recorded as the outcome, by the CRM, from any open state. Nobody clicked, so the rulebook
    is not asked; a lead already closed is left as it is (Refused wrong_state)."""
    if outcome not in CLOSED_STATES:
        raise Refused("wrong_state", f"{outcome} is not an outcome (won, lost, disqualified)")
    return _advance(
        engine,
        config,
        lead_id,
        crm,
        now,
        (LeadState.assigned, LeadState.triage, LeadState.claimed, LeadState.contacted),
        LeadState(outcome),
        "outcome",
        note or f"{outcome} in {crm}",
        ask_rulebook=False,
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
    *,
    ask_rulebook: bool = True,
) -> LeadRow:
    with transaction(engine) as session:
        closes = to_state in CLOSED_STATES
        if closes:  # the lead stops counting for its owner (see storage.load)
            serialize_routing(session)
        row = _get(session, lead_id)
        if ask_rulebook:
            action = Action.contacted if kind == "contacted" else Action.outcome
            _require(config, actor, action, row)
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
        rows.add_event(
            session, row, kind, actor, now, from_state=before, reason=note or to_state.value
        )
        outbox.enqueue(session, outbox.Kind.update_cards, now, lead_id=row.id)
        if ask_rulebook:  # (an outcome the CRM told us need not be written back to it)
            _sync_crm(session, config, row, now)
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
    if not config.reps[to_rep].active:
        raise Refused("inactive_rep", f"{config.reps[to_rep].name} is inactive in routing.yml")
    with transaction(engine) as session:
        row = _get_for_update(session, lead_id)
        _require(config, actor, Action.reassign, row)
        if row.owner == to_rep:
            raise Refused("already_owner", f"{config.reps[to_rep].name} already owns it", row)
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
        row.claim_due_at = rows.deadlines(pool, now)(timedelta(seconds=row.sla_seconds))
        start_ladder(row, now, pool)
        row.open_to_pool = False
        session.add(row)
        load.shift(session.connection(), (previous, previous_state), (to_rep, row.state))
        session.add(
            Assignment(
                **rows.assignment(
                    row.id,
                    now,
                    "reassign",
                    outcome="assigned",
                    owner=to_rep,
                    pool=row.pool,
                    rule=row.rule,
                    reason=row.reason,
                    trace=[row.reason],
                )
            )
        )
        rows.add_event(
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
        _sync_crm(session, config, row, now)
        return row


def decline(
    engine: Engine, config: RoutingConfig, lead_id: int, actor: str, reason: str, now: datetime
) -> LeadRow:
    """'Not mine': the lead passes to the next eligible rep. The decliner's turn is spent."""
    with transaction(engine) as session:
        row = _get_for_update(session, lead_id)
        _require(config, actor, Action.decline, row)
        router = Router(session, config, now)
        return reroute_in(session, router, row, "declined", actor, reason or "not mine")


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
        return reroute_in(session, Router(session, config, now), row, kind, actor, why)


def reroute_in(
    session: Session,
    router: Router,
    row: LeadRow,
    kind: str,
    actor: str,
    why: str,
    detail: dict[str, Any] | None = None,
) -> LeadRow:
    """Pass an unclaimed lead to the next eligible rep inside the caller's transaction; `kind`
    says why (declined, rerouted, unreachable, escalated) and the old cards are updated to say
    so. storage.availability and storage.escalation move leads with it too."""
    now = router.now
    _remember_owner(row)
    previous = row.owner
    decision = router.decide_for(row)
    rows.add_event(
        session, row, kind, actor, now, reason=why, detail={"from": previous, **(detail or {})}
    )
    outbox.enqueue(session, outbox.Kind.update_cards, now, lead_id=row.id)
    apply_decision(session, router.config, row, decision, kind, SYSTEM, now)
    return row


def _remember_owner(row: LeadRow) -> None:
    if row.owner and row.owner not in row.previous_owners:
        row.previous_owners = [*row.previous_owners, row.owner]


# ---------------------------------------------------------------- helpers


def get_lead(engine: Engine, lead_id: int) -> LeadRow:
    with read_only(engine) as session:
        return _get(session, lead_id)


def _require(config: RoutingConfig, actor: str, action: Action, row: LeadRow) -> None:
    """The rulebook's verdict on this lead as it is now, or Refused."""
    verdict = rulebook.check(
        config,
        actor,
        action,
        state=row.state,
        open_to_pool=row.open_to_pool,
        owner=row.owner,
        pool_id=row.pool,
    )
    if verdict.reason == "wrong_state":
        raise Refused("wrong_state", f"this lead is {row.state}", row)
    if not verdict:
        raise Refused("not_allowed", f"{action} refused: {verdict.reason}", row, verdict.reason)


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


def _name(config: RoutingConfig, actor: str) -> str:
    rep = config.reps.get(actor) or config.rep_by_slack_id(actor)
    return rep.name if rep else actor
