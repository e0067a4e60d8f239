"""One outbound event delivered: the event and its lead as JSON, signed as our inbound generic
webhook is signed, POSTed to the subscription's URL.

    POST <url>
    Content-Type: application/json
    X-Leadrouter-Event: lead.claimed
    X-Leadrouter-Delivery: 1842                  (the same on every retry: dedupe on it)
    X-Leadrouter-Timestamp: 1796251230
    X-Leadrouter-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<raw body>")>

A 2xx is delivered. A timeout, a connection error, 408, 429 or a 5xx is retried with backoff
(the outbox's, up to every 10 minutes, for ever). Any other answer means the receiver refuses
this event for good (a wrong URL, a rejected signature): it is given up, counted and logged,
and `leadrouter outbox retry` sends it again once fixed. The payload's schema is in README.md
("Outbound webhooks").
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import datetime
from typing import Any

import httpx

from bot.slack.errors import Failed, Handling
from routing import RoutingConfig
from storage.event_feed import EVENT_NAMES
from storage.models import CrmLink, Event, LeadRow

RETRIED = {408, 425, 429}
TIMEOUT = httpx.Timeout(10.0, connect=5.0)
USER_AGENT = "leadrouter-webhooks/1"


def payload(event: Event, lead: LeadRow, config: RoutingConfig, link: CrmLink | None) -> dict:
    owner = config.reps.get(lead.owner or "")
    data = lead.data
    body: dict[str, Any] = {
        "id": f"evt_{event.id}",
        "type": _name(event.kind),
        "occurred_at": _iso(event.at),
        "actor": event.actor,
        "reason": event.reason,
        "lead": {
            "id": lead.id,
            "state": lead.state,
            "owner": lead.owner,
            "owner_name": owner.name if owner else None,
            "owner_email": owner.email if owner else None,
            "pool": lead.pool,
            "rule": lead.rule,
            "routing_reason": lead.reason,
            "source": lead.source,
            "received_at": _iso(lead.created_at),
            "email": data.get("email"),
            "phone": data.get("phone"),
            "name": data.get("name"),
            "company": data.get("company"),
            "country": data.get("country"),
            "employees": data.get("employees"),
        },
    }
    if link is not None:
        body["lead"]["crm"] = {"provider": link.provider, "id": link.record_id, "url": link.url}
    return body


def send(
    http: httpx.Client,
    url: str,
    secret_env: str,
    secret: str | None,
    delivery_id: int,
    body: dict[str, Any],
) -> int:
    """POST one event signed with `secret` (read from `secret_env`: the environment or .env);
    returns the receiver's status, or raises Failed saying what to do. A missing secret is
    given up (visible, and retried by command once set), not retried unseen for ever."""
    if not secret:
        raise Failed(Handling.permanent, f"{secret_env} is not set: nothing is signed or sent")
    raw = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
    timestamp = str(int(time.time()))
    signature = hmac.new(secret.encode(), timestamp.encode() + b"." + raw, hashlib.sha256)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Leadrouter-Event": body["type"],
        "X-Leadrouter-Delivery": str(delivery_id),
        "X-Leadrouter-Timestamp": timestamp,
        "X-Leadrouter-Signature": f"v1={signature.hexdigest()}",
    }
    try:
        response = http.post(url, content=raw, headers=headers, timeout=TIMEOUT)
    except httpx.TransportError as exc:
        raise Failed(Handling.transient, f"{type(exc).__name__} from {_host(url)}") from exc
    status = response.status_code
    if 200 <= status < 300:
        return status
    if status in RETRIED or status >= 500:
        raise Failed(Handling.transient, f"http_{status} from {_host(url)}")
    raise Failed(Handling.permanent, f"http_{status} from {_host(url)}")


def _name(kind: str) -> str:
    return EVENT_NAMES.get(kind, f"lead.{kind}")


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def _host(url: str) -> str:
    return httpx.URL(url).host
