"""A source's own authentication, as `intake.mappings.<name>.auth` describes it.

Two kinds, from strong to weak:

- **signature**: an HMAC of the request (the raw body, often with a timestamp, sometimes the
  method and URL) under a shared secret, in a header written the tool's way:
  `t=<unix>,v1=<hex>` (Calendly, Formspree), `sha256=<base64>`, a bare hex digest... Proves the
  request came from the tool and was not changed; with a timestamp, a captured request cannot
  be replayed after the tolerance (and a replay inside it is the same delivery: same answer).
- **token**: the secret itself, sent with every request in a header or as the last part of the
  URL, for tools that cannot sign (Gravity Forms, Contact Form 7, Jotform, Zapier). Proves
  only that the sender knows the token: anyone who sees one request (a proxy log, a browser
  history for a URL token) can send leads until the token is changed; the body is not
  protected. Compared in constant time.

Messages never contain the secret, the token or the expected signature.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping
from datetime import datetime

from bot.intake.errors import SignatureError
from bot.intake.registry import VerifyFn
from bot.intake.signatures import (
    parse_timestamp,
    require_fresh,
    require_header,
    require_match,
    require_secret,
)
from routing.field_mapping import SignatureScheme, SourceAuth, TimestampRule, TokenAuth

_PLACEHOLDER = re.compile(r"\{(timestamp|body|method|url)\}")


def verifier(name: str, auth: SourceAuth, setting: str) -> VerifyFn:
    """The check of source `name`'s requests; its secret comes from env var `setting`."""

    def verify(
        headers: Mapping[str, str],
        body: bytes,
        now: datetime,
        secret: str | None,
        *,
        method: str | None = None,
        url: str | None = None,
        path_token: str | None = None,
    ) -> None:
        secret = require_secret(secret, name, setting)
        if auth.token is not None:
            check_token(auth.token, headers, secret, path_token)
        elif auth.signature is not None:
            check_signature(auth, headers, body, now, secret, method=method, url=url)

    return verify


def check_token(
    token: TokenAuth, headers: Mapping[str, str], secret: str, path_token: str | None
) -> None:
    if token.path:
        if not path_token:
            raise SignatureError("missing token: send to /webhooks/leads/<name>/<token>", "token")
        offered = path_token
    else:
        assert token.header is not None
        raw = require_header(headers, token.header)
        if token.prefix and not raw.lower().startswith(token.prefix.lower()):
            raise SignatureError(f"{token.header} must look like '{token.prefix}<token>'", "token")
        offered = raw[len(token.prefix) :].strip()
    # digests of equal length: the compare takes as long whatever the token's length
    same = hmac.compare_digest(
        hashlib.sha256(secret.encode()).digest(), hashlib.sha256(offered.encode()).digest()
    )
    if not same:
        raise SignatureError("token does not match", "token")


def check_signature(
    auth: SourceAuth,
    headers: Mapping[str, str],
    body: bytes,
    now: datetime,
    secret: str,
    *,
    method: str | None,
    url: str | None,
) -> None:
    scheme = auth.signature
    assert scheme is not None
    raw = require_header(headers, scheme.header)
    timestamp, offered = _read_header(scheme, raw)
    rule = auth.timestamp or TimestampRule()
    if rule.header is not None:
        timestamp = require_header(headers, rule.header)
    if timestamp is not None:
        where = rule.header or f"{scheme.header} {scheme.timestamp_key}="
        sent = parse_timestamp(timestamp, where, milliseconds=rule.unit == "milliseconds")
        require_fresh(sent, now, limit=int(rule.tolerance.total_seconds()))
    message = signed_message(auth.signed_template, body, timestamp, method, url)
    digest = hmac.new(secret.encode("utf-8"), message, getattr(hashlib, scheme.algorithm))
    if scheme.encoding == "hex":
        require_match(digest.hexdigest(), *(candidate.lower() for candidate in offered))
    else:
        require_match(base64.b64encode(digest.digest()).decode("ascii"), *offered)


def _read_header(scheme: SignatureScheme, raw: str) -> tuple[str | None, list[str]]:
    """(timestamp or None, the signatures offered) from the header as the scheme writes it."""
    if scheme.signature_key is None:
        if not raw.startswith(scheme.prefix):
            raise SignatureError(
                f"{scheme.header} must look like '{scheme.prefix}<{scheme.encoding}>'"
            )
        return None, [raw[len(scheme.prefix) :].strip()]
    timestamp, offered = None, []
    for part in raw.split(","):
        key, _, value = part.strip().partition("=")
        if key == scheme.timestamp_key:
            timestamp = value.strip()
        elif key == scheme.signature_key:
            offered.append(value.strip())  # several while a secret is being rotated
    if timestamp is None or not offered:
        raise SignatureError(f"{scheme.header} must look like '{scheme.format}'")
    return timestamp, offered


def signed_message(
    template: str, body: bytes, timestamp: str | None, method: str | None, url: str | None
) -> bytes:
    """The bytes a scheme signs: '{timestamp}.{body}' -> b'1714555801.{"email": …}'."""
    values = {"timestamp": timestamp or "", "method": (method or "POST").upper(), "url": url or ""}
    parts: list[bytes] = []
    at = 0
    for found in _PLACEHOLDER.finditer(template):
        parts.append(template[at : found.start()].encode("utf-8"))
        name = found.group(1)
        parts.append(body if name == "body" else values[name].encode("utf-8"))
        at = found.end()
    parts.append(template[at:].encode("utf-8"))
    return b"".join(parts)
