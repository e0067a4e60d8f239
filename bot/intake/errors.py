"""What can go wrong when a form provider delivers a lead, as types the web layer maps to HTTP.

SignatureError -> 401, PayloadError -> 400, LeadValidationError -> 422 (a body that carries no
lead at all), IgnoredEvent -> 202 (acknowledge, store nothing), MissingSecretError -> 503 (our
configuration, not the caller's). A lead whose answers cannot all be read is no error: the
answers are kept as written (bot.intake.validation).
Messages never contain a secret or an expected signature.
"""

from __future__ import annotations


class IntakeError(Exception):
    """Base class of every intake failure."""


class SignatureError(IntakeError):
    """The request is not proven to come from the provider: missing, stale or wrong signature
    (or token: `what` says which the source uses)."""

    def __init__(self, reason: str, what: str = "signature") -> None:
        super().__init__(reason)
        self.reason = reason
        self.what = what


class MissingSecretError(IntakeError):
    """No secret is configured for this provider, so nothing from it can be accepted."""

    def __init__(self, provider: str, setting: str) -> None:
        super().__init__(f"no secret configured for {provider} (set {setting})")
        self.provider = provider
        self.setting = setting


class PayloadError(IntakeError):
    """The body is not JSON, or not the shape this provider documents."""


class IgnoredEvent(IntakeError):
    """A genuine delivery that carries no lead (e.g. a partial response): acknowledge, skip."""


class UnknownProviderError(IntakeError, KeyError):
    """No adapter or configured source under that name (the web layer answers 404)."""

    def __init__(self, name: str, known: list[str], configured: list[str] | None = None) -> None:
        text = f"unknown lead provider {name!r} (known: {', '.join(known)}"
        if configured is not None:
            listed = ", ".join(configured) if configured else "none"
            text += f"; configured in intake.mappings: {listed}"
        super().__init__(text + ")")
        self.name = name

    def __str__(self) -> str:  # KeyError would otherwise quote the whole message
        return str(self.args[0])


class LeadFieldError(IntakeError):
    """One lead field that cannot be accepted, and the provider's field it came from if known."""

    def __init__(self, field: str, message: str, source: str | None = None) -> None:
        text = f"{field}: {message}" + (f" (from {source})" if source else "")
        super().__init__(text)
        self.field = field
        self.message = message
        self.source = source

    def as_dict(self) -> dict[str, str | None]:
        return {"field": self.field, "message": self.message, "source": self.source}


class LeadValidationError(IntakeError):
    """Every field problem of one delivery, so the caller can fix them all at once."""

    def __init__(self, errors: list[LeadFieldError]) -> None:
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = errors
