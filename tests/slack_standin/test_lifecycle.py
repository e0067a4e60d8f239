import time

import httpx
import pytest
from slack_sdk import WebClient

from slack_standin import SlackStandin


def test_the_context_manager_serves_on_a_free_port_and_stops() -> None:
    with SlackStandin() as first, SlackStandin() as second:
        assert first.url != second.url
        assert WebClient(base_url=first.url, token=first.token).auth_test()["ok"]
        url = first.url
    with pytest.raises(httpx.ConnectError):
        httpx.post(url + "auth.test")


def test_reset_forgets_state_calls_faults_and_clock_offset(standin, web) -> None:
    web.chat_postMessage(channel="C0SALES", text="x")
    standin.rate_limit("chat.postMessage")
    standin.clock.advance(60)
    standin.reset()
    assert standin.messages() == [] and standin.calls() == [] and standin.faults.pending() == []
    assert abs(standin.clock.now() - time.time()) < 5
    assert web.auth_test()["ok"]  # the server kept running
