"""How each strategy shares a pool's leads, run through decide() with credits carried over."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from routing import decide
from tests.routing.factories import NOW, lead, make_config, owners, rep, route_many, state

LEADS = [lead(email=f"lead{i}@example.com") for i in range(300)]


def pool_config(members: list[Any], strategy: str = "round_robin"):
    ids = [m if isinstance(m, str) else m.get("id", m["name"]) for m in members]
    return make_config(
        members, pools={"team": {"members": ids, "strategy": strategy}}, fallback="team"
    )


def test_round_robin_goes_around_the_pool_in_list_order() -> None:
    config = pool_config(["ana", "ben", "chloe", "dev"])
    assert owners(route_many(LEADS[:10], config)) == [
        "ana", "ben", "chloe", "dev", "ana", "ben", "chloe", "dev", "ana", "ben",
    ]  # fmt: skip


def test_round_robin_reports_who_was_next() -> None:
    config = pool_config(["ana", "ben"])
    first, second = route_many(LEADS[:2], config)
    assert first.reason == "no rule matched → pool team → round robin: ana was next"
    assert second.reason.endswith("round robin: ben was next")


def test_weighted_two_to_one_gives_exact_shares_over_300_leads() -> None:
    config = pool_config([rep("ana", weight=2), rep("ben", weight=1)], "weighted")
    counts = Counter(owners(route_many(LEADS, config)))
    assert counts == {"ana": 200, "ben": 100}


def test_weighted_interleaves_instead_of_bunching() -> None:
    config = pool_config([rep("ana", weight=2), rep("ben", weight=1)], "weighted")
    sequence = "".join(o[0] for o in owners(route_many(LEADS[:12], config)))
    assert sequence == "abaabaabaaba"


def test_weights_are_ignored_by_plain_round_robin() -> None:
    config = pool_config([rep("ana", weight=5), rep("ben", weight=1)], "round_robin")
    assert Counter(owners(route_many(LEADS[:100], config))) == {"ana": 50, "ben": 50}


def test_least_loaded_picks_the_rep_with_fewest_open_leads() -> None:
    config = pool_config(["ana", "ben", "chloe"], "least_loaded")
    decisions = route_many(LEADS[:3], config, open_leads={"ana": 1, "ben": 4, "chloe": 2})
    assert owners(decisions) == ["ana"] * 3


def test_least_loaded_rotates_between_equally_loaded_reps() -> None:
    config = pool_config(["ana", "ben", "chloe"], "least_loaded")
    decisions = route_many(LEADS[:6], config, open_leads={"ana": 5, "ben": 2, "chloe": 2})
    assert owners(decisions) == ["ben", "chloe"] * 3


def test_least_loaded_follows_the_load_as_leads_are_taken() -> None:
    config = pool_config(["ana", "ben", "chloe"], "least_loaded")
    load = {"ana": 2, "ben": 0, "chloe": 1}
    taken = []
    for item in LEADS[:6]:
        owner = route_many([item], config, open_leads=load)[0].owner_id
        load[owner] += 1
        taken.append(owner)
    assert taken[:3] == ["ben", "ben", "chloe"]  # ben catches up, then chloe
    assert load == {"ana": 3, "ben": 3, "chloe": 3}


def test_top_performer_picks_the_best_score() -> None:
    config = pool_config(["ana", "ben", "chloe"], "top_performer")
    decisions = route_many(LEADS[:3], config, performance={"ana": 0.4, "ben": 0.9, "chloe": 0.7})
    assert owners(decisions) == ["ben"] * 3


def test_top_performer_rotates_between_equal_best_scores() -> None:
    config = pool_config(["ana", "ben", "chloe"], "top_performer")
    decisions = route_many(LEADS[:4], config, performance={"ana": 0.9, "ben": 0.5, "chloe": 0.9})
    assert owners(decisions) == ["ana", "chloe", "ana", "chloe"]


def test_top_performer_skips_the_best_when_they_are_away() -> None:
    config = pool_config(["ana", "ben", "chloe"], "top_performer")
    decisions = route_many(
        LEADS[:2], config, performance={"ana": 0.9, "ben": 0.5, "chloe": 0.7}, away={"ana": None}
    )
    assert owners(decisions) == ["chloe", "chloe"]


def test_an_away_rep_gets_nothing_while_the_others_keep_taking_turns() -> None:
    config = pool_config(["ana", "ben", "chloe"])
    rotation: dict[str, dict[str, int]] = {}
    route_many(LEADS[:4], config, rotation=rotation)
    away = owners(route_many(LEADS[:50], config, rotation=rotation, away={"ana": None}))
    assert Counter(away) == {"ben": 25, "chloe": 25}
    assert "ben,ben" not in ",".join(away) and "chloe,chloe" not in ",".join(away)


def back_from_away(pre: int, missed: int, after: int) -> list[str | None]:
    """Owners of `after` leads once ana is back from missing `missed` (after `pre` normal ones)."""
    config = pool_config(["ana", "ben", "chloe"])
    rotation: dict[str, dict[str, int]] = {}
    route_many(LEADS[:pre], config, rotation=rotation)
    route_many(LEADS[:missed], config, rotation=rotation, away={"ana": None})
    return owners(route_many(LEADS[:after], config, rotation=rotation))


@pytest.mark.parametrize("pre", [0, 3, 4, 5])
def test_a_rep_back_from_away_is_next_in_line_then_gets_a_fair_share(pre: int) -> None:
    """Documented: back from away, a rep keeps their place (next lead) and is not flooded."""
    back = back_from_away(pre, missed=60, after=30)
    assert back[0] == "ana"  # no penalty: the next lead is hers
    assert "ana,ana,ana" not in ",".join(back)  # no flood of the 60 leads she missed
    assert back.count("ana") in (10, 11)


@pytest.mark.parametrize("pre", [3, 4])
def test_a_rep_back_from_away_gets_one_lead_then_takes_turns(pre: int) -> None:
    back = back_from_away(pre, missed=60, after=30)
    for n in range(1, 31):  # at every point at most one lead above a third
        assert back[:n].count("ana") <= n / 3 + 1


def test_a_weighted_rep_back_from_away_resumes_their_weight() -> None:
    config = pool_config(
        [rep("ana", weight=2), rep("ben", weight=1), rep("chloe", weight=1)], "weighted"
    )
    rotation: dict[str, dict[str, int]] = {}
    route_many(LEADS[:5], config, rotation=rotation)
    route_many(LEADS[:40], config, rotation=rotation, away={"ana": None})

    back = owners(route_many(LEADS[:40], config, rotation=rotation))
    assert back[0] == "ana"
    assert abs(back.count("ana") - 20) <= 1


def test_a_heavy_weight_is_interleaved_rather_than_served_in_one_run() -> None:
    config = pool_config(
        [rep("ana", weight=10), rep("ben", weight=1), rep("chloe", weight=1)], "weighted"
    )
    sequence = "".join(o[0] for o in owners(route_many(LEADS[:36], config)))
    assert sequence[:12] == "aaabaaacaaaa"  # as the strategies docstring shows
    assert "a" * 8 not in sequence  # never most of a round in one run
    for round_start in range(0, 36, 12):  # every 12 leads: exactly 10, 1 and 1
        assert sorted(sequence[round_start : round_start + 12]) == sorted("a" * 10 + "bc")


def test_not_mine_spends_the_turn_instead_of_skipping_the_queue() -> None:
    """Ana declines her lead (it passes to Ben); the next new lead is not hers again."""
    config = pool_config(["ana", "ben", "chloe", "dev"])
    first = decide(LEADS[0], config, state(), NOW)
    assert first.owner_id == "ana"
    passed = decide(
        LEADS[0], config, state(rotation={"team": first.rotation}, exclude=frozenset({"ana"})), NOW
    )
    assert passed.owner_id == "ben"
    following = owners(route_many(LEADS[1:5], config, rotation={"team": dict(passed.rotation)}))
    # her turn went on the lead she passed; the round goes on and she gets her one
    assert following == ["chloe", "dev", "ana", "ben"]
