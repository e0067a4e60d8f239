"""Webhooks as HubSpot sends them to an app's target URL.

From HubSpot's webhooks reference (developers.hubspot.com/docs/api-reference/webhooks) and
"Validating requests" (request-validation, signature v3):
- the body is a JSON array of events, up to 100 per request; a deal property change is
  `{"eventId", "subscriptionId", "portalId", "appId", "occurredAt" (ms), "subscriptionType":
  "deal.propertyChange", "attemptNumber", "objectId", "propertyName", "propertyValue",
  "changeSource"}`;
- headers `X-HubSpot-Signature-v3` = base64(HMAC-SHA256(client secret, method + URI + body +
  timestamp)) and `X-HubSpot-Request-Timestamp` (Unix ms); the URI is the full URL called.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import time
from typing import Any

_ids = itertools.count(1)


def deal_stage_event(deal_id: str, stage: str, *, portal_id: int = 123456) -> dict[str, Any]:
    return {
        "eventId": 100 + next(_ids),
        "subscriptionId": 4242,
        "portalId": portal_id,
        "appId": 777,
        "occurredAt": int(time.time() * 1000),
        "subscriptionType": "deal.propertyChange",
        "attemptNumber": 0,
        "objectId": int(deal_id),
        "propertyName": "dealstage",
        "propertyValue": stage,
        "changeSource": "CRM",
    }


def signed_webhook(
    url: str, client_secret: str, events: list[dict[str, Any]], *, at_ms: int | None = None
) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(events).encode()
    stamp = str(at_ms if at_ms is not None else int(time.time() * 1000))
    message = b"POST" + url.encode() + body + stamp.encode()
    digest = hmac.new(client_secret.encode(), message, hashlib.sha256).digest()
    return body, {
        "Content-Type": "application/json",
        "X-HubSpot-Signature-v3": base64.b64encode(digest).decode(),
        "X-HubSpot-Request-Timestamp": stamp,
    }
