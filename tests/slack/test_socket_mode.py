"""The whole bot in Socket Mode: SLACK_APP_TOKEN set, slack_bolt's SocketModeHandler opens a
WebSocket to the stand-in (apps.connections.open, then hello), clicks and commands come as
envelopes and are acked over the socket, and a refresh makes the bot reconnect."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from bot.slack.ids import Action
from slack_standin import SlackStandin
from slack_standin.socket_mode import SocketRequests
from storage import availability, lifecycle
from tests.slack_standin.test_socket_mode import hanging_up_on_close
from tests.support.slack_bot import Bot, make_bot
from tests.support.team import team


@pytest.fixture
def socket_bot(standin: SlackStandin, tmp_path, now) -> Iterator[Bot]:  # type: ignore[no-untyped-def]
    made = make_bot(standin, tmp_path, now, team(), slack_app_token=standin.app_token)
    handler = made.server.socket_mode
    assert handler is not None, "SLACK_APP_TOKEN set: assemble() opens Socket Mode"
    try:
        yield made
    finally:
        with hanging_up_on_close(standin, handler.client):  # type: ignore[attr-defined]
            made.server.close()  # closes the SocketModeHandler too


def test_claim_away_and_back_over_socket_mode_through_a_refresh(socket_bot: Bot) -> None:
    bot, standin = socket_bot, socket_bot.standin
    slack = SocketRequests(standin, timeout=5.0)

    # assemble() connected: one apps.connections.open with the app token, hello on the socket
    first = standin.wait_for_connection(1)
    assert first.hello is not None and first.hello["type"] == "hello"
    assert first.hello["connection_info"] == {"app_id": standin.identity.app_id}
    assert first.hello["num_connections"] == 1
    assert bot.server.socket_mode.client.is_connected()  # type: ignore[attr-defined]
    opened = standin.calls("apps.connections.open")
    assert [c.ok for c in opened] == [True]

    # a lead's DM card, claimed by a click that arrives as an interactive envelope
    lead_id = bot.post_lead(email="kim@acme.io", name="Kim Lee", company="Acme")["lead_id"]
    bot.deliver()
    bot.clock.current += timedelta(minutes=3)
    ack = slack.click("U0ANA", bot.card("U0ANA", lead_id), Action.claim.value)
    assert ack.connection == first.id and ack.payload is None  # a bare ack, work after it
    standin.wait_for(lambda: lifecycle.get_lead(bot.engine, lead_id).state == "claimed")
    bot.deliver()
    for copy in ("U0ANA", "C0SALES"):
        assert "Claimed by <@U0ANA> in 3m" in bot.card_text(copy, lead_id)

    # /away 2h as a slash_commands envelope: acked, Ana away in the database, told so
    ack = slack.command("U0ANA", "/away", "2h")
    assert ack.payload is None
    away = standin.wait_for(lambda: availability.away_status(bot.engine).get("ana"))
    assert away.until is not None
    assert away.until - bot.clock() == timedelta(hours=2)
    reply = standin.wait_for(lambda: standin.responses())[-1]
    assert reply["text"].startswith("Away for 2 hours, until today at 18:03 (Europe/Paris)")

    # Slack asks for a refresh: the bot opens a second connection, the first one goes
    assert standin.request_refresh(close_after=0.5) == [first.id]
    second = standin.wait_for_connection(2)
    assert second.id != first.id and second.hello is not None
    standin.wait_for(lambda: not standin.socket_connections()[0].open)
    assert [c.ok for c in standin.calls("apps.connections.open")] == [True, True]
    assert [c.open for c in standin.socket_connections()] == [False, True]

    # …and the next command travels on the new connection
    ack = slack.command("U0ANA", "/back")
    assert ack.connection == second.id
    back = standin.wait_for(lambda: len(standin.responses()) == 2 and standin.responses()[-1])
    assert back["text"].startswith("Welcome back!")
    assert "ana" not in availability.away_status(bot.engine)
    sent_on = [e.sent_on for e in standin.envelopes()]
    assert sent_on == [[first.id], [first.id], [second.id]]
    assert not any(a.late for a in standin.socket_acks())
