"""Slack's request signing: v0=<hex HMAC-SHA256(secret, "v0:<timestamp>:<body>")>."""

from __future__ import annotations

import hashlib
import hmac
import time


def sign(secret: str, body: bytes | str, timestamp: int) -> str:
    raw = body.encode("utf-8") if isinstance(body, str) else body
    base = f"v0:{timestamp}:".encode() + raw
    return "v0=" + hmac.new(secret.encode("utf-8"), base, hashlib.sha256).hexdigest()


def signed_headers(
    secret: str, body: bytes | str, content_type: str, timestamp: int | None = None
) -> dict[str, str]:
    """The headers Slack sends with every request to an app's Request URL."""
    ts = int(time.time()) if timestamp is None else timestamp
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": str(ts),
        "X-Slack-Signature": sign(secret, body, ts),
    }
