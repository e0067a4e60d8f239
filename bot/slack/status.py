"""Whether Slack takes the bot's token. Token trouble pauses all delivery instead of failing
messages one by one: nothing is given up, /healthz answers 503 with the reason, a gauge says so,
one log line marks each change, and delivery resumes by itself once auth.test works again."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any

from prometheus_client import Gauge

log = logging.getLogger(__name__)

WHAT_TO_DO = {
    "invalid_auth": "Slack does not accept SLACK_BOT_TOKEN: check that it is this app's Bot "
    "User OAuth Token (xoxb-…)",
    "not_authed": "no bot token reached Slack: set SLACK_BOT_TOKEN",
    "token_revoked": "the bot token was revoked (the app was uninstalled or the token "
    "rotated): reinstall the app and set the new SLACK_BOT_TOKEN",
    "token_expired": "the bot token expired (token rotation is on): turn rotation off in the "
    "app settings, or refresh the token",
    "account_inactive": "the bot's user or the workspace was deactivated",
    "missing_scope": "the bot token lacks the scope {needed}: add it under OAuth & Permissions "
    "(manifest.yml lists every scope) and reinstall the app",
}


class SlackStatus:
    """Shared by delivery (which pauses and resumes) and /healthz (which reports)."""

    def __init__(self, gauge: Gauge, clock: Callable[[], datetime]) -> None:
        self._gauge = gauge
        self._clock = clock
        self._lock = threading.Lock()
        self.error: str | None = None
        self.needed_scope: str | None = None
        self.since: datetime | None = None

    @property
    def paused(self) -> bool:
        return self.error is not None

    def pause(self, error: str, needed_scope: str | None = None) -> None:
        with self._lock:
            if self.error == error and self.needed_scope == needed_scope:
                return
            self.error, self.needed_scope = error, needed_scope
            self.since = self.since or self._clock()
            self._gauge.clear()
            self._gauge.labels(error).set(1)
        log.error("Slack delivery paused: %s (%s); nothing is dropped", error, self.advice())

    def resume(self) -> None:
        with self._lock:
            if self.error is None:
                return
            error, since = self.error, self.since
            self.error = self.needed_scope = self.since = None
            self._gauge.clear()
        waited = f" after {(self._clock() - since).total_seconds():.0f}s" if since else ""
        log.warning("Slack delivery resumed: the bot token works again%s (was %s)", waited, error)

    def advice(self) -> str:
        text = WHAT_TO_DO.get(self.error or "", "Slack refuses the bot token")
        return text.format(needed=self.needed_scope or "?")

    def health(self) -> dict[str, Any] | None:
        """What /healthz says while paused; None when Slack takes the token."""
        if self.error is None:
            return None
        return {
            "error": self.error,
            "why": self.advice(),
            "since": self.since.isoformat() if self.since else None,
        }
