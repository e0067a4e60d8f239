import re
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from slack_standin import SlackStandin
from tests.slack_standin.conftest import button, card


def slack_error(call) -> str:
    with pytest.raises(SlackApiError) as failure:
        call()
    return failure.value.response["error"]


def test_auth_test_names_the_bot(web: WebClient, standin: SlackStandin) -> None:
    answer = web.auth_test()
    assert answer["user_id"] == standin.identity.bot_user_id
    assert answer["team_id"] == standin.identity.team_id


def test_url_is_the_api_root_that_webclient_joins_method_names_to(standin: SlackStandin) -> None:
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/api/", standin.url)


def test_posting_to_a_user_opens_a_dm_and_records_the_message(web, standin) -> None:
    answer = web.chat_postMessage(channel="U0SAM", text="New lead", blocks=card())
    assert answer["channel"].startswith("D")
    assert web.conversations_open(users="U0SAM")["channel"]["id"] == answer["channel"]
    [message] = standin.messages("U0SAM")
    assert (message.channel, message.ts, message.text) == (
        answer["channel"],
        answer["ts"],
        "New lead",
    )
    assert message.blocks == card()
    assert standin.messages(answer["channel"]) == [message]


def test_message_ts_look_like_slacks_and_strictly_increase(web) -> None:
    stamps = [web.chat_postMessage(channel="C0SALES", text=f"n{i}")["ts"] for i in range(5)]
    assert all(re.fullmatch(r"\d{10}\.\d{6}", ts) for ts in stamps)
    assert stamps == sorted(stamps) and len(set(stamps)) == 5


@pytest.mark.parametrize(
    ("channel", "error"),
    [
        ("C0PRIVATE", "not_in_channel"),
        ("C0OLD", "is_archived"),
        ("C0NOPE", "channel_not_found"),
        ("U0NOBODY", "channel_not_found"),
    ],
)
def test_posting_where_the_bot_cannot_write_is_refused(web, standin, channel, error) -> None:
    assert slack_error(lambda: web.chat_postMessage(channel=channel, text="x")) == error
    assert standin.messages() == []


def test_chat_update_changes_the_stored_message_and_keeps_omitted_blocks(web, standin) -> None:
    posted = web.chat_postMessage(channel="C0SALES", text="Unclaimed", blocks=card())
    web.chat_update(channel=posted["channel"], ts=posted["ts"], text="Claimed by Sam")
    [message] = standin.messages("C0SALES")
    assert message.text == "Claimed by Sam" and message.blocks == card() and message.edits == 1
    web.chat_update(channel=posted["channel"], ts=posted["ts"], text="c", blocks=card("Claimed"))
    assert standin.messages("#sales")[0].blocks == card("Claimed")


def test_chat_update_of_an_unknown_ts_is_message_not_found(web) -> None:
    error = slack_error(lambda: web.chat_update(channel="C0SALES", ts="1.000001", text="x"))
    assert error == "message_not_found"


def test_users_info_reports_deleted_users_and_time_zones(web) -> None:
    gone = web.users_info(user="U0GONE")["user"]
    assert gone["deleted"] is True and gone["is_bot"] is False
    sam = web.users_info(user="U0SAM")["user"]
    assert sam["deleted"] is False and sam["tz"] == "Europe/Paris"
    offset = datetime.now(ZoneInfo("Europe/Paris")).utcoffset().total_seconds()
    assert sam["tz_offset"] == offset
    assert sam["real_name"] == "Sam Rivera" and "display_name" in sam["profile"]
    assert slack_error(lambda: web.users_info(user="U0NOBODY")) == "user_not_found"


def test_a_wrong_or_missing_token_is_refused_like_slack(standin: SlackStandin) -> None:
    wrong = WebClient(base_url=standin.url, token="xoxb-wrong")
    assert (
        slack_error(lambda: wrong.chat_postMessage(channel="C0SALES", text="x")) == "invalid_auth"
    )
    missing = WebClient(base_url=standin.url)
    assert slack_error(lambda: missing.auth_test()) == "not_authed"
    assert standin.messages() == []


@pytest.mark.parametrize(
    "blocks",
    [
        card("x", button("claim", text="C" * 76)),
        card("x" * 3001),
        [{"type": "divider"}] * 51,
        card("x", button("a" * 256)),
        card("x", button("claim", value="v" * 2001)),
        card("x", button("claim"), button("claim")),
        [{"type": "sectoin", "text": {"type": "mrkdwn", "text": "typo"}}],
    ],
    ids=["button-text", "section-text", "51-blocks", "action-id", "value", "dup-action", "type"],
)
def test_cards_breaking_block_kit_limits_are_invalid_blocks(web, standin, blocks) -> None:
    with pytest.raises(SlackApiError) as failure:
        web.chat_postMessage(channel="C0SALES", text="x", blocks=blocks)
    assert failure.value.response["error"] == "invalid_blocks"
    assert "json-pointer:/blocks" in failure.value.response["errors"][0]
    assert standin.messages() == []


def test_cards_at_the_limits_are_accepted(web) -> None:
    blocks = card("x" * 3000, button("a" * 255, text="C" * 75, value="v" * 2000))
    blocks += [{"type": "divider"}] * 48
    assert web.chat_postMessage(channel="C0SALES", text="x", blocks=blocks)["ok"]


def test_form_encoded_bodies_and_a_token_field_are_understood(standin: SlackStandin) -> None:
    answer = httpx.post(
        standin.url + "chat.postMessage",
        data={
            "token": standin.token,
            "channel": "C0SALES",
            "text": "form",
            "blocks": '[{"type": "divider"}]',
        },
    ).json()
    assert answer["ok"], answer
    assert standin.messages("C0SALES")[0].blocks == [{"type": "divider"}]
    [call] = standin.calls("chat.postMessage")
    assert call.params["blocks"] == [{"type": "divider"}] and "token" not in call.params


def test_an_unknown_method_is_recorded_and_answered_unknown_method(web, standin) -> None:
    assert slack_error(lambda: web.api_call("reactions.add", json={"name": "eyes"})) == (
        "unknown_method"
    )
    [call] = standin.calls("reactions.add")
    assert call.params == {"name": "eyes"}


def test_ephemerals_reach_only_members_and_permalinks_point_at_the_message(web, standin) -> None:
    web.chat_postEphemeral(channel="C0SALES", user="U0SAM", text="only you")
    assert [e.text for e in standin.ephemerals("U0SAM")] == ["only you"]
    standin.add_channel("C0SMALL", "small", members={"U0GONE"})
    error = slack_error(lambda: web.chat_postEphemeral(channel="C0SMALL", user="U0SAM", text="x"))
    assert error == "user_not_in_channel"
    posted = web.chat_postMessage(channel="C0SALES", text="lead")
    link = web.chat_getPermalink(channel="C0SALES", message_ts=posted["ts"])["permalink"]
    assert link.endswith("/archives/C0SALES/p" + posted["ts"].replace(".", ""))


def test_every_call_is_recorded_with_decoded_params_and_answer(web, standin) -> None:
    web.chat_postMessage(channel="U0SAM", text="hi", blocks=card())
    [call] = standin.calls("chat.postMessage")
    assert call.params["blocks"] == card() and call.ok and call.answer["channel"].startswith("D")
    assert call.at == pytest.approx(standin.clock.now(), abs=5)


def test_posting_to_a_deactivated_users_dm_still_succeeds_as_in_slack(web, standin) -> None:
    # Slack's pitfall, kept on purpose: only users.info tells the bot the rep is gone.
    assert web.chat_postMessage(channel="U0GONE", text="New lead")["ok"]
    assert web.users_info(user="U0GONE")["user"]["deleted"] is True


def test_observers_see_every_call_as_it_is_answered(web, standin) -> None:
    seen: list[str] = []
    standin.on_call(lambda call: seen.append(f"{call.method}:{call.ok}"))
    web.chat_postMessage(channel="C0SALES", text="x")
    with pytest.raises(SlackApiError):
        web.chat_postMessage(channel="C0NOPE", text="x")
    assert seen == ["chat.postMessage:True", "chat.postMessage:False"]


def test_seeding_a_user_with_an_unknown_time_zone_fails_at_once(standin) -> None:
    with pytest.raises(KeyError):
        standin.add_user("U0X", "x", tz="Mars/Olympus")


def test_get_requests_with_query_parameters_are_understood(standin: SlackStandin) -> None:
    # slack_sdk's async client sends users.info and chat.getPermalink as GET.
    answer = httpx.get(
        standin.url + "users.info",
        params={"user": "U0SAM"},
        headers={"Authorization": f"Bearer {standin.token}"},
    ).json()
    assert answer["ok"] and answer["user"]["name"] == "sam"
