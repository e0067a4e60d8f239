"""One delivery, start to finish: authentication, body, adapter, paths, the mapping's
defaults, reading -> Lead (and the answers it could not read).

The web layer calls `receive` and maps the exceptions (see bot.intake.errors) to HTTP answers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from bot.intake.body import JSON, decode_body, decode_json
from bot.intake.mapping import FieldMapping, apply_paths, with_defaults
from bot.intake.registry import Adapter, get_adapter
from bot.intake.signatures import header
from bot.intake.sources import Source, source_for
from bot.intake.validation import Unread, read_lead
from routing.lead import Lead

__all__ = ["Intake", "decode_json", "receive"]


@dataclass(frozen=True)
class Intake:
    provider: str
    lead: Lead
    delivery_id: str | None
    submitted_at: datetime | None
    unread: tuple[Unread, ...] = ()  # answers kept as written, not understood

    @property
    def notes(self) -> tuple[str, ...]:
        return tuple(u.note for u in self.unread)


def _as_source(provider: str | Adapter | Source, mapping: FieldMapping | None) -> Source:
    if isinstance(provider, Source):
        return provider
    adapter = provider if isinstance(provider, Adapter) else get_adapter(provider)
    source = source_for(adapter.name, mapping)
    assert source is not None
    if isinstance(provider, Adapter):  # an adapter as given (e.g. with its check replaced)
        return Source(
            adapter.name, adapter, mapping, adapter.verify, adapter.secret_setting,
            accepts_forms=source.accepts_forms,
        )  # fmt: skip
    return source


def receive(
    provider: str | Adapter | Source,
    *,
    headers: Mapping[str, str],
    body: bytes,
    now: datetime,
    secret: str | None,
    mapping: FieldMapping | None = None,
    method: str = "POST",
    url: str | None = None,
    content_type: str | None = JSON,
    path_token: str | None = None,
) -> Intake:
    """Verify and read one delivery. Nothing is stored; raises an IntakeError on any problem.

    `provider`: a built-in provider's name or adapter (read with `mapping`, if any), or a
    Source (which has its mapping). `path_token`: the token part of the URL, for a source
    that takes its token there."""
    source = _as_source(provider, mapping)
    extra = {"path_token": path_token} if source.token_in_path else {}
    source.verify(headers, body, now, secret, method=method, url=url, **extra)
    document = decode_body(body, content_type)
    mapping = source.mapping
    parsed = apply_paths(source.adapter.parse(document, mapping), document, mapping)
    parsed = with_defaults(parsed, document, mapping)
    reading = read_lead(parsed)
    sent_id = header(headers, source.delivery_id_header) if source.delivery_id_header else None
    return Intake(
        source.name, reading.lead, sent_id or parsed.delivery_id, parsed.submitted_at,
        reading.unread,
    )  # fmt: skip
