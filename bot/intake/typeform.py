"""Typeform webhooks.

Follows Typeform's developer docs as published in 2024-2025: "Secure your webhooks"
(https://www.typeform.com/developers/webhooks/secure-your-webhooks/) and "Example payload"
(https://www.typeform.com/developers/webhooks/example-payload/).

Signature: `Typeform-Signature: sha256=<base64 HMAC-SHA256(secret, raw body)>`, the secret being
the one set on the webhook. Typeform sends no timestamp, so there is no replay window; the
delivery id (`event_id`) makes a replay a duplicate, not a second lead.

Payload: `{"event_id", "event_type": "form_response", "form_response": {"form_id", "token",
"submitted_at", "hidden": {...}, "definition": {"title", "fields": [{"id", "ref", "title",
"type"}]}, "answers": [{"type": "text", "text": ..., "field": {"id", "ref", "type"}}]}}`.
An answer's value sits under the key named by its `type` (text, email, number, boolean, date,
url, file_url, phone_number, choice {label|other}, choices {labels, other}, payment).
Answers match lead fields by `field.ref` or the question title; hidden fields by their name.
Refs and titles come from `form_response.definition.fields`, matched by the answer's field id
(as in Typeform's example payload, where an answer's `field` may carry only id and type).
A quiz score (`calculated.score`, which may be below zero) is the lead's `score` unless an
answer already gave one or a mapping says otherwise (`fields: {calculated.score: ignore}`).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bot.intake.errors import IgnoredEvent, PayloadError, SignatureError
from bot.intake.mapping import FieldMapping, LeadCollector, ParsedLead, parse_time
from bot.intake.signatures import hmac_sha256, require_header, require_match, require_secret

NAME = "typeform"
SECRET_SETTING = "TYPEFORM_WEBHOOK_SECRET"
SIGNATURE_HEADER = "Typeform-Signature"
_AUTO_REF = re.compile(r"[0-9a-f-]{20,}", re.IGNORECASE)  # refs Typeform generates itself
_TYPE_HINTS = {"email": "email", "phone_number": "phone"}


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
    if not signature.startswith("sha256="):
        raise SignatureError(f"{SIGNATURE_HEADER} must look like 'sha256=<base64>'")
    expected = base64.b64encode(hmac_sha256(secret, body)).decode("ascii")
    require_match(expected, signature.removeprefix("sha256="))


def answer_value(answer: Mapping[str, Any]) -> Any:
    kind = answer.get("type")
    if kind == "choice":
        choice = answer.get("choice") or {}
        return choice.get("label") or choice.get("other")
    if kind == "choices":
        choices = answer.get("choices") or {}
        labels = list(choices.get("labels") or [])
        if choices.get("other"):
            labels.append(choices["other"])
        return labels
    return answer.get(kind) if isinstance(kind, str) else None


def parse(payload: Any, mapping: FieldMapping | None = None) -> ParsedLead:
    if not isinstance(payload, dict) or not isinstance(payload.get("form_response"), dict):
        raise PayloadError("not a Typeform webhook: no form_response object")
    event_type = payload.get("event_type", "form_response")
    if event_type != "form_response":
        raise IgnoredEvent(f"Typeform event_type {event_type!r} carries no finished response")
    response = payload["form_response"]
    definition = response.get("definition") or {}
    # the questions, by id: an answer names its field by id (and often, not always, by ref)
    questions = {f.get("id"): f for f in definition.get("fields") or [] if isinstance(f, dict)}
    collector = LeadCollector(NAME, mapping)
    answers = response.get("answers") or []
    if not isinstance(answers, list):
        raise PayloadError("Typeform form_response.answers must be a list")
    for answer in answers:
        if not isinstance(answer, dict):
            continue
        question = answer.get("field") or {}
        defined = questions.get(question.get("id")) or {}
        ref, title = question.get("ref") or defined.get("ref"), defined.get("title")
        readable_ref = ref if ref and not _AUTO_REF.fullmatch(ref) else None
        label = readable_ref or title or ref or question.get("id") or "answer"
        collector.add(
            answer_value(answer),
            names=[n for n in (ref, title) if isinstance(n, str)],
            custom_key=label,
            describe=f"Typeform field {label!r}",
            hint=_TYPE_HINTS.get(answer.get("type", "")),
        )
    for key, value in (response.get("hidden") or {}).items():
        collector.add(value, names=[key], custom_key=key, describe=f"Typeform hidden field {key!r}")
    calculated = response.get("calculated")
    if isinstance(calculated, dict) and "score" in calculated:
        collector.add(
            calculated["score"],
            names=["calculated.score", "score"],
            custom_key="score",
            describe="Typeform calculated.score",
        )
    collector.default("source", definition.get("title"), "Typeform form title")
    return collector.result(
        delivery_id=payload.get("event_id") or response.get("token"),
        submitted_at=parse_time(response.get("submitted_at")),
    )
