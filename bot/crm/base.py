"""What leadrouter asks of a CRM, whichever it is: one adapter per CRM (hubspot.py,
salesforce.py) behind this protocol, and their errors sorted once (errors.py).

- at routing time: who owns this lead's contact (or lead), else its company (or account), by
  email and by domain, within a time budget (bot.crm.ownership);
- the CRM's owners and their emails, to match them to reps;
- after a change: the lead's record found or created, its owner and status set, a task for
  its owner created (bot.crm.writeback);
- afterwards: the outcome of a deal (HubSpot webhooks) or of leads (a Salesforce poll).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class Found:
    """An owner the CRM names for a lead, and what it found them on."""

    owner_id: str  # the CRM's own id of the owner (HubSpot owner id, Salesforce User id)
    what: str  # "contact kim@acme.com", "company acme.com", "lead kim@acme.com", "account acme.com"


@dataclass(frozen=True)
class Record:
    """The lead's own record in the CRM."""

    type: str  # "contact" (HubSpot), "Lead" (Salesforce)
    id: str
    owner_id: str | None = None
    url: str | None = None
    created: bool = False  # made by this call (a 409 or a duplicate rule's match: found)


@dataclass(frozen=True)
class Task:
    subject: str
    body: str
    due: datetime
    owner_id: str
    marker: str  # a unique tag in the subject, to find the task again after a timeout


class Crm(Protocol):
    label: str  # "HubSpot", "Salesforce": how the trace and the card name it
    # The CRM refuses a second record with the same email and names the first (HubSpot's 409):
    # write-back then creates first and searches never (searches have the tightest limit).
    email_is_unique: bool

    def find_owner(self, email: str | None, domain: str | None, timeout: float) -> Found | None: ...

    def owners(self) -> dict[str, str]:
        """The CRM's owners: their id -> their email."""
        ...

    def find_record(self, email: str) -> Record | None: ...

    def create_record(self, fields: dict[str, str | None], owner_id: str | None) -> Record: ...

    def update_record(self, record: Record, changes: dict[str, str]) -> None: ...

    def has_task(self, record: Record, marker: str) -> bool:
        """Is there a task with this marker on the record? Read from the record itself, not
        from a search index that may not show a task made a moment ago."""
        ...

    def create_task(self, record: Record, task: Task) -> None: ...


class Outcomes(Protocol):
    """Won and lost, as the CRM knows them (each CRM tells it its own way)."""

    def closed(self, record_ids: list[str], since: datetime) -> dict[str, str]:
        """Record id -> "won" / "lost" / "disqualified", for records closed since `since`."""
        ...
