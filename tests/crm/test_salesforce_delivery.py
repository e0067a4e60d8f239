"""Salesforce write-back through the outbox and outcomes by poll, as the bot runs them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from bot.crm.outcomes import poll_salesforce
from crm_standins.salesforce import SalesforceStandin
from storage.models import LeadRow, OutboxMessage
from tests.crm.conftest import crm_team
from tests.support.slack_bot import Bot, make_bot


@pytest.fixture
def bot(standin, salesforce: SalesforceStandin, tmp_path) -> Iterator[Bot]:  # type: ignore[no-untyped-def]
    salesforce.add_user("ana@sales.io", name="Ana Silva")
    salesforce.add_user("ben@sales.io", name="Ben Carter")
    # The bot's clock is the real one here: Salesforce stamps LastModifiedDate with its own.
    made = make_bot(
        standin,
        tmp_path,
        datetime.now(UTC).replace(microsecond=0),
        crm_team("{provider: salesforce}"),
        salesforce_instance_url=salesforce.url,
        salesforce_client_id=salesforce.client_id,
        salesforce_client_secret=salesforce.client_secret,
    )
    yield made
    made.server.close()


def state_of(bot: Bot, lead_id: int) -> str:
    with Session(bot.engine) as session:
        return session.get(LeadRow, lead_id).state  # type: ignore[union-attr]


def test_posted_leads_become_salesforce_leads_and_their_outcomes_come_back(bot, salesforce):
    won = bot.post_lead(email="kim@acme.com", name="Kim Lee", company="Acme")
    lost = bot.post_lead(email="lee@beta.io", name="Lee Park", company="Beta")
    bot.deliver()
    with Session(bot.engine) as session:
        sent = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "crm_sync")).all()
    assert sent and all(m.status == "sent" for m in sent)
    leads = {r["Email"]: r for r in salesforce.records("Lead")}
    assert set(leads) == {"kim@acme.com", "lee@beta.io"}
    assert len(salesforce.records("Task")) == 2
    assert poll_salesforce(bot.runtime) == 0  # nothing closed yet
    salesforce.convert_lead(leads["kim@acme.com"]["Id"])
    salesforce.set_field(leads["lee@beta.io"]["Id"], "Status", "Closed - Not Converted")
    bot.clock.current += timedelta(minutes=5)
    assert poll_salesforce(bot.runtime) == 2
    assert state_of(bot, won["lead_id"]) == "won" and state_of(bot, lost["lead_id"]) == "lost"
    bot.clock.current += timedelta(minutes=5)
    assert poll_salesforce(bot.runtime) == 0  # closed once


def test_a_change_stamped_just_before_the_last_poll_is_not_missed(bot, salesforce):
    """Salesforce stamps LastModifiedDate when a save starts, by its own clock: a Lead saved
    across our poll carries a time before it. The next poll looks back a little further."""
    answer = bot.post_lead(email="kim@acme.com", name="Kim Lee", company="Acme")
    bot.deliver()
    [lead] = salesforce.records("Lead")
    poll_salesforce(bot.runtime)
    salesforce.clock.advance(-30)  # the save began 30 s before our poll read its cursor
    salesforce.convert_lead(lead["Id"])
    bot.clock.current += timedelta(minutes=5)
    assert poll_salesforce(bot.runtime) == 1
    assert state_of(bot, answer["lead_id"]) == "won"
