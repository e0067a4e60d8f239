"""Cards and the App Home stay inside Block Kit's limits after escaping, and a card Slack still
refuses never leaves its lead unclaimable."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from bot.slack.ids import Action
from bot.slack.mrkdwn import escaped, fit
from storage import lifecycle
from storage.models import OutboxMessage
from tests.support.waiting import wait_until


def test_fit_never_cuts_an_entity_or_a_slack_token():
    assert fit("&lt;" * 10, 10) == "&lt;&lt;…"  # not "&lt;&lt;&…"
    assert fit("hi <@U0ANA> there", 9) == "hi…"
    assert len(escaped("<" * 1200, 2900)) <= 2900


def test_a_message_of_angle_brackets_still_posts_everywhere(bot):
    """1,200 "<" escape to 4,800 characters: cut before escaping, Slack refused the card."""
    lead_id = bot.post_lead(email="kim@acme.io", message="<" * 1200, title="&" * 200)["lead_id"]
    bot.deliver()
    for where in ("U0ANA", "C0SALES"):
        card = bot.card(where, lead_id)
        assert all(len(b.get("text", {}).get("text", "")) <= 3000 for b in card.blocks)
    with Session(bot.engine) as session:
        assert {m.status for m in session.exec(select(OutboxMessage))} == {"sent"}
    assert not [m for m in bot.standin.messages("C0TRIAGE")], "nothing to report to triage"


def test_the_manager_board_fits_with_unclaimed_leads_named_in_brackets(bot):
    for n in range(15):
        bot.post_lead(email=f"b{n}@x.io", name="<" * 150, company=">" * 150)
    bot.deliver()
    bot.slack.home_opened("U0BOSS")
    home = wait_until(lambda: bot.standin.home_view("U0BOSS"))
    assert "Unclaimed: 15" in str(home.blocks)
    assert all(len(b.get("text", {}).get("text", "")) <= 3000 for b in home.blocks)


def test_a_card_slack_refuses_is_posted_minimal_and_triage_hears_it_stays_claimable(bot):
    bot.standin.fail("chat.postMessage", "invalid_blocks", channel="U0ANA", times=1)
    lead_id = bot.post_lead(email="kim@acme.io", company="Acme")["lead_id"]
    bot.deliver()

    card = bot.card("U0ANA", lead_id)
    assert f"Lead {lead_id}" in card.text and "Claim" in str(card.blocks)
    alerts = [m.text for m in bot.standin.messages("C0TRIAGE")]
    assert any(f"Lead {lead_id}: Slack refused its card (invalid_blocks" in t for t in alerts)

    bot.clock.current += timedelta(minutes=1)
    assert bot.slack.click("U0ANA", card, Action.claim.value).status_code == 200
    wait_until(lambda: lifecycle.get_lead(bot.engine, lead_id).state == "claimed")
    bot.deliver()
    assert "Claimed by <@U0ANA>" in bot.card_text("C0SALES", lead_id)


def test_an_update_slack_refuses_falls_back_to_the_minimal_card_of_the_new_state(bot):
    lead_id = bot.post_lead(email="kim@acme.io", company="Acme")["lead_id"]
    bot.deliver()
    bot.standin.fail("chat.update", "invalid_blocks", channel="U0ANA", times=1)
    bot.slack.click("U0ANA", bot.card("U0ANA", lead_id), Action.claim.value)
    wait_until(lambda: lifecycle.get_lead(bot.engine, lead_id).state == "claimed")
    bot.deliver()
    dm = bot.card("U0ANA", lead_id)
    assert "(claimed)" in dm.text and "Mark contacted" in str(dm.blocks)
    with Session(bot.engine) as session:
        assert {m.status for m in session.exec(select(OutboxMessage))} == {"sent"}
