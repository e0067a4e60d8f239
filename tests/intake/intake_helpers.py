"""Test helpers: fixtures as raw bytes, and each provider's signing scheme written out again
from its documentation, without the production code, so a shared mistake cannot hide."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime
from pathlib import Path

PAYLOADS = Path(__file__).parent / "payloads"
NOW = datetime(2024, 5, 1, 9, 30, 5, tzinfo=UTC)
HUBSPOT_URL = "https://leads.example.com/webhooks/leads/hubspot?team=emea"


def payload(name: str) -> bytes:
    return (PAYLOADS / name).read_bytes()


def _mac(secret: str, message: bytes) -> bytes:
    return hmac.new(secret.encode(), message, hashlib.sha256).digest()


def sign_generic(body: bytes, secret: str, at: datetime = NOW) -> dict[str, str]:
    ts = str(int(at.timestamp()))
    sig = _mac(secret, f"{ts}.".encode() + body).hex()
    return {"X-Leadrouter-Timestamp": ts, "X-Leadrouter-Signature": f"v1={sig}"}


def sign_typeform(body: bytes, secret: str, at: datetime = NOW) -> dict[str, str]:
    return {"Typeform-Signature": "sha256=" + base64.b64encode(_mac(secret, body)).decode()}


def sign_tally(body: bytes, secret: str, at: datetime = NOW) -> dict[str, str]:
    return {"Tally-Signature": base64.b64encode(_mac(secret, body)).decode()}


def sign_webflow(body: bytes, secret: str, at: datetime = NOW) -> dict[str, str]:
    ts = str(int(at.timestamp() * 1000))
    sig = _mac(secret, ts.encode() + b":" + body).hex()
    return {"x-webflow-timestamp": ts, "x-webflow-signature": sig}


# HubSpot's table of escapes to decode in the URI before signing (v3 validation docs)
_HUBSPOT_DECODE = {
    "%3A": ":", "%2F": "/", "%3F": "?", "%40": "@", "%21": "!", "%24": "$",
    "%27": "'", "%28": "(", "%29": ")", "%2A": "*", "%2C": ",", "%3B": ";",
}  # fmt: skip


def sign_hubspot(
    body: bytes, secret: str, at: datetime = NOW, *, method: str = "POST", url: str = HUBSPOT_URL
) -> dict[str, str]:
    ts = str(int(at.timestamp() * 1000))
    uri = url
    for escaped, char in _HUBSPOT_DECODE.items():
        uri = uri.replace(escaped, char).replace(escaped.lower(), char)
    source = method.encode() + uri.encode() + body + ts.encode()
    return {
        "X-HubSpot-Signature-v3": base64.b64encode(_mac(secret, source)).decode(),
        "X-HubSpot-Request-Timestamp": ts,
    }


SIGNERS = {
    "generic": sign_generic,
    "typeform": sign_typeform,
    "hubspot": sign_hubspot,
    "tally": sign_tally,
    "webflow": sign_webflow,
}
FIXTURES = {
    "generic": "generic.json",
    "typeform": "typeform.json",
    "hubspot": "hubspot_contact.json",
    "tally": "tally.json",
    "webflow": "webflow.json",
}
