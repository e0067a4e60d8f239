"""How long one routing decision takes on a big, awkward config.

    python -m bench.routing_bench [--leads N] [--seed S] [--profile]

The config is a fair worst-ish case, not an average one: 1,000 reps in 12 time zones, 60 pools
of 10-30 reps with mixed strategies and fallbacks, 2,000 named accounts, and 300 rules whose
first 280 are narrow (a country list, a size band, an industry, then a regex, a `contains`, an
`any`/`not` or a custom field). Leads are drawn so that most pass the first cheap test of many
rules and fail a later one, so a typical lead is tested against well over 200 rules before the
broad regional rules at the end place it. Some reps are away, some at capacity (open leads rise
with each assignment and fall as leads close), and the clock moves 5 s per lead across a week,
so off hours change as the benchmark runs. Rotation state is carried from one lead to the next.

Leads are built before timing; only decide() is timed, with time.perf_counter_ns.
Target: median < 100 µs and p99 < 1 ms per decision.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import pstats
import random
import statistics
import sys
import time
from collections import Counter, deque
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bench import Result, format_table, summarise_ns
from routing import Decision, Lead, RoutingConfig, RoutingState, decide

TARGET = "median < 100 µs, p99 < 1 ms"
LIMITS = {"median": 100.0, "p99": 1000.0}
FULL_LEADS = 100_000
QUICK_LEADS = 10_000

ZONES = [
    "America/Los_Angeles",
    "America/Chicago",
    "America/New_York",
    "America/Sao_Paulo",
    "Europe/London",
    "Europe/Paris",
    "Europe/Berlin",
    "Africa/Johannesburg",
    "Asia/Dubai",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Australia/Sydney",
]
REGIONS = {
    "na": ["US", "CA", "MX"],
    "latam": ["BR", "AR", "CL", "CO"],
    "emea": ["GB", "IE", "FR", "DE", "AT", "CH", "NL", "BE", "ES", "IT", "SE", "PL", "ZA", "AE"],
    "apac": ["IN", "SG", "AU", "NZ", "JP", "KR"],
}
COUNTRIES = [c for countries in REGIONS.values() for c in countries]
INDUSTRIES = ["software", "fintech", "healthcare", "retail", "manufacturing", "education",
              "logistics", "media", "energy", "public sector", "insurance", "telecom"]  # fmt: skip
PRODUCTS = ["crm", "api", "analytics", "payments", "support", "security"]
LANGUAGES = ["en", "de", "fr", "es", "pt", "ja", "it", "nl"]
SOURCES = ["webinar", "demo request", "pricing page", "partner", "newsletter", "trial signup"]
TITLES = ["CEO", "CTO", "VP Sales", "Head of Operations", "Engineer", "Marketing Manager",
          "Chief Revenue Officer", "Director of IT", "Analyst", "Founder"]  # fmt: skip
MESSAGES = ["Please send pricing for 50 seats", "We want a demo next week", "Just browsing",
            "Need SSO and SOC 2 details", "Migrating from a competitor", "Integration with SAP?",
            "Looking for an enterprise plan", "Is there a startup discount?"]  # fmt: skip
PLANS = ["free", "starter", "team", "business", "enterprise"]
START = datetime(2025, 3, 3, tzinfo=UTC)  # a Monday
STEP = timedelta(seconds=5)


# --- the config ---------------------------------------------------------------------------------


def _reps(rng: random.Random) -> dict[str, dict[str, Any]]:
    reps = {}
    for i in range(1000):
        zone = rng.choice(ZONES)
        roll = rng.random()
        if roll < 0.7:
            hours: Any = {"mon-fri": "08:00-18:00"}
        elif roll < 0.9:
            hours = "always"
        else:
            hours = {"mon-thu": "07:00-15:00", "fri": "07:00-12:00"}
        reps[f"rep{i:04d}"] = {
            "slack_id": f"U{i:08d}",
            "name": f"Rep {i}",
            "timezone": zone,
            "hours": hours,
            "languages": rng.sample(LANGUAGES, rng.randint(1, 3)),
            "products": rng.sample(PRODUCTS, rng.randint(2, 5)),
            "industries": rng.sample(INDUSTRIES, rng.randint(2, 6)),
            "skills": rng.sample(["security", "sso", "migration", "sap", "api"], rng.randint(0, 3)),
            "tier": rng.choice(["smb", "mid", "enterprise"]),
            "capacity": rng.choice([None, None, rng.randint(4, 15)]),
            "weight": rng.randint(1, 10),
            "active": rng.random() > 0.02,
            "time_off": (
                [{"start": "2025-03-04", "end": "2025-03-06", "reason": "conference"}]
                if rng.random() < 0.03
                else []
            ),
        }
    return reps


def _pools(rng: random.Random, rep_ids: list[str]) -> dict[str, dict[str, Any]]:
    strategies = ["round_robin", "weighted", "least_loaded", "top_performer"]
    pools: dict[str, dict[str, Any]] = {}
    for region in REGIONS:
        pools[f"{region}-catchall"] = {
            "members": rng.sample(rep_ids, 30),
            "strategy": "least_loaded",
            "fallback": "global",
        }
    for i in range(55):
        region = list(REGIONS)[i % len(REGIONS)]
        pools[f"{region}-team{i:02d}"] = {
            "members": rng.sample(rep_ids, rng.randint(10, 30)),
            "strategy": strategies[i % len(strategies)],
            "fallback": f"{region}-catchall",
        }
    # follow-the-sun overflow: reps who work around the clock
    pools["global"] = {"members": rng.sample(rep_ids, 30), "strategy": "round_robin"}
    return pools


def _narrow_condition(rng: random.Random, i: int) -> dict[str, Any]:
    """Cheap, often-true tests first and a selective one last, as people write rules."""
    region = list(REGIONS)[i % len(REGIONS)]
    low = rng.choice([0, 50, 200, 1000])
    when: dict[str, Any] = {
        "country": rng.sample(REGIONS[region], min(len(REGIONS[region]), rng.randint(2, 6))),
        "employees": {"between": [low, low * 10 + 100]},
        "industry": rng.sample(INDUSTRIES, 3),
    }
    kind = i % 6
    if kind == 0:
        when["email"] = {"regex": rf"@([a-z]+\.)*co{i % 7}[a-z]*\.(com|io)$"}
    elif kind == 1:
        when["message"] = {"contains": [f"plan {i}", "soc 3", f"seats {i}"]}
    elif kind == 2:
        when["any"] = [
            {"product": rng.choice(PRODUCTS), "score": {"gte": 90}},
            {"custom.plan": {"regex": f"^ent.*{i}$"}},
        ]
    elif kind == 3:
        when["not"] = {"source": {"in": ["partner", "newsletter", "webinar", "demo request",
                                        "pricing page", "trial signup"]}}  # fmt: skip
    elif kind == 4:
        when["custom.seats"] = {"gte": 5000 + i}
    else:
        when["title"] = {"regex": rf"^(chief|vp) .*{i}"}
    return when


def _rules(rng: random.Random, pools: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    teams = [p for p in pools if "-team" in p]
    rules: list[dict[str, Any]] = []
    for i in range(280):
        rule: dict[str, Any] = {
            "name": f"narrow {i}",
            "when": _narrow_condition(rng, i),
            "pool": teams[i % len(teams)],
        }
        if i % 5 == 0:
            rule["require"] = [rng.choice(["language", "product", "industry"])]
        if i % 11 == 0:
            rule["tiers"] = ["enterprise", "mid"]
        rules.append(rule)
    rules.append({"name": "students", "when": {"email": {"regex": r"\.edu$"}}, "nurture": True})
    for j in range(18):
        region = list(REGIONS)[j % len(REGIONS)]
        rules.append(
            {
                "name": f"{region} broad {j}",
                "when": {
                    "country": REGIONS[region],
                    "employees": {"gte": [0, 50, 200, 1000, 5000][j % 5]},
                    "source": {"not_in": ["partner"]} if j % 2 else {"exists": True},
                },
                "pool": teams[(j * 3) % len(teams)],
                "fallback": f"{region}-catchall",
                **({"require": ["language"]} if j % 3 == 0 else {}),
            }
        )
    rules.append({"name": "everything else", "pool": "global"})
    return rules


def build_config(seed: int = 7) -> RoutingConfig:
    rng = random.Random(seed)
    reps = _reps(rng)
    pools = _pools(rng, list(reps))
    rules = _rules(rng, pools)
    accounts = {f"account{i}.com": rng.choice(list(reps)) for i in range(2000)}
    return RoutingConfig.model_validate(
        {
            "reps": reps,
            "pools": pools,
            "rules": rules,
            "accounts": accounts,
            "fallback": "global",
            "hours": {"mon-fri": "09:00-17:00"},
        }
    )


# --- the leads ----------------------------------------------------------------------------------


def build_leads(count: int, seed: int = 11) -> list[Lead]:
    rng = random.Random(seed)
    leads = []
    for i in range(count):
        roll = rng.random()
        if roll < 0.05:
            domain = f"account{rng.randrange(2000)}.com"  # a named account
        elif roll < 0.07:
            domain = "state.edu"
        else:
            domain = f"{rng.choice(['acme', 'globex', 'initech', 'hooli'])}{i % 997}.com"
        leads.append(
            Lead(
                email=f"lead{i}@{domain}",
                first_name="Sam",
                last_name=f"Lead{i}",
                country=rng.choice(COUNTRIES),
                employees=rng.choice([5, 30, 120, 400, 1500, 8000, "1,000+", "50-200"]),
                annual_revenue=rng.choice([None, "$5M", "500k", "€20m"]),
                industry=rng.choice(INDUSTRIES),
                product=rng.choice(PRODUCTS),
                language=rng.choice(LANGUAGES),
                score=rng.randint(0, 100),
                source=rng.choice(SOURCES),
                title=rng.choice(TITLES),
                message=rng.choice(MESSAGES),
                custom={"plan": rng.choice(PLANS), "seats": rng.randint(1, 6000)},
            )
        )
    return leads


# --- the run ------------------------------------------------------------------------------------


@dataclass
class World:
    """What the database would hold: rotation, open leads, who is away. Updated between leads."""

    rotation: dict[str, dict[str, int]]
    open_leads: Counter[str]
    away: dict[str, datetime | None]
    performance: dict[str, float]
    closing: deque[str]

    def state(self) -> RoutingState:
        return RoutingState(
            rotation=self.rotation,
            open_leads=self.open_leads,
            away=self.away,
            performance=self.performance,
        )

    def apply(self, decision: Decision, keep_open: int) -> None:
        if decision.pool is not None and decision.rotation is not None:
            self.rotation[decision.pool.id] = dict(decision.rotation)
        if decision.owner is not None:
            self.open_leads[decision.owner.id] += 1
            self.closing.append(decision.owner.id)
            if len(self.closing) > keep_open:  # the oldest open lead gets worked and closed
                self.open_leads[self.closing.popleft()] -= 1


def new_world(config: RoutingConfig, seed: int = 3) -> World:
    rng = random.Random(seed)
    reps = list(config.reps)
    away_ids = rng.sample(reps, len(reps) // 20)
    away: dict[str, datetime | None] = {
        rep: (None if i % 2 else START + timedelta(days=rng.randint(1, 6)))
        for i, rep in enumerate(away_ids)
    }
    return World(
        rotation={},
        open_leads=Counter({rep: rng.randint(0, 8) for rep in reps}),
        away=away,
        performance={rep: round(rng.random(), 1) for rep in reps},
        closing=deque(),
    )


@dataclass
class Tally:
    """What the run did, counted as it goes (keeping 100,000 decisions would skew the GC)."""

    outcomes: Counter[str]
    rules_tested: list[int]
    named_accounts: int = 0
    fell_back: int = 0
    slowest: tuple[int, int] = (0, -1)  # (ns, lead index)

    def add(self, index: int, decision: Decision, elapsed: int, order: dict[str, int]) -> None:
        self.outcomes[decision.outcome] += 1
        if decision.rule_name is not None:
            self.rules_tested.append(order[decision.rule_name] + 1)
        self.named_accounts += any("named account" in s for s in decision.trace)
        self.fell_back += any("nobody available" in s for s in decision.trace)
        self.slowest = max(self.slowest, (elapsed, index))

    def notes(self, config: RoutingConfig) -> list[str]:
        tested = self.rules_tested
        return [
            "outcomes: " + ", ".join(f"{k} {v:,}" for k, v in sorted(self.outcomes.items())),
            f"named-account leads: {self.named_accounts:,}; "
            f"leads that fell back past a full pool: {self.fell_back:,}",
            f"rules tested per lead: median {statistics.median(tested):.0f}, "
            f"min {min(tested)}, max {max(tested)} of {len(config.rules)}",
            f"slowest call: lead #{self.slowest[1]:,} ({self.slowest[0] / 1000:,.0f} µs)",
        ]


def timed_run(config: RoutingConfig, leads: list[Lead]) -> tuple[list[int], Tally]:
    world = new_world(config)
    order = {rule.name: i for i, rule in enumerate(config.rules)}
    moments = [START + STEP * i for i in range(len(leads))]
    timings: list[int] = []
    tally = Tally(Counter(), [])
    clock = time.perf_counter_ns
    # The pre-built leads and the config live for the whole run, as the config does in a
    # server (a server would not hold 100,000 leads): keep the collector from rescanning them.
    gc.collect()
    gc.freeze()
    try:
        for index, (lead, now) in enumerate(zip(leads, moments, strict=True)):
            state = world.state()
            begin = clock()
            decision = decide(lead, config, state, now)
            elapsed = clock() - begin
            timings.append(elapsed)
            world.apply(decision, keep_open=4000)
            tally.add(index, decision, elapsed, order)
    finally:
        gc.unfreeze()
    return timings, tally


def run(quick: bool = False, leads: int | None = None) -> Result:
    count = leads or (QUICK_LEADS if quick else FULL_LEADS)
    config = build_config()
    prepared = build_leads(count)
    timings, tally = timed_run(config, prepared)
    result = summarise_ns("routing.decide", timings, TARGET, LIMITS)
    result.notes.extend(tally.notes(config))
    return result


def profile(count: int) -> str:
    config = build_config()
    prepared = build_leads(count)
    profiler = cProfile.Profile()
    profiler.enable()
    timed_run(config, prepared)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(15)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.routing_bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--leads", type=int, default=FULL_LEADS, help="leads to route")
    parser.add_argument("--profile", action="store_true", help="print cProfile hot spots")
    args = parser.parse_args(argv)
    if args.leads < 1:
        parser.error("--leads must be at least 1")
    started = time.perf_counter()
    result = run(leads=args.leads)
    print(f"config: 1,000 reps, 60 pools, 300 rules, 2,000 named accounts; {args.leads:,} leads")
    for note in result.notes:
        print(note)
    print(format_table([result]))
    print(f"target {TARGET}: {'PASS' if result.passed else 'FAIL'}")
    print(f"wall time {time.perf_counter() - started:.1f} s")
    if args.profile:
        print(profile(min(args.leads, 20_000)))
    return 0 if result.passed else 1


if __name__ == "__main__":
    sys.exit(main())
