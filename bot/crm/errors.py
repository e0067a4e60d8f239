"""The CRMs' errors, sorted once into what we do about them (as bot.slack.errors does for
Slack), raised as bot.slack.errors.Failed so the outbox handles them like any delivery:

- rate limited (HubSpot 429 with X-HubSpot-RateLimit-*; Salesforce 403
  REQUEST_LIMIT_EXCEEDED): wait, then retry;
- the CRM down (5xx, timeouts, connection errors): retry with backoff;
- the token refused (HubSpot 401, 403 MISSING_SCOPES; Salesforce 401 INVALID_SESSION_ID
  after one new token): give up, visibly; a human fixes it, then `leadrouter outbox retry`;
- the record gone (404, NOT_FOUND, ENTITY_IS_DELETED): give up, say so;
- our data refused (400: REQUIRED_FIELD_MISSING, …): give up, say so.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx
import urllib3.exceptions

from bot.slack.errors import Failed, Handling

RATE_LIMIT_WAIT = 10.0  # seconds, when HubSpot says nothing more precise
DAILY_LIMIT_WAIT = 3600.0  # Salesforce's API limits are per 24 hours


@dataclass
class Conflict:
    """A 409 a caller asked to see (HubSpot: a contact with this email exists)."""

    message: str = ""
    error: Exception | None = field(default=None)


@contextmanager
def hubspot_failure(*, conflict: bool = False) -> Iterator[Conflict]:
    """HubSpot's client errors as Failed; with `conflict`, a 409 is handed back instead."""
    seen = Conflict()
    try:
        yield seen
    except Exception as exc:  # every API of the client raises its own ApiException class
        status = getattr(exc, "status", None)
        if status is None or not hasattr(exc, "body"):
            if isinstance(exc, urllib3.exceptions.HTTPError | OSError):
                raise Failed(Handling.transient, f"HubSpot: {type(exc).__name__}") from exc
            raise
        found = _json(getattr(exc, "body", None))
        body = found if isinstance(found, dict) else {}
        message = str(body.get("message") or getattr(exc, "reason", "") or "")
        category = str(body.get("category") or "")
        if conflict and status == 409:
            seen.message, seen.error = message, exc
            return
        code = f"HubSpot {status} {category}".strip()
        if status == 429:
            wait = _hubspot_wait(exc)
            raise Failed(Handling.rate_limited, code, retry_after=wait) from exc
        if status >= 500:
            raise Failed(Handling.transient, code) from exc
        if status == 404:
            raise Failed(Handling.gone, code) from exc
        detail = f"{code}: {message[:200]}" if message else code
        raise Failed(Handling.permanent, detail) from exc


def _hubspot_wait(exc: Exception) -> float:
    headers = {k.lower(): v for k, v in (getattr(exc, "headers", None) or {}).items()}
    if "retry-after" in headers:
        try:
            return max(float(headers["retry-after"]), 1.0)
        except ValueError:
            pass
    interval = headers.get("x-hubspot-ratelimit-interval-milliseconds")
    try:
        return max(float(interval) / 1000, 1.0) if interval else RATE_LIMIT_WAIT
    except ValueError:
        return RATE_LIMIT_WAIT


def salesforce_failure(response: httpx.Response) -> Failed:
    """Salesforce's answer (not 2xx) as Failed; its body is a list of {message, errorCode}."""
    body = _json(response.content)
    errors = body if isinstance(body, list) else [body] if isinstance(body, dict) else []
    first = errors[0] if errors and isinstance(errors[0], dict) else {}
    code = str(first.get("errorCode") or first.get("error") or f"http_{response.status_code}")
    message = str(first.get("message") or first.get("error_description") or "")
    label = f"Salesforce {response.status_code} {code}"
    status = response.status_code
    if code == "REQUEST_LIMIT_EXCEEDED":
        return Failed(Handling.rate_limited, label, retry_after=DAILY_LIMIT_WAIT)
    if status >= 500:
        return Failed(Handling.transient, label)
    if status == 404 or code in ("NOT_FOUND", "ENTITY_IS_DELETED"):
        return Failed(Handling.gone, label)
    return Failed(Handling.permanent, f"{label}: {message[:200]}" if message else label)


def transport_failure(exc: httpx.TransportError, who: str) -> Failed:
    return Failed(Handling.transient, f"{who}: {type(exc).__name__}")


def _json(raw: object) -> object:
    if isinstance(raw, bytes | str) and raw:
        try:
            return json.loads(raw)
        except ValueError:
            return {}
    return raw if isinstance(raw, dict | list) else {}
