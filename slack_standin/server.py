"""SlackStandin: a local Slack Web API on 127.0.0.1, seeded, scripted and inspected by tests.

with SlackStandin() as slack:
    slack.add_user("U1", "sam", tz="Europe/Paris")
    WebClient(base_url=slack.url, token=slack.token).chat_postMessage(channel="U1", text="hi")
    assert slack.messages("U1")[0].text == "hi"

It is faithful by default: arguments are read per method as Slack's published contract says
(slack_standin.contract), and every blocks array and view is checked with slack_sdk's models
and Slack's limits. `SlackStandin(lenient=True)` is the old stand-in that read JSON for every
method and checked blocks by our own table only; a test that wants it asks for it by name.
Realistic modes are off unless asked for: `realistic(latency=…, posts_per_second=…)`,
`answer_late(…)`, `break_token(…)`, `limit_scopes(…)`.
Socket Mode (apps.connections.open, the WebSocket, envelopes and acks): slack_standin.socket_mode.
"""

from __future__ import annotations

import copy
import socket
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import uvicorn

from slack_standin.app import create_app
from slack_standin.clock import StandinClock
from slack_standin.faults import Fault, FaultPlan
from slack_standin.realism import Realism
from slack_standin.records import (
    Call,
    Channel,
    Ephemeral,
    Message,
    ResponseUrl,
    Trigger,
    User,
    View,
)
from slack_standin.socket_mode import DEFAULT_APP_TOKEN, SocketModeAPI, SocketModeServer
from slack_standin.workspace import Identity, Workspace

T = TypeVar("T")


class SlackStandin(SocketModeAPI):
    def __init__(
        self,
        identity: Identity | None = None,
        *,
        extra_tokens: tuple[str, ...] = (),
        port: int = 0,
        lenient: bool = False,
        app_token: str = DEFAULT_APP_TOKEN,
    ) -> None:
        """`port=0` lets the OS pick a free port (tests); `leadrouter demo` may pin one.
        `app_token` is the app-level token Socket Mode's apps.connections.open accepts."""
        self.identity = identity or Identity()
        self.requested_port = port
        self.clock = StandinClock()
        self.workspace = Workspace(self.identity, self.clock, lenient=lenient)
        self.faults = FaultPlan()
        self.realism = Realism()
        self.socket_mode = SocketModeServer(self.workspace, app_token)
        self.app = create_app(
            self.workspace,
            self.faults,
            {self.identity.token, *extra_tokens},
            self.realism,
            lenient=lenient,
            routes=self.socket_mode.routes(),
        )
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._port: int | None = None

    # lifecycle -------------------------------------------------------------
    def start(self) -> SlackStandin:
        if self._server is not None:
            return self
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", self.requested_port))  # 0: a free port, no race between tests
        self._port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app,
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=2,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name="slack-standin", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the Slack stand-in did not start")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        if self._server is None or self._thread is None:
            return
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._server = self._thread = None

    def __enter__(self) -> SlackStandin:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def reset(self) -> None:
        """Back to an empty workspace without restarting (cheaper than a new server per test):
        state, recorded calls, scripted faults, realistic modes, token trouble, observers, the
        clock offset and Socket Mode's connections all go."""
        self.faults.clear()
        self.realism.reset()
        self.workspace.observers.clear()
        self.clock.reset()
        self.workspace.clear()
        self.socket_mode.reset()

    @property
    def base_url(self) -> str:
        if self._port is None:
            raise RuntimeError("start() the stand-in first")
        return f"http://127.0.0.1:{self._port}"

    @property
    def url(self) -> str:
        """The Web API root for WebClient(base_url=...) and SLACK_API_URL (ends with /api/)."""
        return f"{self.base_url}/api/"

    @property
    def token(self) -> str:
        return self.identity.token

    # seeding -----------------------------------------------------------------
    def add_user(
        self,
        user_id: str,
        name: str,
        *,
        tz: str = "UTC",
        deleted: bool = False,
        real_name: str = "",
        display_name: str = "",
        is_bot: bool = False,
        email: str | None = None,
    ) -> User:
        ZoneInfo(tz)  # an unknown zone fails here, not later inside users.info
        user = User(user_id, name, real_name, display_name, tz, deleted, is_bot, email)
        with self.workspace.lock:
            self.workspace.users[user_id] = user
        return user

    def deactivate(self, user_id: str) -> None:
        with self.workspace.lock:
            self.workspace.user(user_id).deleted = True

    def add_channel(
        self,
        channel_id: str,
        name: str,
        *,
        bot_is_member: bool = True,
        archived: bool = False,
        members: set[str] | None = None,
    ) -> Channel:
        channel = Channel(channel_id, name, bot_is_member, archived, members)
        with self.workspace.lock:
            self.workspace.channels[channel_id] = channel
        return channel

    def dm_channel(self, user_id: str) -> str:
        """The id of the bot's DM with a seeded user (opened if needed)."""
        with self.workspace.lock:
            return self.workspace.dm_with(user_id).id

    def on_call(self, observer: Callable[[Call], None]) -> None:
        """Call `observer(call)` after every Web API call (in the server thread), e.g. to
        print a live feed in `leadrouter demo`."""
        self.workspace.observers.append(observer)

    # interaction plumbing (the signed-request client uses these) --------------
    def issue_trigger(self, user_id: str) -> str:
        """A trigger_id that views.open accepts once, within 3 s of the stand-in's clock."""
        with self.workspace.lock:
            trigger_id = f"{int(self.clock.now())}.{self.workspace.new_id('')}.standin"
            self.workspace.triggers[trigger_id] = Trigger(trigger_id, user_id, self.clock.now())
        return trigger_id

    def issue_response_url(
        self, user_id: str, channel: str | None = None, message_ts: str | None = None
    ) -> str:
        with self.workspace.lock:
            hook = ResponseUrl(self.workspace.new_id("R"), user_id, channel, message_ts)
            self.workspace.response_urls[hook.id] = hook
        return f"{self.base_url}/response/{hook.id}"

    # faults ------------------------------------------------------------------
    def rate_limit(
        self, method: str, *, times: int = 1, retry_after: int = 1, channel: str | None = None
    ) -> Fault:
        """HTTP 429, Retry-After: <retry_after>, {"ok": false, "error": "ratelimited"}."""
        return self.faults.add(Fault(method, times, channel, status=429, retry_after=retry_after))

    def server_error(
        self, method: str, *, times: int = 1, status: int = 500, channel: str | None = None
    ) -> Fault:
        return self.faults.add(Fault(method, times, channel, status=status))

    def slow(
        self, method: str, seconds: float, *, times: int = 1, channel: str | None = None
    ) -> Fault:
        """Stall, then answer normally: the call takes effect even if the client gave up."""
        return self.faults.add(Fault(method, times, channel, delay=seconds))

    def fail(self, method: str, error: str, *, times: int = 1, channel: str | None = None) -> Fault:
        """Answer {"ok": false, "error": error} (user_not_found, account_inactive, …)."""
        return self.faults.add(Fault(method, times, channel, error=error))

    def answer_late(
        self, method: str, seconds: float, *, times: int = 1, channel: str | None = None
    ) -> Fault:
        """Do the work at once, answer `seconds` later: a client that times out first has
        had its message posted all the same (what a network timeout looks like from Slack)."""
        return self.faults.add(Fault(method, times, channel, late=seconds))

    # realistic modes ---------------------------------------------------------
    def realistic(
        self,
        *,
        latency: tuple[float, float] | None = (0.1, 0.3),
        posts_per_second: float | None = 1.0,
        burst: int = 3,
    ) -> None:
        """Slack's round trip (seconds, uniform per call) and chat.postMessage's pacing per
        channel (then 429 with Retry-After). Either may be None to leave it off."""
        self.realism.configure(latency, posts_per_second, burst)

    def break_token(self, error: str = "token_revoked") -> None:
        """Every call with the bot token answers `error` (invalid_auth, token_revoked,
        account_inactive, …), auth.test included, until restore_token()."""
        with self.workspace.lock:
            self.workspace.token_error = error

    def restore_token(self) -> None:
        with self.workspace.lock:
            self.workspace.token_error = None

    def limit_scopes(self, scopes: set[str] | None) -> None:
        """The bot token's scopes; a method needing another answers missing_scope (with
        `needed` and `provided`). None grants every scope."""
        with self.workspace.lock:
            self.workspace.scopes = set(scopes) if scopes is not None else None

    # inspection (snapshots, safe to keep while the server goes on) ------------
    def _snapshot(self, value: T) -> T:
        with self.workspace.lock:
            return copy.deepcopy(value)

    def calls(self, method: str | None = None) -> list[Call]:
        with self.workspace.lock:
            found = [c for c in self.workspace.calls if method is None or c.method == method]
        return self._snapshot(found)

    def messages(self, channel: str | None = None) -> list[Message]:
        """Live messages (after updates, without deleted ones), oldest first.
        `channel` may be a channel id, a user id (their DM) or a channel name."""
        ws = self.workspace
        with ws.lock:
            if channel is None:
                ids = list(ws.messages)
            else:
                found = ws.find_channel(channel)
                ids = [found.id] if found else []
            found_messages = [m for cid in ids for m in ws.messages.get(cid, {}).values()]
            live = sorted((m for m in found_messages if not m.deleted), key=lambda m: m.ts)
            return copy.deepcopy(live)

    def ephemerals(self, user: str | None = None) -> list[Ephemeral]:
        with self.workspace.lock:
            found = [e for e in self.workspace.ephemerals if user is None or e.user == user]
        return self._snapshot(found)

    def views(self, user: str | None = None, kind: str | None = None) -> list[View]:
        with self.workspace.lock:
            found = [
                v
                for v in self.workspace.views.values()
                if (user is None or v.user == user) and (kind is None or v.type == kind)
            ]
        return self._snapshot(found)

    def home_view(self, user: str) -> View | None:
        with self.workspace.lock:
            view = self.workspace.views.get(self.workspace.home_views.get(user, ""))
        return self._snapshot(view)

    def responses(self) -> list[dict[str, Any]]:
        """Bodies POSTed to response_urls, in arrival order."""
        with self.workspace.lock:
            return copy.deepcopy([body for _, body in self.workspace.response_log])

    def wait_for(
        self, predicate: Callable[[], T], timeout: float = 5.0, interval: float = 0.02
    ) -> T:
        """Poll until predicate() is truthy (for deliveries made by background workers)."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                seen = ", ".join(f"{c.method}:{c.answer.get('error', 'ok')}" for c in self.calls())
                raise TimeoutError(f"condition not met within {timeout}s; calls seen: [{seen}]")
            time.sleep(interval)
