"""POST /slack/events before any work: size, signature, shape, our workspace, replays, and
an answer for every old or odd click."""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from datetime import timedelta

import pytest

from bot.slack.ids import Action
from slack_standin import SlackRequests, sign
from storage import availability, lifecycle
from tests.support.slack_bot import SIGNING_SECRET
from tests.support.waiting import wait_until


def signed(body: bytes, content_type: str = "application/json", ts: str | None = None) -> dict:
    stamp = ts or str(int(time.time()))
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": sign(SIGNING_SECRET, body, int(stamp)) if stamp.isdigit() else "v0=",
    }


@pytest.mark.parametrize(
    ("body", "headers", "status"),
    [
        (b"[1]", {"Content-Type": "application/json"}, 401),  # unsigned
        (b"[1]", signed(b"[1]"), 400),  # signed, but not a Slack body
        (b"{}", {**signed(b"{}"), "X-Slack-Request-Timestamp": "abc"}, 401),
        (b"{}", {**signed(b"{}"), "X-Slack-Request-Timestamp": "1\xb2"}, 401),
        (b"payload=%FF%FE", signed(b"payload=%FF%FE", "application/x-www-form-urlencoded"), 400),
        (b"\xff\xfe{", signed(b"\xff\xfe{"), 400),
        (b"\xff\xfe{", {"Content-Type": "application/json"}, 401),
        (b"payload=[2]", signed(b"payload=[2]", "application/x-www-form-urlencoded"), 400),
        (b"[" * 100_000, signed(b"[" * 100_000), 400),  # nesting past the recursion limit
    ],
)
def test_malformed_or_unsigned_bodies_get_a_4xx_never_a_500(bot, body, headers, status):
    stamp = headers.get("X-Slack-Request-Timestamp", "")
    if stamp.isascii() and stamp.isdigit():  # signed at collection: sign now, or a suite that
        headers = signed(body, headers["Content-Type"])  # runs over 5 minutes goes stale
    raw = {k: (v.encode("latin-1") if isinstance(v, str) else v) for k, v in headers.items()}
    response = bot.http.post("/slack/events", content=body, headers=raw)
    assert response.status_code == status, response.text


def test_a_huge_body_is_refused_unread_and_logged_in_one_short_line(bot, caplog):
    caplog.set_level(logging.DEBUG)
    junk = b"payload=" + b"A" * (2 * 1024 * 1024)
    response = bot.http.post(
        "/slack/events", content=junk, headers=signed(junk, "application/x-www-form-urlencoded")
    )
    assert response.status_code == 413
    assert caplog.records, "the refusal is logged"
    assert all("AAAA" not in r.getMessage() and len(r.getMessage()) < 300 for r in caplog.records)


def test_a_bad_signature_is_logged_without_the_body(bot, caplog):
    caplog.set_level(logging.DEBUG)
    body = json.dumps({"type": "event_callback", "secret-looking": "x" * 500}).encode()
    headers = {**signed(body), "X-Slack-Signature": "v0=" + "0" * 64}
    assert bot.http.post("/slack/events", content=body, headers=headers).status_code == 401
    assert [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert all("secret-looking" not in r.getMessage() for r in caplog.records)


def foreign(bot, **changes) -> SlackRequests:  # type: ignore[no-untyped-def]
    """Slack requests as another workspace (or another app) would send them, signed with our
    secret: what a second installation of the same app looks like."""
    other = SlackRequests("http://testserver", SIGNING_SECRET, bot.standin, http=bot.http)
    other.identity = dataclasses.replace(bot.standin.identity, **changes)
    return other


@pytest.mark.parametrize("changes", [{"team_id": "T0OTHER"}, {"app_id": "A0OTHER"}])
def test_requests_from_another_workspace_or_app_are_refused(bot, changes):
    lead_id = bot.post_lead(email="kim@acme.io")["lead_id"]
    bot.deliver()
    response = foreign(bot, **changes).click("U0ANA", bot.card("U0ANA", lead_id), "lead_claim")
    assert response.status_code == 403
    assert foreign(bot, **changes).command("U0ANA", "/away", "2h").status_code == 403
    time.sleep(0.2)
    assert lifecycle.get_lead(bot.engine, lead_id).state == "assigned"
    assert availability.away_status(bot.engine) == {}


def test_a_user_of_another_team_is_nobody_here_even_with_a_reps_user_id(bot):
    """In a channel shared with another organisation, someone there may click the copy."""
    lead_id = bot.post_lead(email="kim@acme.io")["lead_id"]
    bot.deliver()
    original = SlackRequests.interaction

    def from_their_team(payload, **options):  # type: ignore[no-untyped-def]
        payload["user"]["team_id"] = "T0OTHER"
        return original(bot.slack, payload, **options)

    bot.slack.interaction = from_their_team  # type: ignore[method-assign]
    bot.slack.click("U0ANA", bot.card("C0SALES", lead_id), Action.claim.value)
    reply = wait_until(lambda: bot.standin.responses())[-1]
    assert "offered to <@U0ANA>" in reply["text"]
    assert lifecycle.get_lead(bot.engine, lead_id).state == "assigned"


def test_a_replayed_not_mine_moves_the_lead_once(bot):
    lead_id = bot.post_lead(email="kim@acme.io")["lead_id"]
    bot.deliver()
    bot.slack.click("U0ANA", bot.card("U0ANA", lead_id), Action.decline.value)
    modal = wait_until(lambda: bot.standin.views(user="U0ANA", kind="modal"))[-1]
    bot.slack.submit_view("U0ANA", modal, {"reason_input": "wrong territory"})
    assert lifecycle.get_lead(bot.engine, lead_id).owner == "ben"

    assert bot.slack.replay().status_code == 200
    assert lifecycle.get_lead(bot.engine, lead_id).owner == "ben", "not passed on again"


def test_a_replayed_away_does_not_move_its_end(bot):
    bot.slack.command("U0ANA", "/away", "2h")
    until = wait_until(lambda: availability.away_status(bot.engine).get("ana")).until
    bot.clock.current += timedelta(minutes=3)
    assert bot.slack.replay().status_code == 200
    time.sleep(0.3)
    assert availability.away_status(bot.engine)["ana"].until == until
    assert len(bot.standin.responses()) == 1


def test_a_retried_event_is_handled_once(bot):
    bot.slack.home_opened("U0ANA")
    wait_until(lambda: bot.standin.calls("views.publish"))
    assert bot.slack.retry_event(retry_num=1).status_code == 200
    time.sleep(0.3)
    assert len(bot.standin.calls("views.publish")) == 1


def test_a_button_whose_value_is_not_ours_gets_a_sentence(bot):
    lead_id = bot.post_lead(email="kim@acme.io")["lead_id"]
    bot.deliver()
    response = bot.slack.click("U0ANA", bot.card("U0ANA", lead_id), "lead_claim", "lead-12")
    assert response.status_code == 200
    reply = wait_until(lambda: bot.standin.responses())[-1]
    assert "older version" in reply["text"] and reply["response_type"] == "ephemeral"


def test_an_action_id_from_an_older_version_gets_a_sentence(bot):
    lead_id = bot.post_lead(email="kim@acme.io")["lead_id"]
    bot.deliver()
    card = bot.card("U0ANA", lead_id)
    for block in card.blocks:
        for element in block.get("elements", []):
            if element.get("action_id") == "lead_claim":
                element["action_id"] = "claim_lead_v1"  # what an older card carried
    assert bot.slack.click("U0ANA", card, "claim_lead_v1").status_code == 200
    reply = wait_until(lambda: bot.standin.responses())[-1]
    assert "older version" in reply["text"]


def test_a_form_with_empty_private_metadata_is_answered_in_the_form(bot):
    lead_id = bot.post_lead(email="kim@acme.io")["lead_id"]
    bot.deliver()
    bot.slack.click("U0ANA", bot.card("U0ANA", lead_id), Action.decline.value)
    modal = wait_until(lambda: bot.standin.views(user="U0ANA", kind="modal"))[-1]
    modal.private_metadata = ""
    answer = bot.slack.submit_view("U0ANA", modal, {"reason_input": "x"})
    assert answer.status_code == 200
    assert answer.json()["response_action"] == "update"
    assert "out of date" in json.dumps(answer.json()["view"])
    assert lifecycle.get_lead(bot.engine, lead_id).owner == "ana"


def test_an_expired_trigger_tells_the_rep_to_press_again(bot):
    lead_id = bot.post_lead(email="kim@acme.io")["lead_id"]
    bot.deliver()
    bot.standin.fail("views.open", "expired_trigger_id")
    bot.slack.click("U0ANA", bot.card("U0ANA", lead_id), Action.reassign.value)
    reply = wait_until(lambda: bot.standin.responses())[-1]
    assert "3 seconds" in reply["text"] and "press the button again" in reply["text"]
