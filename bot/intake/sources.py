"""The sources a server takes leads from: the built-in providers and the names configured in
`intake.mappings`, each with how it is read and how it is authenticated.

    typeform          built in: Typeform's adapter and signature, TYPEFORM_WEBHOOK_SECRET
    typeform-emea     mapping with `adapter: typeform` and `auth.secret_env`: a second account
    calendly          mapping with `paths` and `auth.signature`: read by paths, its own scheme
    jotform           mapping with `auth.token: {path: true}`: /webhooks/leads/jotform/<token>

A mapped source without an `auth.signature` or `auth.token` is signed like the generic
webhook, with its `auth.secret_env` (default WEBHOOK_SECRET).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from bot.intake.auth import verifier
from bot.intake.errors import UnknownProviderError
from bot.intake.registry import PROVIDERS, Adapter, VerifyFn
from bot.intake.signatures import require_secret
from routing.field_mapping import FieldMapping


@dataclass(frozen=True)
class Source:
    """One name under /webhooks/leads/: how its requests are checked and its bodies read."""

    name: str
    adapter: Adapter  # reads the body
    mapping: FieldMapping | None
    verify: VerifyFn  # raises SignatureError / MissingSecretError
    secret_setting: str  # the env var holding its secret
    token_in_path: bool = False  # /webhooks/leads/<name>/<token>
    accepts_forms: bool = False  # form-encoded and multipart bodies, not only JSON

    @property
    def delivery_id_header(self) -> str | None:
        return self.adapter.delivery_id_header

    @property
    def checks(self) -> str:
        """What proves its requests, for messages: 'signature' or 'token'."""
        auth = self.mapping.auth if self.mapping else None
        return "token" if auth is not None and auth.token is not None else "signature"

    def unverified(self) -> Source:
        """The same source with its check switched off (LEADROUTER_INSECURE_WEBHOOKS)."""

        def accept(*_args: Any, **_kwargs: Any) -> None:
            return None

        return replace(self, verify=accept)


def source_for(name: str, mapping: FieldMapping | None) -> Source | None:
    """The source called `name`, or None when it is neither built in nor configured."""
    built_in = PROVIDERS.get(name)
    if built_in is None and mapping is None:
        return None
    adapter = built_in or PROVIDERS[(mapping.adapter if mapping else None) or "generic"]
    auth = mapping.auth if mapping is not None else None
    setting = (auth.secret_env if auth is not None else None) or adapter.secret_setting
    if auth is not None and (auth.signature is not None or auth.token is not None):
        verify = verifier(name, auth, setting)
    else:
        verify = _with_secret_from(adapter.verify, name, setting)
    return Source(
        name=name,
        adapter=adapter,
        mapping=mapping,
        verify=verify,
        secret_setting=setting,
        token_in_path=auth is not None and auth.token is not None and auth.token.path,
        accepts_forms=built_in is None,
    )


def _with_secret_from(check: VerifyFn, name: str, setting: str) -> VerifyFn:
    """The adapter's own check, its missing secret named by the source's env var."""

    def verify(
        headers: Mapping[str, str],
        body: bytes,
        now: datetime,
        secret: str | None,
        *,
        method: str | None = None,
        url: str | None = None,
    ) -> None:
        check(headers, body, now, require_secret(secret, name, setting), method=method, url=url)

    return verify


class Sources:
    """The sources of one routing config, built once each."""

    def __init__(self, mappings: Mapping[str, FieldMapping]) -> None:
        self.mappings = mappings
        self._built: dict[str, Source] = {}

    def get(self, name: str) -> Source:
        """The source called `name`; raises UnknownProviderError listing what there is."""
        found = self._built.get(name)
        if found is None:
            found = source_for(name, self.mappings.get(name))
            if found is None:
                configured = sorted(n for n in self.mappings if n not in PROVIDERS)
                raise UnknownProviderError(name, sorted(PROVIDERS), configured)
            self._built[name] = found
        return found
