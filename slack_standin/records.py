"""The things a stand-in workspace holds: people, conversations, messages, views, calls."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class User:
    id: str
    name: str
    real_name: str = ""
    display_name: str = ""
    tz: str = "UTC"
    deleted: bool = False
    is_bot: bool = False
    email: str | None = None


@dataclass
class Channel:
    id: str
    name: str
    bot_is_member: bool = True
    archived: bool = False
    # None means "everyone is in it"; a set restricts who may see ephemerals there.
    members: set[str] | None = None
    dm_user: str | None = None  # set for D… channels

    @property
    def is_im(self) -> bool:
        return self.dm_user is not None


@dataclass
class Message:
    channel: str
    ts: str
    text: str
    blocks: list[dict[str, Any]]
    user: str
    thread_ts: str | None = None
    edits: int = 0  # how many chat.update / replace_original calls changed it
    deleted: bool = False
    metadata: dict[str, Any] | None = None  # {"event_type": ..., "event_payload": {...}}

    def as_slack(
        self, bot_id: str, app_id: str, team_id: str, *, metadata: bool = True
    ) -> dict[str, Any]:
        """The message object Slack returns and embeds in interaction payloads."""
        body: dict[str, Any] = {
            "type": "message",
            "text": self.text,
            "user": self.user,
            "bot_id": bot_id,
            "app_id": app_id,
            "team": team_id,
            "ts": self.ts,
            "blocks": self.blocks,
        }
        if self.thread_ts:
            body["thread_ts"] = self.thread_ts
        if metadata and self.metadata:
            body["metadata"] = self.metadata
        return body


@dataclass
class Ephemeral:
    channel: str
    user: str
    text: str
    blocks: list[dict[str, Any]]
    message_ts: str


@dataclass
class View:
    id: str
    type: str  # "modal" or "home"
    user: str
    blocks: list[dict[str, Any]]
    hash: str
    callback_id: str = ""
    private_metadata: str = ""
    external_id: str = ""
    title: dict[str, Any] | None = None
    submit: dict[str, Any] | None = None
    close: dict[str, Any] | None = None
    root_view_id: str | None = None
    previous_view_id: str | None = None
    closed: bool = False

    def as_slack(self, app_id: str, team_id: str, bot_id: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "team_id": team_id,
            "type": self.type,
            "blocks": self.blocks,
            "private_metadata": self.private_metadata,
            "callback_id": self.callback_id,
            "state": {"values": {}},
            "hash": self.hash,
            "title": self.title,
            "clear_on_close": False,
            "notify_on_close": False,
            "close": self.close,
            "submit": self.submit,
            "previous_view_id": self.previous_view_id,
            "root_view_id": self.root_view_id or self.id,
            "app_id": app_id,
            "external_id": self.external_id,
            "app_installed_team_id": team_id,
            "bot_id": bot_id,
        }


@dataclass
class Trigger:
    id: str
    user: str
    issued_at: float
    used: bool = False


@dataclass
class ResponseUrl:
    id: str
    user: str
    channel: str | None
    message_ts: str | None
    posts: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Call:
    """One Web API request as the stand-in saw it, and what it answered."""

    method: str
    params: dict[str, Any]
    at: float
    status: int
    answer: dict[str, Any]
    fault: str | None = None
    encoding: str = "form"  # how the arguments came: "query", "form" or "json"
    ignored: tuple[str, ...] = ()  # arguments of a JSON body that Slack does not read here

    @property
    def ok(self) -> bool:
        return self.status == 200 and bool(self.answer.get("ok"))
