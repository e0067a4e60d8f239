"""Webhook → lead cards at the stand-in → signed clicks → every copy updated."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from bot.slack.ids import Action
from storage import lifecycle
from storage.models import OutboxMessage
from tests.support.waiting import wait_until


def test_a_lead_reaches_its_owner_by_dm_and_the_pool_channel(bot):
    lead = bot.post_lead(
        email="kim@acme.io",
        name="Kim Lee",
        company="Acme",
        employees=120,
        message="We need routing for 40 reps",
    )
    bot.deliver()

    dm = bot.card_text("U0ANA", lead["lead_id"])
    channel = bot.card_text("C0SALES", lead["lead_id"])
    assert dm == channel, "every copy is rendered from the same state"
    assert "Kim Lee — Acme" in dm and "Everyone else → pool sales" in dm
    assert "Claim" in dm and "Not mine" in dm and "claim within 30m" in dm
    assert "Unclaimed at <!date^" in dm and "a reminder" in dm  # the ladder's next step


def test_claim_updates_every_copy_and_a_stale_click_hears_who_was_first(bot):
    lead_id = bot.post_lead(email="kim@acme.io", company="Acme")["lead_id"]
    bot.deliver()
    stale = bot.card("U0ANA", lead_id)  # as a second device still shows it

    bot.clock.current += timedelta(minutes=2, seconds=14)
    response = bot.slack.click("U0ANA", bot.card("C0SALES", lead_id), Action.claim.value)
    assert response.status_code == 200
    wait_until(lambda: lifecycle.get_lead(bot.engine, lead_id).state == "claimed")
    bot.deliver()
    for copy in ("U0ANA", "C0SALES"):
        text = bot.card_text(copy, lead_id)
        assert "Claimed by <@U0ANA> in 2m 14s" in text and "Mark contacted" in text

    bot.clock.current += timedelta(seconds=40)
    bot.slack.click("U0ANA", stale, Action.claim.value)
    reply = wait_until(lambda: bot.standin.responses())[-1]
    assert reply["text"] == "Already claimed by <@U0ANA>, 40s ago."
    assert reply["response_type"] == "ephemeral"


def test_contacted_and_outcome_close_the_lead_on_every_copy(bot):
    lead_id = bot.post_lead(email="kim@acme.io", company="Acme")["lead_id"]
    bot.deliver()
    bot.slack.click("U0ANA", bot.card("U0ANA", lead_id), Action.claim.value)
    wait_until(lambda: lifecycle.get_lead(bot.engine, lead_id).state == "claimed")
    bot.deliver()
    bot.slack.click("U0ANA", bot.card("U0ANA", lead_id), Action.contacted.value)
    wait_until(lambda: lifecycle.get_lead(bot.engine, lead_id).state == "contacted")
    bot.deliver()
    bot.slack.click(
        "U0ANA",
        bot.card("C0SALES", lead_id),
        Action.outcome.value,
        '{"lead":' + str(lead_id) + ',"outcome":"won"}',
    )
    wait_until(lambda: lifecycle.get_lead(bot.engine, lead_id).state == "won")
    bot.deliver()
    for copy in ("U0ANA", "C0SALES"):
        text = bot.card_text(copy, lead_id)
        assert "Won 🎉" in text and "Contacted" in text and '"actions"' not in text


def test_a_pool_member_cannot_cherry_pick_from_the_channel_copy(bot):
    lead_id = bot.post_lead(email="kim@acme.io")["lead_id"]
    bot.deliver()
    bot.slack.click("U0BEN", bot.card("C0SALES", lead_id), Action.claim.value)
    reply = wait_until(lambda: bot.standin.responses())
    assert "offered to <@U0ANA> until" in reply[-1]["text"]
    assert reply[-1]["response_type"] == "ephemeral"
    assert lifecycle.get_lead(bot.engine, lead_id).state == "assigned"


def test_reassign_opens_a_modal_and_its_submission_moves_the_lead(bot):
    lead_id = bot.post_lead(email="kim@acme.io")["lead_id"]
    bot.deliver()
    bot.slack.click("U0BOSS", bot.card("C0SALES", lead_id), Action.reassign.value)
    modal = wait_until(lambda: bot.standin.views(user="U0BOSS", kind="modal"))[-1]

    response = bot.slack.submit_view(
        "U0BOSS", modal, {"reassign_user_input": "U0CHLOE", "reason_input": "speaks French"}
    )
    assert response.status_code == 200 and response.text in ("", "null")
    assert lifecycle.get_lead(bot.engine, lead_id).owner == "chloe"
    bot.deliver()
    assert "Offered to <@U0CHLOE>" in bot.card_text("U0CHLOE", lead_id)
    old = bot.card_text("U0ANA", lead_id)
    assert "Offered to <@U0CHLOE>" in old and "speaks French" in old


def test_reassigning_to_someone_who_is_not_a_rep_is_refused_in_the_modal(bot):
    lead_id = bot.post_lead(email="kim@acme.io")["lead_id"]
    bot.deliver()
    bot.slack.click("U0ANA", bot.card("U0ANA", lead_id), Action.reassign.value)
    modal = wait_until(lambda: bot.standin.views(user="U0ANA", kind="modal"))[-1]
    response = bot.slack.submit_view(
        "U0ANA", modal, {"reassign_user_input": "U0STRANGER", "reason_input": "?"}
    )
    assert response.json()["response_action"] == "errors"
    assert "not a rep" in response.json()["errors"]["reassign_user"]


def test_not_mine_passes_the_lead_to_the_next_rep_with_the_reason(bot):
    lead_id = bot.post_lead(email="kim@acme.io")["lead_id"]
    bot.deliver()
    bot.slack.click("U0ANA", bot.card("U0ANA", lead_id), Action.decline.value)
    modal = wait_until(lambda: bot.standin.views(user="U0ANA", kind="modal"))[-1]
    bot.slack.submit_view("U0ANA", modal, {"reason_input": "wrong territory"})

    assert lifecycle.get_lead(bot.engine, lead_id).owner == "ben"
    bot.deliver()
    assert "passed it on: wrong territory" in bot.card_text("C0SALES", lead_id)
    assert "Offered to <@U0BEN>" in bot.card_text("U0BEN", lead_id)


def mrkdwn_texts(node) -> list[str]:  # type: ignore[no-untyped-def]
    """Every string Slack parses for mentions and links (plain_text is shown as typed)."""
    if isinstance(node, dict):
        if node.get("type") == "mrkdwn":
            return [node["text"]]
        return [t for value in node.values() for t in mrkdwn_texts(value)]
    if isinstance(node, list):
        return [t for item in node for t in mrkdwn_texts(item)]
    return []


def test_form_text_cannot_ping_the_channel_or_fake_a_link(bot):
    lead_id = bot.post_lead(
        email="kim@acme.io",
        company="<!channel> Acme",
        message="hi <!here> see <https://evil.example|your bank>",
    )["lead_id"]
    bot.deliver()
    card = bot.card("C0SALES", lead_id)
    parsed = [card.text, *mrkdwn_texts(card.blocks)]
    for text in parsed:  # (our own <!date^…> time stamps are fine)
        assert "<!channel>" not in text and "<!here>" not in text and "<https://evil" not in text
    assert any("&lt;!here&gt; see &lt;https://evil.example|your bank&gt;" in t for t in parsed)


def test_every_card_fits_slacks_block_kit_limits_even_with_a_huge_message(bot):
    lead_id = bot.post_lead(email="kim@acme.io", message="word " * 1900, title="T" * 190)["lead_id"]
    bot.deliver()
    assert bot.card("U0ANA", lead_id)  # the stand-in answers invalid_blocks otherwise
    with Session(bot.engine) as session:
        assert all(m.status == "sent" for m in session.exec(select(OutboxMessage)))
