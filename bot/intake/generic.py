"""Our own webhook format, for any system that can sign a request (the architecture
page's "External contract").

Signature: headers `X-Leadrouter-Timestamp: <unix seconds>` and
`X-Leadrouter-Signature: v1=<hex HMAC-SHA256(WEBHOOK_SECRET, "<timestamp>.<raw body>")>`;
a timestamp more than 5 minutes old or ahead is rejected.

Body: one JSON object. Keys are lead fields (`email`, `company`, `employees`, ...) or any label
the default aliases know ("Company size"); `custom` is an object copied into the lead's custom
fields; `submitted_at` (ISO 8601 or unix time) and `idempotency_key` are metadata. Any other
key lands in `custom`. The `Idempotency-Key` header, when sent, is the delivery id.

Other tools: with `FieldMapping.paths` configured, the body may be any JSON shape; only the
configured dot paths are read (plus `delivery_id_path` / `submitted_at_path`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bot.intake.errors import PayloadError, SignatureError
from bot.intake.mapping import FieldMapping, LeadCollector, ParsedLead, parse_time
from bot.intake.signatures import (
    hmac_sha256,
    parse_timestamp,
    require_fresh,
    require_header,
    require_match,
    require_secret,
)

NAME = "generic"
SECRET_SETTING = "WEBHOOK_SECRET"
TIMESTAMP_HEADER = "X-Leadrouter-Timestamp"
SIGNATURE_HEADER = "X-Leadrouter-Signature"
DELIVERY_ID_HEADER = "Idempotency-Key"
_META = {"custom", "submitted_at", "idempotency_key"}
SUBMISSION = "submission"  # custom.submission: a path-mapped tool's whole body, as sent


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
    require_fresh(parse_timestamp(timestamp, TIMESTAMP_HEADER), now)
    # several "v1=" entries may be sent while a secret is being rotated
    offered = [part.strip()[3:] for part in signature.split(",") if part.strip()[:3] == "v1="]
    if not offered:
        raise SignatureError("X-Leadrouter-Signature must look like 'v1=<hex>'")
    expected = hmac_sha256(secret, timestamp.encode() + b"." + body).hex()
    require_match(expected, *(candidate.lower() for candidate in offered))


def parse(payload: Any, mapping: FieldMapping | None = None) -> ParsedLead:
    collector = LeadCollector(NAME, mapping)
    if mapping is not None and mapping.paths:
        # another tool's JSON: the configured paths say what to read, and the submission is
        # kept whole as sent, so an answer no path names is not lost (custom.submission)
        collector.custom[SUBMISSION] = payload
        return collector.result()
    if not isinstance(payload, dict):
        raise PayloadError("generic lead body must be a JSON object")
    for key, value in payload.items():
        if key in _META:
            continue
        collector.add(value, names=[key], custom_key=key, describe=f"field {key!r}")
    custom = payload.get("custom")
    if custom is not None and not isinstance(custom, dict):
        raise PayloadError("'custom' must be a JSON object")
    collector.custom.update(custom or {})  # the explicit object wins over stray keys
    return collector.result(
        delivery_id=payload.get("idempotency_key"),
        submitted_at=parse_time(payload.get("submitted_at")),
    )
