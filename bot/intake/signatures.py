"""Building blocks shared by every provider's signature check.

Each provider module states its own scheme; this module only offers the pieces: header lookup
that ignores case, HMAC-SHA256, a constant-time compare, and the replay window. Time is always
an argument (`now`), never read here.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime

from bot.intake.errors import MissingSecretError, SignatureError

REPLAY_WINDOW_SECONDS = 300


def header(headers: Mapping[str, str], name: str) -> str | None:
    """The value of header `name`, whatever its case; None when absent or blank."""
    wanted = name.casefold()
    for key, value in headers.items():
        if key.casefold() == wanted:
            value = value.strip()
            return value or None
    return None


def require_header(headers: Mapping[str, str], name: str) -> str:
    value = header(headers, name)
    if value is None:
        raise SignatureError(f"missing {name} header")
    return value


def hmac_sha256(secret: str, message: bytes) -> bytes:
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).digest()


def matches(expected: str, received: str) -> bool:
    """Constant-time compare of two signature strings."""
    return hmac.compare_digest(expected.encode("utf-8"), received.encode("utf-8"))


def require_match(expected: str, *received: str) -> None:
    """Accept if any received signature matches; the message never reveals the expected one."""
    if not any(matches(expected, candidate) for candidate in received):
        raise SignatureError("signature does not match")


def epoch_seconds(now: datetime) -> float:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now.timestamp()


def parse_timestamp(value: str, name: str, *, milliseconds: bool = False) -> float:
    """A unix time header as seconds; `milliseconds` for providers that send ms."""
    if not (value.isascii() and value.isdigit()) or len(value) > 16:  # not '²', not '٣'
        shown = value if len(value) <= 20 else value[:20] + "…"
        unit = "milliseconds" if milliseconds else "seconds"
        raise SignatureError(f"{name} is not a unix time in {unit}: {shown!r}")
    number = int(value)
    return number / 1000 if milliseconds else float(number)


def require_fresh(sent_at: float, now: datetime, *, limit: int = REPLAY_WINDOW_SECONDS) -> None:
    """Reject a timestamp more than `limit` seconds in the past or in the future."""
    age = epoch_seconds(now) - sent_at
    if age > limit:
        raise SignatureError(f"timestamp is {int(age)} s old (limit {limit} s)")
    if -age > limit:
        raise SignatureError(f"timestamp is {int(-age)} s in the future (limit {limit} s)")


def require_secret(secret: str | None, provider: str, setting: str) -> str:
    if not secret:
        raise MissingSecretError(provider, setting)
    return secret
