"""How a provider's form fields map to lead fields: the `intake.mappings` part of routing.yml.

Lives in routing/ because it is config, validated (with file and line) when routing.yml loads;
bot.intake applies it to deliveries.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field, field_validator

from routing.lead import LEAD_FIELDS

IGNORE = "ignore"


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


class FieldMapping(BaseModel):
    """Per-provider mapping from config. Empty means: default aliases only."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    fields: dict[str, str] = Field(
        default_factory=dict,
        description="Provider field label/ref/key -> lead field, 'custom.<key>' or 'ignore'",
    )
    paths: dict[str, str] = Field(
        default_factory=dict,
        description="Dot path into the JSON body (list items by index) -> lead field",
    )
    delivery_id_path: str | None = Field(None, description="Dot path of the delivery id")
    submitted_at_path: str | None = Field(None, description="Dot path of the submission time")

    @field_validator("fields", "paths")
    @classmethod
    def _targets(cls, value: dict[str, str]) -> dict[str, str]:
        return {name: _check_target(target) for name, target in value.items()}

    def override(self, names: Iterable[str]) -> str | None:
        if not self.fields:
            return None
        wanted = {normalise_name(n) for n in names if n}
        for name, target in self.fields.items():
            if normalise_name(name) in wanted:
                return target
        return None
