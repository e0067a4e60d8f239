"""The Lead: one inbound request for sales contact, normalised so rules can compare it."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from routing import normalize

# Campaign tracking (UTM parameters): fields of their own, so `source` stays the form.
UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
MESSAGE_LIMIT = 10_000  # characters of free text kept as the lead's message

# Lead fields a rule may name directly; anything else is reached as `custom.<key>`.
LEAD_FIELDS = (
    "name",
    "first_name",
    "last_name",
    "email",
    "email_domain",
    "company_domain",
    "phone",
    "title",
    "company",
    "country",
    "region",
    "city",
    "employees",
    "annual_revenue",
    "industry",
    "product",
    "score",
    "language",
    "source",
    "message",
    *UTM_FIELDS,
)
NUMERIC_FIELDS = frozenset({"employees", "annual_revenue", "score"})


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str) and not value.strip():
        return None
    return value


class Lead(BaseModel):
    """A lead as the routing engine sees it. Build it from any form through an adapter."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)

    name: str | None = Field(None, max_length=300, description="Contact's full name")
    first_name: str | None = Field(None, max_length=150)
    last_name: str | None = Field(None, max_length=150)
    email: str | None = Field(None, max_length=320, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    email_domain: str | None = Field(None, max_length=255, description="Derived from email")
    company_domain: str | None = Field(
        None, max_length=255, description="Company website or domain; defaults to email domain"
    )
    phone: str | None = Field(None, max_length=50)
    title: str | None = Field(None, max_length=200, description="Job title")
    company: str | None = Field(None, max_length=300)
    country: str | None = Field(None, description="Any name or code; stored as ISO 3166 alpha-2")
    region: str | None = Field(None, max_length=100, description="State, province or region")
    city: str | None = Field(None, max_length=100)
    employees: int | None = Field(None, description="Company size; '500-1000', '1,000+' accepted")
    annual_revenue: float | None = Field(None, description="'$5M', '5000000' accepted")
    industry: str | None = Field(None, max_length=100)
    product: str | None = Field(None, max_length=100, description="Product of interest")
    score: float | None = Field(
        None, ge=-1000, le=1000, description="Lead score (a quiz may score below zero)"
    )
    language: str | None = Field(None, description="Any name or code; stored as ISO 639-1")
    source: str | None = Field(None, max_length=100, description="The form: its title or name")
    message: str | None = Field(None, max_length=MESSAGE_LIMIT, description="Free text")
    utm_source: str | None = Field(None, max_length=200, description="Campaign: utm_source")
    utm_medium: str | None = Field(None, max_length=200)
    utm_campaign: str | None = Field(None, max_length=200)
    utm_term: str | None = Field(None, max_length=200)
    utm_content: str | None = Field(None, max_length=200)
    custom: dict[str, Any] = Field(default_factory=dict, description="Any other form fields")

    @field_validator("country", mode="before")
    @classmethod
    def _country(cls, value: Any) -> Any:
        return normalize.country_code(str(value)) if value is not None else None

    @field_validator("language", mode="before")
    @classmethod
    def _language(cls, value: Any) -> Any:
        return normalize.language_code(str(value)) if value is not None else None

    @field_validator("employees", mode="before")
    @classmethod
    def _employees(cls, value: Any) -> Any:
        return normalize.employee_count(value) if value is not None else None

    @field_validator("annual_revenue", mode="before")
    @classmethod
    def _revenue(cls, value: Any) -> Any:
        return normalize.money_amount(value) if value is not None else None

    @field_validator("company_domain", mode="before")
    @classmethod
    def _domain(cls, value: Any) -> Any:
        return normalize.website_domain(str(value)) if value is not None else None

    @field_validator("custom", mode="before")
    @classmethod
    def _custom(cls, value: Any) -> Any:
        return {} if value is None else value

    @model_validator(mode="before")
    @classmethod
    def _derive(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        # an empty box on a form means "not given", before any field is parsed
        data = {key: _blank_to_none(value) for key, value in data.items()}
        email = data.get("email")
        if isinstance(email, str):
            data["email"] = email.strip().lower()
            if not _blank_to_none(data.get("email_domain")):
                data["email_domain"] = normalize.email_domain(email)
            if not _blank_to_none(data.get("company_domain")):
                data["company_domain"] = data["email_domain"]
        if not _blank_to_none(data.get("name")):
            parts = [data.get("first_name"), data.get("last_name")]
            joined = " ".join(str(p).strip() for p in parts if _blank_to_none(p))
            if joined:
                data["name"] = joined
        return data

    def value(self, field: str) -> Any:
        """The value a rule condition compares: a lead field or `custom.<key>` (dots go deeper)."""
        if field.startswith("custom."):
            current: Any = self.custom
            for part in field.split(".")[1:]:
                if not isinstance(current, dict) or part not in current:
                    return None
                current = current[part]
            return current
        return getattr(self, field)

    @property
    def display_name(self) -> str:
        return self.name or self.email or self.company or "unnamed lead"
