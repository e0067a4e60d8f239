"""The stand-in's mutable state, guarded by one lock (the server thread and the test share it)."""

from __future__ import annotations

import itertools
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_standin import contract
from slack_standin.clock import StandinClock
from slack_standin.errors import SlackError
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


@dataclass(frozen=True)
class Identity:
    """Who the bot is in the stand-in workspace (what auth.test answers)."""

    token: str = "xoxb-standin-token"
    team_id: str = "T0STANDIN"
    team_name: str = "Stand-in Sales"
    team_domain: str = "standin-sales"
    bot_user_id: str = "U0LEADBOT"
    bot_id: str = "B0LEADBOT"
    bot_name: str = "leadrouter"
    app_id: str = "A0LEADRTR"
    verification_token: str = "standin-verification-token"  # the deprecated "token" field


class Workspace:
    def __init__(self, identity: Identity, clock: StandinClock, *, lenient: bool = False) -> None:
        self.identity = identity
        self.clock = clock
        self.lenient = lenient  # blocks and views checked by our limit table only
        self.lock = threading.RLock()
        self.observers: list[Callable[[Call], None]] = []
        self.clear()

    def granted_scopes(self) -> frozenset[str]:
        """The bot token's scopes (what X-OAuth-Scopes lists); every scope unless limited."""
        return contract.all_bot_scopes() if self.scopes is None else frozenset(self.scopes)

    def clear(self) -> None:
        """Forget everything: people, conversations, messages, views, calls."""
        with self.lock:
            self.users: dict[str, User] = {}
            self.channels: dict[str, Channel] = {}
            self.messages: dict[str, dict[str, Message]] = {}  # channel id -> ts -> message
            self.ephemerals: list[Ephemeral] = []
            self.views: dict[str, View] = {}
            self.home_views: dict[str, str] = {}  # user id -> view id
            self.triggers: dict[str, Trigger] = {}
            self.response_urls: dict[str, ResponseUrl] = {}
            self.response_log: list[tuple[str, dict[str, Any]]] = []  # (hook id, body) in order
            self.calls: list[Call] = []
            # The bot token's trouble (token_revoked, invalid_auth, account_inactive…): every
            # call made with it answers this error until it is cleared.
            self.token_error: str | None = None
            self.scopes: set[str] | None = None  # None: every scope the stand-in knows
            self._last_ts_us = 0
            self._ids = itertools.count(1)

    # ids -----------------------------------------------------------------
    def new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):08X}"

    def next_ts(self) -> str:
        """A Slack ts ("1732240000.000100"): the clock in microseconds, strictly increasing."""
        now_us = int(self.clock.now() * 1_000_000)
        self._last_ts_us = max(now_us, self._last_ts_us + 1)
        return f"{self._last_ts_us // 1_000_000}.{self._last_ts_us % 1_000_000:06d}"

    def new_hash(self) -> str:
        return f"{int(self.clock.now())}.{secrets.token_hex(4)}"

    # people and conversations -------------------------------------------
    def user(self, user_id: str) -> User:
        found = self.users.get(user_id)
        if found is None:
            raise SlackError("user_not_found")
        return found

    def dm_with(self, user_id: str) -> Channel:
        """The bot's DM with a user, opened on first use (as conversations.open does)."""
        self.user(user_id)
        for channel in self.channels.values():
            if channel.dm_user == user_id:
                return channel
        channel = Channel(id=self.new_id("D"), name=user_id, dm_user=user_id)
        self.channels[channel.id] = channel
        return channel

    def find_channel(self, ref: str) -> Channel | None:
        """Resolve an id (C…/G…/D…), a user id (U…/W… → DM) or a "#name" without raising."""
        with self.lock:
            if ref in self.channels:
                return self.channels[ref]
            if ref[:1] in ("U", "W"):
                return next((c for c in self.channels.values() if c.dm_user == ref), None)
            name = ref.removeprefix("#")
            return next((c for c in self.channels.values() if c.name == name and not c.is_im), None)

    def conversation(self, ref: str, *, open_dm: bool = False) -> Channel:
        if open_dm and ref[:1] in ("U", "W"):
            if ref not in self.users:
                raise SlackError("channel_not_found")
            return self.dm_with(ref)
        channel = self.find_channel(ref) if ref[:1] not in ("U", "W") else None
        if channel is None:
            raise SlackError("channel_not_found")
        return channel

    def message(self, channel_id: str, ts: str) -> Message:
        found = self.messages.get(channel_id, {}).get(ts)
        if found is None or found.deleted:
            raise SlackError("message_not_found")
        return found

    def store(self, message: Message) -> None:
        self.messages.setdefault(message.channel, {})[message.ts] = message
