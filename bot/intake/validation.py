"""ParsedLead -> routing.Lead, keeping every answer.

`read_lead` is what intake uses: an authentic submission is a lead even when some of its
answers cannot be read. Such an answer ("Prefer not to say" for the company size, "Europe" for
the country) is kept as it was written, under `custom.<field>`, and named in an `Unread` note
("employees 'Prefer not to say' not understood") that the routing reason and trace carry; the
lead is routed on what was understood. A message longer than the lead's limit is cut, the
whole text kept in `custom.message`. Only a body from which nothing at all could be read is
refused (LeadValidationError, a 422): it is not a lead.

`to_lead` is the strict reading (every problem raised at once, each naming its lead field and
where it came from), for callers that want the lead exactly as sent or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from bot.intake.errors import LeadFieldError, LeadValidationError
from bot.intake.mapping import ParsedLead
from routing.lead import LEAD_FIELDS, MESSAGE_LIMIT, Lead

# Lead fields that the Lead derives from others: a problem with one is a problem with those.
_DERIVED = {
    "name": ("first_name", "last_name"),
    "email_domain": ("email",),
    "company_domain": ("email",),
}


# What a person answered; `source` (the form's name) alone is not a lead.
_ANSWERS = tuple(f for f in LEAD_FIELDS if f != "source")


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "…"


def _message(error: dict[str, Any], field: str) -> str:
    kind = error.get("type", "")
    if kind == "string_pattern_mismatch" and field == "email":
        return f"{_shown(error.get('input'))} is not a valid email address"
    message = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
    if kind == "value_error":
        return message  # our normalisers already quote the value they could not read
    if "input" in error:
        return f"{message} (got {_shown(error['input'])})"
    return message


def _field_of(error: dict[str, Any]) -> str:
    loc = [str(part) for part in error.get("loc", ())]
    return ".".join(loc[:2]) if loc[:1] == ["custom"] else (loc[0] if loc else "lead")


@dataclass(frozen=True)
class Unread:
    """An answer the lead could not take as it was, and where it was kept instead."""

    field: str  # the lead field it was meant for
    value: Any  # as sent
    message: str  # why it was not understood
    source: str | None  # the provider's field it came from
    kept_as: str  # 'custom.employees'

    @property
    def note(self) -> str:
        """'employees 'Prefer not to say' not understood', for the reason and the trace."""
        if self.field == "message" and self.kept_as.startswith("custom."):
            return f"message cut to {MESSAGE_LIMIT:,} characters (the whole text is {self.kept_as})"
        return f"{self.field} {_shown(self.value)} not understood"

    def as_dict(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "message": self.message,
            "source": self.source,
            "kept_as": self.kept_as,
        }


@dataclass(frozen=True)
class Reading:
    """The lead, and the answers it keeps as written because they could not be read."""

    lead: Lead
    unread: tuple[Unread, ...] = ()

    @property
    def notes(self) -> tuple[str, ...]:
        return tuple(u.note for u in self.unread)


def _free_key(custom: dict[str, Any], field: str) -> str:
    key, n = field, 1
    while key in custom:
        n += 1
        key = f"{field}_as_sent" if n == 2 else f"{field}_as_sent_{n - 1}"
    return key


def read_lead(parsed: ParsedLead) -> Reading:
    """The lead, with every answer that cannot be read kept in `custom` and noted.

    Raises LeadValidationError only when nothing at all could be read."""
    fields = {k: v for k, v in parsed.fields.items() if k != "custom"}
    custom = dict(parsed.fields.get("custom") or {})
    unread: list[Unread] = []
    message = fields.get("message")
    if isinstance(message, str) and len(message.strip()) > MESSAGE_LIMIT:
        kept_as = _free_key(custom, "message")
        custom[kept_as] = message
        fields["message"] = message.strip()[: MESSAGE_LIMIT - 1] + "…"
        unread.append(
            Unread("message", message, f"longer than {MESSAGE_LIMIT:,} characters",
                   parsed.sources.get("message"), f"custom.{kept_as}")
        )  # fmt: skip
    for _ in range(len(fields) + 2):  # each round sets at least one field aside
        try:
            lead = Lead.model_validate({**fields, "custom": custom} if custom else fields)
        except ValidationError as exc:
            problems = {}
            for error in exc.errors():
                problems.setdefault(_field_of(error), error)
            set_aside = _set_aside(problems, fields, custom, parsed.sources)
            if not set_aside:
                raise _refusal(exc, parsed) from None
            unread += set_aside
            continue
        if not lead.custom and all(getattr(lead, f) is None for f in _ANSWERS):
            raise LeadValidationError(
                [LeadFieldError("lead", "the body carries no lead: no answer could be read")]
            )
        return Reading(lead, tuple(unread))
    raise LeadValidationError([LeadFieldError("lead", "the answers could not be read")])


def _set_aside(
    problems: dict[str, dict[str, Any]],
    fields: dict[str, Any],
    custom: dict[str, Any],
    sources: dict[str, str],
) -> list[Unread]:
    """Move each answer that failed from `fields` to `custom`; what was moved."""
    moved = []
    for field, error in problems.items():
        culprits = [field] if field in fields else list(_DERIVED.get(field, ()))
        for culprit in culprits:
            if culprit not in fields:
                continue
            value = fields.pop(culprit)
            key = _free_key(custom, culprit)
            custom[key] = value
            message = _message(error, field)
            moved.append(Unread(culprit, value, message, sources.get(culprit), f"custom.{key}"))
    return moved


def _refusal(exc: ValidationError, parsed: ParsedLead) -> LeadValidationError:
    problems = []
    for error in exc.errors():
        field = _field_of(error)
        problems.append(LeadFieldError(field, _message(error, field), parsed.sources.get(field)))
    return LeadValidationError(problems)


def to_lead(parsed: ParsedLead) -> Lead:
    """Validate strictly; on failure raise LeadValidationError listing a LeadFieldError per
    field. A lead nobody can reach is refused: it needs an email address or a phone number."""
    try:
        lead = Lead.model_validate(parsed.fields)
    except ValidationError as exc:
        raise _refusal(exc, parsed) from None
    if not lead.email and not lead.phone:
        raise LeadValidationError(
            [LeadFieldError("email", "a lead needs an email address or a phone number")]
        )
    return lead
