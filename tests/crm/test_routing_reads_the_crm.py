"""A lead posted to the webhook is routed by what HubSpot says, within the lead's budget: the
company's owner gets it and the reason says so; when HubSpot is slow or down the lead is
routed by the rules at once and the reason says HubSpot was not consulted."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from crm_standins.hubspot import HubSpotStandin
from tests.crm.conftest import crm_team
from tests.support.slack_bot import Bot, make_bot


@pytest.fixture
def bot(standin, hubspot: HubSpotStandin, tmp_path, now) -> Iterator[Bot]:  # type: ignore[no-untyped-def]
    made = make_bot(
        standin,
        tmp_path,
        now,
        crm_team("{provider: hubspot, budget_ms: 2000}"),  # a loaded test machine is slow
        hubspot_access_token=hubspot.token,
        hubspot_api_url=hubspot.url,
    )
    yield made
    made.server.close()


def test_the_companys_hubspot_owner_gets_the_lead_and_the_reason_says_why(bot, hubspot):
    hubspot.add_company("acme.com", owner_id="22", name="Acme")  # Ben, though Ana is next
    answer = bot.post_lead(email="kim@acme.com", company="Acme")
    assert answer["owner"] == "ben"
    assert "HubSpot: company acme.com is owned by Ben" in answer["reason"]
    bot.deliver()
    assert "HubSpot: company acme.com is owned by Ben" in bot.card_text("U0BEN", answer["lead_id"])


def test_a_hubspot_outage_routes_by_the_rules_and_says_hubspot_was_not_consulted(bot, hubspot):
    hubspot.add_company("acme.com", owner_id="22", name="Acme")
    hubspot.outage(times=10)
    answer = bot.post_lead(email="kim@acme.com", company="Acme")
    assert answer["owner"] == "ana"  # the pool's round robin
    assert "HubSpot not consulted" in answer["reason"]
