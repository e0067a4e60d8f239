"""Lead intake: verify a form provider's webhook and turn its payload into a routing.Lead.

Pure functions, no web framework: the FastAPI app finds the source (`sources.Sources`: a
built-in provider or an `intake.mappings` name, with its authentication), calls
`receive(...)` (or the pieces: `.verify`, `body.decode_body`, `.parse`, `apply_paths`,
`read_lead`) and maps the exceptions in `bot.intake.errors` to HTTP answers. Time is an
argument; nothing here reads a clock or the env.
"""

from bot.intake.errors import (
    IgnoredEvent,
    IntakeError,
    LeadFieldError,
    LeadValidationError,
    MissingSecretError,
    PayloadError,
    SignatureError,
    UnknownProviderError,
)
from bot.intake.mapping import FieldMapping, ParsedLead, apply_paths, resolve_path
from bot.intake.pipeline import Intake, decode_json, receive
from bot.intake.registry import PROVIDERS, Adapter, get_adapter
from bot.intake.validation import read_lead, to_lead

__all__ = [
    "PROVIDERS",
    "Adapter",
    "FieldMapping",
    "IgnoredEvent",
    "Intake",
    "IntakeError",
    "LeadFieldError",
    "LeadValidationError",
    "MissingSecretError",
    "ParsedLead",
    "PayloadError",
    "SignatureError",
    "UnknownProviderError",
    "apply_paths",
    "decode_json",
    "get_adapter",
    "read_lead",
    "receive",
    "resolve_path",
    "to_lead",
]
