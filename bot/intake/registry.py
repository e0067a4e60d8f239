"""The adapters by name: `PROVIDERS["typeform"]`. A name not in it is a 404 for the web layer."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import ModuleType
from typing import Any, Protocol

from bot.intake import generic, hubspot, tally, typeform, webflow
from bot.intake.errors import UnknownProviderError
from bot.intake.mapping import FieldMapping, ParsedLead


class VerifyFn(Protocol):
    def __call__(
        self,
        headers: Mapping[str, str],
        body: bytes,
        now: datetime,
        secret: str | None,
        *,
        method: str | None = None,
        url: str | None = None,
    ) -> None: ...


@dataclass(frozen=True)
class Adapter:
    """One form provider: how to check its signature and read its payload."""

    name: str
    secret_setting: str  # env var / config key holding this provider's secret
    verify: VerifyFn  # raises SignatureError / MissingSecretError
    parse: Callable[[Any, FieldMapping | None], ParsedLead]  # raises PayloadError / IgnoredEvent
    delivery_id_header: str | None = None  # header that, when sent, is the delivery id
    needs_request_line: bool = False  # True: verify needs method= and url=


def _adapter(module: ModuleType, **extra: Any) -> Adapter:
    return Adapter(
        name=module.NAME,
        secret_setting=module.SECRET_SETTING,
        verify=module.verify,
        parse=module.parse,
        **extra,
    )


PROVIDERS: dict[str, Adapter] = {
    adapter.name: adapter
    for adapter in (
        _adapter(generic, delivery_id_header=generic.DELIVERY_ID_HEADER),
        _adapter(typeform),
        _adapter(hubspot, needs_request_line=True),
        _adapter(tally),
        _adapter(webflow),
    )
}


def get_adapter(name: str) -> Adapter:
    try:
        return PROVIDERS[name]
    except KeyError:
        raise UnknownProviderError(name, sorted(PROVIDERS)) from None
