"""HubSpot write-back through the outbox, as the bot runs it: a lead posted to the webhook is
written to HubSpot once, whatever HubSpot does meanwhile (late answers, limits, outages), and
a refusal is given up where people see it. Deal outcomes come back by signed webhook."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from bot.crm import hubspot as hubspot_module
from crm_standins.hubspot import HubSpotStandin, deal_stage_event
from storage.models import CrmLink, LeadRow, OutboxMessage
from tests.crm.conftest import crm_team
from tests.support.slack_bot import Bot, make_bot

CLIENT_SECRET = "hubspot-app-client-secret-for-tests"


@pytest.fixture
def bot(standin, hubspot: HubSpotStandin, tmp_path, now) -> Iterator[Bot]:  # type: ignore[no-untyped-def]
    made = make_bot(
        standin,
        tmp_path,
        now,
        crm_team("{provider: hubspot}"),
        hubspot_access_token=hubspot.token,
        hubspot_api_url=hubspot.url,
        hubspot_client_secret=CLIENT_SECRET,
    )
    yield made
    made.server.close()


def syncs(bot: Bot) -> list[OutboxMessage]:
    with Session(bot.engine) as session:
        return list(
            session.exec(select(OutboxMessage).where(OutboxMessage.kind == "crm_sync")).all()
        )


def later(bot: Bot, hubspot: HubSpotStandin, seconds: float) -> None:
    """Time passes for the bot and for HubSpot alike."""
    bot.clock.current += timedelta(seconds=seconds)
    hubspot.clock.advance(seconds)


def test_a_posted_lead_is_written_to_hubspot_with_its_owner_and_one_task(bot, hubspot):
    answer = bot.post_lead(email="kim@acme.com", name="Kim Lee", company="Acme")
    bot.deliver()
    contact = hubspot.contact("kim@acme.com")
    assert contact is not None and contact["hubspot_owner_id"] in ("11", "22")
    assert len(hubspot.tasks_of(contact["id"])) == 1
    with Session(bot.engine) as session:
        link = session.get(CrmLink, answer["lead_id"])
    assert link is not None and link.record_id == contact["id"]
    assert all(m.status == "sent" for m in syncs(bot))


def test_a_task_whose_answer_was_lost_is_not_created_twice(bot, hubspot, monkeypatch):
    monkeypatch.setattr(hubspot_module, "TIMEOUT", 0.3)
    hubspot.answer_late("tasks.create", 1.0)  # HubSpot makes the task; its answer comes too late
    bot.post_lead(email="kim@acme.com", name="Kim Lee", company="Acme")
    bot.deliver()
    [message] = syncs(bot)
    assert message.status == "pending" and "ReadTimeoutError" in (message.last_error or "")
    hubspot.wait_for(lambda: hubspot.calls("tasks.create"))
    later(bot, hubspot, 60)
    bot.deliver()
    contact = hubspot.contact("kim@acme.com")
    assert contact is not None and len(hubspot.tasks_of(contact["id"])) == 1
    assert len(hubspot.objects("contacts")) == 1 and syncs(bot)[0].status == "sent"


def test_a_rate_limited_write_waits_hubspots_window_and_is_not_lost(bot, hubspot):
    hubspot.rate_limits(burst=2)  # the owners read at start-up spent one
    bot.post_lead(email="kim@acme.com", name="Kim Lee")
    bot.deliver()
    [message] = syncs(bot)
    assert message.status == "pending" and "429" in (message.last_error or "")
    assert message.next_attempt_at - bot.clock() == timedelta(seconds=10)
    assert message.attempts == 0, "a wait HubSpot asked for is not a failed attempt (backoff)"
    hubspot.rate_limits(burst=100)
    later(bot, hubspot, 10)
    bot.deliver()
    assert syncs(bot)[0].status == "sent" and hubspot.contact("kim@acme.com") is not None


def test_an_outage_is_retried_until_hubspot_is_back(bot, hubspot):
    hubspot.outage(None, times=2, status=503)
    bot.post_lead(email="kim@acme.com", name="Kim Lee")
    bot.deliver()
    assert syncs(bot)[0].status == "pending"
    for _ in range(3):
        later(bot, hubspot, 60)
        bot.deliver()
    assert syncs(bot)[0].status == "sent" and hubspot.contact("kim@acme.com") is not None


def test_a_refused_token_is_given_up_and_the_triage_channel_told_how_to_retry(
    bot, hubspot, standin
):
    hubspot.break_token()
    bot.post_lead(email="kim@acme.com", name="Kim Lee")
    bot.deliver()
    [message] = syncs(bot)
    assert message.status == "dead" and "401 INVALID_AUTHENTICATION" in (message.last_error or "")
    told = [m.text for m in standin.messages("C0TRIAGE") if "CRM write" in (m.text or "")]
    assert told and f"leadrouter outbox retry {message.id}" in told[0]
    assert hubspot.token not in told[0]


def test_a_won_deal_closes_the_lead_of_its_contact(bot, hubspot):
    answer = bot.post_lead(email="kim@acme.com", name="Kim Lee")
    bot.deliver()
    contact = hubspot.contact("kim@acme.com")
    assert contact is not None
    deal = hubspot.add_deal("closedwon", (contact["id"],), dealname="Acme")
    url = "http://testserver/webhooks/crm/hubspot"
    at_ms = int(bot.clock().timestamp() * 1000)
    body, headers = hubspot.webhook(
        url, CLIENT_SECRET, [deal_stage_event(deal, "closedwon")], at_ms=at_ms
    )
    response = bot.http.post("/webhooks/crm/hubspot", content=body, headers=headers)
    assert response.status_code == 200 and response.json() == {"queued": 1}
    bot.deliver()
    with Session(bot.engine) as session:
        assert session.get(LeadRow, answer["lead_id"]).state == "won"  # type: ignore[union-attr]
    forged = {**headers, "X-HubSpot-Signature-v3": "AAAA"}
    assert bot.http.post("/webhooks/crm/hubspot", content=body, headers=forged).status_code == 401


def test_a_refused_token_is_told_to_triage_once_not_once_a_lead(bot, hubspot, standin):
    hubspot.break_token()
    for n in range(5):
        bot.post_lead(email=f"kim{n}@acme.com", name="Kim Lee")
    bot.deliver()
    assert {m.status for m in syncs(bot)} == {"dead"}
    told = [m.text for m in standin.messages("C0TRIAGE") if "CRM write" in (m.text or "")]
    assert len(told) == 1 and "leadrouter outbox retry --kind crm_sync" in told[0]
