"""How a source's form fields map to lead fields, and how it proves who it is: the
`intake.mappings` part of routing.yml.

Lives in routing/ because it is config, validated (with file and line) when routing.yml loads;
bot.intake applies it to deliveries. Paths into a body are parsed here (`parse_path`), so a
typo in one is a config error, not a lead lost at run time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from functools import cached_property, lru_cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from routing.durations import Duration
from routing.lead import LEAD_FIELDS

IGNORE = "ignore"
BUILT_IN_ADAPTERS = ("generic", "typeform", "hubspot", "tally", "webflow")
HEADER_NAME = r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$"  # an HTTP header name (RFC 9110 token)
ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"


_SEPARATORS = re.compile(r"[\W_]+")


@lru_cache(maxsize=4096)  # a form's labels come again with every delivery
def normalise_name(text: str) -> str:
    """'Company size?' -> 'company size'; 'num_employees' -> 'num employees'."""
    return " ".join(_SEPARATORS.sub(" ", text.casefold()).split())


def _check_target(target: str) -> str:
    target = target.strip()
    if target == IGNORE or target in LEAD_FIELDS:
        return target
    if target.startswith("custom.") and len(target) > len("custom."):
        return target
    raise ValueError(
        f"unknown lead field {target!r} (use one of {', '.join(LEAD_FIELDS)}, "
        f"'custom.<key>' or '{IGNORE}')"
    )


# ---------------------------------------------------------------- paths into a body


@dataclass(frozen=True)
class Key:
    """`.name`: a key of an object (on a list, a number is a position: `answers.0`)."""

    name: str


@dataclass(frozen=True)
class Index:
    """`[2]`, `[-1]`: a list item by position."""

    position: int


@dataclass(frozen=True)
class Match:
    """`[question="Company size"]`: the first list item whose `field` reads `value` (compared
    ignoring case and punctuation, as field labels are)."""

    field: str
    value: str


Step = Key | Index | Match
_QUOTED = r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\''
_TOKEN = re.compile(
    rf"\.?(?P<name>[^.\[\]]+)"  # .name (the dot is optional at the start)
    rf"|\[\s*(?P<index>-?\d+)\s*\]"  # [2]
    rf"|\[\s*(?P<key>{_QUOTED})\s*\]"  # ["1.3"]: a key with dots or brackets in it
    rf"|\[\s*(?P<field>{_QUOTED}|[^=\]\s]+)\s*=\s*(?P<value>{_QUOTED}|[^\]]*?)\s*\]"  # [k=v]
)


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return re.sub(r"\\(.)", r"\1", text[1:-1])
    return text


@lru_cache(maxsize=1024)
def parse_path(path: str) -> tuple[Step, ...]:
    """'data.contact.email', 'answers.0.value', 'fields[name=email].value',
    'questions_and_answers[question="Company size"].answer', '["1.3"]' -> steps."""
    steps: list[Step] = []
    at = 0
    text = path.strip()
    if not text:
        raise ValueError("a path cannot be empty")
    while at < len(text):
        found = _TOKEN.match(text, at)
        if found is None or (found.group("name") and at and text[at] not in ".["):
            raise ValueError(
                f"cannot read path {path!r} at character {at + 1} (write data.email, "
                'answers.0.value, fields[name=email].value or ["1.3"])'
            )
        if found.group("name") is not None:
            steps.append(Key(found.group("name")))
        elif found.group("index") is not None:
            steps.append(Index(int(found.group("index"))))
        elif found.group("key") is not None:
            steps.append(Key(_unquote(found.group("key"))))
        else:
            steps.append(Match(_unquote(found.group("field")), _unquote(found.group("value"))))
        at = found.end()
    return tuple(steps)


def _check_path(path: str) -> str:
    parse_path(path)
    return path


# ---------------------------------------------------------------- authentication


class SignatureScheme(BaseModel):
    """An HMAC signature in a header: what is signed, with which hash, written how."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    header: str = Field(pattern=HEADER_NAME, description="The header carrying the signature")
    format: str = Field(
        "{signature}",
        description="How the header reads: '{signature}', 'sha256={signature}', "
        "'t={timestamp},v1={signature}' (key=value pairs, in any order)",
    )
    encoding: Literal["hex", "base64"] = "hex"
    algorithm: Literal["sha256", "sha1", "sha512"] = "sha256"
    signed: str | None = Field(
        None,
        description="What is signed, from {timestamp}, {body}, {method} and {url}; default "
        "'{timestamp}.{body}' with a timestamp, else '{body}'",
    )

    @field_validator("format")
    @classmethod
    def _format(cls, value: str) -> str:
        if value.count("{signature}") != 1:
            raise ValueError("format must hold {signature} once, e.g. 'sha256={signature}'")
        unknown = set(re.findall(r"\{(\w*)\}", value)) - {"signature", "timestamp"}
        if unknown:
            raise ValueError(f"format knows {{signature}} and {{timestamp}}, not {unknown}")
        if "{timestamp}" in value:
            for part in value.split(","):
                key, equals, placeholder = part.strip().partition("=")
                if not key or not equals or placeholder not in ("{signature}", "{timestamp}"):
                    raise ValueError(
                        "a format with {timestamp} is key=value pairs: "
                        "'t={timestamp},v1={signature}'"
                    )
        elif not value.endswith("{signature}"):
            raise ValueError("{signature} ends the format: '<prefix>{signature}'")
        return value

    @field_validator("signed")
    @classmethod
    def _signed(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if value.count("{body}") != 1:
            raise ValueError("signed must hold {body} once, e.g. '{timestamp}.{body}'")
        unknown = set(re.findall(r"\{(\w*)\}", value)) - {"timestamp", "body", "method", "url"}
        if unknown:
            raise ValueError(
                f"signed knows {{timestamp}}, {{body}}, {{method}}, {{url}}: {unknown}"
            )
        return value

    @property
    def timestamp_key(self) -> str | None:
        """The key of the timestamp inside the header ('t' in 't={timestamp},v1=…')."""
        return self._key_of("{timestamp}")

    @property
    def signature_key(self) -> str | None:
        return self._key_of("{signature}") if "{timestamp}" in self.format else None

    @property
    def prefix(self) -> str:
        return "" if "{timestamp}" in self.format else self.format.removesuffix("{signature}")

    def _key_of(self, placeholder: str) -> str | None:
        for part in self.format.split(","):
            key, _, value = part.strip().partition("=")
            if value == placeholder:
                return key
        return None


class TimestampRule(BaseModel):
    """When the request was signed: its own header, or a key of the signature header."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    header: str | None = Field(
        None, pattern=HEADER_NAME, description="Its own header (else {timestamp} in the format)"
    )
    unit: Literal["seconds", "milliseconds"] = "seconds"
    tolerance: Duration = Field(
        timedelta(minutes=5), description="How old (or early) a request may be"
    )


class TokenAuth(BaseModel):
    """A shared secret sent as it is, for tools that cannot sign: weaker than a signature."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    header: str | None = Field(None, pattern=HEADER_NAME, description="The header carrying it")
    prefix: str = Field("", description="Before the token in the header, e.g. 'Bearer '")
    path: bool = Field(False, description="In the URL instead: /webhooks/leads/<name>/<token>")

    @model_validator(mode="after")
    def _one_place(self) -> TokenAuth:
        if (self.header is None) == (not self.path):
            raise ValueError("say where the token is: header: <name>, or path: true")
        if self.path and self.prefix:
            raise ValueError("prefix is for a token in a header")
        return self


class SourceAuth(BaseModel):
    """How one source proves its requests: a signature of its own scheme, or a token."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    secret_env: str | None = Field(
        None,
        pattern=ENV_NAME,
        description="The environment variable holding this source's secret (default: the "
        "provider's own, or WEBHOOK_SECRET)",
    )
    signature: SignatureScheme | None = None
    timestamp: TimestampRule | None = None
    token: TokenAuth | None = None

    @model_validator(mode="after")
    def _consistent(self) -> SourceAuth:
        if self.signature is not None and self.token is not None:
            raise ValueError("a source is checked by a signature or by a token, not both")
        if self.token is not None and self.secret_env is None:
            raise ValueError(
                "a token needs a secret_env of its own (it travels with every request: never "
                "reuse a signing secret)"
            )
        if self.timestamp is not None and self.signature is None:
            raise ValueError("a timestamp is checked with a signature: add signature:")
        if self.signature is not None:
            in_header = self.signature.timestamp_key is not None
            own_header = self.timestamp is not None and self.timestamp.header is not None
            if in_header and own_header:
                raise ValueError("the timestamp is in the signature header or its own, not both")
            if self.timestamp is not None and not (in_header or own_header):
                raise ValueError("say where the timestamp is: timestamp.header, or {timestamp}")
            signed = self.signature.signed
            if (in_header or own_header) and signed is not None and "{timestamp}" not in signed:
                raise ValueError(
                    "signed must hold {timestamp}: an unsigned timestamp proves nothing"
                )
        return self

    @property
    def timestamped(self) -> bool:
        return self.signature is not None and (
            self.signature.timestamp_key is not None
            or (self.timestamp is not None and self.timestamp.header is not None)
        )

    @property
    def signed_template(self) -> str:
        if self.signature is not None and self.signature.signed is not None:
            return self.signature.signed
        return "{timestamp}.{body}" if self.timestamped else "{body}"


# ---------------------------------------------------------------- the mapping


class FieldMapping(BaseModel):
    """Per-source mapping from config. Empty means: default aliases only."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    adapter: Literal[BUILT_IN_ADAPTERS] | None = Field(  # type: ignore[valid-type]
        None,
        description="Read this source with a built-in provider's adapter (e.g. a second "
        "Typeform account with its own secret)",
    )
    auth: SourceAuth | None = Field(None, description="How this source proves its requests")
    fields: dict[str, str] = Field(
        default_factory=dict,
        description="Provider field label/ref/key -> lead field, 'custom.<key>' or 'ignore'",
    )
    paths: dict[str, str] = Field(
        default_factory=dict,
        description="Path into the body (list items by index or by a field's value) -> lead field",
    )
    delivery_id_path: str | None = Field(None, description="Path of the delivery id")
    submitted_at_path: str | None = Field(None, description="Path of the submission time")
    accept: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Path -> the values a delivery must have there to be a lead, e.g. "
        "{event: invitee.created}; others are acknowledged (202) and ignored",
    )
    source: str | None = Field(
        None, max_length=100, description="The form's name, when the body does not say it"
    )
    numeric_country_codes: bool = Field(
        False, description="The form sends ISO 3166 numeric country codes ('276' = DE)"
    )

    @field_validator("fields", "paths")
    @classmethod
    def _targets(cls, value: dict[str, str]) -> dict[str, str]:
        return {name: _check_target(target) for name, target in value.items()}

    @field_validator("paths")
    @classmethod
    def _paths(cls, value: dict[str, str]) -> dict[str, str]:
        for path in value:
            _check_path(path)
        return value

    @field_validator("accept", mode="before")
    @classmethod
    def _accept(cls, value: object) -> object:
        if isinstance(value, dict):
            value = {k: v if isinstance(v, list) else [v] for k, v in value.items()}
            for path, wanted in value.items():
                _check_path(str(path))
                if not wanted:
                    raise ValueError(f"accept.{path}: list the values a lead has there")
            return {k: [str(v) for v in wanted] for k, wanted in value.items()}
        return value

    @field_validator("delivery_id_path", "submitted_at_path")
    @classmethod
    def _path(cls, value: str | None) -> str | None:
        return None if value is None else _check_path(value)

    @cached_property
    def _overrides(self) -> tuple[tuple[str, str], ...]:
        return tuple((normalise_name(name), target) for name, target in self.fields.items())

    def override(self, names: Iterable[str]) -> str | None:
        if not self.fields:
            return None
        wanted = {normalise_name(n) for n in names if n}
        for name, target in self._overrides:
            if name in wanted:
                return target
        return None
