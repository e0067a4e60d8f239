"""Ownership at routing time: the CRM's owner becomes a rep by email, within the budget, cached;
free mail is never a company's."""

from __future__ import annotations

import time

from bot.crm.ownership import Ownership
from routing import Lead
from routing.loader import parse_config
from tests.crm.fake import FakeCrm
from tests.support.team import TEAM_YAML

CONFIG = parse_config(
    TEAM_YAML.replace(
        "ben: {slack_id: U0BEN, name: Ben}",
        "ben: {slack_id: U0BEN, name: Ben, email: ben@sales.io}",
    )
    + "crm: {provider: hubspot, budget_ms: 200, owners: {'77': chloe}}\n",
    "team.yml",
)


def ownership(crm: FakeCrm) -> Ownership:
    made = Ownership(crm, CONFIG)
    made.refresh_owners()
    return made


def test_a_company_owner_is_matched_to_a_rep_by_email_and_said_in_the_trace():
    crm = FakeCrm(owners_by_id={"42": "ben@sales.io"}, companies={"acme.com": "42"})
    answer = ownership(crm).answer(Lead(email="kim@acme.com"))
    assert answer is not None and answer.rep_id == "ben"
    assert answer.why == "HubSpot: company acme.com is owned by Ben"


def test_crm_owners_map_overrides_the_email_match():
    crm = FakeCrm(
        owners_by_id={"77": "c.dubois@other.io"},
        contacts={"kim@acme.com": {"id": "1", "owner": "77"}},
    )
    answer = ownership(crm).answer(Lead(email="kim@acme.com"))
    assert answer is not None and answer.rep_id == "chloe"
    assert "contact kim@acme.com is owned by Chloé" in answer.why


def test_an_owner_who_is_no_rep_routes_by_the_rules_and_says_who():
    crm = FakeCrm(owners_by_id={"9": "someone@else.io"}, companies={"acme.com": "9"})
    answer = ownership(crm).answer(Lead(email="kim@acme.com"))
    assert answer is not None and answer.rep_id is None
    assert "owned by someone@else.io, not a rep here" in answer.why


def test_free_mail_is_never_a_company():
    crm = FakeCrm(owners_by_id={"42": "ben@sales.io"}, companies={"gmail.com": "42"})
    answer = ownership(crm).answer(Lead(email="kim@gmail.com"))
    assert answer is not None and answer.rep_id is None  # asked about the contact only
    assert answer.why == "HubSpot: nobody owns kim@gmail.com"


def test_a_slow_crm_is_given_up_after_the_budget_and_its_answer_cached_for_the_next_lead():
    crm = FakeCrm(owners_by_id={"42": "ben@sales.io"}, companies={"acme.com": "42"}, delay=0.5)
    lookup = ownership(crm)
    started = time.monotonic()
    first = lookup.answer(Lead(email="kim@acme.com"))
    waited = time.monotonic() - started
    assert first is not None and first.rep_id is None
    assert first.why == "HubSpot not consulted: no answer within 200 ms"
    assert waited < 0.45, "the lead did not wait for the CRM"
    time.sleep(0.5)  # the answer arrives after all, and is kept
    second = lookup.answer(Lead(email="kim@acme.com"))
    assert second is not None and second.rep_id == "ben" and crm.asked == 1
