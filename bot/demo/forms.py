"""Deliveries the way each form provider sends them: its JSON shape, signed its own way.

The demo (and anyone trying a provider by hand) posts these to /webhooks/leads[/provider].
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Delivery:
    path: str
    body: bytes
    headers: dict[str, str]


def _mac(secret: str, message: bytes) -> bytes:
    return hmac.new(secret.encode(), message, hashlib.sha256).digest()


def _json(document: Any) -> bytes:
    return json.dumps(document, ensure_ascii=False).encode()


def generic(fields: dict[str, Any], secret: str, now: datetime) -> Delivery:
    body = _json(fields)
    ts = str(int(now.timestamp()))
    signature = _mac(secret, ts.encode() + b"." + body).hex()
    return Delivery(
        "/webhooks/leads",
        body,
        {
            "Content-Type": "application/json",
            "X-Leadrouter-Timestamp": ts,
            "X-Leadrouter-Signature": f"v1={signature}",
            "Idempotency-Key": str(uuid.uuid4()),
        },
    )


def typeform(
    answers: dict[str, str], secret: str, now: datetime, title: str = "Talk to sales"
) -> Delivery:
    fields = [
        {"id": f"f{i}", "title": label, "type": "short_text", "ref": f"ref_{i}"}
        for i, label in enumerate(answers)
    ]
    body = _json(
        {
            "event_id": uuid.uuid4().hex,
            "event_type": "form_response",
            "form_response": {
                "form_id": "demo01",
                "token": uuid.uuid4().hex,
                "submitted_at": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "definition": {"id": "demo01", "title": title, "fields": fields},
                "answers": [
                    {
                        "type": "text",
                        "text": value,
                        "field": {"id": f"f{i}", "type": "short_text", "ref": f"ref_{i}"},
                    }
                    for i, value in enumerate(answers.values())
                ],
            },
        }
    )
    signature = base64.b64encode(_mac(secret, body)).decode()
    return Delivery(
        "/webhooks/leads/typeform",
        body,
        {"Content-Type": "application/json", "Typeform-Signature": f"sha256={signature}"},
    )


def tally(
    answers: dict[str, str], secret: str, now: datetime, form: str = "Contact sales"
) -> Delivery:
    body = _json(
        {
            "eventId": str(uuid.uuid4()),
            "eventType": "FORM_RESPONSE",
            "createdAt": now.isoformat(),
            "data": {
                "responseId": uuid.uuid4().hex[:6],
                "formId": "demo02",
                "formName": form,
                "createdAt": now.isoformat(),
                "fields": [
                    {
                        "key": f"question_{i}",
                        "label": label,
                        "type": "INPUT_EMAIL" if "mail" in label.lower() else "INPUT_TEXT",
                        "value": value,
                    }
                    for i, (label, value) in enumerate(answers.items())
                ],
            },
        }
    )
    signature = base64.b64encode(_mac(secret, body)).decode()
    return Delivery(
        "/webhooks/leads/tally",
        body,
        {"Content-Type": "application/json", "Tally-Signature": signature},
    )


def webflow(
    answers: dict[str, str], secret: str, now: datetime, form: str = "Contact Us"
) -> Delivery:
    body = _json(
        {
            "triggerType": "form_submission",
            "payload": {
                "name": form,
                "siteId": "demo-site",
                "data": answers,
                "submittedAt": now.isoformat(),
                "id": uuid.uuid4().hex,
                "formId": "demo-form",
            },
        }
    )
    ts = str(int(now.timestamp() * 1000))
    signature = _mac(secret, ts.encode() + b":" + body).hex()
    return Delivery(
        "/webhooks/leads/webflow",
        body,
        {
            "Content-Type": "application/json",
            "x-webflow-timestamp": ts,
            "x-webflow-signature": signature,
        },
    )


def hubspot(properties: dict[str, str], secret: str, now: datetime, base_url: str) -> Delivery:
    millis = int(now.timestamp() * 1000)
    body = _json(
        {
            "vid": 4242,
            "portal-id": 62515,
            "properties": {name: {"value": value} for name, value in properties.items()},
            "form-submissions": [
                {"conversion-id": str(uuid.uuid4()), "timestamp": millis, "title": "Demo request"}
            ],
        }
    )
    path = "/webhooks/leads/hubspot"
    source = b"POST" + (base_url + path).encode() + body + str(millis).encode()
    signature = base64.b64encode(_mac(secret, source)).decode()
    return Delivery(
        path,
        body,
        {
            "Content-Type": "application/json",
            "X-HubSpot-Signature-v3": signature,
            "X-HubSpot-Request-Timestamp": str(millis),
        },
    )
