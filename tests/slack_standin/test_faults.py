import time

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import FixedValueRetryIntervalCalculator, RateLimitErrorRetryHandler
from slack_sdk.http_retry.builtin_handlers import ServerErrorRetryHandler

from slack_standin import SlackStandin


def test_a_429_carries_retry_after_and_ratelimited(web: WebClient, standin: SlackStandin) -> None:
    standin.rate_limit("chat.postMessage", retry_after=7)
    with pytest.raises(SlackApiError) as failure:
        web.chat_postMessage(channel="C0SALES", text="x")
    response = failure.value.response
    assert response.status_code == 429 and response["error"] == "ratelimited"
    assert response.headers["Retry-After"] == "7"
    assert standin.messages() == []


def test_slack_sdk_rate_limit_handler_waits_retry_after_and_succeeds(standin) -> None:
    standin.rate_limit("chat.postMessage", retry_after=1)
    web = WebClient(
        base_url=standin.url,
        token=standin.token,
        retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)],
    )
    started = time.monotonic()
    answer = web.chat_postMessage(channel="U0SAM", text="New lead")
    assert answer["ok"] and time.monotonic() - started >= 1.0
    assert [c.status for c in standin.calls("chat.postMessage")] == [429, 200]
    assert [m.text for m in standin.messages("U0SAM")] == ["New lead"]


def test_a_500_then_success_is_retried_by_the_server_error_handler(standin) -> None:
    standin.server_error("chat.postMessage", status=500)
    handler = ServerErrorRetryHandler(
        max_retry_count=1, interval_calculator=FixedValueRetryIntervalCalculator(0.01)
    )
    web = WebClient(base_url=standin.url, token=standin.token, retry_handlers=[handler])
    assert web.chat_postMessage(channel="C0SALES", text="x")["ok"]
    assert [c.status for c in standin.calls("chat.postMessage")] == [500, 200]


def test_a_503_fails_the_call_without_a_retry_handler(web, standin) -> None:
    standin.server_error("users.info", status=503, times=2)
    for _ in range(2):
        with pytest.raises(SlackApiError) as failure:
            web.users_info(user="U0SAM")
        assert failure.value.response.status_code == 503
    assert web.users_info(user="U0SAM")["ok"]


def test_a_fault_for_one_channel_leaves_other_channels_alone(web, standin) -> None:
    standin.rate_limit("chat.postMessage", channel="C0SALES", times=3)
    assert web.chat_postMessage(channel="U0SAM", text="dm")["ok"]
    with pytest.raises(SlackApiError):
        web.chat_postMessage(channel="C0SALES", text="team")
    assert [m.text for m in standin.messages()] == ["dm"]
    assert standin.faults.pending()[0].times == 2


def test_a_fault_scripted_for_a_user_also_hits_their_dm_id(web, standin) -> None:
    dm = standin.dm_channel("U0SAM")
    standin.fail("chat.update", "channel_not_found", channel="U0SAM")
    posted = web.chat_postMessage(channel=dm, text="x")
    with pytest.raises(SlackApiError) as failure:
        web.chat_update(channel=dm, ts=posted["ts"], text="y")
    assert failure.value.response["error"] == "channel_not_found"


@pytest.mark.parametrize(
    "error",
    [
        "user_not_found",
        "account_inactive",
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "msg_too_long",
        "invalid_blocks",
    ],
)
def test_scripted_slack_errors_are_answered_once_then_calls_succeed(web, standin, error) -> None:
    standin.fail("chat.postMessage", error)
    with pytest.raises(SlackApiError) as failure:
        web.chat_postMessage(channel="C0SALES", text="x")
    assert failure.value.response.status_code == 200 and failure.value.response["error"] == error
    assert web.chat_postMessage(channel="C0SALES", text="x")["ok"]


def test_a_slow_answer_times_the_client_out_yet_the_post_still_lands(standin) -> None:
    standin.slow("chat.postMessage", 1.0)
    impatient = WebClient(base_url=standin.url, token=standin.token, timeout=0.2)
    with pytest.raises(TimeoutError):
        impatient.chat_postMessage(channel="C0SALES", text="maybe twice")
    # The classic duplicate: the client gave up, Slack posted anyway.
    landed = standin.wait_for(lambda: standin.messages("C0SALES"), timeout=3)
    assert [m.text for m in landed] == ["maybe twice"]


def test_wait_for_times_out_with_the_calls_it_saw(web, standin) -> None:
    web.auth_test()
    with pytest.raises(TimeoutError, match=r"auth\.test:ok"):
        standin.wait_for(lambda: standin.messages(), timeout=0.1)
