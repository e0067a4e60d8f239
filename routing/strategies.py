"""How a pool shares leads among its eligible members.

Every strategy rotates with *credits* (smooth weighted round robin, as nginx balances
upstreams): on each pick every eligible member gains its weight, the member with the most
credit wins (ties go to the earlier member in the pool's list) and pays back the sum of the
weights that took part. With equal weights this is an exact round robin in list order; with
weights it interleaves (a:2, b:1 -> a b a a b a ...), never bunching.

Members who are not eligible (away, off hours, at capacity) take no part in a pick, so their
credit stays frozen. When they return they resume where they left off: they do not get the
leads they missed pushed onto them at once (no flood), and from then on they get their full
share (no penalty). The leads that arrived while they were away went to the people who were
there to work them.

least_loaded and top_performer first narrow the field (fewest open leads, best performance)
and then let credits settle ties, so equals still take turns.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from routing.team import Pool, Rep, Strategy

if TYPE_CHECKING:
    from routing.engine import RoutingState

Credits = Mapping[str, int]


def pick(
    pool: Pool, eligible: list[Rep], credits: Credits, state: RoutingState
) -> tuple[Rep, dict[str, int]]:
    """Choose among `eligible` (in pool order); return the rep and the pool's new credits."""
    field = eligible
    if pool.strategy is Strategy.least_loaded:
        fewest = min(state.open_leads.get(rep.id, 0) for rep in eligible)
        field = [rep for rep in eligible if state.open_leads.get(rep.id, 0) == fewest]
    elif pool.strategy is Strategy.top_performer:
        best = max(state.performance.get(rep.id, 0.0) for rep in eligible)
        field = [rep for rep in eligible if state.performance.get(rep.id, 0.0) == best]
    weighted = pool.strategy is Strategy.weighted
    return _smooth_round_robin(pool, field, credits, weighted)


def _smooth_round_robin(
    pool: Pool, field: list[Rep], credits: Credits, weighted: bool
) -> tuple[Rep, dict[str, int]]:
    new = {member: credits.get(member, 0) for member in pool.members}
    total = 0
    chosen: Rep | None = None
    for rep in field:
        weight = rep.weight if weighted else 1
        total += weight
        new[rep.id] += weight
        if chosen is None or new[rep.id] > new[chosen.id]:
            chosen = rep
    assert chosen is not None, "pick() needs at least one eligible rep"
    new[chosen.id] -= total
    return chosen, new
