"""How a pool shares leads among its eligible members.

Turns are taken by *smooth weighted round robin* (the way nginx balances upstreams): at each
lead every eligible member gains credit equal to their weight, the member with the most credit
gets the lead and pays back the total weight that took part. With equal weights this is an exact
round robin in pool order; with weights it interleaves (10:1:1 gives a a a b a a a c a a a a),
every W leads (W the sum of the weights) each member has exactly their share, and in between a
count strays from its share by a lead or so (1.22 leads at most over thousands of random pools).
Ties go to whoever has waited longest since their last lead, then to pool order.

Coming back (from /away, off hours, time off, or a full queue): a member who was not eligible
for the previous lead takes no part while out, so their credit stands still. When they return
they keep their place in the line: their credit is raised to just above the current leader's,
so the next lead is theirs (they do not lose their share), then they take turns as before (they
are not flooded with the leads they missed, which went to the people who were there to work
them). Any bounded credit gives the same long-run shares, so raising it costs nobody fairness.

least_loaded and top_performer first narrow the field (fewest open leads, best performance)
and then take turns among equals the same way.

The state of a pool is a small JSON-able mapping, returned in the Decision for the caller to
persist in the transaction that stores the assignment:
    {"turn": picks so far, "credit": {rep: int}, "seen": {rep: last turn eligible},
     "served": {rep: last turn won}}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from routing.team import Pool, Rep, Strategy

if TYPE_CHECKING:
    from routing.state import RoutingState

Rotation = Mapping[str, Any]


def pick(
    pool: Pool,
    eligible: list[Rep],
    rotation: Rotation,
    state: RoutingState,
    passed_over: list[Rep] = (),  # type: ignore[assignment]
) -> tuple[Rep, dict[str, Any]]:
    """Choose among `eligible` (in pool order); return the rep and the pool's new rotation.

    `passed_over` are members who already had this lead (they said "not mine", or the ladder
    passed it on): their turn was spent on it, so they take part in the accounting of this
    pick (they gain their weight and it counts in the total) without being candidates, and
    are not treated as coming back from time away at the next lead."""
    field = eligible
    if pool.strategy is Strategy.least_loaded:
        fewest = min(state.open_leads.get(rep.id, 0) for rep in eligible)
        field = [rep for rep in eligible if state.open_leads.get(rep.id, 0) == fewest]
    elif pool.strategy is Strategy.top_performer:
        best = max(state.performance.get(rep.id, 0.0) for rep in eligible)
        field = [rep for rep in eligible if state.performance.get(rep.id, 0.0) == best]
    return _take_turn(
        eligible, field, rotation, pool.strategy is Strategy.weighted, list(passed_over)
    )


def _take_turn(
    eligible: list[Rep],
    field: list[Rep],
    rotation: Rotation,
    weighted: bool,
    passed_over: list[Rep],
) -> tuple[Rep, dict[str, Any]]:
    turn = int(rotation.get("turn", 0))
    credit: dict[str, int] = dict(rotation.get("credit", {}))
    seen: dict[str, int] = dict(rotation.get("seen", {}))
    served: dict[str, int] = dict(rotation.get("served", {}))

    def weight(rep: Rep) -> int:
        return rep.weight if weighted else 1

    returning = [rep for rep in field if seen.get(rep.id, -2) != turn - 1]
    staying = [credit.get(rep.id, 0) for rep in field if seen.get(rep.id, -2) == turn - 1]
    if staying:  # back in line, just ahead of whoever leads now
        leader = max(staying)
        for rep in returning:
            credit[rep.id] = max(credit.get(rep.id, 0), leader + 1)
    total = 0
    for rep in [*field, *passed_over]:
        credit[rep.id] = credit.get(rep.id, 0) + weight(rep)
        total += weight(rep)
    chosen = max(field, key=lambda rep: (credit[rep.id], -served.get(rep.id, -1)))
    credit[chosen.id] -= total
    for rep in [*eligible, *passed_over]:
        seen[rep.id] = turn
    served[chosen.id] = turn
    return chosen, {"turn": turn + 1, "credit": credit, "seen": seen, "served": served}
