"""The rows a change to a lead writes, built in one place.

Intake's batches (storage.intake), the transitions (storage.lifecycle, storage.availability)
and the escalation sweep (storage.escalation) all build their events, outbox rows, assignments
and the lead columns a routing decision sets with these functions, so a new column or a new
routing input is one edit here. They return plain dicts: the ORM takes them as
`Model(**values)`, and the bulk paths hand them to executemany.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from routing import Decision, Lead, RoutingConfig
from routing.business_time import business_deadline
from routing.team import Pool
from storage.models import Event, LeadRow, LeadState, OutboxKind, OutboxStatus

SYSTEM = "leadrouter"  # the actor of what nobody clicked

# A lead's routing outcome as a state
OUTCOME_STATES = {
    "assigned": LeadState.assigned,
    "nurture": LeadState.nurture,
    "triage": LeadState.triage,
}


# ---------------------------------------------------------------- the lead


def new_lead(lead: Lead, data: dict[str, Any], source: str, now: datetime) -> dict[str, Any]:
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


def decided(config: RoutingConfig, decision: Decision, now: datetime) -> dict[str, Any]:
    """The lead's columns that a routing decision sets: owner, pool, SLA, ladder, reason."""
    values: dict[str, Any] = {
        "state": OUTCOME_STATES[decision.outcome].value,
        "owner": decision.owner_id,
        "pool": decision.pool_id,
        "rule": decision.rule_name,
        "reason": decision.reason,
        "priority": decision.priority.value,
        "sla_seconds": int(decision.sla.total_seconds()),
        "open_to_pool": False,
    }
    if decision.outcome == "assigned":
        deadline = deadlines(decision.pool, now, held=decision.held)
        values["assigned_at"] = now
        values["claim_due_at"] = deadline(decision.sla)
        values.update(ladder_times(ladder(config, decision), now, deadline))
    else:
        values.update(claim_due_at=None, escalate_at=None, escalation=[], escalation_step=0)
    return values


# ---------------------------------------------------------------- the ladder


def ladder(config: RoutingConfig, decision: Decision) -> list[dict[str, Any]]:
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


def deadlines(
    pool: Pool | None, now: datetime, *, held: bool = False
) -> Callable[[timedelta], datetime]:
    """How a lead's clocks run from `now`: on the wall clock, or only in the pool's open hours
    (a pool with `pause_sla`, or a lead held while its pool is closed)."""
    if pool is not None and pool.hours is not None and (pool.pause_sla or held):
        hours, zone = pool.hours, pool.zone
        return lambda delta: business_deadline(now, delta, hours, zone)
    return lambda delta: now + delta


def ladder_times(
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


# ---------------------------------------------------------------- what happened


def assignment(
    lead_id: int | None,
    now: datetime,
    kind: str,
    *,
    outcome: str,
    owner: str | None,
    pool: str | None,
    rule: str | None,
    reason: str,
    trace: list[str],
    exclusions: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """An assignment: who got the lead, how (`kind`: intake, reassign, declined, …) and why."""
    return {
        "lead_id": lead_id,
        "at": now,
        "kind": kind,
        "outcome": outcome,
        "owner": owner,
        "pool": pool,
        "rule": rule,
        "reason": reason,
        "trace": trace,
        "exclusions": exclusions or [],
    }


def decision_assignment(
    lead_id: int | None, decision: Decision, kind: str, now: datetime
) -> dict[str, Any]:
    return assignment(
        lead_id,
        now,
        kind,
        outcome=decision.outcome,
        owner=decision.owner_id,
        pool=decision.pool_id,
        rule=decision.rule_name,
        reason=decision.reason,
        trace=list(decision.trace),
        exclusions=[e.__dict__ for e in decision.exclusions],
    )


def event(
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


def event_of(
    row: LeadRow | None,
    kind: str,
    actor: str | None,
    now: datetime,
    *,
    from_state: str | None = None,
    reason: str = "",
    detail: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An event about `row` as it is now (None: an event about no lead, e.g. /away)."""
    before = from_state if from_state is not None else (row.state if row else None)
    lead = (
        (before, row.state, row.owner, row.pool, row.rule)
        if row
        else (before, None, None, None, None)
    )
    return event(row.id if row else None, kind, actor, now, lead, reason=reason, detail=detail)


def add_event(
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
    """event_of, added to the session."""
    values = event_of(row, kind, actor, now, from_state=from_state, reason=reason, detail=detail)
    session.add(Event(**values))


# ---------------------------------------------------------------- notifications


def message(
    kind: OutboxKind,
    now: datetime,
    lead_id: int | None = None,
    target: str | None = None,
    payload: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An outbox row: an intent ("post lead 12's card to Ana"), rendered when delivered."""
    return {
        "lead_id": lead_id,
        "kind": OutboxKind(kind).value,
        "target": target,
        "payload": payload or {},
        "status": OutboxStatus.pending.value,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
        "sent_at": None,
        "last_error": None,
        "priority": priority(kind, target),
        "lease_owner": None,
        "in_doubt": False,
    }


def priority(kind: OutboxKind, target: str | None) -> int:
    """Delivery order: 0 the owner's DM card (speed to lead); 1 what changes what a person may
    do (card updates: claimed, reassigned) and the cards that are a lead's only copy (triage, a
    manager's); 2 channel copies, alerts, reminders and digests."""
    target = target or ""
    if kind == OutboxKind.post_card and target.startswith("dm:"):
        return 0
    if kind == OutboxKind.update_cards:
        return 1
    if kind == OutboxKind.post_card and (target == "triage" or target.startswith("person:")):
        return 1
    return 2


def new_owner_notices(
    decision: Decision, config: RoutingConfig
) -> list[tuple[OutboxKind, str | None]]:
    """What a decision sends: the owner's DM card and the pool's channel copy (or the triage
    card), and the CRM's update when routing.yml has a crm that is written back to."""
    notices: list[tuple[OutboxKind, str | None]] = []
    if decision.outcome == "assigned" and decision.owner_id:
        notices.append((OutboxKind.post_card, f"dm:{decision.owner_id}"))
        channel = decision.pool.channel if decision.pool else None
        if channel:
            notices.append((OutboxKind.post_card, f"channel:{channel}"))
        if writes_crm(config):
            notices.append((OutboxKind.crm_sync, None))
    elif decision.outcome == "triage":
        notices.append((OutboxKind.post_card, "triage"))
    return notices


def writes_crm(config: RoutingConfig) -> bool:
    return config.crm is not None and config.crm.write_back
