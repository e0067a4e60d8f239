"""Slack's errors (and those of the other deliveries, as Failed), sorted once into what we do
about them."""

from __future__ import annotations

import http.client
from enum import Enum
from urllib.error import URLError

from slack_sdk.errors import SlackApiError


class Handling(Enum):
    rate_limited = "rate_limited"  # wait Retry-After, then retry this one; other channels go on
    transient = "transient"  # Slack hiccup or network: retry with backoff
    unreachable_user = "unreachable_user"  # the rep cannot get DMs: re-route the lead
    missing_channel = "missing_channel"  # post to the triage channel instead, and say why
    gone = "gone"  # the message to update no longer exists: nothing to do
    token = "token"  # the bot token itself is refused: pause all delivery until it works again
    bad_card = "bad_card"  # Slack refused the blocks: post a minimal card, tell triage
    permanent = "permanent"  # our bug: stop, count it, tell the operator


ERRORS: dict[str, Handling] = {
    "ratelimited": Handling.rate_limited,
    "user_not_found": Handling.unreachable_user,
    "user_disabled": Handling.unreachable_user,
    # Slack's errors for the token itself: nothing is wrong with the message, so none is given
    # up. "account_inactive" is the bot's user or workspace being deactivated; a DM to a
    # deactivated rep answers it too, which delivery tells apart with auth.test.
    "invalid_auth": Handling.token,
    "not_authed": Handling.token,
    "token_revoked": Handling.token,
    "token_expired": Handling.token,
    "missing_scope": Handling.token,
    "account_inactive": Handling.token,
    "invalid_blocks": Handling.bad_card,
    "invalid_blocks_format": Handling.bad_card,
    "msg_too_long": Handling.bad_card,
    "invalid_arguments": Handling.bad_card,
    "cannot_dm_bot": Handling.unreachable_user,
    "channel_not_found": Handling.missing_channel,
    "not_in_channel": Handling.missing_channel,
    "is_archived": Handling.missing_channel,
    "message_not_found": Handling.gone,
    "cant_update_message": Handling.gone,
    "edit_window_closed": Handling.gone,
    "internal_error": Handling.transient,
    "fatal_error": Handling.transient,
    "service_unavailable": Handling.transient,
    "request_timeout": Handling.transient,
    "team_added_to_org": Handling.transient,
}


class Failed(Exception):
    """A delivery outside Slack (a CRM write, an outbound webhook) that failed, already sorted:
    what to do about it, and a short code for the outbox row and the log."""

    def __init__(self, kind: Handling, code: str, retry_after: float | None = None) -> None:
        super().__init__(code)
        self.kind, self.code, self.retry_after = kind, code, retry_after


def handling(exc: Exception) -> Handling:
    if isinstance(exc, Failed):
        return exc.kind
    if isinstance(exc, SlackApiError):
        status = getattr(exc.response, "status_code", 200)
        if status == 429:
            return Handling.rate_limited
        error = exc.response.get("error") if exc.response is not None else None
        if error in ERRORS:
            return ERRORS[error]
        if status >= 500:
            return Handling.transient
        return Handling.permanent
    if isinstance(exc, OSError | http.client.HTTPException):
        return Handling.transient  # connection refused, timeouts, broken responses
    return Handling.permanent  # a bug of ours: retrying would not help


def in_doubt(exc: Exception) -> bool:
    """Could Slack have done it anyway? After a 5xx ("it's possible some aspect of the
    operation succeeded", Slack's fatal_error), a timeout or a connection lost once the request
    was sent: yes. A refused connection or an answer saying no: no."""
    if isinstance(exc, SlackApiError):
        return getattr(exc.response, "status_code", 200) >= 500
    if isinstance(exc, ConnectionRefusedError):
        return False
    if isinstance(exc, URLError):
        return not isinstance(exc.reason, ConnectionRefusedError)
    return isinstance(exc, OSError | http.client.HTTPException)


def retry_after(exc: Exception, default: float = 30.0) -> float:
    """Seconds Slack (or a CRM) asked us to wait (Retry-After), or a sensible default."""
    if isinstance(exc, Failed):
        return exc.retry_after if exc.retry_after is not None else default
    if isinstance(exc, SlackApiError) and exc.response is not None:
        value = (exc.response.headers or {}).get("Retry-After") or (exc.response.headers or {}).get(
            "retry-after"
        )
        if isinstance(value, list):
            value = value[0] if value else None
        try:
            return max(float(value), 1.0) if value is not None else default
        except ValueError:
            return default
    return default


def error_code(exc: Exception) -> str:
    if isinstance(exc, Failed):
        return exc.code
    if isinstance(exc, SlackApiError) and exc.response is not None:
        return str(exc.response.get("error") or f"http_{exc.response.status_code}")
    return type(exc).__name__
