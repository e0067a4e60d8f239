"""/away, /back, /routing-stats and the App Home, signed as Slack sends them."""

from __future__ import annotations

from datetime import timedelta

from bot.jobs.scheduler import end_away
from storage import availability, lifecycle
from tests.support.waiting import wait_until


def last_reply(bot) -> dict:  # type: ignore[no-untyped-def]
    return wait_until(lambda: bot.standin.responses())[-1]


def test_away_for_two_hours_passes_unclaimed_leads_on_and_says_what_it_understood(bot):
    lead_id = bot.post_lead(email="kim@acme.io")["lead_id"]
    bot.deliver()
    response = bot.slack.command("U0ANA", "/away", "2h dentist")
    assert response.status_code == 200

    reply = last_reply(bot)["text"]
    assert "Away for 2 hours, until today at 18:00 (Europe/Paris)" in reply
    assert "dentist" in reply and "1 unclaimed lead passed to your team" in reply
    assert lifecycle.get_lead(bot.engine, lead_id).owner == "ben"
    bot.deliver()
    assert "Re-routed: Ana is away" in bot.card_text("C0SALES", lead_id)
    assert bot.post_lead(email="new@lead.io")["owner"] != "ana"

    bot.clock.current += timedelta(hours=2)
    end_away(bot.runtime)
    bot.deliver()
    assert "ana" not in availability.away_status(bot.engine)
    dm = bot.standin.messages(bot.standin.dm_channel("U0ANA"))[-1]
    assert "time away has ended" in dm.text


def test_away_with_words_it_cannot_read_explains_instead_of_guessing(bot):
    bot.slack.command("U0ANA", "/away", "lunch-ish")
    reply = last_reply(bot)["text"]
    assert "lunch-ish" in reply and "/away until Friday" in reply
    assert availability.away_status(bot.engine) == {}


def test_back_restores_leads_and_shows_the_queue(bot):
    bot.slack.command("U0ANA", "/away")
    wait_until(lambda: "ana" in availability.away_status(bot.engine))
    bot.slack.command("U0ANA", "/back")
    wait_until(lambda: len(bot.standin.responses()) == 2)
    assert bot.standin.responses()[-1]["text"].startswith("Welcome back!")
    assert bot.post_lead(email="x@y.io")["owner"] == "ana"


def test_someone_who_is_not_a_rep_is_told_how_to_become_one(bot):
    bot.slack.command("U0STRANGER", "/away", "2h")
    assert "not a rep in routing.yml" in last_reply(bot)["text"]


def test_the_app_home_shows_the_reps_queue_and_managers_the_team_board(bot):
    bot.post_lead(email="kim@acme.io", company="Acme")
    bot.slack.home_opened("U0ANA")
    home = wait_until(lambda: bot.standin.home_view("U0ANA"))
    text = str(home.blocks)
    assert "Your leads" in text and "kim@acme.io — Acme" in text and "claim within" in text
    assert "Team board" not in text

    bot.slack.home_opened("U0BOSS")
    board = str(wait_until(lambda: bot.standin.home_view("U0BOSS")).blocks)
    assert "Team board" in board and "Unclaimed: 1" in board


def test_routing_stats_is_for_managers_only(bot):
    bot.slack.command("U0ANA", "/routing-stats")
    assert "for managers" in last_reply(bot)["text"]


def test_routing_stats_shows_the_headline_numbers_first(bot):
    lead_id = bot.post_lead(email="kim@acme.io")["lead_id"]
    bot.clock.current += timedelta(minutes=3)
    lifecycle.claim(bot.engine, bot.config, lead_id, "ana", bot.clock())
    bot.slack.command("U0BOSS", "/routing-stats", "7d sales")
    reply = last_reply(bot)
    fields = reply["blocks"][1]["fields"]
    assert fields[0]["text"] == "*Median time to claim*\n3m 00s"
    assert fields[1]["text"] == "*Claimed within SLA*\n100%"


def test_routing_stats_explains_what_it_cannot_read(bot):
    bot.slack.command("U0BOSS", "/routing-stats", "last-week")
    assert "Usage: `/routing-stats" in last_reply(bot)["text"]
