"""What Slack sends an app for a click, a modal submission, a slash command or an event, built
once for both wires: POST /slack/events (slack_standin.client.SlackRequests) and Socket Mode
envelopes (slack_standin.socket_mode.SocketRequests). The bodies themselves are in
slack_standin.payloads; this class fills them from the workspace (names, DMs, trigger ids and
response URLs the stand-in will honour)."""

from __future__ import annotations

import itertools
import secrets
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from slack_standin import payloads
from slack_standin.records import Message, View
from slack_standin.workspace import Identity

if TYPE_CHECKING:
    from slack_standin.server import SlackStandin


class SlackSender:
    """Builds Slack's request bodies. Without a `standin`, names are guessed and trigger ids
    and response URLs are made up (an app under test that opens a view gets nowhere)."""

    event_prefix = "Ev"  # each wire its own, so one app fed by both never sees an id twice

    def __init__(
        self, standin: SlackStandin | None, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.standin = standin
        self.identity = standin.identity if standin else Identity()
        self.clock = clock
        self._serial = itertools.count(1)

    def click_body(
        self, user: str, source: Message | View, action_id: str, value: Any = None
    ) -> dict[str, Any]:
        """block_actions for the element `action_id` on a posted message or an open view."""
        i = self.identity
        act = payloads.action(source.blocks, action_id, self._ts(), value)
        trigger = self._trigger(user)
        if isinstance(source, View):
            return payloads.block_actions(
                i,
                self._user(user),
                act,
                trigger_id=trigger,
                view=source.as_slack(i.app_id, i.team_id, i.bot_id),
                container={"type": "view", "view_id": source.id},
            )
        return payloads.block_actions(
            i,
            self._user(user),
            act,
            trigger_id=trigger,
            container={
                "type": "message",
                "message_ts": source.ts,
                "channel_id": source.channel,
                "is_ephemeral": False,
            },
            channel={"id": source.channel, "name": self._channel_name(source.channel)},
            message=source.as_slack(i.bot_id, i.app_id, i.team_id),
            response_url=self._response_url(user, source.channel, source.ts),
        )

    def submission_body(
        self, user: str, view: View, values: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """view_submission; `values` maps input action_ids to what the user entered/chose."""
        i = self.identity
        return payloads.view_submission(
            i,
            self._user(user),
            view.as_slack(i.app_id, i.team_id, i.bot_id),
            values or {},
            trigger_id=self._trigger(user),
        )

    def command_fields(
        self, user: str, command: str, text: str = "", channel: str | None = None
    ) -> dict[str, str]:
        """A slash command's form fields, by default typed in the user's DM with the app."""
        channel_id = channel or self._dm_channel(user)
        return payloads.slash_command(
            self.identity,
            user,
            self._user(user)["name"],
            command,
            text,
            channel_id=channel_id,
            channel_name=self._channel_name(channel_id),
            response_url=self._response_url(user, channel_id, None),
            trigger_id=self._trigger(user),
        )

    def event_body(self, event: dict[str, Any]) -> dict[str, Any]:
        """Any Events API event in its event_callback body, with an event_id of its own."""
        return payloads.event_callback(
            self.identity,
            event,
            event_id=f"{self.event_prefix}{next(self._serial):08d}",
            event_time=int(self.clock()),
        )

    # filled from the workspace -------------------------------------------------
    def _ts(self) -> str:
        return f"{self.clock():.6f}"

    def _user(self, user_id: str) -> dict[str, Any]:
        known = self.standin.workspace.users.get(user_id) if self.standin else None
        return payloads.user_ref(self.identity, user_id, known.name if known else user_id.lower())

    def _dm_channel(self, user: str) -> str:
        return self.standin.dm_channel(user) if self.standin else "D0STANDIN"

    def _channel_name(self, channel_id: str) -> str:
        if channel_id.startswith("D"):
            return "directmessage"
        found = self.standin.workspace.find_channel(channel_id) if self.standin else None
        return found.name if found is not None and not found.is_im else channel_id

    def _trigger(self, user: str) -> str:
        if self.standin:
            return self.standin.issue_trigger(user)
        return f"{int(self.clock())}.{next(self._serial)}.{secrets.token_hex(8)}"

    def _response_url(self, user: str, channel: str | None, ts: str | None) -> str:
        if self.standin:
            return self.standin.issue_response_url(user, channel, ts)
        return f"https://hooks.slack.com/actions/{self.identity.team_id}/{next(self._serial)}/x"
