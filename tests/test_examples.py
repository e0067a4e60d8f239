"""The shipped examples: the config loads, the sample leads replay sensibly through it."""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path

import pytest

from routing import load_config
from routing.config import Requirement
from routing.leads_csv import read_leads_csv
from routing.normalize import language_code
from routing.simulate import VIA_ACCOUNT, SimulationReport, simulate

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

# routing.normalize.language_code('en') answers 'enc' (pycountry matches the language *named*
# "En" before the code), so reps listing `en` and leads sent as "English" disagree and English
# leads under `require: [language]` land in triage. Strict: once fixed, these must pass.
ENGLISH_CODE_BUG = pytest.mark.xfail(
    language_code("en") != "en",
    reason="routing.normalize.language_code('en') returns 'enc'",
    strict=True,
)


@cache
def report() -> SimulationReport:
    leads = read_leads_csv(EXAMPLES / "leads.csv")
    return simulate(leads.leads, load_config(EXAMPLES / "routing.yml"))


def test_example_config_loads_with_the_accounts_csv_merged_in():
    config = load_config(EXAMPLES / "routing.yml")

    assert len(config.reps) >= 25
    assert config.accounts["sakura-denki.example"] == "yuki"  # from accounts.csv
    assert config.accounts["globex.example"] == "rachel"  # from routing.yml
    zones = {rep.timezone for rep in config.reps.values()}
    assert {
        "America/Los_Angeles",
        "America/Chicago",
        "America/New_York",
        "Europe/London",
        "Europe/Paris",
        "Europe/Berlin",
        "Asia/Tokyo",
        "Australia/Sydney",
    } <= zones
    assert {pool.strategy.value for pool in config.pools.values()} >= {
        "round_robin",
        "weighted",
        "least_loaded",
    }


def test_example_leads_are_all_valid_and_span_two_business_weeks():
    leads = read_leads_csv(EXAMPLES / "leads.csv")

    assert leads.errors == ()
    assert len(leads.rows) >= 500
    days = {row.received_at.date() for row in leads.rows}
    assert len(days) >= 10


def test_example_leads_are_what_the_generator_writes(tmp_path: Path):
    spec = importlib.util.spec_from_file_location("make_leads", EXAMPLES / "make_leads.py")
    assert spec is not None and spec.loader is not None
    make_leads = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_leads)

    fresh = tmp_path / "leads.csv"
    make_leads.write(make_leads.generate(), fresh)

    assert fresh.read_bytes() == (EXAMPLES / "leads.csv").read_bytes()


def test_fewer_than_five_percent_of_example_leads_go_to_triage():
    triage = len(report().triage)
    assert triage / len(report().results) < 0.05, [r.decision.reason for r in report().triage]


def test_every_example_pool_gets_leads():
    config = load_config(EXAMPLES / "routing.yml")
    idle = [pool for pool in config.pools if report().pool_leads(pool) == 0]
    assert idle == []


def test_every_example_rule_decides_some_lead():
    unused = [rule.rule for rule in report().rules if rule.leads == 0]
    assert unused == []


def test_example_leads_reach_named_account_owners_and_nurture():
    via_account = sum(r.leads for r in report().reps if r.via == VIA_ACCOUNT)
    assert via_account >= 10
    assert report().nurture > 0


@ENGLISH_CODE_BUG
def test_example_leads_under_language_rules_have_a_speaker_in_the_pool():
    config = load_config(EXAMPLES / "routing.yml")
    unspoken = []
    for result in report().results:
        rule, language = result.decision.rule, result.lead.language
        if rule is None or Requirement.language not in rule.require or not language:
            continue
        pools = [rule.pool, rule.fallback, config.pools[rule.pool].fallback]
        members = {m for pool in pools if pool for m in config.pools[pool].members}
        if not any(language in config.reps[m].languages for m in members):
            unspoken.append((result.lead.email, language, rule.name))
    assert unspoken == []
