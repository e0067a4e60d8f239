"""Replay leads through a routing config to see what it would do before it goes live.

simulate() hands each lead to routing.decide() in the order the leads arrived, at the moment
each arrived, and carries from one lead to the next what the database would carry: every
pool's rotation credits and every rep's open leads. A replay cannot know how the real weeks
went, so it assumes:

- a lead stays open for `hold` after it is assigned (default 2 days, wall-clock) and then
  closes; that keeps capacity limits and least_loaded pools working against a realistic load
  instead of an ever-growing one;
- nobody is /away: availability comes from the config alone (`active`, time off, and working
  hours at the lead's timestamp);
- nobody claims late, reassigns or escalates: every lead keeps the owner it was routed to.

The simulator takes leads; routing.leads_csv reads them from a CSV.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from routing.config import RoutingConfig
from routing.engine import Decision, decide
from routing.fairness import pool_fairness
from routing.lead import Lead
from routing.state import RoutingState
from routing.team import Strategy

DEFAULT_HOLD = timedelta(days=2)
NO_RULE = "(no rule matched)"
# How a rep got a lead when no pool shared it out (RepCount.via).
VIA_ACCOUNT = "(named account)"
VIA_RULE = "(rule names the rep)"


@dataclass(frozen=True)
class SimulatedLead:
    index: int  # position in the input, so two replays of the same leads can be compared
    received_at: datetime
    lead: Lead
    decision: Decision

    @property
    def owner_key(self) -> str:
        """The rep id, or 'nurture' / 'triage' when nobody owns the lead."""
        return self.decision.owner_id or self.decision.outcome

    @property
    def owner_label(self) -> str:
        return self.decision.owner.name if self.decision.owner else self.decision.outcome

    @property
    def rule_name(self) -> str:
        return self.decision.rule_name or NO_RULE


@dataclass(frozen=True)
class RuleCount:
    rule: str
    leads: int  # leads this rule decided (it was the first to match)
    triage: int  # of those, how many nobody could take


@dataclass(frozen=True)
class RepCount:
    rep: str
    name: str
    via: str  # the pool that shared the lead out, or VIA_ACCOUNT / VIA_RULE
    leads: int
    share: float | None  # of the pool's leads; None outside pools
    available: int | None  # of the pool's leads, how many the rep could have taken


@dataclass(frozen=True)
class PoolFairness:
    """How evenly a pool shared its leads: routing.fairness's figure, the one /routing-stats
    shows for the live history.

    Each member is meant a share in proportion to their weight (in weighted pools) and to the
    fraction of the pool's leads they could have taken (`available` per rep), so a weight-2 rep
    with twice the leads, or a rep on time off for half the leads with half as many, is fair.
    1.0 means even; 1.5 means the busiest got half as much again, for their due, as the
    quietest; inf means a member who could take leads got none. Members who could take none of
    the pool's leads (inactive, on time off throughout) are meant nothing and left out.
    """

    pool: str
    strategy: Strategy
    leads: int
    ratio: float | None  # None when the pool got no leads
    busiest: str | None  # most over their due
    quietest: str | None  # most under their due


@dataclass(frozen=True)
class SimulationReport:
    results: tuple[SimulatedLead, ...]  # in replay (time) order
    rules: tuple[RuleCount, ...]
    reps: tuple[RepCount, ...]
    fairness: tuple[PoolFairness, ...]
    hold: timedelta

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.results if r.decision.outcome == outcome)

    @property
    def triage(self) -> tuple[SimulatedLead, ...]:
        """Leads nobody could take, each with its decision's reason."""
        return tuple(r for r in self.results if r.decision.outcome == "triage")

    @property
    def nurture(self) -> int:
        return self.count("nurture")

    @property
    def assigned(self) -> int:
        return self.count("assigned")

    def pool_leads(self, pool: str) -> int:
        return sum(1 for r in self.results if r.decision.pool_id == pool)


def simulate(
    leads: Iterable[tuple[datetime, Lead]],
    config: RoutingConfig,
    *,
    initial_open: Mapping[str, int] | None = None,
    hold: timedelta = DEFAULT_HOLD,
) -> SimulationReport:
    """Route `leads` one after another, in time order, as the live bot would have.

    initial_open: rep id -> leads already open when the replay starts; they close `hold`
    after the first lead. Timestamps must be timezone-aware.
    """
    if hold <= timedelta(0):
        raise ValueError("hold must be positive")
    items = list(enumerate(leads))
    for index, (received_at, _) in items:
        if received_at.tzinfo is None:
            raise ValueError(f"lead {index + 1}: received_at has no UTC offset")
    items.sort(key=lambda item: item[1][0])  # stable: simultaneous leads keep input order

    rotation: dict[str, dict[str, int]] = {}
    load: Counter[str] = Counter()
    closing: deque[tuple[datetime, str, int]] = deque()  # closes in time order: hold is fixed
    if initial_open and items:
        start = items[0][1][0]
        for rep, count in initial_open.items():
            if rep not in config.reps:
                raise ValueError(f"initial_open names unknown rep {rep!r}")
            load[rep] += count
            closing.append((start + hold, rep, count))

    results: list[SimulatedLead] = []
    for index, (received_at, lead) in items:
        while closing and closing[0][0] <= received_at:
            _, rep, count = closing.popleft()
            load[rep] -= count
        state = RoutingState(rotation=rotation, open_leads=dict(load))
        decision = decide(lead, config, state, received_at)
        if decision.pool is not None and decision.rotation is not None:
            rotation[decision.pool.id] = dict(decision.rotation)
        if decision.owner is not None:
            load[decision.owner.id] += 1
            closing.append((received_at + hold, decision.owner.id, 1))
        results.append(SimulatedLead(index, received_at, lead, decision))
    return _report(tuple(results), config, hold)


def _report(
    results: tuple[SimulatedLead, ...], config: RoutingConfig, hold: timedelta
) -> SimulationReport:
    by_pool: dict[str, Counter[str]] = {pool: Counter() for pool in config.pools}
    available: dict[str, Counter[str]] = {pool: Counter() for pool in config.pools}
    direct: dict[str, Counter[str]] = {VIA_ACCOUNT: Counter(), VIA_RULE: Counter()}
    for result in results:
        decision = result.decision
        if decision.owner is None:
            continue
        if decision.pool is not None:
            pool = decision.pool.id
            by_pool[pool][decision.owner.id] += 1
            left_out = {e.rep for e in decision.exclusions if e.pool == pool}
            available[pool].update(m for m in decision.pool.members if m not in left_out)
        elif decision.rule is not None and decision.rule.rep == decision.owner.id:
            direct[VIA_RULE][decision.owner.id] += 1
        else:
            direct[VIA_ACCOUNT][decision.owner.id] += 1

    reps: list[RepCount] = []
    fairness: list[PoolFairness] = []
    for pool_id, pool in config.pools.items():
        total = sum(by_pool[pool_id].values())
        for member in pool.members:
            count = by_pool[pool_id][member]
            reps.append(
                RepCount(
                    member,
                    config.reps[member].name,
                    pool_id,
                    count,
                    count / total if total else None,
                    available[pool_id][member],
                )
            )
        fairness.append(_fairness(pool_id, config, total, by_pool[pool_id], available[pool_id]))
    for via, counts in direct.items():
        for rep, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
            reps.append(RepCount(rep, config.reps[rep].name, via, count, None, None))

    decided = Counter(r.rule_name for r in results)
    stuck = Counter(r.rule_name for r in results if r.decision.outcome == "triage")
    names = [rule.name for rule in config.rules] + ([NO_RULE] if decided[NO_RULE] else [])
    rules = tuple(RuleCount(name, decided[name], stuck[name]) for name in names)
    return SimulationReport(results, rules, tuple(reps), tuple(fairness), hold)


def _fairness(
    pool_id: str,
    config: RoutingConfig,
    total: int,
    counts: Counter[str],
    available: Counter[str],
) -> PoolFairness:
    """routing.fairness's figure, a member's availability being the fraction of the pool's
    leads they could have taken."""
    pool = config.pools[pool_id]
    could_take = {m: available[m] / total for m in pool.members} if total else {}
    fairness = pool_fairness(pool, config.reps, counts, could_take)
    return PoolFairness(
        pool_id, pool.strategy, total, fairness.figure, fairness.busiest, fairness.quietest
    )


@dataclass(frozen=True)
class Move:
    """A lead that another config would give to someone else."""

    before: SimulatedLead
    after: SimulatedLead

    @property
    def lead(self) -> Lead:
        return self.after.lead

    @property
    def received_at(self) -> datetime:
        return self.after.received_at

    @property
    def old_owner(self) -> str:
        return self.before.owner_label

    @property
    def new_owner(self) -> str:
        return self.after.owner_label

    @property
    def new_reason(self) -> str:
        return self.after.decision.reason

    @property
    def cause(self) -> str:
        """'rule': another rule decides it; 'pool': the same rule places it in another pool
        (a fallback); 'knock-on': same rule and pool, but earlier moves shifted the rotation
        or the reps' loads."""
        if self.before.rule_name != self.after.rule_name:
            return "rule"
        if self.before.decision.pool_id != self.after.decision.pool_id:
            return "pool"
        return "knock-on"


def compare(report_a: SimulationReport, report_b: SimulationReport) -> list[Move]:
    """The leads whose owner differs between two replays of the same leads, in time order.

    'Owner' includes nurture and triage, so a lead that goes from a rep to triage moves.
    """
    before = {r.index: r for r in report_a.results}
    if len(before) != len(report_b.results):
        raise ValueError("the two reports replayed different leads")
    moves: list[Move] = []
    for after in report_b.results:
        old = before.get(after.index)
        if old is None or old.lead != after.lead or old.received_at != after.received_at:
            raise ValueError("the two reports replayed different leads")
        if old.owner_key != after.owner_key:
            moves.append(Move(old, after))
    return moves
