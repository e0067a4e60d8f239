"""SlackRequests: play Slack's side of POST /slack/events — signed clicks, commands,
modal submissions and events — against a running leadrouter (or any Bolt app).

    slack = SlackRequests("http://127.0.0.1:8000", signing_secret, standin)
    card = standin.messages("U1")[-1]
    slack.click("U1", card, "claim_lead")        # value taken from the button, like Slack
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import httpx

from slack_standin import payloads
from slack_standin.records import Message, View
from slack_standin.sender import SlackSender
from slack_standin.server import SlackStandin
from slack_standin.signing import signed_headers

FORM = "application/x-www-form-urlencoded"


class SlackRequests(SlackSender):
    def __init__(
        self,
        app_url: str,
        signing_secret: str,
        standin: SlackStandin | None = None,
        *,
        http: httpx.Client | None = None,
        timeout: float = 10.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """`app_url` is the app's root (…/slack/events is appended) or the events URL itself.
        With a `standin`, trigger_ids and response_urls are registered there so views.open
        accepts them and responses are recorded. `http` may be a TestClient (in-process)."""
        super().__init__(standin, clock=clock)
        base = app_url.rstrip("/")
        self.events_url = base if base.endswith("/slack/events") else f"{base}/slack/events"
        self.signing_secret = signing_secret
        self.http = http or httpx.Client(timeout=timeout)
        self.sent: list[dict[str, Any]] = []  # every payload sent, decoded, in order
        self.last: tuple[bytes, str, dict[str, str]] = (b"", FORM, {})  # the last request

    # the interactions --------------------------------------------------------
    def click(
        self,
        user: str,
        source: Message | View,
        action_id: str,
        value: Any = None,
        **post_options: Any,
    ) -> httpx.Response:
        """Click the element `action_id` on a posted message or an opened/published view."""
        return self.interaction(self.click_body(user, source, action_id, value), **post_options)

    def submit_view(
        self, user: str, view: View, values: dict[str, Any] | None = None, **post_options: Any
    ) -> httpx.Response:
        """Submit a modal; `values` maps input action_ids to what the user entered/chose."""
        return self.interaction(self.submission_body(user, view, values), **post_options)

    def command(
        self,
        user: str,
        command: str,
        text: str = "",
        *,
        channel: str | None = None,
        **post_options: Any,
    ) -> httpx.Response:
        """A slash command, by default typed in the user's DM with the app."""
        fields = self.command_fields(user, command, text, channel)
        self.sent.append(fields)
        return self.post(urlencode(fields).encode(), FORM, **post_options)

    def home_opened(self, user: str, *, tab: str = "home", **post_options: Any) -> httpx.Response:
        channel = self._dm_channel(user)
        home = self.standin.home_view(user) if self.standin else None
        i = self.identity
        view = home.as_slack(i.app_id, i.team_id, i.bot_id) if home else None
        return self.event(
            payloads.app_home_opened(user, channel, self._ts(), tab=tab, view=view), **post_options
        )

    def event(
        self,
        event: dict[str, Any],
        *,
        retry_num: int | None = None,
        retry_reason: str = "http_timeout",
        **post_options: Any,
    ) -> httpx.Response:
        """Any Events API event in its event_callback envelope; `retry_num` marks a
        redelivery (X-Slack-Retry-Num), as Slack does after a slow acknowledgement."""
        body = self.event_body(event)
        headers = dict(post_options.pop("headers", None) or {})
        if retry_num is not None:
            headers.update(
                {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": retry_reason}
            )
        self.sent.append(body)
        return self.post(
            json.dumps(body).encode(), "application/json", headers=headers, **post_options
        )

    def url_verification(self, challenge: str = "standin-challenge") -> httpx.Response:
        body = payloads.url_verification(self.identity, challenge)
        self.sent.append(body)
        return self.post(json.dumps(body).encode(), "application/json")

    # the wire ----------------------------------------------------------------
    def interaction(self, payload: dict[str, Any], **post_options: Any) -> httpx.Response:
        """Interactions arrive form-encoded as payload=<json>."""
        self.sent.append(payload)
        return self.post(urlencode({"payload": json.dumps(payload)}).encode(), FORM, **post_options)

    def post(
        self,
        body: bytes,
        content_type: str,
        *,
        timestamp: int | None = None,
        signature: str | None = None,
        headers: dict[str, str] | None = None,
        tamper: Callable[[bytes], bytes] | None = None,
    ) -> httpx.Response:
        """Sign and send. `timestamp` forges the time, `signature` replaces the signature,
        `tamper` changes the body after signing: for tests of the app's verification."""
        ts = int(self.clock()) if timestamp is None else timestamp
        sent_headers = signed_headers(self.signing_secret, body, content_type, ts)
        if signature is not None:
            sent_headers["X-Slack-Signature"] = signature
        sent_headers.update(headers or {})
        content = tamper(body) if tamper else body
        self.last = (content, content_type, sent_headers)
        return self.http.post(self.events_url, content=content, headers=sent_headers)

    def replay(self) -> httpx.Response:
        """The last request again, byte for byte with its signature: what an attacker who
        captured it could send within Slack's 5-minute window."""
        content, _type, headers = self.last
        return self.http.post(self.events_url, content=content, headers=headers)

    def retry_event(self, retry_num: int = 1, reason: str = "http_timeout") -> httpx.Response:
        """The last request signed anew with X-Slack-Retry-Num: Slack redelivering an event
        it thinks we did not acknowledge in time (the same event_id)."""
        content, content_type, _headers = self.last
        retry = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": reason}
        return self.post(content, content_type, headers=retry)
