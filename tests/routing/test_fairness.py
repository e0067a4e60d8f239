"""routing.fairness: each member's due from weight and availability, and one figure."""

from __future__ import annotations

import math

import pytest

from routing.fairness import pool_fairness
from routing.loader import parse_config

TEAM = """
timezone: UTC
hours: always
reps:
  ana: {name: Ana, slack_id: U0ANA, weight: 2}
  ben: {name: Ben, slack_id: U0BEN}
  cara: {name: Cara, slack_id: U0CARA}
  dan: {name: Dan, slack_id: U0DAN, active: false}
pools:
  even: {members: [ana, ben, cara, dan]}
  weighted: {members: [ana, ben, cara], strategy: weighted}
rules:
  - {name: Everyone, pool: even}
"""
CONFIG = parse_config(TEAM)


def fairness(pool: str, offers: dict[str, int], available: dict[str, float] | None = None):
    return pool_fairness(CONFIG.pools[pool], CONFIG.reps, offers, available)


def test_the_figure_is_the_largest_over_the_smallest_share_against_the_due():
    result = fairness("even", {"ana": 3, "ben": 2, "cara": 2})

    assert result.figure == pytest.approx(1.5)
    assert (result.busiest, result.quietest) == ("ana", "cara"), "on a tie, the later member"
    assert [s.rep for s in result.reps] == ["ana", "ben", "cara"], "inactive dan is meant nothing"
    assert result.offers == 7


def test_weights_set_the_due_in_a_weighted_pool_only():
    assert fairness("weighted", {"ana": 4, "ben": 2, "cara": 2}).figure == pytest.approx(1.0)
    assert fairness("even", {"ana": 4, "ben": 2, "cara": 2}).figure == pytest.approx(2.0)


def test_availability_lowers_the_due_and_none_leaves_a_member_out():
    half = fairness("even", {"ana": 2, "ben": 2, "cara": 1}, {"cara": 0.5})
    assert half.figure == pytest.approx(1.0), "there half the time, half the leads: fair"
    assert {s.rep: s.intended for s in half.reps} == pytest.approx(
        {"ana": 0.4, "ben": 0.4, "cara": 0.2}
    )

    gone = fairness("even", {"ana": 2, "ben": 2}, {"cara": 0.0})
    assert gone.figure == pytest.approx(1.0) and gone.quietest == "ben"


def test_a_member_meant_a_share_who_got_none_makes_it_infinite_and_no_offers_make_none():
    assert math.isinf(fairness("even", {"ana": 4}).figure)
    nothing = fairness("even", {})
    assert (nothing.figure, nothing.busiest, nothing.quietest) == (None, None, None)
