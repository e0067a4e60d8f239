"""The door of POST /slack/events: everything checked before Bolt parses a byte.

In this order, each refusal one short log line without the body, and never a 5xx:
1. size: more than MAX_BODY bytes is 413, and the rest is not read (Slack's payloads are
   small; Bolt would otherwise read, parse and, on a bad signature, log it all at INFO);
2. X-Slack-Request-Timestamp: ASCII digits within 5 minutes of now, else 401;
3. X-Slack-Signature: v0=HMAC-SHA256(signing secret, "v0:<timestamp>:<body>"), else 401;
4. the body reads as Slack sends it (form fields with a JSON `payload`, or a JSON object),
   else 400;
5. a signature seen before is a replay inside the 5-minute window: acknowledged, not done
   again (the record is shared by every replica, in the database).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import time
from dataclasses import dataclass
from urllib.parse import parse_qsl

from fastapi import Request

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024
MAX_AGE = 300  # seconds, as Slack's own guidance and Bolt use
TIMESTAMP = re.compile(r"[0-9]{1,12}")
SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")


@dataclass
class Refused(Exception):
    status: int
    reason: str


async def read_body(request: Request) -> bytes:
    """The body, refused past MAX_BODY without reading further."""
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > MAX_BODY:
        raise Refused(413, f"body of {declared} bytes is over {MAX_BODY}")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise Refused(413, f"body is over {MAX_BODY} bytes")
    return bytes(body)


def verify(request: Request, body: bytes, secret: str, now: float | None = None) -> str:
    """Raises Refused unless Slack signed this body just now; returns the signature."""
    timestamp = request.headers.get("x-slack-request-timestamp", "")
    signature = request.headers.get("x-slack-signature", "")
    if not TIMESTAMP.fullmatch(timestamp):
        raise Refused(401, "missing or malformed X-Slack-Request-Timestamp")
    age = (time.time() if now is None else now) - int(timestamp)
    if abs(age) > MAX_AGE:
        raise Refused(401, f"timestamp is {age:.0f}s off (over {MAX_AGE}s)")
    if not SIGNATURE.fullmatch(signature):
        raise Refused(401, "missing or malformed X-Slack-Signature")
    # Over the raw bytes: slack_sdk's SignatureVerifier decodes the body as UTF-8 first and
    # raises on anything else, which would turn junk into a 500.
    base = b"v0:" + timestamp.encode() + b":" + body
    expected = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature):
        raise Refused(401, "signature does not match")
    return signature


def check_shape(request: Request, body: bytes) -> None:
    """Raises Refused(400) for a body Slack would never send."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as bad:
        raise Refused(400, f"body is not UTF-8 (byte {bad.start})") from None
    if content_type == "application/json":
        if not isinstance(_json(text), dict):
            raise Refused(400, "JSON body is not an object")
    elif content_type == "application/x-www-form-urlencoded":
        fields = dict(parse_qsl(text, keep_blank_values=True))
        if "payload" in fields and not isinstance(_json(fields["payload"]), dict):
            raise Refused(400, "payload is not a JSON object")
        if "payload" not in fields and "command" not in fields and "ssl_check" not in fields:
            raise Refused(400, "form body is neither an interaction nor a command")
    else:
        raise Refused(400, f"content type {content_type or '(none)'} is not one Slack sends")


def _json(text: str) -> object:
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as bad:
        raise Refused(400, f"not valid JSON ({type(bad).__name__})") from None
