"""The stand-in answers as Slack's published contract says, not as our code expects.

Sources: the JSON table is derived from Slack's OpenAPI spec (slackapi/slack-api-specs,
web-api/slack_web_openapi_v2.json), corrected by the method pages; block checks come from
slack_sdk's Block Kit models plus the limits in Slack's Block Kit reference; pacing and 429s
from Slack's rate-limit page; missing_scope's `needed`/`provided` and X-OAuth-Scopes from the
Web API's scope documentation.
"""

from __future__ import annotations

import time

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from slack_standin import SlackStandin, contract
from tests.slack_standin.conftest import button, card


def error_of(call) -> str:
    with pytest.raises(SlackApiError) as failure:
        call()
    return failure.value.response["error"]


def test_the_json_table_names_its_source_and_matches_the_spec_for_the_methods_we_use():
    table = contract.table()
    assert "slack_web_openapi_v2.json" in table["_source"]
    for method in ("chat.postMessage", "chat.update", "views.open", "views.publish"):
        assert contract.accepts_json(method), method
    for method in ("users.info", "chat.getPermalink", "conversations.history", "bots.info"):
        assert not contract.accepts_json(method), method


def test_a_json_body_sent_to_a_read_method_has_its_arguments_dropped(web: WebClient, standin):
    """The bug that kept every DM card from every rep: users.info sent as JSON."""
    assert error_of(lambda: web.api_call("users.info", json={"user": "U0SAM"})) == "user_not_found"
    [call] = standin.calls("users.info")
    assert call.encoding == "json" and call.ignored == ("user",)
    # the same call as Slack's contract asks for it: a query string, or a form body
    assert web.users_info(user="U0SAM")["user"]["id"] == "U0SAM"
    assert web.api_call("users.info", data={"user": "U0SAM"})["user"]["id"] == "U0SAM"


def test_a_json_body_is_read_by_the_write_methods_that_accept_it(web, standin) -> None:
    assert web.api_call("chat.postMessage", json={"channel": "C0SALES", "text": "hi"})["ok"]
    assert [m.text for m in standin.messages("C0SALES")] == ["hi"]


def test_a_token_inside_a_json_body_is_not_read(standin) -> None:
    answer = httpx.post(
        standin.url + "chat.postMessage",
        json={"token": standin.token, "channel": "C0SALES", "text": "hi"},
    ).json()
    assert answer == {"ok": False, "error": "not_authed"}


def test_the_lenient_stand_in_is_the_old_one_and_must_be_asked_for_by_name() -> None:
    with SlackStandin(lenient=True) as lenient:
        lenient.add_user("U0SAM", "sam")
        web = WebClient(base_url=lenient.url, token=lenient.token)
        assert web.api_call("users.info", json={"user": "U0SAM"})["user"]["id"] == "U0SAM"


@pytest.mark.parametrize(
    ("blocks", "where"),
    [
        ([{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}], "/blocks/0/text"),
        ([{"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}], "/blocks/0"),
        (card("x", button("a", text="x" * 76)), "/blocks/1/elements/0"),
        (card("x", {**button("a"), "value": "v" * 2001}), "/blocks/1/elements/0/value"),
        ([{"type": "section", "text": {"type": "mrkdwn", "text": "x"}}] * 51, "/blocks"),
        ([{"type": "carousel"}], "/blocks/0/type"),
    ],
)
def test_blocks_past_slacks_limits_are_refused_as_slack_refuses_them(web, blocks, where) -> None:
    with pytest.raises(SlackApiError) as failure:
        web.chat_postMessage(channel="C0SALES", text="x", blocks=blocks)
    answer = failure.value.response
    assert answer["error"] == "invalid_blocks"
    assert any(f"[json-pointer:{where}" in problem for problem in answer["errors"])


def test_a_button_too_long_for_slack_sdks_own_model_is_reported_by_it(web) -> None:
    with pytest.raises(SlackApiError) as failure:
        web.chat_postMessage(channel="C0SALES", text="x", blocks=card("x", button("a", "x" * 76)))
    assert "text attribute cannot exceed 75 characters" in " ".join(
        failure.value.response["errors"]
    )


def test_a_view_that_slack_sdks_view_model_refuses_is_invalid_arguments(web, standin) -> None:
    view = {
        "type": "home",
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}],
        "private_metadata": "x" * 3001,
    }
    assert error_of(lambda: web.views_publish(user_id="U0SAM", view=view)) == "invalid_arguments"


def test_posts_to_one_channel_are_paced_with_a_short_burst_then_429(web, standin) -> None:
    standin.realistic(latency=None, posts_per_second=1.0, burst=3)
    for i in range(3):
        assert web.chat_postMessage(channel="C0SALES", text=f"burst {i}")["ok"]
    with pytest.raises(SlackApiError) as failure:
        web.chat_postMessage(channel="C0SALES", text="one too many")
    assert failure.value.response.status_code == 429
    assert failure.value.response["error"] == "ratelimited"
    assert int(failure.value.response.headers["Retry-After"]) >= 1
    assert web.chat_postMessage(channel="U0SAM", text="another conversation is not paced")["ok"]
    standin.clock.advance(1.0)
    assert web.chat_postMessage(channel="C0SALES", text="a second later")["ok"]


def test_latency_makes_every_call_take_slacks_round_trip(web, standin) -> None:
    standin.realistic(latency=(0.1, 0.12), posts_per_second=None)
    started = time.monotonic()
    web.auth_test()
    assert time.monotonic() - started >= 0.1


def test_a_call_answered_after_the_client_gave_up_was_still_applied(standin) -> None:
    standin.answer_late("chat.postMessage", 1.0)
    impatient = WebClient(base_url=standin.url, token=standin.token, timeout=0.3)
    with pytest.raises(TimeoutError):
        impatient.chat_postMessage(channel="C0SALES", text="posted all the same")
    assert [m.text for m in standin.messages("C0SALES")] == ["posted all the same"]


@pytest.mark.parametrize("error", ["invalid_auth", "token_revoked", "account_inactive"])
def test_a_broken_bot_token_fails_every_call_auth_test_included(web, standin, error) -> None:
    standin.break_token(error)
    assert error_of(web.auth_test) == error
    assert error_of(lambda: web.chat_postMessage(channel="C0SALES", text="x")) == error
    standin.restore_token()
    assert web.auth_test()["ok"]


def test_a_missing_scope_names_what_is_needed_and_what_the_token_has(web, standin) -> None:
    standin.limit_scopes({"chat:write", "commands"})
    with pytest.raises(SlackApiError) as failure:
        web.users_info(user="U0SAM")
    answer = failure.value.response
    assert (answer["error"], answer["needed"]) == ("missing_scope", "users:read")
    assert answer["provided"] == "chat:write,commands"
    posted = web.chat_postMessage(channel="C0SALES", text="x")
    assert posted.headers["x-oauth-scopes"] == "chat:write,commands"


def test_history_returns_our_metadata_newest_first_with_the_scope_of_the_conversation(
    web, standin
) -> None:
    metadata = {"event_type": "leadrouter_card", "event_payload": {"lead": 7}}
    first = web.chat_postMessage(channel="C0SALES", text="a", metadata=metadata)
    web.chat_postMessage(channel="C0SALES", text="b")
    found = web.conversations_history(channel="C0SALES", include_all_metadata=True)["messages"]
    assert [m["text"] for m in found] == ["b", "a"]
    assert found[1]["metadata"] == metadata and found[1]["ts"] == first["ts"]
    plain = web.conversations_history(channel="C0SALES")["messages"]
    assert "metadata" not in plain[1]
    dm = web.chat_postMessage(channel="U0SAM", text="hi")["channel"]
    standin.limit_scopes({"chat:write", "channels:history"})
    with pytest.raises(SlackApiError) as failure:
        web.conversations_history(channel=dm)
    assert failure.value.response["needed"] == "im:history"


def test_the_bot_deletes_its_own_message(web, standin) -> None:
    posted = web.chat_postMessage(channel="C0SALES", text="twice")
    web.chat_delete(channel="C0SALES", ts=posted["ts"])
    assert standin.messages("C0SALES") == []
