"""Slack failing in every way it does: notifications are delayed, never lost or doubled."""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta

from sqlmodel import Session, select

from storage import lifecycle
from storage.models import OutboxMessage, SlackMessage


def copies(bot) -> Counter:  # type: ignore[no-untyped-def]
    with Session(bot.engine) as session:
        return Counter((c.lead_id, c.channel) for c in session.exec(select(SlackMessage)))


def pending(bot) -> list[OutboxMessage]:  # type: ignore[no-untyped-def]
    with Session(bot.engine) as session:
        return list(session.exec(select(OutboxMessage).where(OutboxMessage.status == "pending")))


def test_a_rate_limited_channel_waits_retry_after_while_dms_go_out(bot):
    bot.standin.rate_limit("chat.postMessage", channel="C0SALES", retry_after=30)
    lead_id = bot.post_lead(email="kim@acme.io")["lead_id"]
    bot.deliver()

    assert bot.card("U0ANA", lead_id), "the DM is not held up by the channel's rate limit"
    waiting = pending(bot)
    assert [m.target for m in waiting] == ["channel:C0SALES"]
    assert waiting[0].next_attempt_at >= bot.clock() + timedelta(seconds=30)

    bot.clock.current += timedelta(seconds=31)
    bot.deliver()
    assert bot.card("C0SALES", lead_id) and pending(bot) == []


def test_an_outage_during_a_burst_delays_every_card_and_loses_or_doubles_none(bot):
    bot.standin.server_error("chat.postMessage", times=40, status=503)
    leads = [bot.post_lead(email=f"buyer{n}@example.com")["lead_id"] for n in range(12)]
    bot.deliver()
    for _ in range(12):  # Slack recovers; retries back off up to 10 minutes
        bot.clock.current += timedelta(minutes=10)
        bot.deliver()
    seen = copies(bot)
    assert all(seen[(lead_id, "C0SALES")] == 1 for lead_id in leads)
    assert sum(1 for (_lead, channel) in seen if channel.startswith("D")) == 12
    assert all(count == 1 for count in seen.values())
    assert pending(bot) == []


def test_a_deactivated_rep_gets_no_card_the_lead_moves_on_and_triage_hears(bot):
    bot.standin.deactivate("U0ANA")
    lead_id = bot.post_lead(email="kim@acme.io")["lead_id"]
    bot.deliver()

    assert lifecycle.get_lead(bot.engine, lead_id).owner == "ben"
    assert bot.card("U0BEN", lead_id)
    alerts = [m.text for m in bot.standin.messages("C0TRIAGE")]
    assert any(
        "Ana cannot be reached in Slack" in text and "It went to Ben" in text for text in alerts
    )
    assert not bot.standin.messages(bot.standin.dm_channel("U0ANA"))


def test_a_channel_the_bot_cannot_post_to_sends_the_card_to_triage_with_the_reason(bot):
    bot.standin.fail("chat.postMessage", "not_in_channel", channel="C0SALES", times=1)
    lead_id = bot.post_lead(email="kim@acme.io")["lead_id"]
    bot.deliver()
    assert bot.card("C0TRIAGE", lead_id)
    notes = [m.text for m in bot.standin.messages("C0TRIAGE")]
    assert any("could not post to <#C0SALES>: not_in_channel" in text for text in notes)


def test_failures_show_in_metrics(bot):
    bot.standin.rate_limit("chat.postMessage", channel="C0SALES", retry_after=30)
    bot.post_lead(email="kim@acme.io")
    bot.deliver()
    metrics = bot.http.get("/metrics").text
    assert 'leadrouter_outbox_messages{status="pending"} 1.0' in metrics
    assert (
        'leadrouter_slack_calls_total{method="chat.postMessage",result="ratelimited"} 1.0'
        in metrics
    )


def test_forged_and_stale_slack_requests_are_rejected(bot):
    lead_id = bot.post_lead(email="kim@acme.io")["lead_id"]
    bot.deliver()
    card = bot.card("U0ANA", lead_id)
    forged = bot.slack.click("U0ANA", card, "lead_claim", signature="v0=" + "0" * 64)
    stale = bot.slack.click(
        "U0ANA", card, "lead_claim", timestamp=int(bot.clock().timestamp()) - 600
    )
    tampered = bot.slack.click(
        "U0ANA", card, "lead_claim", tamper=lambda body: body.replace(b"U0ANA", b"U0BEN")
    )
    assert forged.status_code == stale.status_code == tampered.status_code == 401
    assert lifecycle.get_lead(bot.engine, lead_id).state == "assigned"
    assert json.dumps(bot.standin.responses()) == "[]"
