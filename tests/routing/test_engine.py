"""decide(): who is eligible, the fallback chain, named accounts, and the reason sentence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from routing import Priority, decide
from routing.trace import Exclusion
from tests.routing.factories import NOW, lead, make_config, rep, state

EMEA_RULE = {"name": "Enterprise EMEA", "when": {"country": ["DE", "FR"]}, "pool": "emea"}


def test_reason_sentence_names_rule_pool_strategy_and_who_was_left_out() -> None:
    config = make_config(
        [rep("Ana"), rep("Ben"), rep("Chloé", id="chloe", capacity=12)],
        pools={"emea-enterprise": ["ana", "ben", "chloe"]},
        rules=[{**EMEA_RULE, "pool": "emea-enterprise"}],
    )
    decision = decide(
        lead(country="Germany"),
        config,
        state(away={"ben": None}, open_leads={"chloe": 12}, rotation={"emea-enterprise": {}}),
        NOW,
    )
    assert decision.reason == (
        "Enterprise EMEA → pool emea-enterprise → round robin: "
        "Ana was next (Ben away, Chloé at capacity 12/12)"
    )
    assert decision.outcome == "assigned"
    assert decision.owner_id == "ana"
    assert decision.rule_name == "Enterprise EMEA"
    assert decision.pool_id == "emea-enterprise"


def test_decision_carries_rule_priority_sla_and_the_pools_new_rotation() -> None:
    config = make_config(
        ["ana", "ben"],
        pools={"emea": {"members": ["ana", "ben"], "sla": "10m"}},
        rules=[{**EMEA_RULE, "priority": "high", "sla": "5m"}],
    )
    decision = decide(lead(country="FR"), config, state(), NOW)
    assert decision.priority is Priority.high
    assert decision.sla == timedelta(minutes=5)
    assert decision.owner_id == "ana"
    saved = state(rotation={"emea": decision.rotation})
    assert decide(lead(country="FR"), config, saved, NOW).owner_id == "ben"


def test_pool_sla_applies_when_the_rule_sets_none() -> None:
    config = make_config(
        ["ana"], pools={"emea": {"members": ["ana"], "sla": "10m"}}, rules=[EMEA_RULE]
    )
    assert decide(lead(country="FR"), config, state(), NOW).sla == timedelta(minutes=10)


def test_naive_now_is_refused() -> None:
    config = make_config(["ana"], pools={"emea": ["ana"]}, rules=[EMEA_RULE])
    with pytest.raises(ValueError, match="timezone-aware"):
        decide(lead(country="FR"), config, state(), datetime(2025, 1, 15, 10))


# --- eligibility: each reason excludes the first rep in line and is explained -----------------


def excluded_first(
    ana: dict[str, Any] | None = None,
    rule: dict[str, Any] | None = None,
    **lead_and_state: Any,
):
    """Pool [ana, ben], ana first in line; returns the decision for one lead."""
    state_keys = {"away", "open_leads", "exclude", "performance"}
    state_args = {k: v for k, v in lead_and_state.items() if k in state_keys}
    lead_args = {k: v for k, v in lead_and_state.items() if k not in state_keys}
    config = make_config(
        [rep("Ana", **(ana or {})), rep("Ben", languages=["fr", "de"], products=["api"],
         industries=["healthcare"], skills=["nuclear"], tier="enterprise")],
        pools={"team": ["ana", "ben"]},
        rules=[{"name": "All", "pool": "team", **(rule or {})}],
    )  # fmt: skip
    return decide(lead(**lead_args), config, state(**state_args), NOW)


def assert_excluded(decision: Any, reason: str) -> None:
    assert decision.owner_id == "ben"
    assert Exclusion("ana", reason, "team") in decision.exclusions
    assert decision.reason == f"All → pool team → round robin: Ben was next (Ana {reason})"


def test_inactive_rep_is_skipped() -> None:
    assert_excluded(excluded_first(ana={"active": False}), "inactive")


def test_rep_away_until_back_is_skipped() -> None:
    assert_excluded(excluded_first(away={"ana": None}), "away")


def test_rep_away_until_a_time_is_skipped_with_the_time_in_their_zone() -> None:
    until = datetime(2025, 1, 15, 17, 0, tzinfo=UTC)
    decision = excluded_first(ana={"timezone": "Europe/Paris"}, away={"ana": until})
    assert_excluded(decision, "away until Wed 18:00 Europe/Paris")


def test_rep_on_time_off_is_skipped() -> None:
    time_off = [{"start": "2025-01-13", "end": "2025-01-17", "reason": "ski trip"}]
    assert_excluded(excluded_first(ana={"time_off": time_off}), "time off until Jan 17 (ski trip)")


def test_time_off_ends_with_its_last_day() -> None:
    time_off = [{"start": "2025-01-13", "end": "2025-01-14"}]
    assert excluded_first(ana={"time_off": time_off}).owner_id == "ana"


def test_off_hours_are_judged_in_each_reps_own_time_zone() -> None:
    # 01:00 UTC on a Wednesday: 10:00 in Tokyo, 02:00 in Paris
    now = datetime(2025, 1, 15, 1, 0, tzinfo=UTC)
    office = {"mon-fri": "09:00-17:00"}
    config = make_config(
        [
            rep("Pierre", timezone="Europe/Paris", hours=office),
            rep("Yuki", timezone="Asia/Tokyo", hours=office),
        ],
        pools={"global": ["pierre", "yuki"]},
        fallback="global",
    )
    decision = decide(lead(), config, state(), now)
    assert decision.owner_id == "yuki"
    assert Exclusion("pierre", "off hours (Wed 02:00 Europe/Paris)", "global") in (
        decision.exclusions
    )
    assert "Pierre off hours (Wed 02:00 Europe/Paris)" in decision.reason


def test_config_default_hours_apply_to_reps_without_their_own() -> None:
    config = make_config(
        ["ana"], pools={"p": ["ana"]}, fallback="p", hours={"mon-fri": "09:00-17:00"}
    )
    saturday = datetime(2025, 1, 18, 10, 0, tzinfo=UTC)
    assert decide(lead(), config, state(), NOW).owner_id == "ana"
    assert decide(lead(), config, state(), saturday).outcome == "triage"


def test_rep_without_the_leads_language_is_skipped_when_the_rule_requires_it() -> None:
    decision = excluded_first(
        ana={"languages": ["en"]}, rule={"require": ["language"]}, language="French"
    )
    assert_excluded(decision, "does not speak fr")


def test_language_is_not_checked_when_the_rule_does_not_require_it() -> None:
    assert excluded_first(ana={"languages": ["en"]}, language="fr").owner_id == "ana"


def test_rep_not_on_the_leads_product_is_skipped() -> None:
    decision = excluded_first(rule={"require": ["product"]}, product="API")
    assert_excluded(decision, "not on product API")


def test_rep_outside_the_leads_industry_is_skipped() -> None:
    decision = excluded_first(rule={"require": ["industry"]}, industry="Healthcare")
    assert_excluded(decision, "not a Healthcare specialist")


def test_rep_lacking_a_required_skill_is_skipped() -> None:
    decision = excluded_first(ana={"skills": ["security"]}, rule={"skills": ["Nuclear"]})
    assert_excluded(decision, "lacks skill nuclear")


def test_rep_of_another_tier_is_skipped() -> None:
    decision = excluded_first(ana={"tier": "smb"}, rule={"tiers": ["Enterprise"]})
    assert_excluded(decision, "tier smb")


def test_rep_at_capacity_is_skipped() -> None:
    decision = excluded_first(ana={"capacity": 12}, open_leads={"ana": 12})
    assert_excluded(decision, "at capacity 12/12")


def test_rep_below_capacity_still_takes_leads() -> None:
    assert excluded_first(ana={"capacity": 12}, open_leads={"ana": 11}).owner_id == "ana"


def test_rep_who_already_had_the_lead_is_not_given_it_again() -> None:
    assert_excluded(excluded_first(exclude=frozenset({"ana"})), "already had this lead")


# --- the fallback chain -------------------------------------------------------------------------


def chain_config(**rule: Any):
    return make_config(
        ["ana", "ben", "chloe", "dev"],
        pools={
            "first": {"members": ["ana"], "fallback": "pool-fb"},
            "rule-fb": ["ben"],
            "pool-fb": ["chloe"],
            "global": ["dev"],
        },
        rules=[{"name": "Rule", "pool": "first", **rule}],
        fallback="global",
    )


def test_full_pool_falls_back_to_the_rules_fallback() -> None:
    decision = decide(lead(), chain_config(fallback="rule-fb"), state(away={"ana": None}), NOW)
    assert (decision.owner_id, decision.pool_id) == ("ben", "rule-fb")
    assert decision.trace == (
        "Rule",
        "pool first: nobody available (ana away)",
        "pool rule-fb",
        "round robin: ben was next",
    )


def test_without_a_rule_fallback_the_pools_own_fallback_is_next() -> None:
    decision = decide(lead(), chain_config(), state(away={"ana": None}), NOW)
    assert (decision.owner_id, decision.pool_id) == ("chloe", "pool-fb")


def test_pools_fallback_comes_after_the_rules_fallback() -> None:
    away = {"ana": None, "ben": None}
    decision = decide(lead(), chain_config(fallback="rule-fb"), state(away=away), NOW)
    assert (decision.owner_id, decision.pool_id) == ("chloe", "pool-fb")


def test_global_fallback_is_last_before_triage() -> None:
    away = {"ana": None, "ben": None, "chloe": None}
    decision = decide(lead(), chain_config(fallback="rule-fb"), state(away=away), NOW)
    assert (decision.owner_id, decision.pool_id) == ("dev", "global")
    assert [s for s in decision.trace if "nobody available" in s] == [
        "pool first: nobody available (ana away)",
        "pool rule-fb: nobody available (ben away)",
        "pool pool-fb: nobody available (chloe away)",
    ]


def test_nobody_anywhere_sends_the_lead_to_triage() -> None:
    away = dict.fromkeys(["ana", "ben", "chloe", "dev"])
    decision = decide(lead(), chain_config(fallback="rule-fb"), state(away=away), NOW)
    assert decision.outcome == "triage"
    assert decision.owner is None and decision.pool is None
    assert decision.rule_name == "Rule"
    assert decision.trace[-1] == "triage queue"
    assert {e.rep for e in decision.exclusions} == {"ana", "ben", "chloe", "dev"}


def test_triage_queue_uses_its_configured_name() -> None:
    config = make_config(["ana"], pools={"p": ["ana"]}, fallback="p", triage={"name": "#sales-ops"})
    decision = decide(lead(), config, state(away={"ana": None}), NOW)
    assert decision.reason == (
        "no rule matched → pool p: nobody available (ana away) → #sales-ops queue"
    )


def test_a_rule_naming_one_rep_assigns_to_them() -> None:
    config = make_config(
        ["ana", "ben"], pools={"backup": ["ben"]},
        rules=[{"name": "VIP", "rep": "ana", "fallback": "backup"}],
    )  # fmt: skip
    decision = decide(lead(), config, state(), NOW)
    assert (decision.owner_id, decision.pool) == ("ana", None)
    assert decision.reason == "VIP → rep ana"


def test_an_unavailable_target_rep_falls_back_to_the_rules_pool() -> None:
    config = make_config(
        ["ana", "ben"], pools={"backup": ["ben"]},
        rules=[{"name": "VIP", "rep": "ana", "fallback": "backup"}],
    )  # fmt: skip
    decision = decide(lead(), config, state(away={"ana": None}), NOW)
    assert (decision.owner_id, decision.pool_id) == ("ben", "backup")
    assert decision.trace[:2] == ("VIP", "rep ana unavailable (away)")
    assert Exclusion("ana", "away") in decision.exclusions


def test_nurture_rule_stores_the_lead_without_an_owner() -> None:
    config = make_config(
        ["ana"], pools={"p": ["ana"]},
        rules=[{"name": "Students", "when": {"email": {"regex": r"\.edu$"}}, "nurture": True}],
        fallback="p",
    )  # fmt: skip
    decision = decide(lead(email="kim@uni.edu"), config, state(), NOW)
    assert decision.outcome == "nurture"
    assert decision.owner is None
    assert decision.reason == "Students → nurture (stored, not routed)"
    assert decide(lead(email="kim@corp.com"), config, state(), NOW).owner_id == "ana"


def test_first_matching_rule_wins() -> None:
    config = make_config(
        ["ana", "ben"], pools={"a": ["ana"], "b": ["ben"]},
        rules=[
            {"name": "Big", "when": {"employees": {"gte": 1000}}, "pool": "a"},
            {"name": "German", "when": {"country": "DE"}, "pool": "b"},
        ],
    )  # fmt: skip
    assert decide(lead(country="DE", employees=5000), config, state(), NOW).rule_name == "Big"
    assert decide(lead(country="DE", employees=50), config, state(), NOW).rule_name == "German"


def test_a_lead_no_rule_matches_goes_to_the_global_fallback() -> None:
    config = make_config(
        ["ana", "ben"], pools={"emea": ["ana"], "catchall": ["ben"]},
        rules=[EMEA_RULE], fallback="catchall",
    )  # fmt: skip
    decision = decide(lead(country="US"), config, state(), NOW)
    assert (decision.owner_id, decision.rule) == ("ben", None)
    assert decision.trace[0] == "no rule matched"


def test_a_lead_no_rule_matches_without_a_global_fallback_goes_to_triage() -> None:
    config = make_config(["ana"], pools={"emea": ["ana"]}, rules=[EMEA_RULE])
    decision = decide(lead(country="US"), config, state(), NOW)
    assert decision.outcome == "triage"
    assert decision.reason == "no rule matched → triage queue"


# --- named accounts -----------------------------------------------------------------------------


def account_config(**rule: Any):
    return make_config(
        [rep("Ana", capacity=1), rep("Ben"), rep("Chloé", id="chloe")],
        pools={"emea": ["ben", "chloe"]},
        rules=[{**EMEA_RULE, **rule}],
        accounts={"https://www.acme.com": "ana"},
    )


def test_named_account_goes_to_its_owner_first() -> None:
    decision = decide(lead(email="jo@acme.com", country="DE"), account_config(), state(), NOW)
    assert decision.owner_id == "ana"
    assert decision.pool is None and decision.rotation is None
    assert decision.reason == "Enterprise EMEA → named account acme.com: Ana owns it"


def test_named_account_matches_the_company_domain_too() -> None:
    item = lead(email="jo@gmail.com", company_domain="acme.com", country="DE")
    assert decide(item, account_config(), state(), NOW).owner_id == "ana"


def test_account_owner_gets_their_account_even_at_capacity() -> None:
    item = lead(email="jo@acme.com", country="DE")
    assert decide(item, account_config(), state(open_leads={"ana": 5}), NOW).owner_id == "ana"


def test_away_account_owner_lets_the_rule_route_and_says_so() -> None:
    item = lead(email="jo@acme.com", country="DE")
    decision = decide(item, account_config(), state(away={"ana": None}), NOW)
    assert (decision.owner_id, decision.pool_id) == ("ben", "emea")
    assert decision.trace[:2] == (
        "Enterprise EMEA",
        "named account acme.com: owner Ana unavailable (away)",
    )
    assert Exclusion("ana", "away") in decision.exclusions


def test_rule_with_account_owner_false_skips_the_owner() -> None:
    item = lead(email="jo@acme.com", country="DE")
    decision = decide(item, account_config(account_owner=False), state(), NOW)
    assert decision.owner_id == "ben"
    assert not any("named account" in step for step in decision.trace)


def test_named_account_applies_when_no_rule_matches() -> None:
    decision = decide(lead(email="jo@acme.com", country="US"), account_config(), state(), NOW)
    assert decision.owner_id == "ana"
    assert decision.trace[0] == "no rule matched"
