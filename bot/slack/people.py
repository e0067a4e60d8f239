"""What Slack knows about a person that routing.yml may not: their time zone."""

from __future__ import annotations

import logging
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from slack_sdk import WebClient

log = logging.getLogger(__name__)


def slack_zone(client: WebClient, user_id: str, fallback: ZoneInfo) -> ZoneInfo:
    """The zone the person's Slack clock shows (users.info), else `fallback` (the rep's zone in
    routing.yml, or the config's): Slack unreachable, or a zone this machine does not know."""
    try:
        tz = client.users_info(user=user_id)["user"].get("tz")
        return ZoneInfo(tz) if tz else fallback
    except ZoneInfoNotFoundError:
        log.warning("Slack gave %s the time zone %r, unknown here: using %s", user_id, tz, fallback)
        return fallback
    except Exception as exc:  # a time zone is a nicety: the command goes on
        log.warning("no time zone from Slack for %s (%s): using %s", user_id, exc, fallback)
        return fallback
