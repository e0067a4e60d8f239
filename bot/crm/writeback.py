"""The CRM brought in line with a lead (outbox kind crm_sync): its record found or created,
its owner and status written, a task created for a new owner. Durable, retried and leased like
every outbox message (bot.slack.dispatch); this is what one delivery does.

Each write is idempotent, so a retry after a timeout does no harm: a record is searched for
(by email) before one is created (in HubSpot, where an email is one contact's, the create
comes first and its 409 names the contact that exists: no search, whose limit is the
tightest and whose index lags), the owner and status are set to what the lead says now, and
a task carries a marker (`leadrouter-<lead>-<rep>`) that is looked for on the record before a
task is created, unless the record was created by this very sync. (The outbox's in-doubt flag
is not enough: a CRM timeout reaches the outbox as a Failed, which it does not count as in
doubt, and the first attempt's task was then made twice.) What was written is kept in
crm_links, with the record's link for the card; pending syncs of the same lead that this one
covered are marked done.
"""

from __future__ import annotations

from datetime import datetime

from bot.crm.base import Crm, Record, Task
from bot.crm.ownership import Ownership
from routing import RoutingConfig
from routing.crm_config import CrmProvider
from storage.models import CrmLink, LeadRow

# Our states -> what the CRM shows (routing.yml's crm.status overrides, state by state).
HUBSPOT_STATUS = {  # hs_lead_status, HubSpot's default options
    "assigned": "NEW",
    "claimed": "OPEN",
    "contacted": "CONNECTED",
    "won": "OPEN_DEAL",
    "lost": "BAD_TIMING",
    "disqualified": "UNQUALIFIED",
}
SALESFORCE_STATUS = {  # Lead.Status, Salesforce's default picklist
    "assigned": "Open - Not Contacted",
    "claimed": "Open - Not Contacted",
    "contacted": "Working - Contacted",
    "won": "Closed - Converted",
    "lost": "Closed - Not Converted",
    "disqualified": "Closed - Not Converted",
}
FIELDS = {  # the owner and status fields of the lead's record
    CrmProvider.hubspot: ("hubspot_owner_id", "hs_lead_status"),
    CrmProvider.salesforce: ("OwnerId", "Status"),
}


def status_for(config: RoutingConfig, state: str) -> str | None:
    assert config.crm is not None
    if state in config.crm.status:
        return config.crm.status[state]
    table = HUBSPOT_STATUS if config.crm.provider is CrmProvider.hubspot else SALESFORCE_STATUS
    return table.get(state)


def sync(
    crm: Crm,
    ownership: Ownership,
    config: RoutingConfig,
    lead: LeadRow,
    link: CrmLink | None,
    now: datetime,
    *,
    in_doubt: bool = False,
) -> tuple[CrmLink | None, str]:
    """Write what the lead says now; returns the link to keep and a note for the outbox."""
    assert config.crm is not None and lead.id is not None
    provider = config.crm.provider
    email = lead.email or lead.data.get("email")
    if link is None and not email:
        return None, f"not written to {crm.label}: the lead has no email"
    owner_id = ownership.owner_id_of(lead.owner) if lead.owner else None
    if link is not None:
        record = Record(link.record_type, link.record_id, None, link.url)
    else:
        # HubSpot: the create's 409 names the contact that exists (getattr: a Crm written
        # before the attribute looks first, as before)
        if getattr(crm, "email_is_unique", False):
            record = crm.create_record(_fields(lead), owner_id)
        else:
            record = crm.find_record(str(email)) or crm.create_record(_fields(lead), owner_id)
        link = CrmLink(
            lead_id=lead.id,
            provider=provider.value,
            record_type=record.type,
            record_id=record.id,
            url=record.url,
            owner_written=lead.owner if owner_id and record.owner_id == owner_id else None,
            updated_at=now,
        )
    owner_field, status_field = FIELDS[provider]
    changes: dict[str, str] = {}
    if owner_id and link.owner_written != lead.owner:
        changes[owner_field] = owner_id
    status = status_for(config, lead.state)
    if status and link.status_written != status:
        changes[status_field] = status
    if provider is CrmProvider.hubspot and lead.state == "won":
        changes["lifecyclestage"] = "customer"
    if changes:
        crm.update_record(record, changes)
    notes = [f"{crm.label} {record.type} {record.id}"]
    if lead.owner and not owner_id:
        notes.append(f"{lead.owner} is no owner in {crm.label} (match their email, or crm.owners)")
    task_due = lead.claim_due_at
    wants_task = config.crm.task and lead.state == "assigned" and owner_id and task_due
    if wants_task and link.task_for != lead.owner:
        assert owner_id is not None and task_due is not None and lead.owner is not None
        marker = f"leadrouter-{lead.id}-{lead.owner}"
        may_exist = in_doubt or not record.created
        if not (may_exist and crm.has_task(record, marker)):
            crm.create_task(record, _task(lead, owner_id, task_due, marker))
        link.task_for = lead.owner
        notes.append("task created")
    if owner_field in changes:
        link.owner_written = lead.owner
    if status_field in changes:
        link.status_written = status
    link.updated_at = now
    return link, "; ".join(notes)


def _fields(lead: LeadRow) -> dict[str, str | None]:
    data = lead.data
    return {
        "email": lead.email or data.get("email"),
        "name": data.get("name"),
        "company": lead.company or data.get("company"),
        "phone": data.get("phone"),
        "title": data.get("title"),
    }


def _task(lead: LeadRow, owner_id: str, due: datetime, marker: str) -> Task:
    who = lead.data.get("name") or lead.email or f"lead {lead.id}"
    company = f" ({lead.company})" if lead.company else ""
    return Task(
        subject=f"Follow up {who}{company}",
        body=f"New lead from {lead.source}, routed by leadrouter: {lead.reason}",
        due=due,
        owner_id=owner_id,
        marker=marker,
    )
