"""The stand-in's Socket Mode against slack_sdk's own Socket Mode client: apps.connections.open
as its method page says, hello, envelopes and acks as slack_sdk reads and writes them, a
refresh, and redelivery of an event whose connection went away before its ack."""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.socket_mode import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from slack_standin import SlackStandin
from slack_standin.socket_mode import SocketRequests
from tests.slack_standin.conftest import button, card


class App:
    """slack_sdk's built-in SocketModeClient with a listener that records what it gets and
    acks it (unless told to skip the first delivery of an event)."""

    def __init__(self, standin: SlackStandin, web: WebClient) -> None:
        self.client = SocketModeClient(app_token=standin.app_token, web_client=web)
        self.got: list[SocketModeRequest] = []
        self.answer: dict[str, Any] | None = None
        self.skip_first_event = False
        self.client.socket_mode_request_listeners.append(self._listen)

    def _listen(self, client: SocketModeClient, request: SocketModeRequest) -> None:
        self.got.append(request)
        if self.skip_first_event and request.type == "events_api" and not request.retry_attempt:
            return
        client.send_socket_mode_response(SocketModeResponse(request.envelope_id, self.answer))


@contextlib.contextmanager
def hanging_up_on_close(standin: SlackStandin, client: SocketModeClient) -> Iterator[None]:
    """Make `client.close()` quick. The built-in client reads its socket with a 3 s timeout,
    holding the lock that close() needs, so close() takes up to 3 s; once the client is closing
    (it reconnects no more), the stand-in hangs up and the read returns at once."""

    def hang_up() -> None:
        with contextlib.suppress(TimeoutError):
            standin.wait_for(lambda: client.closed, timeout=10)
            standin.hang_up()

    helper = threading.Thread(target=hang_up, name="hang-up-on-close", daemon=True)
    helper.start()
    try:
        yield
    finally:
        helper.join(timeout=10)


@pytest.fixture
def app(standin: SlackStandin, web: WebClient) -> Iterator[App]:
    made = App(standin, web)
    try:
        yield made
    finally:
        with hanging_up_on_close(standin, made.client):
            made.client.close()


def test_connections_open_takes_the_app_token_in_the_header_only(standin: SlackStandin) -> None:
    url = standin.url + "apps.connections.open"

    def error(response: httpx.Response) -> str:
        return response.json().get("error", "ok")

    bearer = {"Authorization": f"Bearer {standin.app_token}"}
    answer = httpx.post(url, headers=bearer).json()
    assert answer["ok"] is True
    assert re.fullmatch(
        r"ws://127\.0\.0\.1:\d+/link/\?ticket=[0-9a-f-]{36}&app_id=" + standin.identity.app_id,
        answer["url"],
    )
    assert error(httpx.post(url, data={"token": standin.app_token})) == "invalid_auth"
    assert error(httpx.post(url, headers=bearer, data={"token": standin.app_token})) == (
        "invalid_auth"
    )
    assert error(httpx.post(url)) == "not_authed"
    assert error(httpx.post(url, headers={"Authorization": f"Bearer {standin.token}"})) == (
        "not_allowed_token_type"
    )
    assert error(httpx.post(url, headers={"Authorization": "Bearer xapp-1-other"})) == (
        "invalid_auth"
    )
    assert error(httpx.get(url, headers=bearer)) == "insecure_request"
    assert standin.calls("apps.connections.open")[0].answer == answer


def test_a_url_opens_one_connection(standin: SlackStandin, web: WebClient) -> None:
    url = web.apps_connections_open(app_token=standin.app_token)["url"]
    with connect(url) as socket:
        assert '"type": "hello"' in str(socket.recv(timeout=5))
    with pytest.raises(InvalidStatus) as refused:
        connect(url)
    assert refused.value.response.status_code == 403
    assert standin.socket_mode.refused == ["unknown or used ticket"]
    assert len(standin.socket_connections()) == 1


def test_hello_then_envelopes_slack_sdk_reads_and_acks_it_can_write(
    standin: SlackStandin, app: App
) -> None:
    app.client.connect()
    hello = standin.wait_for_connection().hello
    assert hello == {
        "type": "hello",
        "num_connections": 1,
        "debug_info": {
            "host": "applink-standin",
            "build_number": 1,
            "approximate_connection_time": 18060,
        },
        "connection_info": {"app_id": standin.identity.app_id},
    }

    fields = {"command": "/away", "text": "2h", "user_id": "U0SAM"}
    command = standin.send_envelope("slash_commands", fields)
    assert standin.wait_for_ack(command).payload is None
    app.answer = {"response_action": "clear"}
    submission = standin.send_envelope("interactive", {"type": "view_submission"})
    assert standin.wait_for_ack(submission).payload == {"response_action": "clear"}

    command_request, submission_request = app.got
    assert (command_request.type, command_request.payload) == ("slash_commands", fields)
    assert command_request.accepts_response_payload is True
    assert command_request.retry_attempt is None  # retries are an events_api matter
    assert submission_request.accepts_response_payload is True
    event = standin.send_envelope("events_api", {"type": "event_callback", "event": {}})
    standin.wait_for_ack(event)
    assert (app.got[-1].retry_attempt, app.got[-1].retry_reason) == (0, "")
    assert app.got[-1].accepts_response_payload is False


def test_an_envelope_sent_before_anyone_connects_waits_for_the_hello(
    standin: SlackStandin, app: App
) -> None:
    early = standin.send_envelope("events_api", {"type": "event_callback", "event": {}})
    app.client.connect()
    connection = standin.wait_for_connection()
    assert standin.wait_for_ack(early).connection == connection.id
    assert [m.get("type") for m in standin.socket_connections()[0].sent] == [
        "hello",
        "events_api",
    ]


def test_a_refresh_moves_the_app_to_a_new_connection_and_unacked_events_follow(
    standin: SlackStandin, app: App
) -> None:
    app.skip_first_event = True
    app.client.connect()
    first = standin.wait_for_connection(1)
    event = standin.send_envelope("events_api", {"type": "event_callback", "event": {}})
    click = standin.send_envelope("interactive", {"type": "block_actions"}, redeliver=False)
    standin.wait_for(lambda: len(app.got) == 2)
    standin.wait_for_ack(click)

    assert standin.request_refresh(close_after=1.0) == [first.id]
    assert standin.request_refresh() == []  # told once
    [told] = standin.socket_connections()
    assert told.sent[-1] == {
        "type": "disconnect",
        "reason": "refresh_requested",
        "debug_info": {"host": "applink-standin"},
    }
    second = standin.wait_for_connection(2)
    assert second.hello is not None and second.hello["num_connections"] == 2  # both open
    redelivered = standin.wait_for_ack(event, timeout=5)
    assert redelivered.connection == second.id
    [sent] = [e for e in standin.envelopes() if e.envelope_id == event]
    assert sent.sent_on == [first.id, second.id]
    assert (sent.retry_attempt, sent.retry_reason) == (1, "connection_lost")
    assert [(r.type, r.retry_attempt) for r in app.got] == [
        ("events_api", 0),
        ("interactive", None),
        ("events_api", 1),
    ]
    assert len(standin.calls("apps.connections.open")) == 2
    standin.wait_for(lambda: not standin.socket_connections()[0].open)


def test_socket_requests_send_the_bodies_slack_requests_post(
    standin: SlackStandin, app: App, web: WebClient
) -> None:
    app.client.connect()
    standin.wait_for_connection()
    posted = web.chat_postMessage(channel="U0SAM", text="New lead", blocks=card("x", button("c")))
    slack = SocketRequests(standin)
    slack.click("U0SAM", standin.messages("U0SAM")[-1], "c")
    slack.command("U0SAM", "/back")
    click, command = (r.payload for r in app.got)
    assert click["type"] == "block_actions" and click["actions"][0]["value"] == "lead-1"
    assert click["container"]["message_ts"] == posted["ts"]
    assert click["response_url"].startswith(standin.base_url + "/response/")
    assert command["command"] == "/back" and command["channel_name"] == "directmessage"
    assert [kind for kind, _ in slack.sent] == ["interactive", "slash_commands"]


def test_hang_up_closes_without_a_disconnect_message(standin: SlackStandin, web) -> None:
    url = web.apps_connections_open(app_token=standin.app_token)["url"]
    with connect(url) as socket:
        socket.recv(timeout=5)
        [connection] = standin.socket_connections()
        assert standin.hang_up(4000) == [connection.id]
        with pytest.raises(ConnectionClosed) as closed:
            socket.recv(timeout=5)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 4000
    standin.wait_for(lambda: standin.socket_connections(open_only=True) == [])


def test_reset_closes_the_connections(standin: SlackStandin, web: WebClient) -> None:
    url = web.apps_connections_open(app_token=standin.app_token)["url"]
    with connect(url) as socket:
        socket.recv(timeout=5)
        standin.reset()
        with pytest.raises(ConnectionClosed) as closed:
            socket.recv(timeout=5)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1001
    assert standin.socket_connections() == []
