"""Won and lost, from the CRM: stats and `top_performer` then run on the CRM's truth, not only
on button presses.

- HubSpot: a webhook subscription of the app (deal.propertyChange on dealstage) POSTs to
  /webhooks/crm/hubspot, signed with HubSpot's v3 signature (the app's client secret,
  HUBSPOT_CLIENT_SECRET, as for form workflows). Each change is queued (outbox kind
  crm_outcome) and, once delivered, the deal's contacts are read: the open leads with their
  emails get the outcome.
- Salesforce: the Leads we wrote are polled (`poll_salesforce`, every few minutes): a Lead
  converted, or with a closed Status, closes its lead.
Which CRM values are which outcome: `crm.outcomes` in routing.yml, with the CRMs' defaults.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlmodel import col, select

from bot.intake import hubspot as hubspot_signature
from bot.intake.errors import IntakeError, MissingSecretError
from bot.runtime import Runtime
from routing import RoutingConfig
from routing.crm_config import CrmProvider
from storage import lifecycle, outbox
from storage.db import read_only, transaction
from storage.lifecycle import Refused
from storage.models import CrmLink, EventCursor, LeadRow, LeadState

log = logging.getLogger(__name__)

DEFAULTS = {
    CrmProvider.hubspot: {"won": ("closedwon",), "lost": ("closedlost",)},
    CrmProvider.salesforce: {"won": ("Closed - Converted",), "lost": ("Closed - Not Converted",)},
}
OPEN = ("assigned", "triage", "claimed", "contacted")
POLL_CURSOR = "salesforce-outcomes"
FIRST_LOOK_BACK = timedelta(days=1)
# Each poll looks back this much before the last one: Salesforce stamps LastModifiedDate when
# a save begins, by its clock, so a save that commits across our poll carries an earlier time
# (Salesforce's replication guidance says to overlap polling windows; from memory). Closing a
# lead twice is refused by the lifecycle, so the overlap costs nothing.
POLL_OVERLAP = timedelta(minutes=2)


def outcome_of(config: RoutingConfig, value: str | None) -> LeadState | None:
    """The outcome a CRM value (a deal stage, a lead status) stands for, if any."""
    assert config.crm is not None
    table = {**DEFAULTS[config.crm.provider], **config.crm.outcomes}
    for outcome, values in table.items():
        if value in values:
            return LeadState(outcome)
    return None


def _close(runtime: Runtime, leads: list[int], outcome: LeadState, crm: str, why: str) -> int:
    closed = 0
    for lead_id in leads:
        try:
            lifecycle.record_crm_outcome(
                runtime.engine, runtime.config, lead_id, outcome, runtime.now(), crm, why
            )
        except Refused:
            continue  # closed already (here, or by an earlier event)
        closed += 1
    if closed:
        runtime.kick()
    return closed


# ---------------------------------------------------------------- HubSpot


def router(runtime: Runtime) -> APIRouter:
    api = APIRouter()

    @api.post("/webhooks/crm/hubspot", summary="HubSpot deal changes (won, lost)")
    async def hubspot_events(request: Request) -> JSONResponse:
        body = await request.body()
        if len(body) > runtime.settings.max_body_bytes:
            return JSONResponse({"error": "body too large"}, status_code=413)
        try:
            hubspot_signature.verify(
                request.headers,
                body,
                runtime.now(),
                runtime.settings.secret("HUBSPOT_CLIENT_SECRET"),
                method=request.method,
                url=str(request.url),
            )
        except MissingSecretError as missing:
            return JSONResponse({"error": str(missing)}, status_code=503)
        except IntakeError as refused:  # a wrong or stale signature
            return JSONResponse({"error": str(refused)}, status_code=401)
        try:
            events = json.loads(body)
        except ValueError:
            return JSONResponse({"error": "body is not JSON"}, status_code=400)
        if not isinstance(events, list):
            return JSONResponse({"error": "HubSpot sends a JSON array of events"}, status_code=400)
        queued = await run_in_threadpool(_queue_deals, runtime, events)
        return JSONResponse({"queued": queued})

    return api


def _queue_deals(runtime: Runtime, events: list[Any]) -> int:
    """Deal stage changes to closing stages, queued to be looked up (durably, with retries)."""
    config, now = runtime.config, runtime.now()
    if config.crm is None or config.crm.provider is not CrmProvider.hubspot:
        return 0
    wanted = []
    for event in events:
        if not isinstance(event, dict) or event.get("propertyName") != "dealstage":
            continue
        stage = str(event.get("propertyValue") or "")
        if outcome_of(config, stage) is not None and event.get("objectId") is not None:
            wanted.append({"deal": str(event["objectId"]), "stage": stage})
    if wanted:
        with transaction(runtime.engine) as session:
            for payload in wanted:
                outbox.enqueue(session, outbox.Kind.crm_outcome, now, payload=payload)
        runtime.kick()
    return len(wanted)


def from_deal(runtime: Runtime, payload: dict[str, Any]) -> str:
    """A queued deal change: its contacts' open leads get the outcome (outbox kind
    crm_outcome, delivered by bot.slack.delivery)."""
    service = runtime.crm
    if service is None:
        return "not applied: no crm configured"
    outcome = outcome_of(runtime.config, payload.get("stage"))
    if outcome is None:
        return f"stage {payload.get('stage')!r} is no outcome"
    _stage, emails = service.crm.deal(str(payload["deal"]))
    with read_only(runtime.engine) as session:
        leads = list(
            session.exec(
                select(LeadRow.id)
                .where(col(LeadRow.email).in_(emails))
                .where(col(LeadRow.state).in_(OPEN))
            ).all()
        )
    why = f"deal {payload['deal']} {payload.get('stage')} in HubSpot"
    closed = _close(runtime, [i for i in leads if i is not None], outcome, "hubspot", why)
    return f"{closed} lead(s) {outcome} from deal {payload['deal']}"


# ---------------------------------------------------------------- Salesforce


def poll_salesforce(runtime: Runtime) -> int:
    """The Leads we wrote that Salesforce closed since the last look: their leads get the
    outcome. Returns how many were closed."""
    service, config = runtime.crm, runtime.config
    if service is None or config.crm is None or config.crm.provider is not CrmProvider.salesforce:
        return 0
    now = runtime.now()
    with read_only(runtime.engine) as session:
        cursor = session.get(EventCursor, POLL_CURSOR)
        since = cursor.updated_at - POLL_OVERLAP if cursor else now - FIRST_LOOK_BACK
        links = {
            link.record_id: link.lead_id
            for link, _state in session.exec(
                select(CrmLink, LeadRow.state)
                .join(LeadRow, col(LeadRow.id) == col(CrmLink.lead_id))
                .where(col(CrmLink.provider) == CrmProvider.salesforce.value)
                .where(col(LeadRow.state).in_(OPEN))
            ).all()
        }
    closed = 0
    ids = sorted(links)
    for start in range(0, len(ids), 200):  # SOQL's IN list, in pieces
        statuses = service.crm.lead_statuses(ids[start : start + 200], since)
        for record_id, (status, converted) in statuses.items():
            outcome = LeadState.won if converted else outcome_of(config, status)
            if outcome is not None:
                why = f"Lead {record_id} {'converted' if converted else status} in Salesforce"
                closed += _close(runtime, [links[record_id]], outcome, "salesforce", why)
    with transaction(runtime.engine) as session:
        session.merge(EventCursor(name=POLL_CURSOR, last_event_id=0, updated_at=now))
    return closed
