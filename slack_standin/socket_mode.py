"""Socket Mode, played by the stand-in: apps.connections.open hands out a WebSocket URL good for
one connection, the socket says hello, tests push envelopes and read the app's acks, and a
refresh makes the app reconnect.

    with SlackStandin() as slack:                      # the app runs SocketModeHandler(…)
        slack.wait_for_connection()                    # hello sent, the socket is up
        envelope_id = slack.send_envelope("slash_commands", fields)
        ack = slack.wait_for_ack(envelope_id)          # ack.payload: what the app answered
        slack.request_refresh()                        # the app reconnects…
        slack.wait_for_connection(2)                   # …on a second connection

`SocketRequests(slack)` sends clicks, commands and events as `SlackRequests` builds them for
POST /slack/events, with the same bodies (slack_standin.payloads), over the socket instead.

Where each rule comes from
--------------------------
[M] the apps.connections.open method page, docs.slack.dev/reference/methods/apps.connections.open
[S] Slack's Socket Mode pages, docs.slack.dev/apis/events-api/using-socket-mode (formerly
    api.slack.com/apis/connections/socket and …/socket-implement)
[K] slack_sdk's client: slack_sdk/socket_mode/client.py, builtin/client.py, builtin/connection.py,
    builtin/internals.py, request.py, response.py (and slack_bolt's adapter/socket_mode)
[I] issue threads: slackapi/python-slack-sdk#1877, slack-ruby/slack-ruby-client#363
[E] the method's error list as mirrored from Slack's method docs by the slack_kit package
    (hex.pm, priv/docs/methods/apps.connections.open.json)
Only the openings of the [S] pages could be consulted when this was written: the message
shapes credited to [S] follow those pages' published examples as remembered, and each is one
that slack_sdk reads as the [K] references show.

apps.connections.open
  - POST only [M: "Method Access: POST"]; any other verb answers insecure_request, "The
    method was not called via a POST request" [E].
  - The app-level token (xapp-…) goes in the Authorization header; "passing it as a POST
    parameter will result in an error" [M]. That error is invalid_auth [I: #1877, #363]. No
    token at all answers not_authed, like every method; a bot token answers
    not_allowed_token_type [I: #363]; any other token invalid_auth.
  - The answer is {"ok": true, "url": "wss://…/link/?ticket=…&app_id=…"} [M]. Here the URL is
    ws:// on the stand-in's own host and port: slack_sdk's built-in client speaks plain
    WebSocket to any port but 443 [K: internals._establish_new_socket_connection].
  - A ticket opens one connection. [S] says the URL "is not static", is "created at runtime
    by calling apps.connections.open" and "refreshes regularly", and slack_sdk asks for a new
    URL before every reconnect [K: client.connect_to_new_endpoint]; a reused or unknown ticket
    (or another app_id) is refused at the handshake (HTTP 403). That it is refused, and how,
    is the stand-in's choice.

The WebSocket
  - First message: {"type": "hello", "num_connections": N, "debug_info": {"host": …,
    "build_number": …, "approximate_connection_time": …}, "connection_info": {"app_id": …}}
    [S]. slack_sdk ignores it: it has no envelope_id [K: request.SocketModeRequest.from_dict].
  - Envelopes: {"envelope_id", "type": "events_api" | "interactive" | "slash_commands",
    "payload", "accepts_response_payload"} [S], and for events_api "retry_attempt" and
    "retry_reason" [S; K: request.py marks both "# events_api"]. Payloads are the bodies Slack
    POSTs over HTTP: event_callback, an interaction payload, the slash command's fields as a
    JSON object [S]. accepts_response_payload is true for slash commands [S's example], false
    for events [S's example]; for interactions it is true for view_submission and
    block_suggestion, the two whose HTTP acks carry an answer (the stand-in's reading).
  - The app acks with {"envelope_id": …} and, when it answers, "payload" [S; K: response.py,
    slack_bolt internals.send_response], within 3 seconds [S]; Ack.late marks a slower one.
    slack_sdk sends every ack on its current connection, which after a reconnect is not the
    one the envelope came on [K: builtin/client.send_message]: acks count on any connection.
  - {"type": "disconnect", "reason": "refresh_requested", "debug_info": {"host": …}} asks the
    app to reconnect [S]. slack_sdk answers any disconnect message by calling
    apps.connections.open, connecting the new socket, then closing the old one
    [K: client.process_message → connect_to_new_endpoint(force=True), builtin/client.connect].
    `request_refresh(close_after=…)` also closes the old socket itself after that long.
  - New envelopes go to the newest connection that was not told to disconnect; with none
    open they wait for the next hello. Slack spreads them over an app's connections [S]; one
    choice suits a stand-in the tests read.
  - An events_api envelope whose connection went away before its ack is delivered again on
    the next connection, retry_attempt one higher: Slack retries unacknowledged events
    [S, and the Events API's retry rules]. Interactions and commands not acked in 3 seconds
    show the user an error rather than coming again (Slack's interactivity docs, as
    remembered), so those are not redelivered unless sent with redeliver=True. The
    redelivery keeps its envelope_id (so wait_for_ack(id) sees it through), and retry_reason
    is "connection_lost": both are the stand-in's own choices, not Slack's published words.
"""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.websockets import WebSocket

from slack_standin.records import Call, Message, View
from slack_standin.sender import SlackSender
from slack_standin.workspace import Workspace

if TYPE_CHECKING:
    from slack_standin.server import SlackStandin

DEFAULT_APP_TOKEN = "xapp-1-A0LEADRTR-1-standin"
KINDS = ("events_api", "interactive", "slash_commands")
ACK_DEADLINE = 3.0  # seconds [S]
RETRY_REASON = "connection_lost"  # the stand-in's word for "your socket went away"
HOST = "applink-standin"
METHOD = "apps.connections.open"
log = logging.getLogger(__name__)


@dataclass
class Envelope:
    envelope_id: str
    type: str
    payload: dict[str, Any]
    accepts_response_payload: bool
    redeliver: bool
    retry_attempt: int = 0
    retry_reason: str = ""
    sent_on: list[str] = field(default_factory=list)  # connection ids, one per delivery
    sent_at: float | None = None  # time.monotonic() of the last delivery
    acked: bool = False

    def frame(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "envelope_id": self.envelope_id,
            "type": self.type,
            "payload": self.payload,
            "accepts_response_payload": self.accepts_response_payload,
        }
        if self.type == "events_api":
            body.update(retry_attempt=self.retry_attempt, retry_reason=self.retry_reason)
        return body


@dataclass(frozen=True)
class Ack:
    envelope_id: str
    payload: dict[str, Any] | None  # what the app answered (None: a bare ack)
    connection: str  # the connection the ack came on
    seconds: float | None  # from the envelope's last delivery; None for an unknown envelope

    @property
    def late(self) -> bool:
        return self.seconds is not None and self.seconds > ACK_DEADLINE


@dataclass
class SocketConnection:
    """One WebSocket connection as the stand-in saw it."""

    id: str
    ticket: str
    opened_at: float  # time.monotonic()
    hello: dict[str, Any] | None = None  # set once hello has been sent
    disconnect_reason: str | None = None  # set once a disconnect message has been sent
    closed_at: float | None = None
    close_code: int | None = None
    sent: list[dict[str, Any]] = field(default_factory=list)  # every message sent, in order
    received: list[Any] = field(default_factory=list)  # every text message from the app

    @property
    def open(self) -> bool:
        return self.closed_at is None


@dataclass(frozen=True)
class _Close:
    code: int


class _Link:
    """A live connection: the socket, the loop it runs on and its outgoing queue."""

    def __init__(self, record: SocketConnection, websocket: WebSocket) -> None:
        self.record = record
        self.websocket = websocket
        self.loop = asyncio.get_running_loop()
        self.outbox: asyncio.Queue[str | _Close] = asyncio.Queue()

    def send(self, item: str | _Close, delay: float = 0.0) -> None:
        """Queue a message from any thread (the test's or the server's)."""
        try:
            if delay:
                self.loop.call_soon_threadsafe(self.loop.call_later, delay, self._put, item)
            else:
                self.loop.call_soon_threadsafe(self._put, item)
        except RuntimeError:  # the server's loop has stopped: nothing left to send to
            pass

    def _put(self, item: str | _Close) -> None:
        self.outbox.put_nowait(item)


class SocketModeServer:
    """The Socket Mode side of the stand-in: its two routes and the state tests read."""

    def __init__(self, workspace: Workspace, app_token: str = DEFAULT_APP_TOKEN) -> None:
        self.workspace = workspace
        self.app_token = app_token
        self._changed = threading.Condition(threading.RLock())
        self.reset()

    def routes(self) -> list[BaseRoute]:
        return [
            Route(f"/api/{METHOD}", self._connections_open, methods=["GET", "POST"]),
            WebSocketRoute("/link/", self._link),
        ]

    def reset(self) -> None:
        """Close every open connection and forget connections, envelopes and acks."""
        with self._changed:
            for link in getattr(self, "_live", []):
                link.send(_Close(1001))
            self._live: list[_Link] = []
            self._tickets: set[str] = set()
            self._connections: list[SocketConnection] = []
            self._envelopes: dict[str, Envelope] = {}
            self._pending: list[Envelope] = []
            self._acks: list[Ack] = []
            self.refused: list[str] = []  # why WebSocket handshakes were turned away
            self._changed.notify_all()

    # what tests call ---------------------------------------------------------
    def connections(self, *, open_only: bool = False) -> list[SocketConnection]:
        with self._changed:
            found = [c for c in self._connections if c.open or not open_only]
            return copy.deepcopy(found)

    def wait_for_connection(self, number: int = 1, timeout: float = 5.0) -> SocketConnection:
        """The `number`-th connection (1 is the first), once hello has gone out on it."""

        def ready() -> bool:
            greeted = [c for c in self._connections if c.hello is not None]
            return len(greeted) >= number

        with self._changed:
            if not self._changed.wait_for(ready, timeout):
                raise TimeoutError(
                    f"no Socket Mode connection #{number} within {timeout}s; "
                    f"connections: {self._describe()}; refused: {self.refused}"
                )
            greeted = [c for c in self._connections if c.hello is not None]
            return copy.deepcopy(greeted[number - 1])

    def send_envelope(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        accepts_response_payload: bool | None = None,
        redeliver: bool | None = None,
    ) -> str:
        """Deliver `payload` in an envelope of `kind`; its envelope_id. With no connection
        open it waits for the next one. `redeliver` (default: only events_api) sends it again
        on the next connection if its connection goes away before the ack."""
        if kind not in KINDS:
            raise ValueError(f"an envelope is one of {KINDS}, not {kind!r}")
        envelope = Envelope(
            envelope_id=str(uuid.uuid4()),
            type=kind,
            payload=copy.deepcopy(payload),
            accepts_response_payload=(
                _accepts_response(kind, payload)
                if accepts_response_payload is None
                else accepts_response_payload
            ),
            redeliver=kind == "events_api" if redeliver is None else redeliver,
        )
        with self._changed:
            self._envelopes[envelope.envelope_id] = envelope
            self._dispatch(envelope)
        return envelope.envelope_id

    def wait_for_ack(self, envelope_id: str, timeout: float = 5.0) -> Ack:
        with self._changed:
            if not self._changed.wait_for(lambda: self._ack(envelope_id), timeout):
                envelope = self._envelopes.get(envelope_id)
                where = (
                    f"sent on {envelope.sent_on or 'no connection yet'}"
                    if envelope
                    else "never sent by this stand-in"
                )
                raise TimeoutError(
                    f"no ack of envelope {envelope_id} within {timeout}s ({where}); "
                    f"connections: {self._describe()}"
                )
            found = self._ack(envelope_id)
            assert found is not None
            return found

    def acks(self) -> list[Ack]:
        with self._changed:
            return list(self._acks)

    def envelopes(self) -> list[Envelope]:
        with self._changed:
            return copy.deepcopy(list(self._envelopes.values()))

    def request_refresh(self, *, close_after: float | None = None) -> list[str]:
        """Send {"type": "disconnect", "reason": "refresh_requested"} on every open connection
        not yet told; with `close_after`, also close each of them that many seconds later.
        The ids of the connections told."""
        told = []
        with self._changed:
            for link in self._live:
                if link.record.disconnect_reason is not None:
                    continue
                message = {
                    "type": "disconnect",
                    "reason": "refresh_requested",
                    "debug_info": {"host": HOST},
                }
                link.record.disconnect_reason = "refresh_requested"
                link.record.sent.append(message)
                link.send(json.dumps(message))
                if close_after is not None:
                    link.send(_Close(1000), delay=close_after)
                told.append(link.record.id)
            self._changed.notify_all()
        return told

    def hang_up(self, code: int = 1000) -> list[str]:
        """Close every open connection from Slack's side, with no disconnect message first
        (as when Slack's end of a socket goes away). The ids of the connections closed."""
        with self._changed:
            for link in self._live:
                link.send(_Close(code))
            return [link.record.id for link in self._live]

    # apps.connections.open -----------------------------------------------------
    async def _connections_open(self, request: Request) -> JSONResponse:
        ws = self.workspace
        params: dict[str, Any] = dict(request.query_params)
        encoding = "query"
        raw = await request.body()
        if raw:
            if request.headers.get("content-type", "").startswith("application/json"):
                encoding = "json"
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = None
                if isinstance(body, dict):
                    params.update(body)
            else:
                encoding = "form"
                params.update(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
        passed = params.pop("token", None)
        header = request.headers.get("authorization", "")
        bearer = header[7:].strip() if header.lower().startswith("bearer ") else ""
        if request.method != "POST":
            answer: dict[str, Any] = {"ok": False, "error": "insecure_request"}
        elif passed is not None:
            answer = {"ok": False, "error": "invalid_auth"}  # the header only [M, I]
        elif not bearer:
            answer = {"ok": False, "error": "not_authed"}
        elif bearer == self.app_token:
            ticket = str(uuid.uuid4())
            with self._changed:
                self._tickets.add(ticket)
            url = f"ws://{request.url.netloc}/link/?ticket={ticket}&app_id={ws.identity.app_id}"
            answer = {"ok": True, "url": url}
        elif bearer == ws.identity.token or bearer.startswith(("xoxb-", "xoxp-")):
            answer = {"ok": False, "error": "not_allowed_token_type"}
        else:
            answer = {"ok": False, "error": "invalid_auth"}
        call = Call(METHOD, params, ws.clock.now(), 200, answer, encoding=encoding)
        with ws.lock:
            ws.calls.append(call)
        for observer in list(ws.observers):
            try:
                observer(call)
            except Exception:  # an observer's bug must not turn into a Slack error
                log.exception("stand-in call observer failed")
        return JSONResponse(answer)

    # the WebSocket --------------------------------------------------------------
    async def _link(self, websocket: WebSocket) -> None:
        ticket = websocket.query_params.get("ticket", "")
        app_id = websocket.query_params.get("app_id")
        with self._changed:
            refusal = None
            if ticket not in self._tickets:
                refusal = "unknown or used ticket"
            elif app_id != self.workspace.identity.app_id:
                refusal = f"app_id {app_id} is not this app's"
            self._tickets.discard(ticket)  # one connection per ticket, even a refused one
            if refusal:
                self.refused.append(refusal)
                self._changed.notify_all()
            record = SocketConnection(
                f"WS{len(self._connections) + 1:04d}", ticket, time.monotonic()
            )
            if not refusal:
                self._connections.append(record)
            hello = {
                "type": "hello",
                "num_connections": len(self._live) + 1,
                "debug_info": {
                    "host": HOST,
                    "build_number": 1,
                    "approximate_connection_time": 18060,
                },
                "connection_info": {"app_id": app_id},
            }
        if refusal:
            await websocket.close(code=1008)  # before accept: the handshake answers 403
            return
        await websocket.accept()
        link = _Link(record, websocket)
        close_code: int | None = None
        sender: asyncio.Task[None] | None = None
        try:
            await websocket.send_text(json.dumps(hello))
            with self._changed:
                if record not in self._connections:  # reset() came in between
                    return
                record.hello = hello
                record.sent.append(hello)
                self._live.append(link)
                waiting, self._pending = self._pending, []
                for envelope in waiting:
                    self._push(link, envelope)
                self._changed.notify_all()
            sender = asyncio.create_task(self._send_loop(link))
            while True:
                message = await websocket.receive()
                if message["type"] == "websocket.disconnect":
                    close_code = message.get("code")
                    break
                if message.get("text") is not None:
                    self._received(link, message["text"])
        except Exception:  # the socket broke: treat it as closed
            close_code = close_code or 1006
        finally:
            if sender is not None:
                sender.cancel()
            self._gone(link, close_code)

    async def _send_loop(self, link: _Link) -> None:
        try:
            while True:
                item = await link.outbox.get()
                if isinstance(item, _Close):
                    await link.websocket.close(code=item.code)
                    return
                await link.websocket.send_text(item)
        except Exception:  # the app went away; the receiving side records it
            return

    def _received(self, link: _Link, text: str) -> None:
        try:
            message: Any = json.loads(text)
        except ValueError:
            message = text
        with self._changed:
            link.record.received.append(message)
            if isinstance(message, dict) and isinstance(message.get("envelope_id"), str):
                envelope = self._envelopes.get(message["envelope_id"])
                seconds = None
                if envelope is not None:
                    envelope.acked = True
                    if envelope.sent_at is not None:
                        seconds = time.monotonic() - envelope.sent_at
                reply = message.get("payload")
                self._acks.append(Ack(message["envelope_id"], reply, link.record.id, seconds))
            self._changed.notify_all()

    def _gone(self, link: _Link, code: int | None) -> None:
        with self._changed:
            if link not in self._live and link.record not in self._connections:
                return  # forgotten by reset()
            if link in self._live:
                self._live.remove(link)
            link.record.closed_at = time.monotonic()
            link.record.close_code = code
            for envelope in self._envelopes.values():
                on_it = envelope.sent_on and envelope.sent_on[-1] == link.record.id
                if on_it and not envelope.acked and envelope.redeliver:
                    envelope.retry_attempt += 1
                    envelope.retry_reason = RETRY_REASON
                    self._dispatch(envelope)
            self._changed.notify_all()

    # helpers (the lock is held) ---------------------------------------------------
    def _dispatch(self, envelope: Envelope) -> None:
        targets = [link for link in self._live if link.record.disconnect_reason is None]
        if targets:
            self._push(targets[-1], envelope)
        else:
            self._pending.append(envelope)

    def _push(self, link: _Link, envelope: Envelope) -> None:
        frame = envelope.frame()
        envelope.sent_on.append(link.record.id)
        envelope.sent_at = time.monotonic()
        link.record.sent.append(copy.deepcopy(frame))
        link.send(json.dumps(frame))

    def _ack(self, envelope_id: str) -> Ack | None:
        return next((a for a in self._acks if a.envelope_id == envelope_id), None)

    def _describe(self) -> str:
        return (
            ", ".join(
                f"{c.id} ({'open' if c.open else f'closed {c.close_code}'}"
                f"{', told ' + c.disconnect_reason if c.disconnect_reason else ''})"
                for c in self._connections
            )
            or "none"
        )


def _accepts_response(kind: str, payload: dict[str, Any]) -> bool:
    if kind == "slash_commands":
        return True
    if kind == "interactive":
        return payload.get("type") in ("view_submission", "block_suggestion")
    return False


class SocketModeAPI:
    """What SlackStandin offers for Socket Mode (it keeps a SocketModeServer as socket_mode)."""

    socket_mode: SocketModeServer

    @property
    def app_token(self) -> str:
        """The app-level token apps.connections.open accepts (SLACK_APP_TOKEN)."""
        return self.socket_mode.app_token

    def socket_connections(self, *, open_only: bool = False) -> list[SocketConnection]:
        """Every Socket Mode connection so far, oldest first (snapshots)."""
        return self.socket_mode.connections(open_only=open_only)

    def wait_for_connection(self, number: int = 1, timeout: float = 5.0) -> SocketConnection:
        return self.socket_mode.wait_for_connection(number, timeout)

    def send_envelope(self, kind: str, payload: dict[str, Any], **options: Any) -> str:
        return self.socket_mode.send_envelope(kind, payload, **options)

    def wait_for_ack(self, envelope_id: str, timeout: float = 5.0) -> Ack:
        return self.socket_mode.wait_for_ack(envelope_id, timeout)

    def socket_acks(self) -> list[Ack]:
        return self.socket_mode.acks()

    def envelopes(self) -> list[Envelope]:
        return self.socket_mode.envelopes()

    def request_refresh(self, *, close_after: float | None = None) -> list[str]:
        return self.socket_mode.request_refresh(close_after=close_after)

    def hang_up(self, code: int = 1000) -> list[str]:
        return self.socket_mode.hang_up(code)


class SocketRequests(SlackSender):
    """SlackRequests' interactions over Socket Mode: the same bodies (slack_standin.sender),
    sent as envelopes; each call waits for the app's ack and returns it.

        slack = SocketRequests(standin)
        slack.click("U1", standin.messages("U1")[-1], "claim_lead")
        slack.command("U1", "/away", "2h")
    """

    event_prefix = "EvS"

    def __init__(
        self, standin: SlackStandin, *, timeout: float = 5.0, clock: Callable[[], float] = time.time
    ) -> None:
        super().__init__(standin, clock=clock)
        self.standin: SlackStandin = standin
        self.timeout = timeout
        self.sent: list[tuple[str, str]] = []  # (kind, envelope_id), in order

    def click(self, user: str, source: Message | View, action_id: str, value: Any = None) -> Ack:
        """Click the element `action_id` on a posted message or an opened/published view."""
        return self.send("interactive", self.click_body(user, source, action_id, value))

    def submit_view(self, user: str, view: View, values: dict[str, Any] | None = None) -> Ack:
        return self.send("interactive", self.submission_body(user, view, values))

    def command(
        self, user: str, command: str, text: str = "", *, channel: str | None = None
    ) -> Ack:
        """A slash command, by default typed in the user's DM with the app."""
        return self.send("slash_commands", self.command_fields(user, command, text, channel))

    def event(self, event: dict[str, Any]) -> Ack:
        """Any Events API event in its event_callback body."""
        return self.send("events_api", self.event_body(event))

    def send(self, kind: str, payload: dict[str, Any]) -> Ack:
        envelope_id = self.standin.send_envelope(kind, payload)
        self.sent.append((kind, envelope_id))
        return self.standin.wait_for_ack(envelope_id, self.timeout)
