"""routing.yml's `crm:` and `events:` sections: which CRM closes the loop, and which other
systems hear about leads by signed webhook. Pure config; the clients are bot.crm's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, field_validator

from routing.durations import Duration


class CrmProvider(StrEnum):
    hubspot = "hubspot"
    salesforce = "salesforce"


class CrmConfig(BaseModel):
    """`crm: {provider: hubspot}` alone works: owners matched to reps by email, ownership read
    at routing time within 400 ms, the owner, status and a task written back."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    provider: CrmProvider
    read_owner: bool = Field(
        True, description="Route a lead to the rep who owns its contact, lead or company in the CRM"
    )
    write_back: bool = Field(
        True, description="Write the owner, the status and a task back to the CRM"
    )
    budget_ms: int = Field(
        400, ge=50, le=5000, description="Time a lead may wait for the CRM at routing time"
    )
    cache: Duration = Field(
        timedelta(minutes=10), description="How long an ownership answer is reused"
    )
    owners: dict[str, str] = Field(
        default_factory=dict,
        description="CRM owner (their email, or their id in the CRM) -> rep id, where the emails "
        "differ; everyone else is matched by email",
    )
    free_mail: frozenset[str] = Field(
        frozenset(), description="More free-mail domains, never taken for a company's"
    )
    status: dict[
        Literal["assigned", "claimed", "contacted", "won", "lost", "disqualified"], str
    ] = Field(
        default_factory=dict,
        description="Our state -> the CRM's lead status (HubSpot hs_lead_status, Salesforce "
        "Lead.Status), for: assigned, claimed, contacted, won, lost, disqualified",
    )
    task: bool = Field(True, description="Create a task for the owner, due at the claim SLA")
    outcomes: dict[Literal["won", "lost", "disqualified"], tuple[str, ...]] = Field(
        default_factory=dict,
        description="Which CRM values are an outcome: HubSpot deal stages (default won: "
        "closedwon, lost: closedlost), Salesforce lead statuses (default won: Closed - "
        "Converted, lost: Closed - Not Converted)",
    )

    @field_validator("free_mail", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return [str(v).strip().lower() for v in value] if isinstance(value, list | tuple) else value


@dataclass(frozen=True)
class CrmAnswer:
    """What the CRM said about a lead before it was routed (bot.crm asks, within a time
    budget; routing decides). `rep_id`: the rep who owns the lead's contact, lead or company.
    `why` goes into the trace either way: "HubSpot: company acme.com is owned by Ben Carter",
    "HubSpot: nobody owns kim@acme.com or acme.com", "HubSpot not consulted: no answer within
    400 ms"."""

    rep_id: str | None
    why: str


class EventName(StrEnum):
    received = "lead.received"
    assigned = "lead.assigned"
    claimed = "lead.claimed"
    reassigned = "lead.reassigned"
    escalated = "lead.escalated"
    contacted = "lead.contacted"
    outcome = "lead.outcome"


class Subscription(BaseModel):
    """One system that hears about leads: POSTs to `url`, signed with the secret in the
    environment variable `secret_env` (as our inbound generic webhook is signed)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: HttpUrl
    secret_env: Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9_]*$")]
    events: tuple[EventName, ...] = Field(min_length=1)
