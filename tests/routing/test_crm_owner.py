"""The CRM's owner, as routing weighs it: first, like a named account, and only if they can
take the lead; the trace always says what the CRM said, or that it was not consulted."""

from __future__ import annotations

from routing import decide
from routing.crm_config import CrmAnswer
from tests.routing.factories import NOW, lead, make_config, state

CONFIG = make_config(
    reps=["Ana", "Ben", "Chloe"],
    pools={"sales": ["ana", "chloe"]},
    rules=[{"name": "Everyone", "pool": "sales"}],
    accounts={"acme.com": "chloe"},
)
OWNED = CrmAnswer("ben", "HubSpot: company acme.com is owned by Ben")


def test_the_crm_owner_gets_the_lead_and_the_trace_says_why() -> None:
    decision = decide(lead(email="kim@acme.com"), CONFIG, state(), NOW, OWNED)
    assert decision.owner_id == "ben"
    assert "HubSpot: company acme.com is owned by Ben" in decision.reason


def test_an_unavailable_crm_owner_is_skipped_and_routing_goes_on() -> None:
    away = state(away={"ben": None})
    decision = decide(lead(email="kim@acme.com"), CONFIG, away, NOW, OWNED)
    assert decision.owner_id == "chloe"  # then the named account in routing.yml
    assert "owned by Ben, unavailable (away" in decision.reason


def test_a_crm_that_was_not_consulted_says_so_in_the_trace() -> None:
    silent = CrmAnswer(None, "HubSpot not consulted: no answer within 400 ms")
    decision = decide(lead(email="kim@other.io"), CONFIG, state(), NOW, silent)
    assert decision.owner_id in ("ana", "chloe")
    assert "HubSpot not consulted: no answer within 400 ms" in decision.reason


def test_a_rule_that_skips_account_owners_skips_the_crm_owner_too() -> None:
    config = make_config(
        reps=["Ana", "Ben"],
        pools={"sales": ["ana"]},
        rules=[{"name": "Round robin only", "pool": "sales", "account_owner": False}],
    )
    decision = decide(lead(email="kim@acme.com"), config, state(), NOW, OWNED)
    assert decision.owner_id == "ana"
    assert "this rule does not route to account owners" in decision.reason
