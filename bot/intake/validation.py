"""ParsedLead -> routing.Lead, with every field problem named as the lead field it concerns."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from bot.intake.errors import LeadFieldError, LeadValidationError
from bot.intake.mapping import ParsedLead
from routing.lead import Lead


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


def to_lead(parsed: ParsedLead) -> Lead:
    """Validate; on failure raise LeadValidationError listing a LeadFieldError per field.

    A lead nobody can reach is refused: it needs an email address or a phone number."""
    try:
        lead = Lead.model_validate(parsed.fields)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            loc = [str(part) for part in error.get("loc", ())]
            field = ".".join(loc[:2]) if loc[:1] == ["custom"] else (loc[0] if loc else "lead")
            problems.append(
                LeadFieldError(field, _message(error, field), parsed.sources.get(field))
            )
        raise LeadValidationError(problems) from None
    if not lead.email and not lead.phone:
        raise LeadValidationError(
            [LeadFieldError("email", "a lead needs an email address or a phone number")]
        )
    return lead
