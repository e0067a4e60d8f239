"""The fast paths of decide() (rule index, compiled conditions, per-decision eligibility) decide
exactly what the plain algorithm decides.

The reference below is the engine as it was before the fast paths: every rule tried in order
with `Condition.matches`, and every rep's eligibility worked out from scratch (time zone
conversion and reason text per rep). Both route the same leads against the same evolving state,
and every field of every decision must be equal: owner, pool, rule, priority, SLA, the reason
sentence, the trace, the exclusions and the new rotation.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.routing_bench import build_config, build_leads, new_world
from routing import Decision, Lead, RoutingConfig, RoutingState, decide, exclusion_reason
from routing.conditions import compile_condition, parse_condition
from routing.config import Priority, Requirement, Rule
from routing.engine import first_matching_rule
from routing.strategies import Rotation, pick
from routing.team import Pool, Rep
from routing.trace import Exclusion
from tests.routing.factories import make_config, rep

# --- the reference: the plain algorithm -----------------------------------------------------


def plain_first_rule(lead: Lead, config: RoutingConfig) -> Rule | None:
    for rule in config.rules:
        if rule.when is None or rule.when.matches(lead):
            return rule
    return None


def _local(moment: datetime, rep: Rep) -> str:
    local = moment.astimezone(rep.zone)
    return f"{local:%a %H:%M} {rep.zone.key}"


def plain_exclusion(
    rep: Rep, lead: Lead, rule: Rule | None, state: RoutingState, now: datetime, named: bool
) -> str | None:
    if not rep.active:
        return "inactive"
    if rep.id in state.exclude:
        return "already had this lead"
    if rep.id in state.away:
        until = state.away[rep.id]
        if until is None:
            return "away"
        if until > now:
            return f"away until {_local(until, rep)}"
    if rep.time_off:
        today = now.astimezone(rep.zone).date()
        off = next((t for t in rep.time_off if t.start <= today <= t.end), None)
        if off is not None:
            return f"time off until {off.end:%b %d}" + (f" ({off.reason})" if off.reason else "")
    if rep.hours is not None:
        local = now.astimezone(rep.zone)
        minute = local.weekday() * 1440 + local.hour * 60 + local.minute
        if not any(start <= minute < end for start, end in rep.hours.spans):
            return f"off hours ({_local(now, rep)})"
    if rule is not None:
        for requirement in rule.require:
            if requirement is Requirement.language and lead.language:
                if lead.language not in rep.languages:
                    return f"does not speak {lead.language}"
            elif requirement is Requirement.product and lead.product:
                if lead.product.casefold() not in rep.products:
                    return f"not on product {lead.product}"
            elif (
                requirement is Requirement.industry
                and lead.industry
                and lead.industry.casefold() not in rep.industries
            ):
                return f"not a {lead.industry} specialist"
        if rule.skills - rep.skills:
            return f"lacks skill {', '.join(sorted(rule.skills - rep.skills))}"
        if rule.tiers and (rep.tier or "").lower() not in rule.tiers:
            return f"tier {rep.tier or 'none'}"
    if rep.capacity is not None and not named:
        load = state.open_leads.get(rep.id, 0)
        if load >= rep.capacity:
            return f"at capacity {load}/{rep.capacity}"
    return None


def plain_decide(lead: Lead, config: RoutingConfig, state: RoutingState, now: datetime) -> Decision:
    steps: list[str] = []
    exclusions: list[Exclusion] = []
    names: dict[str, str] = {}

    def exclude(rep: Rep, reason: str, pool: str | None = None) -> None:
        exclusions.append(Exclusion(rep.id, reason, pool))
        names[rep.id] = rep.name

    def left_out(pool: str) -> str:
        parts = [f"{names[e.rep]} {e.reason}" for e in exclusions if e.pool == pool]
        return f" ({', '.join(parts)})" if parts else ""

    def done(outcome: Any, owner: Rep | None, pool: Pool | None, credits: Rotation | None = None):
        return Decision(
            outcome=outcome,
            owner=owner,
            pool=pool,
            rule=rule,
            priority=rule.priority if rule else Priority.normal,
            sla=config.sla_for(rule, pool),
            reason=" → ".join(steps),
            trace=tuple(steps),
            exclusions=tuple(exclusions),
            rotation=credits,
        )

    rule = plain_first_rule(lead, config)
    steps.append("no rule matched" if rule is None else rule.name)
    if rule is not None and rule.nurture:
        steps.append("nurture (stored, not routed)")
        return done("nurture", None, None)
    if (rule is None or rule.account_owner) and config.accounts:
        for domain in (lead.company_domain, lead.email_domain):
            owner_id = config.accounts.get(domain) if domain else None
            if owner_id is None:
                continue
            owner = config.reps[owner_id]
            reason = plain_exclusion(owner, lead, None, state, now, named=True)
            if reason is None:
                steps.append(f"named account {domain}: {owner.name} owns it")
                return done("assigned", owner, None)
            exclude(owner, reason)
            steps.append(f"named account {domain}: owner {owner.name} unavailable ({reason})")
            break
    chain: list[Pool | Rep] = [config.reps[rule.rep]] if rule is not None and rule.rep else []
    pool_ids = [rule.pool, rule.fallback] if rule is not None else []
    if rule is not None and rule.pool:
        pool_ids.append(config.pools[rule.pool].fallback)
    pool_ids.append(config.fallback)
    for pool_id in dict.fromkeys(p for p in pool_ids if p):
        chain.append(config.pools[pool_id])
    for target in chain:
        if isinstance(target, Rep):
            reason = plain_exclusion(target, lead, rule, state, now, named=False)
            if reason is None:
                steps.append(f"rep {target.name}")
                return done("assigned", target, None)
            exclude(target, reason)
            steps.append(f"rep {target.name} unavailable ({reason})")
            continue
        eligible = []
        for member in target.members:
            reason = plain_exclusion(config.reps[member], lead, rule, state, now, named=False)
            if reason is None:
                eligible.append(config.reps[member])
            else:
                exclude(config.reps[member], reason, target.id)
        if not eligible:
            steps.append(f"pool {target.id}: nobody available{left_out(target.id)}")
            continue
        had_it = [config.reps[m] for m in target.members if m in state.exclude]
        rotation = state.rotation.get(target.id, {})
        chosen, credits = pick(target, eligible, rotation, state, had_it)
        steps.append(f"pool {target.id}")
        steps.append(
            f"{target.strategy.value.replace('_', ' ')}: {chosen.name} was next"
            f"{left_out(target.id)}"
        )
        return done("assigned", chosen, target, credits)
    steps.append(f"{config.triage.name} queue")
    return done("triage", None, None)


def outcome(call: Any, *args: Any) -> tuple[str, Any]:
    """What `call(*args)` returned, or the kind of exception it raised."""
    try:
        return ("returned", call(*args))
    except Exception as exc:
        return ("raised", type(exc))


# --- the benchmark's big config ---------------------------------------------------------------


# outcomes, and exclusion reasons by their first two words
EVERY_KIND = {"assigned", "nurture", "triage", "inactive", "away", "away until", "time off",
              "off hours", "at capacity", "does not", "not on", "not a", "tier smb"}  # fmt: skip


@pytest.fixture(scope="module")
def big_config() -> RoutingConfig:
    return build_config()


def test_thousands_of_bench_leads_get_identical_decisions_across_a_week(big_config) -> None:
    fast_world, plain_world = new_world(big_config), new_world(big_config)
    leads = build_leads(4000, seed=23)
    # 2 h 31 min apart: every time of day, every weekday and the time off of 4-6 March
    start = datetime(2025, 3, 2, 22, 7, tzinfo=UTC)
    seen: set[str] = set()
    for index, lead in enumerate(leads):
        now = start + timedelta(minutes=151 * (index % 80), seconds=index)
        fast = decide(lead, big_config, fast_world.state(), now)
        plain = plain_decide(lead, big_config, plain_world.state(), now)
        assert fast == plain, f"lead #{index} at {now:%a %H:%M}"
        seen |= {fast.outcome, *(" ".join(e.reason.split()[:2]) for e in fast.exclusions)}
        fast_world.apply(fast, keep_open=2000)
        plain_world.apply(plain, keep_open=2000)
    # the comparison covered every kind of outcome and of exclusion
    assert seen >= EVERY_KIND


def test_rerouting_and_away_reps_get_identical_decisions(big_config) -> None:
    rng = random.Random(5)
    reps = list(big_config.reps)
    now = datetime(2025, 3, 5, 14, 30, tzinfo=UTC)
    for index, lead in enumerate(build_leads(600, seed=31)):
        state = RoutingState(
            open_leads={r: rng.randint(0, 12) for r in rng.sample(reps, 300)},
            away={
                r: rng.choice([None, now - timedelta(hours=1), now + timedelta(days=2)])
                for r in rng.sample(reps, 200)
            },
            exclude=frozenset(rng.sample(reps, 100)),
        )
        moment = now + timedelta(minutes=37 * index)
        assert decide(lead, big_config, state, moment) == plain_decide(
            lead, big_config, state, moment
        ), f"lead #{index}"


# --- random rules and leads -------------------------------------------------------------------

COUNTRIES = ["DE", "FR", "US", "GB", "Germany", "united states"]
INDUSTRIES = ["retail", "Retail", "fintech", "HEALTHCARE", "healthcare", ""]

field_tests = st.one_of(
    st.builds(lambda v: {"country": v}, st.sampled_from(COUNTRIES)),
    st.builds(lambda v: {"country": v}, st.lists(st.sampled_from(COUNTRIES), max_size=3)),
    st.builds(lambda v: {"country": {"not_in": v}}, st.lists(st.sampled_from(COUNTRIES))),
    st.builds(lambda v: {"industry": v}, st.sampled_from(INDUSTRIES[:-1])),
    st.builds(lambda v: {"industry": {"in": v}}, st.lists(st.sampled_from(INDUSTRIES))),
    st.builds(lambda v: {"employees": v}, st.sampled_from([50, "1,000", 200])),
    st.builds(
        lambda op, v: {"employees": {op: v}},
        st.sampled_from(["gt", "gte", "lt", "lte"]),
        st.sampled_from([0, 50, 200, 1000, 5000]),
    ),
    st.builds(
        lambda low, span: {"score": {"between": [low, low + span]}},
        st.integers(0, 100),
        st.integers(0, 50),
    ),
    st.builds(lambda v: {"score": {"gte": v}}, st.floats(0, 100)),
    st.builds(lambda v: {"email": {"exists": v}}, st.booleans()),
    st.builds(lambda v: {"email": {"regex": v}}, st.sampled_from([r"\.edu$", "^a", "acme"])),
    st.builds(lambda v: {"message": {"contains": v}}, st.sampled_from(["demo", ["sso", "api"]])),
    st.builds(lambda v: {"custom.plan": v}, st.sampled_from(["ent", "free", ["ent", "team"]])),
    st.builds(lambda v: {"custom.seats": {"gte": v}}, st.integers(0, 100)),
    # may hold a list: `in` then raises TypeError, wherever the plain loop reaches it
    st.builds(lambda v: {"custom.tags": v}, st.lists(st.sampled_from(["a", "b"]), min_size=1)),
    st.builds(lambda v: {"custom.deep.level": {"eq": v}}, st.sampled_from(["x", 3])),
)
conditions = st.recursive(
    field_tests,
    lambda inner: st.one_of(
        st.lists(inner, min_size=1, max_size=3).map(lambda parts: {"all": parts}),
        st.lists(inner, min_size=1, max_size=3).map(lambda parts: {"any": parts}),
        inner.map(lambda part: {"not": part}),
        st.lists(inner, min_size=2, max_size=3).map(
            lambda parts: {k: v for part in parts for k, v in part.items()}
        ),
    ),
    max_leaves=5,
)
custom_values = st.fixed_dictionaries(
    {},
    optional={
        "plan": st.sampled_from(["ent", "Ent", "free", ""]),
        "seats": st.one_of(st.integers(0, 200), st.sampled_from(["12", "lots", "1,5"])),
        "tags": st.one_of(st.sampled_from(["a", "b"]), st.lists(st.sampled_from(["a", "b"]))),
        "deep": st.one_of(st.just("flat"), st.fixed_dictionaries({"level": st.just("x")})),
    },
)
leads = st.builds(
    Lead,
    email=st.none() | st.sampled_from(["ann@acme.com", "kim@uni.edu", "bo@other.io"]),
    country=st.none() | st.sampled_from(COUNTRIES),
    industry=st.none() | st.sampled_from(INDUSTRIES),
    employees=st.none() | st.sampled_from([0, 50, 200, 999, 1000, 5000, "1,000+"]),
    score=st.none() | st.floats(0, 1000),
    message=st.none() | st.sampled_from(["Need SSO", "a demo please", "API?"]),
    custom=custom_values,
)


def _rules_config(whens: list[Any]) -> RoutingConfig:
    rules = [
        {"name": f"rule {i}", **({"when": when} if when is not None else {}), "pool": "main"}
        for i, when in enumerate(whens)
    ]
    return make_config(["Ann"], pools={"main": ["ann"]}, rules=rules)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    whens=st.lists(st.none() | conditions, min_size=1, max_size=12),
    items=st.lists(leads, min_size=1, max_size=10),
)
def test_indexed_rule_matching_finds_the_rule_a_plain_loop_finds(whens, items) -> None:
    config = _rules_config([w for w in whens if w is not None] + whens[-1:])
    for item in items:
        assert outcome(first_matching_rule, item, config) == outcome(plain_first_rule, item, config)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(when=conditions, items=st.lists(leads, min_size=1, max_size=10))
def test_a_compiled_condition_answers_as_the_condition_does(when, items) -> None:
    condition = parse_condition(when)
    compiled = compile_condition(condition)
    for item in items:
        fast, plain = outcome(compiled, item), outcome(condition.matches, item)
        assert fast[0] == plain[0]
        assert (bool(fast[1]) if fast[0] == "returned" else fast[1]) == (
            bool(plain[1]) if plain[0] == "returned" else plain[1]
        )


def test_a_rule_that_raises_before_its_country_test_still_raises() -> None:
    # the plain loop reaches the custom list test first; the index must not skip the rule
    config = _rules_config([{"custom.tags": ["a"], "country": "FR"}, None])
    item = Lead(country="DE", custom={"tags": ["a"]})
    with pytest.raises(TypeError):
        plain_first_rule(item, config)
    with pytest.raises(TypeError):
        first_matching_rule(item, config)


def test_a_rule_ruled_out_by_country_before_a_raising_test_is_skipped_as_before() -> None:
    config = _rules_config([{"country": "FR", "custom.tags": ["a"]}, None])
    item = Lead(country="DE", custom={"tags": ["a"]})
    assert first_matching_rule(item, config) == plain_first_rule(item, config) == config.rules[1]


def test_a_config_builds_its_rule_index_once_and_stays_frozen_and_comparable() -> None:
    config = _rules_config([{"country": "FR"}, None])
    twin = _rules_config([{"country": "FR"}, None])

    index = config.rule_index
    assert first_matching_rule(Lead(country="FR"), config) == config.rules[0]
    assert config.rule_index is index, "built once, on first use, and kept"
    assert index.rules == config.rules
    assert twin.rule_index is not index, "each config has its own"
    assert config == twin, "the cache is not a field: equal configs stay equal"
    assert "rule_index" not in config.model_dump()
    with pytest.raises(ValueError):
        config.rules = ()  # type: ignore[misc]


# --- eligibility ------------------------------------------------------------------------------

ZONES = ["UTC", "Europe/Paris", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu"]
HOURS = ["always", {"mon-fri": "09:00-17:00"}, {"mon-sun": "22:00-02:30"}, {"sat": "00:00-24:00"}]
# around the 2025 spring and autumn clock changes of the zones above, and ordinary days
moments = st.one_of(
    st.datetimes(datetime(2025, 3, 8), datetime(2025, 4, 7)),
    st.datetimes(datetime(2025, 10, 4), datetime(2025, 11, 3)),
).map(lambda moment: moment.replace(tzinfo=UTC))


@st.composite
def teams(draw: st.DrawFn) -> tuple[RoutingConfig, RoutingState, datetime]:
    now = draw(moments)
    specs = [
        rep(
            f"r{i}",
            timezone=draw(st.sampled_from(ZONES)),
            hours=draw(st.sampled_from(HOURS)),
            capacity=draw(st.none() | st.integers(0, 3)),
            active=draw(st.integers(0, 9)) > 0,
            languages=draw(st.lists(st.sampled_from(["en", "de"]), max_size=2)),
            skills=draw(st.lists(st.sampled_from(["sso", "sap"]), max_size=2)),
            tier=draw(st.none() | st.sampled_from(["smb", "Enterprise"])),
            time_off=[
                {
                    "start": (now + timedelta(days=d)).date(),
                    "end": (now + timedelta(days=d + 1)).date(),
                    "reason": draw(st.none() | st.just("holiday")),
                }
                for d in draw(st.lists(st.integers(-2, 1), max_size=2))
            ],
        )
        for i in range(draw(st.integers(1, 8)))
    ]
    ids = [s["name"] for s in specs]
    rules = [
        {"name": "sso", "when": {"country": "DE"}, "pool": "main", "skills": ["sso"]},
        {"name": "tiered", "when": {"country": "FR"}, "pool": "main", "tiers": ["enterprise"]},
        {"name": "speakers", "pool": "main", "require": ["language"], "fallback": "main"},
    ]
    config = make_config(specs, pools={"main": ids}, rules=rules)
    when = st.none() | st.sampled_from([now - timedelta(minutes=5), now + timedelta(hours=30)])
    state = RoutingState(
        away={r: draw(when) for r in draw(st.lists(st.sampled_from(ids), unique=True))},
        open_leads={r: draw(st.integers(0, 4)) for r in ids},
        exclude=frozenset(draw(st.lists(st.sampled_from(ids), unique=True))),
    )
    return config, state, now


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    team=teams(),
    item=st.builds(Lead, country=st.sampled_from(["DE", "FR", "US"]), language=st.just("de")),
)
def test_eligibility_and_its_reasons_match_the_rep_by_rep_computation(team, item) -> None:
    config, state, now = team
    for rule in (None, *config.rules):
        for one in config.reps.values():
            for named in (False, True):
                fast = exclusion_reason(one, item, rule, config, state, now, named_account=named)
                assert fast == plain_exclusion(one, item, rule, state, now, named)
    assert decide(item, config, state, now) == plain_decide(item, config, state, now)
