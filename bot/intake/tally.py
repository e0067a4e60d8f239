"""Tally webhooks.

Follows Tally's help page "Webhooks" (https://tally.so/help/webhooks, sections "Add a signing
secret" and "Example webhook event", as published 2024-2025) and the webhook objects of the
Tally API reference (https://developers.tally.so).

Signature: when a signing secret is set on the webhook, `Tally-Signature:
<base64 HMAC-SHA256(secret, JSON payload)>`. Tally signs the JSON it sends, so we hash the raw
body as received. There is no timestamp header, hence no replay window; `eventId` dedupes.

Payload: `{"eventId", "eventType": "FORM_RESPONSE", "createdAt", "data": {"responseId",
"submissionId", "respondentId", "formId", "formName", "createdAt", "fields": [{"key", "label",
"type", "value", "options": [{"id", "text"}]}]}}`. Choice questions (DROPDOWN,
MULTIPLE_CHOICE, CHECKBOXES, MULTI_SELECT, RANKING) send the *ids* of the chosen options in
`value`; we translate them to the option texts. CHECKBOXES also sends one boolean sub-field per
option (key `<question key>_<option id>`); those repeat the group's answer and are skipped.
Fields match lead fields by label or key.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bot.intake.errors import IgnoredEvent, PayloadError
from bot.intake.mapping import FieldMapping, LeadCollector, ParsedLead, parse_time
from bot.intake.signatures import hmac_sha256, require_header, require_match, require_secret

NAME = "tally"
SECRET_SETTING = "TALLY_SIGNING_SECRET"
SIGNATURE_HEADER = "Tally-Signature"
_TYPE_HINTS = {"INPUT_EMAIL": "email", "INPUT_PHONE_NUMBER": "phone"}


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
    signature = require_header(headers, SIGNATURE_HEADER)
    require_match(base64.b64encode(hmac_sha256(secret, body)).decode("ascii"), signature)


def field_value(question: Mapping[str, Any]) -> Any:
    """The answer with option ids replaced by option texts."""
    value = question.get("value")
    options = {
        o.get("id"): o.get("text") for o in question.get("options") or [] if isinstance(o, dict)
    }
    if not options:
        return value
    if isinstance(value, list):
        return [options.get(v, v) if isinstance(v, str) else v for v in value]
    if isinstance(value, str):
        return options.get(value, value)
    return value


def _is_option_echo(key: Any, keys: set[str]) -> bool:
    """A CHECKBOXES group also sends `<group key>_<option id>: true|false` per option."""
    return isinstance(key, str) and any(
        key.startswith(parent + "_") for parent in keys if parent != key
    )


def parse(payload: Any, mapping: FieldMapping | None = None) -> ParsedLead:
    if not isinstance(payload, dict) or not isinstance(payload.get("data"), dict):
        raise PayloadError("not a Tally webhook: no data object")
    event_type = payload.get("eventType", "FORM_RESPONSE")
    if event_type != "FORM_RESPONSE":
        raise IgnoredEvent(f"Tally eventType {event_type!r} is not a form response")
    data = payload["data"]
    questions = data.get("fields")
    if not isinstance(questions, list):
        raise PayloadError("Tally data.fields must be a list")
    questions = [q for q in questions if isinstance(q, dict)]
    keys = {q.get("key") for q in questions if isinstance(q.get("key"), str)}
    collector = LeadCollector(NAME, mapping)
    for question in questions:
        key, label = question.get("key"), question.get("label")
        value = question.get("value")
        if isinstance(value, bool) and _is_option_echo(key, keys):
            continue
        name = label or key or "field"
        collector.add(
            field_value(question),
            names=[n for n in (label, key) if isinstance(n, str)],
            custom_key=name,
            describe=f"Tally field {name!r}",
            hint=_TYPE_HINTS.get(question.get("type", "")),
        )
    collector.default("source", data.get("formName"), "Tally form name")
    return collector.result(
        delivery_id=payload.get("eventId") or data.get("submissionId") or data.get("responseId"),
        submitted_at=parse_time(data.get("createdAt") or payload.get("createdAt")),
    )
