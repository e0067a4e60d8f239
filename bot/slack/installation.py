"""Which workspace and app this leadrouter serves. Slack signs every app's requests with the
app's one signing secret, so a request from another workspace the app is installed in (or a
copy of the app) would pass the signature check: the team and app ids must match too.

They come from SLACK_TEAM_ID / SLACK_APP_ID when set, else from the bot token: auth.test gives
the team, bots.info the app. Looked up once at start-up, and again on first need if Slack was
unreachable then.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from slack_sdk import WebClient

log = logging.getLogger(__name__)


@dataclass
class Identity:
    team_id: str
    app_id: str | None  # None only when bots.info gave none: then the team alone is checked


class Installation:
    def __init__(self, client: WebClient, team_id: str | None, app_id: str | None) -> None:
        self.client = client
        self._configured = (team_id, app_id)
        self._known = Identity(team_id, app_id) if team_id and app_id else None
        self._lock = threading.Lock()

    def identity(self) -> Identity | None:
        """Ours, or None when it cannot be learnt right now (Slack unreachable, token refused)."""
        if self._known is not None:
            return self._known
        with self._lock:
            if self._known is None:
                self._known = self._discover()
        return self._known

    def _discover(self) -> Identity | None:
        team_id, app_id = self._configured
        try:
            auth = self.client.auth_test()
            team_id = team_id or auth["team_id"]
            if app_id is None and auth.get("bot_id"):
                app_id = self.client.bots_info(bot=auth["bot_id"])["bot"].get("app_id")
        except Exception as exc:  # retried on the next request that needs it
            log.warning("could not learn this app's Slack workspace yet: %s", _code(exc))
            return None
        log.info("serving Slack workspace %s, app %s", team_id, app_id or "(any)")
        return Identity(team_id, app_id)


def _code(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    return str(response.get("error")) if response is not None else type(exc).__name__
