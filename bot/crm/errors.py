"""The CRMs' errors, sorted once into what we do about them (as bot.slack.errors does for
Slack), raised as bot.slack.errors.Failed so the outbox handles them like any delivery:

- rate limited (HubSpot 429, whose body names the limit: TEN_SECONDLY_ROLLING, the burst
  window of X-HubSpot-RateLimit-Interval-Milliseconds; SECONDLY, the search API's second;
  DAILY, until HubSpot's day ends; Salesforce 403 REQUEST_LIMIT_EXCEEDED): wait, then retry;
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

RATE_LIMIT_WAIT = 10.0  # seconds: HubSpot's burst window, when its headers say nothing
SECONDLY_WAIT = 1.0  # HubSpot's search limit is per second (and its 429 carries no headers)
DAILY_LIMIT_WAIT = 3600.0  # HubSpot's and Salesforce's daily limits: look again in an hour


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
        category = str(body.get("category") or body.get("errorType") or "")
        if conflict and status == 409:
            seen.message, seen.error = message, exc
            return
        code = f"HubSpot {status} {category}".strip()
        if status == 429:
            policy = str(body.get("policyName") or "")
            wait = _hubspot_wait(exc, policy)
            raise Failed(
                Handling.rate_limited, f"{code} {policy}".strip(), retry_after=wait
            ) from exc
        if status >= 500:
            raise Failed(Handling.transient, code) from exc
        if status == 404:
            raise Failed(Handling.gone, code) from exc
        scopes = _missing_scopes(body)
        if scopes:  # what to grant the private app, rather than HubSpot's generic sentence
            raise Failed(Handling.permanent, f"{code}: the private app needs {scopes}") from exc
        detail = f"{code}: {message[:200]}" if message else code
        raise Failed(Handling.permanent, detail) from exc


def _missing_scopes(body: dict) -> str:
    found: list[str] = []
    for error in body.get("errors") or []:
        context = error.get("context") if isinstance(error, dict) else None
        if isinstance(context, dict):
            found += [str(s) for s in context.get("requiredGranularScopes") or []]
    return ", ".join(dict.fromkeys(found))


def _hubspot_wait(exc: Exception, policy: str = "") -> float:
    """How long HubSpot's limit lasts: its body says which limit ("The message and policyName
    will indicate which limit you hit"), its headers the burst window. HubSpot sends no
    Retry-After; one is honoured if it ever does."""
    headers = {k.lower(): v for k, v in (getattr(exc, "headers", None) or {}).items()}
    if "retry-after" in headers:
        try:
            return max(float(headers["retry-after"]), 1.0)
        except ValueError:
            pass
    if policy == "SECONDLY":
        return SECONDLY_WAIT
    if policy == "DAILY":
        return DAILY_LIMIT_WAIT
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


def duplicate_of(response: httpx.Response) -> list[tuple[str, str]]:
    """The records a blocking duplicate rule names (DUPLICATES_DETECTED: the SOAP API's
    DuplicateError in the REST body, duplicateResult.matchResults[].matchRecords[].record)."""
    body = _json(response.content)
    found: list[tuple[str, str]] = []
    for error in body if isinstance(body, list) else []:
        if not isinstance(error, dict) or error.get("errorCode") != "DUPLICATES_DETECTED":
            continue
        for match in (error.get("duplicateResult") or {}).get("matchResults") or []:
            for record in match.get("matchRecords") or []:
                fields = record.get("record") or {}
                kind = (fields.get("attributes") or {}).get("type") or match.get("entityType")
                if fields.get("Id") and kind:
                    found.append((str(kind), str(fields["Id"])))
    return found


def transport_failure(exc: httpx.TransportError, who: str) -> Failed:
    return Failed(Handling.transient, f"{who}: {type(exc).__name__}")


def _json(raw: object) -> object:
    if isinstance(raw, bytes | str) and raw:
        try:
            return json.loads(raw)
        except ValueError:
            return {}
    return raw if isinstance(raw, dict | list) else {}
