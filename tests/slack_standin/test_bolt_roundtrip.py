"""The signed-request client against a real Bolt app whose WebClient talks to the stand-in:
proof that the payloads are shaped as Bolt (and so Slack) expects, both ways."""

from collections.abc import Iterator

import pytest
from slack_bolt import App
from slack_bolt.adapter.starlette import SlackRequestHandler
from slack_sdk import WebClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import Route
from starlette.testclient import TestClient

from slack_standin import SlackRequests, SlackStandin
from tests.slack_standin.conftest import button, card
from tests.slack_standin.test_views import modal

SECRET = "bolt-roundtrip-secret"


@pytest.fixture
def seen() -> dict:
    return {}


@pytest.fixture
def slack(standin: SlackStandin, seen: dict) -> Iterator[SlackRequests]:
    bolt = App(client=WebClient(base_url=standin.url, token=standin.token), signing_secret=SECRET)

    @bolt.action("claim_lead")
    def claim(ack, body, action, client, respond) -> None:
        ack()
        seen["click"] = body
        respond(replace_original=True, text="Claimed", blocks=card("Claimed by Sam"))

    @bolt.action("reassign_lead")
    def reassign(ack, body, client) -> None:
        ack()
        seen["reassign_open"] = client.views_open(trigger_id=body["trigger_id"], view=modal())

    @bolt.view("reassign")
    def submitted(ack, view, body) -> None:
        ack()
        seen["submission"] = body

    @bolt.command("/away")
    def away(ack, command, respond) -> None:
        ack("Away noted")
        seen["command"] = command
        respond("You are away for " + command["text"])

    @bolt.event("app_home_opened")
    def home(event, client) -> None:
        seen["home_event"] = event
        client.views_publish(user_id=event["user"], view={"type": "home", "blocks": card("Queue")})

    handler = SlackRequestHandler(bolt)

    async def events(request: Request):
        return await handler.handle(request)

    web = Starlette(routes=[Route("/slack/events", events, methods=["POST"])])
    with TestClient(web) as http:
        yield SlackRequests("http://testserver", SECRET, standin, http=http)


def test_a_click_carries_the_buttons_value_and_its_response_url_updates_the_card(
    slack: SlackRequests, standin: SlackStandin, seen: dict
) -> None:
    WebClient(base_url=standin.url, token=standin.token).chat_postMessage(
        channel="U0SAM", text="New lead", blocks=card("Acme", button("claim_lead", value="lead-42"))
    )
    posted = standin.messages("U0SAM")[-1]
    assert slack.click("U0SAM", posted, "claim_lead").status_code == 200
    standin.wait_for(lambda: standin.responses())
    body = seen["click"]
    assert body["actions"][0]["value"] == "lead-42"
    assert body["actions"][0]["block_id"] == "lead_actions"
    assert body["user"]["id"] == "U0SAM" and body["user"]["username"] == "sam"
    assert body["container"] == {
        "type": "message",
        "message_ts": posted.ts,
        "channel_id": posted.channel,
        "is_ephemeral": False,
    }
    assert body["message"]["ts"] == posted.ts and body["channel"]["id"] == posted.channel
    assert standin.messages("U0SAM")[-1].blocks == card("Claimed by Sam")


def test_a_click_on_an_element_the_card_lacks_is_a_test_error(slack, standin) -> None:
    standin.add_user("U0BOB", "bob")
    WebClient(base_url=standin.url, token=standin.token).chat_postMessage(
        channel="U0BOB", text="x", blocks=card("no buttons")
    )
    with pytest.raises(LookupError, match="claim_lead"):
        slack.click("U0BOB", standin.messages("U0BOB")[0], "claim_lead")


def test_the_clicks_trigger_opens_a_modal_and_its_submission_carries_state(
    slack: SlackRequests, standin: SlackStandin, seen: dict
) -> None:
    WebClient(base_url=standin.url, token=standin.token).chat_postMessage(
        channel="C0SALES", text="lead", blocks=card("Acme", button("reassign_lead", "Reassign"))
    )
    slack.click("U0SAM", standin.messages("C0SALES")[0], "reassign_lead")
    [opened] = standin.wait_for(lambda: standin.views(kind="modal"))
    standin.wait_for(lambda: "reassign_open" in seen)  # the listener records it after the call
    assert seen["reassign_open"]["ok"]
    assert slack.submit_view("U0SAM", opened, {"new_owner": "U0GONE"}).status_code == 200
    standin.wait_for(lambda: "submission" in seen)
    view = seen["submission"]["view"]
    assert view["state"]["values"] == {
        "to": {"new_owner": {"type": "users_select", "selected_user": "U0GONE"}}
    }
    assert view["private_metadata"] == "lead-1" and view["callback_id"] == "reassign"


def test_a_slash_command_reaches_the_app_with_slacks_form_fields(slack, standin, seen) -> None:
    answer = slack.command("U0SAM", "/away", "2h")
    assert answer.status_code == 200 and "Away noted" in answer.text
    command = seen["command"]
    assert (command["user_id"], command["user_name"], command["text"]) == ("U0SAM", "sam", "2h")
    assert command["channel_id"] == standin.dm_channel("U0SAM")
    assert command["channel_name"] == "directmessage" and command["trigger_id"]
    standin.wait_for(lambda: standin.ephemerals("U0SAM"))
    assert standin.responses() == [{"text": "You are away for 2h"}]


def test_app_home_opened_lets_the_app_publish_the_home_tab(slack, standin, seen) -> None:
    assert slack.home_opened("U0SAM").status_code == 200
    published = standin.wait_for(lambda: standin.home_view("U0SAM"))
    assert published.blocks == card("Queue")
    assert seen["home_event"]["tab"] == "home"


def test_url_verification_is_answered_with_the_challenge(slack: SlackRequests) -> None:
    answer = slack.url_verification("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P")
    assert answer.json() == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}


def test_the_app_rejects_a_tampered_or_stale_request(slack: SlackRequests, seen: dict) -> None:
    tampered = slack.command("U0SAM", "/away", "2h", tamper=lambda b: b.replace(b"2h", b"9h"))
    stale = slack.command("U0SAM", "/away", "2h", timestamp=1)
    assert (tampered.status_code, stale.status_code) == (401, 401)
    assert "command" not in seen
