"""Properties of decide() over random teams, rules and leads (hypothesis).

Weighted sharing, the true bound. Let k reps be present throughout, W the sum of their weights
and n the leads so far; rep i's exact share is n*w_i/W.
  - Smooth weighted round robin (credit_i = n*w_i - count_i*W; the winner has the most credit,
    at least W/k, before paying W) keeps every credit above -W: nobody ever gets a whole lead
    more than their share (at most 1 - 1/k more), after every W leads everyone has exactly
    their share, and the shortfall is at most (k-1)^2/k leads.
  - Stride scheduling (lowest pass count_i*S/w_i wins) gives the same first two, with at most
    (k-1)*w_i/W short.
The shortfall can exceed one lead under either (pinned below), so "within one lead either way"
is not a property of weighted sharing; the test asserts what holds: < 1 over, <= k-1 under,
exact every W leads.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from routing import Lead, RoutingConfig, RoutingState, decide, exclusion_reason
from tests.routing.factories import lead, make_config, owners, rep, route_many

settings.register_profile(
    "routing", deadline=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("routing")

ZONES = ["UTC", "Europe/Paris", "Asia/Tokyo", "America/New_York", "Australia/Sydney"]
HOURS = [
    "always",
    {"mon-fri": "09:00-17:00"},
    {"mon-sun": "22:00-06:00"},
    {"sat-sun": "10:00-14:00"},
]
COUNTRIES = ["DE", "FR", "US", "JP", "BR"]
START = datetime(2025, 1, 13, tzinfo=UTC)  # a Monday

moments = st.integers(0, 7 * 24 * 60 - 1).map(lambda m: START + timedelta(minutes=m))


@st.composite
def reps(draw: st.DrawFn, count: int) -> list[dict[str, Any]]:
    return [
        rep(
            f"r{i}",
            timezone=draw(st.sampled_from(ZONES)),
            hours=draw(st.sampled_from(HOURS)),
            capacity=draw(st.none() | st.integers(0, 3)),
            weight=draw(st.integers(1, 5)),
            languages=draw(st.lists(st.sampled_from(["en", "de", "fr"]), max_size=2)),
            active=draw(st.booleans().map(lambda b: b or draw(st.integers(0, 9)) > 0)),
        )
        for i in range(count)
    ]


@st.composite
def rules(draw: st.DrawFn, pools: list[str], rep_ids: list[str]) -> list[dict[str, Any]]:
    out = []
    for i in range(draw(st.integers(0, 4))):
        when = draw(
            st.sampled_from(
                [
                    None,
                    {"country": draw(st.lists(st.sampled_from(COUNTRIES), min_size=1))},
                    {"employees": {"gte": draw(st.integers(0, 2000))}},
                    {"email": {"regex": r"\.edu$"}},
                ]
            )
        )
        target = draw(
            st.sampled_from(
                [
                    {"pool": draw(st.sampled_from(pools))},
                    {"rep": draw(st.sampled_from(rep_ids))},
                    {"nurture": True},
                ]
            )
        )
        extra = {}
        if "nurture" not in target and draw(st.booleans()):
            extra["fallback"] = draw(st.sampled_from(pools))
        if draw(st.integers(0, 3)) == 0:
            extra["require"] = ["language"]
        out.append({"name": f"rule {i}", **({"when": when} if when else {}), **target, **extra})
    return out


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[RoutingConfig, RoutingState, datetime, dict]:
    """A team of 1-8 reps in two pools, random rules, away sets, loads and a moment.

    The last item is what built the config, so a test can build an identical one.
    """
    team = draw(reps(draw(st.integers(1, 8))))
    rep_ids = [r["name"] for r in team]
    main = draw(st.lists(st.sampled_from(rep_ids), min_size=1, unique=True))
    other = draw(st.lists(st.sampled_from(rep_ids), min_size=1, unique=True))
    strategy = st.sampled_from(["round_robin", "weighted", "least_loaded", "top_performer"])
    pools = {
        "main": {"members": main, "strategy": draw(strategy)},
        "other": {"members": other, "strategy": draw(strategy)},
    }
    now = draw(moments)
    spec = {
        "reps": team,
        "pools": pools,
        "rules": draw(rules(list(pools), rep_ids)),
        "fallback": draw(st.sampled_from([None, "main", "other"])),
    }
    config = make_config(**spec)
    away_ids = draw(st.lists(st.sampled_from(rep_ids), unique=True))
    until = st.none() | st.just(now + timedelta(hours=4))
    state = RoutingState(
        away={r: draw(until) for r in away_ids},
        open_leads={r: draw(st.integers(0, 4)) for r in rep_ids},
        performance={r: draw(st.sampled_from([0.0, 0.5, 1.0])) for r in rep_ids},
    )
    return config, state, now, spec


leads = st.builds(
    Lead,
    country=st.none() | st.sampled_from(COUNTRIES),
    employees=st.none() | st.integers(0, 5000),
    email=st.sampled_from(["jo@acme.com", "kim@uni.edu", None]),
    language=st.none() | st.sampled_from(["en", "de", "fr"]),
)


def eligible(rep_id: str, item: Lead, rule: Any, config: RoutingConfig, state, now) -> bool:
    return exclusion_reason(config.reps[rep_id], item, rule, config, state, now) is None


@given(scenarios(), st.lists(leads, min_size=1, max_size=20))
def test_every_lead_gets_an_owner_the_triage_queue_or_nurture(scenario, items) -> None:
    config, state, now, _ = scenario
    for item in items:
        decision = decide(item, config, state, now)
        if decision.outcome == "assigned":
            assert decision.owner is not None
            assert eligible(decision.owner_id, item, decision.rule, config, state, now)
        else:
            assert decision.owner is None and decision.pool is None
        if decision.outcome == "nurture":
            assert decision.rule is not None and decision.rule.nurture
        elif decision.rule is not None:
            assert not decision.rule.nurture


@given(scenarios(), leads)
def test_an_away_or_off_hours_rep_never_gets_a_lead_an_eligible_teammate_could_take(
    scenario, item
) -> None:
    config, state, now, _ = scenario
    decision = decide(item, config, state, now)
    if decision.owner is not None:
        assert decision.owner_id not in state.away
        assert decision.owner.is_working(now)
    rule = decision.rule
    target = rule.pool if rule is not None and not rule.nurture else None
    if rule is None:
        target = config.fallback
    if target is None or (rule is not None and rule.rep):
        return
    if any(eligible(m, item, rule, config, state, now) for m in config.pools[target].members):
        assert decision.pool_id == target
        assert decision.owner_id in config.pools[target].members


@given(scenarios(), leads)
def test_triage_only_when_nobody_in_the_whole_fallback_chain_is_eligible(scenario, item) -> None:
    config, state, now, _ = scenario
    decision = decide(item, config, state, now)
    if decision.outcome != "triage":
        return
    rule = decision.rule
    candidates = set(config.pools[config.fallback].members) if config.fallback else set()
    if rule is not None:
        candidates |= {rule.rep} if rule.rep else set()
        for pool_id in (rule.pool, rule.fallback):
            if pool_id:
                candidates |= set(config.pools[pool_id].members)
                fallback = config.pools[pool_id].fallback
                candidates |= set(config.pools[fallback].members) if fallback else set()
    assert not any(eligible(r, item, rule, config, state, now) for r in candidates)
    assert {e.rep for e in decision.exclusions} == candidates


@given(scenarios(), st.lists(leads, min_size=1, max_size=10))
def test_decisions_are_deterministic(scenario, items) -> None:
    config, state, now, spec = scenario
    rebuilt = make_config(**spec)
    for item in items:
        first = decide(item, config, state, now)
        again = decide(item, config, state, now)
        assert first == again
        other = decide(Lead(**item.model_dump()), rebuilt, state, now)
        assert (other.outcome, other.owner_id, other.pool_id, other.rule_name) == (
            first.outcome,
            first.owner_id,
            first.pool_id,
            first.rule_name,
        )
        assert (other.reason, other.exclusions, other.rotation) == (
            first.reason,
            first.exclusions,
            first.rotation,
        )


@st.composite
def static_pools(draw: st.DrawFn, strategy: str) -> tuple[RoutingConfig, dict, datetime]:
    """One pool of 1-8 reps, some away, off hours or full; nobody's status changes."""
    team = draw(reps(draw(st.integers(1, 8))))
    ids = [r["name"] for r in team]
    now = draw(moments)
    config = make_config(team, pools={"p": {"members": ids, "strategy": strategy}}, fallback="p")
    away = dict.fromkeys(draw(st.lists(st.sampled_from(ids), unique=True)))
    open_leads = {r: draw(st.integers(0, 4)) for r in ids}
    return config, {"away": away, "open_leads": open_leads}, now


def shares(config: RoutingConfig, status: dict, now: datetime, n: int) -> tuple[Counter, list]:
    state = RoutingState(**status)
    present = [
        r for r in config.pools["p"].members if eligible(r, lead(), None, config, state, now)
    ]
    decisions = route_many([lead()] * n, config, now=now, **status)
    return Counter(owners(decisions)), present


@given(static_pools("round_robin"), st.integers(1, 120))
def test_round_robin_counts_among_present_reps_differ_by_at_most_one(pool, n) -> None:
    config, status, now = pool
    counts, present = shares(config, status, now, n)
    if not present:
        assert counts == {None: n}
        return
    assert set(counts) <= set(present)
    per_rep = [counts[r] for r in present]
    assert max(per_rep) - min(per_rep) <= 1
    assert sum(per_rep) == n


@given(static_pools("weighted"), st.integers(1, 120))
def test_weighted_counts_stay_within_the_true_bound(pool, n) -> None:
    config, status, now = pool
    counts, present = shares(config, status, now, n)
    if not present:
        return
    weights = {r: config.reps[r].weight for r in present}
    total, k = sum(weights.values()), len(present)
    for rep_id, weight in weights.items():
        exact = Fraction(n * weight, total)
        assert counts[rep_id] - exact < 1  # never a whole lead more than the share
        assert exact - counts[rep_id] <= k - 1
        if n % total == 0:
            assert counts[rep_id] == exact


def test_weighted_shortfall_can_exceed_one_lead() -> None:
    """Why the property above does not promise 'within one lead' to the rep left behind."""
    weights = [1, 1, 1, 1, 7, 7]
    team = [rep(f"r{i}", weight=w) for i, w in enumerate(weights)]
    config = make_config(
        team,
        pools={"p": {"members": [t["name"] for t in team], "strategy": "weighted"}},
        fallback="p",
    )
    sequence = owners(route_many([lead()] * 36, config))
    worst = max(
        Fraction(n * 7, 18) - sequence[:n].count(heavy)
        for n in range(1, 37)
        for heavy in ("r4", "r5")
    )
    assert worst > 1
    assert Counter(sequence[:18]) == {f"r{i}": w for i, w in enumerate(weights)}
