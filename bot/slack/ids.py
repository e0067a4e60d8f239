"""Action ids and button values: named once here, parsed in one place."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class Action(StrEnum):
    claim = "lead_claim"
    reassign = "lead_reassign"
    decline = "lead_decline"
    contacted = "lead_contacted"
    outcome = "lead_outcome"
    home_away = "home_away"
    home_back = "home_back"
    open_crm = "lead_open_crm"  # a link button: Slack opens the URL, and tells us of the click


class View(StrEnum):
    reassign = "reassign_modal"
    decline = "decline_modal"


class Command(StrEnum):
    away = "/away"
    back = "/back"
    routing_stats = "/routing-stats"


class LeadRef(BaseModel):
    """The value carried by every card button and modal: which lead. Nothing else is trusted
    from the click; the lead's state is read from the database."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    lead: int
    outcome: str | None = None  # on the outcome menu's options: won, lost, disqualified

    def encode(self) -> str:
        return self.model_dump_json(exclude_none=True)

    @classmethod
    def decode(cls, value: str | None) -> LeadRef:
        return cls.model_validate_json(value or "")

    @classmethod
    def read(cls, value: str | None) -> LeadRef | None:
        """The lead a button or form names, or None when the value is not one of ours (an
        older version's button, an empty private_metadata)."""
        try:
            return cls.decode(value)
        except ValueError:
            return None


# Block ids and input action ids inside the modals.
REASSIGN_USER_BLOCK = "reassign_user"
REASSIGN_USER_INPUT = "reassign_user_input"
REASON_BLOCK = "reason"
REASON_INPUT = "reason_input"
