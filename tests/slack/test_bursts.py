"""Bursts of leads while Slack misbehaves: every lead stored, every card delivered once."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from storage.models import LeadRow, OutboxMessage, SlackMessage
from tests.support.slack_bot import make_bot
from tests.support.team import team

BURST = 500


@pytest.fixture
def impatient_bot(standin, tmp_path, now):  # type: ignore[no-untyped-def]
    bot = make_bot(standin, tmp_path, now, team(), slack_timeout=0.3)
    yield bot
    bot.server.close()


def recover(bot, rounds: int = 15) -> None:  # type: ignore[no-untyped-def]
    for _ in range(rounds):
        bot.deliver()
        bot.clock.current += timedelta(minutes=10)
    bot.deliver()


def test_a_burst_of_500_leads_while_slack_rate_limits_and_fails(impatient_bot):
    bot = impatient_bot
    bot.standin.rate_limit("chat.postMessage", times=60, retry_after=20)
    bot.standin.server_error("chat.postMessage", times=60, status=503)
    bot.standin.server_error("users.info", times=20, status=500)
    leads = [bot.post_lead(email=f"buyer{n}@burst{n}.example")["lead_id"] for n in range(BURST)]
    recover(bot)

    with Session(bot.engine) as session:
        owners = Counter(row.owner for row in session.exec(select(LeadRow)))
        copies = Counter((c.lead_id, c.kind) for c in session.exec(select(SlackMessage)))
        pending = session.exec(select(OutboxMessage).where(OutboxMessage.status != "sent")).all()
        summarised = {
            m.lead_id
            for m in session.exec(select(OutboxMessage))
            if (m.last_error or "").startswith("summarised")
        }
    assert sum(owners.values()) == BURST and pending == []
    assert all(copies[(lead, "dm")] == 1 for lead in leads), "every DM card, exactly once"
    # 500 cards at once are more than Slack takes in one channel in a minute: the channel gets
    # the cards it can and a summary of the rest, each lead one or the other
    assert all(copies[(lead, "channel")] + (lead in summarised) == 1 for lead in leads)
    posted = Counter(m.channel for m in bot.standin.messages())
    for rep, count in owners.items():  # each owner got each of their cards exactly once
        assert posted[bot.standin.dm_channel(bot.config.reps[rep].slack_id)] == count
    summaries = [m for m in bot.standin.messages("C0SALES") if m.text.startswith("📬")]
    assert summarised and summaries
    assert posted["C0SALES"] == BURST - len(summarised) + len(summaries)


def test_slack_timing_out_delays_cards_and_never_loses_one(impatient_bot):
    """A call that times out may still have been carried out by Slack (chat.postMessage has no
    idempotency key): the retry looks for the card first, so there is no loss and no double."""
    bot = impatient_bot
    bot.standin.slow("chat.postMessage", 0.6, times=5)
    leads = [bot.post_lead(email=f"buyer{n}@slow{n}.example")["lead_id"] for n in range(40)]
    recover(bot, rounds=4)

    with Session(bot.engine) as session:
        copies = Counter((c.lead_id, c.kind) for c in session.exec(select(SlackMessage)))
    assert all(copies[(lead, "dm")] == 1 and copies[(lead, "channel")] == 1 for lead in leads)
    posted = Counter(m.channel for m in bot.standin.messages())
    assert posted["C0SALES"] + sum(v for k, v in posted.items() if k.startswith("D")) == 80


def test_a_flooded_channel_never_summarises_a_card_slack_already_took(impatient_bot):
    """The first channel posts time out after Slack took them, then the channel floods: those
    cards are found and kept, not also counted in the summary (no lead twice in the channel)."""
    bot = impatient_bot
    bot.standin.answer_late("chat.postMessage", 0.6, times=3, channel="C0SALES")
    leads = [bot.post_lead(email=f"buyer{n}@doubt{n}.example")["lead_id"] for n in range(3)]
    bot.deliver()  # three channel cards posted, each answer too late: in doubt
    leads += [bot.post_lead(email=f"buyer{n}@flood{n}.example")["lead_id"] for n in range(100)]
    recover(bot, rounds=4)

    with Session(bot.engine) as session:
        copies = Counter((c.lead_id, c.kind) for c in session.exec(select(SlackMessage)))
        summarised = {
            m.lead_id
            for m in session.exec(select(OutboxMessage))
            if (m.last_error or "").startswith("summarised")
        }
    in_channel = Counter(  # every card carries its lead in its metadata (bot.slack.post_once)
        m.metadata["event_payload"]["lead"] for m in bot.standin.messages("C0SALES") if m.metadata
    )
    assert summarised, "100 cards at once flood the channel"
    assert all(in_channel[lead] + (lead in summarised) == 1 for lead in leads)
    assert all(copies[(lead, "channel")] == in_channel[lead] for lead in leads)
