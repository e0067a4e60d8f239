"""Delivery as reps feel it: DM cards first, one card per conversation whatever happened on
the network, one chat.update for many changes, Slack's pace kept without 429s."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from slack_sdk import WebClient
from sqlmodel import Session, select

from bot.slack import post_once
from bot.slack.dispatch import Dispatcher
from bot.slack.ids import Action
from bot.slack.pacing import Pacer
from storage import lifecycle
from storage.models import OutboxMessage, SlackMessage
from tests.support.slack_bot import make_bot
from tests.support.team import team
from tests.support.waiting import wait_until


def card_posts(bot) -> list[str]:  # type: ignore[no-untyped-def]
    """The conversations card posts went to, in the order Slack took them."""
    return [
        c.answer["channel"]
        for c in bot.standin.calls("chat.postMessage")
        if c.ok and c.params.get("metadata")
    ]


def test_every_owners_dm_card_goes_before_any_channel_copy(bot):
    for n in range(8):
        bot.post_lead(email=f"b{n}@x.io")
    bot.deliver()
    posts = card_posts(bot)
    assert len(posts) == 16
    assert all(p.startswith("D") for p in posts[:8]) and set(posts[8:]) == {"C0SALES"}


def test_a_post_slack_took_but_answered_too_late_is_not_posted_twice(standin, tmp_path, now):
    bot = make_bot(standin, tmp_path, now, team(), slack_timeout=0.3)
    try:
        bot.standin.answer_late("chat.postMessage", 1.0, channel="U0ANA")
        lead_id = bot.post_lead(email="kim@acme.io")["lead_id"]
        bot.deliver()  # the DM timed out: in doubt, due again in 5 s
        bot.clock.current += timedelta(seconds=6)
        bot.deliver()  # looked for, found, recorded: not posted again
        dm = bot.standin.dm_channel("U0ANA")
        assert len([m for m in bot.standin.messages(dm)]) == 1
        assert bot.standin.calls("conversations.history")

        bot.slack.click("U0ANA", bot.card("U0ANA", lead_id), Action.claim.value)
        wait_until(lambda: lifecycle.get_lead(bot.engine, lead_id).state == "claimed")
        bot.deliver()
        [card] = bot.standin.messages(dm)
        assert "Claimed by <@U0ANA>" in str(card.blocks), "the one card is the one updated"
    finally:
        bot.server.close()


def test_a_duplicate_card_is_deleted_and_the_first_kept(standin, bot):
    web = WebClient(base_url=standin.url, token=standin.token)
    tag = post_once.metadata(7, "channel:C0SALES")
    first = web.chat_postMessage(channel="C0SALES", text="card", metadata=tag)
    web.chat_postMessage(channel="C0SALES", text="card again", metadata=tag)

    def call(method, **params):  # type: ignore[no-untyped-def]
        return getattr(web, method.replace(".", "_"))(**params)

    found = post_once.find_posted(call, "C0SALES", 7, "channel:C0SALES", datetime.now(UTC))
    assert found == ("C0SALES", first["ts"])
    assert [m.text for m in standin.messages("C0SALES")] == ["card"]


def test_many_changes_before_delivery_make_one_update_per_copy(bot):
    lead_id = bot.post_lead(email="kim@acme.io")["lead_id"]
    bot.deliver()
    now = bot.clock()
    lifecycle.claim(bot.engine, bot.config, lead_id, "ana", now)
    lifecycle.mark_contacted(bot.engine, bot.config, lead_id, "ana", now)
    bot.deliver()
    updates = bot.standin.calls("chat.update")
    assert len(updates) == 2  # the DM and the channel copy, once each, in the latest state
    assert all("Mark contacted" not in str(c.params.get("blocks")) for c in updates)
    with Session(bot.engine) as session:
        notes = [m.last_error for m in session.exec(select(OutboxMessage))]
    assert "coalesced" in notes


def test_the_pacer_allows_a_short_burst_then_one_post_a_second():
    clock = [0.0]
    pacer = Pacer(100.0, clock=lambda: clock[0])
    assert [pacer.try_post("C1") for _ in range(3)] == [0.0, 0.0, 0.0]
    # then one a second, with a margin for the network: 1.1 s
    assert pacer.try_post("C1") == pytest.approx(1.1) and pacer.try_post("C2") == 0.0
    clock[0] = 1.1
    assert pacer.try_post("C1") == 0.0 and pacer.try_post("C1") == pytest.approx(1.1)


def test_concurrent_delivery_keeps_slacks_pace_without_a_429(standin, tmp_path, now):
    """Real time, real threads: the stand-in paces chat.postMessage as Slack does (one a second
    per channel after a burst of three) and answers each call in 50–100 ms."""
    standin.realistic(latency=(0.05, 0.1), posts_per_second=1.0, burst=3)
    bot = make_bot(standin, tmp_path, now, team(), slack_pacing=True)
    dispatcher = Dispatcher(bot.server.delivery, workers=8).start()  # type: ignore[arg-type]
    try:
        leads = [bot.post_lead(email=f"b{n}@x.io")["lead_id"] for n in range(8)]
        dispatcher.kick()

        def delivered() -> bool:
            with Session(bot.engine) as session:
                copies = {(c.lead_id, c.kind) for c in session.exec(select(SlackMessage))}
            return all((lead, "dm") in copies and (lead, "channel") in copies for lead in leads)

        deadline = time.monotonic() + 30
        while not delivered():
            assert time.monotonic() < deadline, "cards still missing after 30 s"
            bot.clock.current = datetime.now(UTC)
            dispatcher.kick()
            time.sleep(0.2)
        # unpaced, five of the eight channel posts would be refused; a paced post may still
        # meet one 429 when a loaded machine delays its predecessor by more than the margin
        assert len([c for c in standin.calls() if c.status == 429]) <= 1
        times = sorted(
            c.at for c in standin.calls("chat.postMessage") if c.answer.get("channel") == "C0SALES"
        )
        assert times[-1] - times[0] >= 4  # 8 copies at Slack's pace, not all at once
    finally:
        dispatcher.stop()
        bot.server.close()
