"""How fairly a pool shared its leads: the one figure `leadrouter simulate` and /routing-stats
both show, so the same leads read the same in both.

Each active member is meant a share of the pool's leads: their weight (in a weighted pool; 1
otherwise) times the fraction they were available, normalised over the pool. What they got over
what they were meant is their normalised share (1.0: exactly their due). The figure is the
largest normalised share over the smallest, among members meant at least 1% of the leads: 1.0
is perfectly fair, 1.5 means the best-served got half as much again, for their due, as the
worst-served, and inf means someone meant a share got nothing.

Why this definition, and not the busiest member's count over the quietest's: a sales-ops
manager reading it asks "did each rep get what the rules meant them to get, given the time they
were there?", and only an answer that credits time away says yes when the answer is yes:

- a rep on holiday for half the period who got half as many leads was treated fairly; the count
  ratio calls that 2.0, and a figure that cries wolf every holiday season stops being read;
- weights are part of what a rep is meant, so a weight-2 rep with twice the leads is even (the
  count ratio had to divide by the weight as a special case of the same idea);
- the count ratio left out members who could take none of the leads and counted everyone else
  in full, so a rep there for one lead in a hundred weighed as much as one there for all of
  them; meaning each rep a share in proportion to their availability is the continuous form of
  that rule (none available: meant nothing, left out);
- members meant under 1% (there for an hour of the period) are left out of the figure, which
  would otherwise swing on a single lead; their row still shows what they got.

With every member available throughout, both definitions give the same number.

What "available" means is the caller's to say, from what it knows: the simulator knows, lead by
lead, who could have taken each of the pool's leads (time off, working hours, capacity,
skills), so it passes the fraction of the pool's leads each member could take; the stored
history knows /away, so analytics passes the fraction of the period each member was not away.
Given the same offers and the same availability, both get the same figure from this function.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from routing.team import Pool, Rep, Strategy

MIN_INTENDED = 0.01  # members meant less of the pool's leads are left out of the figure


@dataclass(frozen=True)
class RepShare:
    rep: str
    offers: int
    share: float  # of the pool's offers
    intended: float  # what the strategy meant to give, with availability taken into account
    available: float  # fraction (0-1) of the time or of the leads the rep was available for

    @property
    def ratio(self) -> float | None:
        """The normalised share: what the rep got over what they were meant (1.0: their due)."""
        return self.share / self.intended if self.intended else None


@dataclass(frozen=True)
class Fairness:
    reps: tuple[RepShare, ...]  # every active member, in pool order
    figure: float | None  # largest / smallest normalised share; None: no offers or nobody meant
    busiest: str | None  # the member with the largest normalised share
    quietest: str | None  # the smallest; on a tie, the later member in the pool

    @property
    def offers(self) -> int:
        return sum(r.offers for r in self.reps)


def pool_fairness(
    pool: Pool,
    reps: Mapping[str, Rep],
    offers: Mapping[str, int],
    available: Mapping[str, float] | None = None,
) -> Fairness:
    """How evenly `pool` shared `offers` (member -> leads offered to them; others in the
    mapping are ignored), each active member's due set by their weight and `available`
    (member -> fraction 0-1; missing means available throughout)."""
    members = [m for m in pool.members if reps[m].active]
    got = {m: offers.get(m, 0) for m in members}
    total = sum(got.values())
    weighted = pool.strategy is Strategy.weighted
    availability = {m: (available or {}).get(m, 1.0) for m in members}
    intent = {m: (reps[m].weight if weighted else 1) * availability[m] for m in members}
    intent_total = sum(intent.values())
    shares = tuple(
        RepShare(
            rep=m,
            offers=got[m],
            share=got[m] / total if total else 0.0,
            intended=intent[m] / intent_total if intent_total else 0.0,
            available=availability[m],
        )
        for m in members
    )
    counted = [s for s in shares if s.intended >= MIN_INTENDED]
    if not total or not counted:
        return Fairness(shares, None, None, None)

    def normalised(share: RepShare) -> float:
        return share.share / share.intended

    busiest = max(counted, key=normalised)
    quietest = min(reversed(counted), key=normalised)  # on a tie, not the busiest
    low = normalised(quietest)
    figure = normalised(busiest) / low if low else float("inf")
    return Fairness(shares, figure, busiest.rep, quietest.rep)
