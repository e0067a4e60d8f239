"""Webflow form_submission webhooks.

Follows Webflow's Data API v2 docs as published 2024-2025: "Working with webhooks" /
"Validating request signatures" (https://developers.webflow.com/data/docs/working-with-webhooks)
and the "Form Submission" event (https://developers.webflow.com/data/reference/webhooks/events/
form-submission). The v1 payload (`_id`, `d`, `site`) is still read for old webhooks.

Signature: `x-webflow-timestamp: <unix milliseconds>` and `x-webflow-signature: <hex
HMAC-SHA256(secret, "<timestamp>:<raw body>")>`. The secret is the OAuth app's client secret,
or the webhook's own secret for webhooks created in the site settings. Webflow asks to reject
requests older than 5 minutes; we also reject timestamps more than 5 minutes ahead.

Payload (v2): `{"triggerType": "form_submission", "payload": {"name", "siteId", "data":
{"<field label>": value}, "schema": [{"fieldName", "fieldType", "fieldElementId"}],
"submittedAt", "id", "formId", "formElementId"}}`. `data` keys are the labels the designer gave
the inputs; they match lead fields by the default aliases or the configured overrides.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bot.intake.errors import IgnoredEvent, PayloadError
from bot.intake.mapping import FieldMapping, LeadCollector, ParsedLead, parse_time
from bot.intake.signatures import (
    hmac_sha256,
    parse_timestamp,
    require_fresh,
    require_header,
    require_match,
    require_secret,
)

NAME = "webflow"
SECRET_SETTING = "WEBFLOW_WEBHOOK_SECRET"
TIMESTAMP_HEADER = "x-webflow-timestamp"
SIGNATURE_HEADER = "x-webflow-signature"


def verify(
    headers: Mapping[str, str],
    body: bytes,
    now: datetime,
    secret: str | None,
    *,
    method: str | None = None,
    url: str | None = None,
) -> None:
    secret = require_secret(secret, NAME, SECRET_SETTING)
    timestamp = require_header(headers, TIMESTAMP_HEADER)
    signature = require_header(headers, SIGNATURE_HEADER)
    require_fresh(parse_timestamp(timestamp, TIMESTAMP_HEADER, milliseconds=True), now)
    expected = hmac_sha256(secret, timestamp.encode() + b":" + body).hex()
    require_match(expected, signature.lower())


def _hint(field_type: Any) -> str | None:
    kind = str(field_type or "").casefold()
    if "email" in kind:
        return "email"
    if "phone" in kind:
        return "phone"
    return None


def parse(payload: Any, mapping: FieldMapping | None = None) -> ParsedLead:
    if not isinstance(payload, dict):
        raise PayloadError("not a Webflow webhook: body is not a JSON object")
    if "triggerType" in payload:
        if payload["triggerType"] != "form_submission":
            raise IgnoredEvent(f"Webflow triggerType {payload['triggerType']!r} is not a form")
        submission = payload.get("payload")
    else:
        submission = payload  # v1: the submission is the whole body
    if not isinstance(submission, dict) or not isinstance(submission.get("data"), dict):
        raise PayloadError("not a Webflow form_submission: no payload.data object")
    types = {
        s.get("fieldName"): s.get("fieldType")
        for s in submission.get("schema") or []
        if isinstance(s, dict)
    }
    collector = LeadCollector(NAME, mapping)
    for label, value in submission["data"].items():
        collector.add(
            value,
            names=[label],
            custom_key=label,
            describe=f"Webflow field {label!r}",
            hint=_hint(types.get(label)),
        )
    collector.default("source", submission.get("name"), "Webflow form name")
    return collector.result(
        delivery_id=submission.get("id") or submission.get("_id"),
        submitted_at=parse_time(submission.get("submittedAt") or submission.get("d")),
    )
