"""decide(): pick the owner of a lead and say why.

Pure: everything that changes (who is away, open leads, rotation position, the time) is an
argument, and the new rotation position is part of the returned Decision for the caller to
persist in the same transaction as the assignment. What the database knows is a
routing.state.RoutingState, documented field by field there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from routing.config import Priority, RoutingConfig, Rule
from routing.crm_config import CrmAnswer
from routing.eligibility import Eligibility
from routing.lead import Lead
from routing.state import RoutingState
from routing.strategies import Rotation, pick
from routing.team import Pool, Rep
from routing.trace import Exclusion, Trace

Outcome = Literal["assigned", "nurture", "triage"]


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    owner: Rep | None
    pool: Pool | None
    rule: Rule | None
    priority: Priority
    sla: timedelta
    reason: str
    trace: tuple[str, ...]
    exclusions: tuple[Exclusion, ...]
    rotation: Rotation | None = None  # the new credits of `pool`, when a rotation moved
    held: bool = False  # assigned while the pool is closed: its clocks start at opening

    @property
    def owner_id(self) -> str | None:
        return self.owner.id if self.owner else None

    @property
    def pool_id(self) -> str | None:
        return self.pool.id if self.pool else None

    @property
    def rule_name(self) -> str | None:
        return self.rule.name if self.rule else None


def first_matching_rule(lead: Lead, config: RoutingConfig) -> Rule | None:
    """The first rule in `config.rules` whose `when` matches (routing.rule_index skips the
    rules that certainly do not)."""
    return config.rule_index.first_match(lead)


def decide(
    lead: Lead,
    config: RoutingConfig,
    state: RoutingState,
    now: datetime,
    crm: CrmAnswer | None = None,
) -> Decision:
    """Route one lead. `now` must be timezone-aware. `crm`: what the CRM said about its owner,
    if it was asked (bot.crm): the owner it names comes first, as a named account does."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    trace = Trace()
    eligibility = Eligibility(lead, state, now)
    rule = first_matching_rule(lead, config)
    if rule is None:
        trace.step("no rule matched")
    else:
        trace.step(rule.name)
        if rule.nurture:
            trace.step("nurture (stored, not routed)")
            return _decision("nurture", None, None, rule, config, trace)

    if rule is None or rule.account_owner:
        owned = _crm_owner(crm, config, eligibility, trace) or _account_owner(
            lead, config, eligibility, trace
        )
        if owned is not None:
            return _decision("assigned", owned, None, rule, config, trace)
    elif crm is not None:
        trace.step(f"{crm.why} (this rule does not route to account owners)")

    for pool_or_rep in _targets(rule, config):
        if isinstance(pool_or_rep, Rep):
            reason = eligibility.reason(pool_or_rep, rule)
            if reason is None:
                trace.step(f"rep {pool_or_rep.name}")
                return _decision("assigned", pool_or_rep, None, rule, config, trace)
            trace.exclude(pool_or_rep, reason)
            trace.step(f"rep {pool_or_rep.name} unavailable ({reason})")
            continue
        pool = pool_or_rep
        eligible: list[Rep] = []
        passed_over: list[Rep] = []  # had this lead already: present, but not a candidate
        off_hours: list[Rep] = []  # out only because of the hour: who a held lead waits for
        reps = config.reps
        for member_id in pool.members:
            rep = reps[member_id]
            reason = eligibility.reason(rep, rule)
            if reason is None:
                eligible.append(rep)
            else:
                trace.exclude(rep, reason, pool.id)
                if member_id in state.exclude:
                    passed_over.append(rep)
                elif reason.startswith("off hours"):
                    off_hours.append(rep)
        held = not eligible and pool.after_hours == "hold" and bool(off_hours)
        if held:
            eligible = off_hours
        elif not eligible:
            trace.step(f"pool {pool.id}: nobody available{trace.pool_exclusions(pool.id)}")
            continue
        rotation = state.rotation.get(pool.id, {})
        chosen, credits = pick(pool, eligible, rotation, state, passed_over)
        trace.step(f"pool {pool.id}")
        if held:
            trace.step(f"closed, held for {chosen.name} (next in line) until the pool opens")
        else:
            trace.step(
                f"{pool.strategy.value.replace('_', ' ')}: {chosen.name} was next"
                f"{trace.pool_exclusions(pool.id)}"
            )
        return _decision("assigned", chosen, pool, rule, config, trace, credits, held=held)

    trace.step(f"{config.triage.name} queue")
    return _decision("triage", None, None, rule, config, trace)


def _targets(rule: Rule | None, config: RoutingConfig) -> list[Pool | Rep]:
    """The fallback chain: rule target -> rule fallback -> pool fallback -> global fallback."""
    chain: list[Pool | Rep] = []
    if rule is not None and rule.rep:
        chain.append(config.reps[rule.rep])
    pool_ids: list[str | None] = []
    if rule is not None:
        pool_ids.append(rule.pool)
        pool_ids.append(rule.fallback)
        if rule.pool:
            pool_ids.append(config.pools[rule.pool].fallback)
    pool_ids.append(config.fallback)
    seen: set[str] = set()
    for pool_id in pool_ids:
        if pool_id and pool_id not in seen:
            seen.add(pool_id)
            # a pool's coverage may be a named rep rather than another pool
            chain.append(config.pools.get(pool_id) or config.reps[pool_id])
    return chain


def _crm_owner(
    crm: CrmAnswer | None, config: RoutingConfig, eligibility: Eligibility, trace: Trace
) -> Rep | None:
    """The rep the CRM names as owner, if they can take the lead now; the trace says what the
    CRM answered, or that it was not consulted."""
    if crm is None:
        return None
    owner = config.reps.get(crm.rep_id or "")
    if owner is None:
        trace.step(crm.why)
        return None
    reason = eligibility.reason(owner, None, named_account=True)
    if reason is None:
        trace.step(crm.why)
        return owner
    trace.exclude(owner, reason)
    trace.step(f"{crm.why}, unavailable ({reason})")
    return None


def _account_owner(
    lead: Lead, config: RoutingConfig, eligibility: Eligibility, trace: Trace
) -> Rep | None:
    if not config.accounts:
        return None
    for domain in (lead.company_domain, lead.email_domain):
        owner_id = config.accounts.get(domain) if domain else None
        if owner_id is None:
            continue
        owner = config.reps[owner_id]
        reason = eligibility.reason(owner, None, named_account=True)
        if reason is None:
            trace.step(f"named account {domain}: {owner.name} owns it")
            return owner
        trace.exclude(owner, reason)
        trace.step(f"named account {domain}: owner {owner.name} unavailable ({reason})")
        return None
    return None


def exclusion_reason(
    rep: Rep,
    lead: Lead,
    rule: Rule | None,
    config: RoutingConfig,
    state: RoutingState,
    now: datetime,
    *,
    named_account: bool = False,
) -> str | None:
    """Why `rep` cannot take `lead` now, or None if they can. The first reason found wins."""
    return Eligibility(lead, state, now).reason(rep, rule, named_account=named_account)


def _decision(
    outcome: Outcome,
    owner: Rep | None,
    pool: Pool | None,
    rule: Rule | None,
    config: RoutingConfig,
    trace: Trace,
    credits: Rotation | None = None,
    *,
    held: bool = False,
) -> Decision:
    return Decision(
        outcome=outcome,
        owner=owner,
        pool=pool,
        rule=rule,
        priority=rule.priority if rule else Priority.normal,
        sla=config.sla_for(rule, pool),
        reason=trace.sentence(),
        trace=tuple(trace.steps),
        exclusions=tuple(trace.exclusions),
        rotation=credits,
        held=held,
    )
