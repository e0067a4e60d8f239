"""From a provider's answers to Lead fields.

Every adapter walks its payload and hands each answer to a `LeadCollector` with the names the
provider gives it (Typeform ref and title, Tally key and label, a HubSpot property name, a
Webflow label). The collector picks the lead field:

1. the per-provider override in `FieldMapping.fields` (config), matched on any of the names;
2. the default aliases below ("Company size", "numemployees", "E-mail" ...);
3. a hint from the provider's field type (an email-type question is the email);
4. otherwise the answer is kept in `custom` under a slug of its name, so rules can still read it.

Names are compared case-insensitively, ignoring punctuation ("Company size?" == "company_size").
`FieldMapping.paths` maps paths into the body (`data.contact.email`, `answers.0.value`,
`fields[name=email].value`, see bot.intake.paths) to lead fields, for tools without an adapter
or for values an adapter does not read; a path that is missing in a delivery is skipped, not
an error. `with_defaults` then applies what a mapping says of the whole source: which
deliveries are leads (`accept`), the form's name (`source`), numeric country codes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bot.intake.errors import IgnoredEvent
from bot.intake.paths import MISSING, path_value, resolve_path
from routing.field_mapping import IGNORE, FieldMapping, normalise_name
from routing.lead import LEAD_FIELDS, NUMERIC_FIELDS
from routing.normalize import country_from_number

__all__ = ["MISSING", "path_value", "resolve_path"]  # (re-exported: bot.intake.paths)


def slug(text: str) -> str:
    """A key rules can name as `custom.<key>`: 'How did you hear?' -> 'how_did_you_hear'."""
    return re.sub(r"[\W_]+", "_", text.casefold()).strip("_")


_ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("full name", "your name", "contact name"),
    "first_name": ("firstname", "given name", "first", "prenom", "vorname"),
    "last_name": ("lastname", "surname", "family name", "last", "nom", "nachname"),
    "email": (
        "e mail",
        "email address",
        "e mail address",
        "work email",
        "business email",
        "company email",
        "your email",
    ),
    "phone": ("phone number", "telephone", "mobile", "mobilephone", "mobile phone", "tel"),
    "title": ("job title", "jobtitle", "role", "position", "job role"),
    "company": (
        "company name",
        "organization",
        "organisation",
        "organization name",
        "organisation name",
        "business name",
        "entreprise",
        "firma",
    ),
    "company_domain": ("website", "company website", "domain", "website url", "company url"),
    "country": ("country region", "country name", "pays", "land"),
    "region": ("state", "province", "state region", "state province"),
    "city": ("town",),
    "employees": (
        "company size",
        "number of employees",
        "num employees",
        "numemployees",
        "employee count",
        "team size",
        "headcount",
        "how many employees",
    ),
    "annual_revenue": ("annualrevenue", "revenue", "yearly revenue"),
    "industry": ("sector",),
    "product": ("product interest", "product of interest", "interested in"),
    "score": ("lead score",),
    "language": ("preferred language", "hs language"),
    "source": ("lead source", "form name", "form title"),
    "message": (
        "comments",
        "comment",
        "notes",
        "your message",
        "how can we help",
        "how can we help you",
        "details",
        "description",
    ),
}


def _default_aliases() -> dict[str, str]:
    table = {normalise_name(f): f for f in LEAD_FIELDS}
    for lead_field, names in _ALIASES.items():
        for alias in names:
            table[normalise_name(alias)] = lead_field
    return table


DEFAULT_ALIASES: dict[str, str] = _default_aliases()


NO_MAPPING = FieldMapping()


@dataclass
class ParsedLead:
    """What an adapter read from one delivery, before validation into a routing.Lead."""

    fields: dict[str, Any]
    delivery_id: str | None = None
    submitted_at: datetime | None = None
    # lead field -> where it came from, e.g. 'Typeform field "size" (Company size)'
    sources: dict[str, str] = field(default_factory=dict)


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str | list | dict) and not value)


def _coerce(lead_field: str, value: Any) -> Any:
    """Make provider values fit the Lead's types: numbers from a phone field become text."""
    if isinstance(value, list):
        items = [v for v in value if not _is_empty(v)]
        if len(items) == 1:
            value = items[0]
        elif lead_field not in NUMERIC_FIELDS and all(
            isinstance(v, str | int | float) for v in items
        ):
            return ", ".join(str(v) for v in items)
    if lead_field in NUMERIC_FIELDS:
        return value
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float):
        return str(value)
    return value


class LeadCollector:
    """Collects answers into lead fields and `custom`; first value for a lead field wins."""

    def __init__(self, provider: str, mapping: FieldMapping | None = None) -> None:
        self.provider = provider
        self.mapping = mapping or NO_MAPPING
        self.fields: dict[str, Any] = {}
        self.custom: dict[str, Any] = {}
        self.sources: dict[str, str] = {}

    def target(self, names: Iterable[str], hint: str | None = None) -> str | None:
        """The lead field (or 'custom.x' / 'ignore') for these names; None -> custom."""
        names = [n for n in names if n]
        chosen = self.mapping.override(names)
        if chosen:
            return chosen
        for name in names:
            found = DEFAULT_ALIASES.get(normalise_name(name))
            if found:
                return found
        return hint

    def add(
        self,
        value: Any,
        *,
        names: Iterable[str],
        custom_key: str,
        describe: str,
        hint: str | None = None,
    ) -> None:
        if _is_empty(value):
            return
        target = self.target(names, hint)
        if target == IGNORE:
            return
        if target is not None and target.startswith("custom."):
            self.custom[target.removeprefix("custom.")] = value
        elif target is not None and target not in self.fields:
            self.set(target, value, describe)
        else:
            # unmatched, or a second answer for a field already filled: keep it, do not lose it
            self.custom[slug(custom_key) or custom_key] = value

    def set(self, lead_field: str, value: Any, describe: str) -> None:
        self.fields[lead_field] = _coerce(lead_field, value)
        self.sources[lead_field] = describe

    def default(self, lead_field: str, value: Any, describe: str) -> None:
        """Fill a lead field only if no answer did (e.g. `source` from the form's name)."""
        if not _is_empty(value) and lead_field not in self.fields:
            self.set(lead_field, value, describe)

    def result(self, delivery_id: Any = None, submitted_at: datetime | None = None) -> ParsedLead:
        fields = dict(self.fields)
        if self.custom:
            fields["custom"] = dict(self.custom)
        return ParsedLead(
            fields=fields,
            delivery_id=None if _is_empty(delivery_id) else str(delivery_id),
            submitted_at=submitted_at,
            sources=dict(self.sources),
        )


def apply_paths(parsed: ParsedLead, document: Any, mapping: FieldMapping | None) -> ParsedLead:
    """Overlay the configured dot paths on what the adapter read; explicit paths win."""
    if mapping is None or not (
        mapping.paths or mapping.delivery_id_path or mapping.submitted_at_path
    ):
        return parsed
    fields = dict(parsed.fields)
    custom = dict(fields.get("custom") or {})
    sources = dict(parsed.sources)
    memo: dict[int, Any] = {}  # JSON texts in the body, decoded once
    for path, target in mapping.paths.items():
        value = resolve_path(document, path, memo)
        if value is MISSING or _is_empty(value) or target == IGNORE:
            continue
        if target.startswith("custom."):
            custom[target.removeprefix("custom.")] = value
        else:
            fields[target] = _coerce(target, value)
            sources[target] = f"path {path!r}"
    if custom:
        fields["custom"] = custom
    delivery_id = parsed.delivery_id
    if mapping.delivery_id_path:
        found = path_value(document, mapping.delivery_id_path)
        delivery_id = str(found) if not _is_empty(found) else delivery_id
    submitted_at = parsed.submitted_at
    if mapping.submitted_at_path:
        submitted_at = parse_time(path_value(document, mapping.submitted_at_path)) or submitted_at
    return ParsedLead(fields, delivery_id, submitted_at, sources)


def with_defaults(parsed: ParsedLead, document: Any, mapping: FieldMapping | None) -> ParsedLead:
    """What the mapping says of the whole source: raises IgnoredEvent for a delivery that
    `accept` leaves out; the form's name as `source` when no answer gave one; numeric
    country codes read as such when the form sends them."""
    if mapping is None:
        return parsed
    for path, wanted in mapping.accept.items():
        found = path_value(document, path)
        if str(found) not in wanted:
            raise IgnoredEvent(f"{path} is {found!r}, not {' or '.join(map(repr, wanted))}")
    fields, sources = parsed.fields, parsed.sources
    if mapping.source and _is_empty(fields.get("source")):
        fields, sources = {**fields, "source": mapping.source}, {**sources, "source": "mapping"}
    country = fields.get("country")
    if mapping.numeric_country_codes and isinstance(country, int | str) and str(country).isdigit():
        # (not a code: left as sent, and kept as not understood when the lead is read)
        with suppress(ValueError):
            fields = {**fields, "country": country_from_number(str(country))}
    if fields is parsed.fields:
        return parsed
    return ParsedLead(fields, parsed.delivery_id, parsed.submitted_at, sources)


def parse_time(value: Any) -> datetime | None:
    """ISO 8601 text ('2024-05-01T10:00:00Z') or unix seconds/milliseconds -> aware UTC.

    Unreadable times give None: the submission time is metadata, never a reason to drop a lead.
    """
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, int | float):
        try:
            seconds = value / 1000 if value > 10**11 else value  # 10**11 s is the year 5138
            return datetime.fromtimestamp(seconds, tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None
