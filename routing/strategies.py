"""How a pool shares leads among its eligible members.

Every strategy takes turns by *stride scheduling*: each member has a pass value; the eligible
member with the lowest pass gets the lead (ties: whoever waited longest, then pool order) and
their pass grows by their stride (the same for everyone, or inversely proportional to the weight in
weighted pools). With equal weights this is an exact round robin in list order; with weights 2:1 it
interleaves a b a a b a ... and never bunches.

Returning from time away (or off hours, or capacity): an ineligible member takes no part in a
pick, so their pass stands still while the pool's clock moves on. When they come back their
pass is raised to the pool's clock: they are next in line (they keep their place, so they do
not lose their share) and get one lead, then take turns as before (they are not flooded with the
leads they missed, which went to the people who were there to work them).

least_loaded and top_performer first narrow the field (fewest open leads, best performance)
and then take turns among equals the same way.

The state is one small mapping per pool (rep id -> pass, plus CLOCK), returned in the Decision
for the caller to persist in the transaction that stores the assignment.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from routing.team import Pool, Rep, Strategy

if TYPE_CHECKING:
    from routing.engine import RoutingState

Credits = Mapping[str, int]
CLOCK = "@clock"  # rep ids cannot contain '@', so this key never collides
# One whole-number scale for every pool: divisible by each allowed weight (1-10), so strides
# stay exact integers and a pool can change strategy or weights without a rescale.
STRIDE_SCALE = 2520


def pick(
    pool: Pool, eligible: list[Rep], rotation: Credits, state: RoutingState
) -> tuple[Rep, dict[str, int]]:
    """Choose among `eligible` (in pool order); return the rep and the pool's new rotation."""
    field = eligible
    if pool.strategy is Strategy.least_loaded:
        fewest = min(state.open_leads.get(rep.id, 0) for rep in eligible)
        field = [rep for rep in eligible if state.open_leads.get(rep.id, 0) == fewest]
    elif pool.strategy is Strategy.top_performer:
        best = max(state.performance.get(rep.id, 0.0) for rep in eligible)
        field = [rep for rep in eligible if state.performance.get(rep.id, 0.0) == best]
    return _take_turn(field, rotation, weighted=pool.strategy is Strategy.weighted)


def _take_turn(field: list[Rep], rotation: Credits, weighted: bool) -> tuple[Rep, dict[str, int]]:
    clock = rotation.get(CLOCK, 0)
    chosen = min(
        field,
        key=lambda rep: (max(rotation.get(rep.id, 0), clock), rotation.get(rep.id, 0)),
    )  # min() keeps the first of equals: pool order breaks the last ties
    turn = max(rotation.get(chosen.id, 0), clock)
    stride = STRIDE_SCALE // chosen.weight if weighted else STRIDE_SCALE
    new = dict(rotation)
    new[CLOCK] = turn
    new[chosen.id] = turn + stride
    return chosen, new
