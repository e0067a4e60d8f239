"""One delivery, start to finish: signature, JSON, adapter, dot paths, validation -> Lead.

The web layer calls `receive` and maps the exceptions (see bot.intake.errors) to HTTP answers.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.intake.errors import PayloadError
from bot.intake.mapping import FieldMapping, apply_paths
from bot.intake.registry import Adapter, get_adapter
from bot.intake.signatures import header
from bot.intake.validation import to_lead
from routing.lead import Lead


@dataclass(frozen=True)
class Intake:
    provider: str
    lead: Lead
    delivery_id: str | None
    submitted_at: datetime | None


def decode_json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except UnicodeDecodeError:
        raise PayloadError("body is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno} column {exc.colno}"
        raise PayloadError(f"body is not valid JSON ({exc.msg} at {where})") from None


def receive(
    provider: str | Adapter,
    *,
    headers: Mapping[str, str],
    body: bytes,
    now: datetime,
    secret: str | None,
    mapping: FieldMapping | None = None,
    method: str = "POST",
    url: str | None = None,
) -> Intake:
    """Verify and read one delivery. Nothing is stored; raises an IntakeError on any problem."""
    adapter = provider if isinstance(provider, Adapter) else get_adapter(provider)
    adapter.verify(headers, body, now, secret, method=method, url=url)
    payload = decode_json(body)
    parsed = apply_paths(adapter.parse(payload, mapping), payload, mapping)
    lead = to_lead(parsed)
    sent_id = header(headers, adapter.delivery_id_header) if adapter.delivery_id_header else None
    return Intake(adapter.name, lead, sent_id or parsed.delivery_id, parsed.submitted_at)
