"""The CRM stand-ins, one of each per test session, emptied before each test; a team whose
reps have emails (the CRM's owners are matched to them by email)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest

from bot.crm.base import Crm
from bot.crm.ownership import Ownership
from crm_standins.hubspot import HubSpotStandin
from crm_standins.salesforce import SalesforceStandin
from routing import RoutingConfig
from storage.models import LeadRow
from tests.slack.conftest import running_standin, standin  # noqa: F401 (the Slack stand-in)
from tests.support.team import team

EMAILS = {
    "ana: {slack_id: U0ANA, name: Ana, capacity: 100}": (
        "ana: {slack_id: U0ANA, name: Ana, capacity: 100, email: ana@sales.io}"
    ),
    "ben: {slack_id: U0BEN, name: Ben}": "ben: {slack_id: U0BEN, name: Ben, email: ben@sales.io}",
}


def crm_team(crm: str) -> RoutingConfig:
    config = team(EMAILS)
    return (
        team({**EMAILS, "managers: [U0BOSS]": f"managers: [U0BOSS]\ncrm: {crm}"}) if crm else config
    )


@pytest.fixture(autouse=True)
def quiet_afterwards(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A look-up still running when its test ends (a slow CRM's answer, an owners refresh)
    would reach the next test's stand-in: each test waits for its own before it ends."""
    made: list[Ownership] = []
    real_init = Ownership.__init__

    def init(self: Ownership, *args: object, **kwargs: object) -> None:
        real_init(self, *args, **kwargs)  # type: ignore[arg-type]
        made.append(self)

    monkeypatch.setattr(Ownership, "__init__", init)
    yield
    for ownership in made:
        ownership.pool.shutdown(wait=True)


@pytest.fixture
def hubspot(running_hubspot: HubSpotStandin) -> HubSpotStandin:
    running_hubspot.reset()
    running_hubspot.add_owner("11", "ana@sales.io", "Ana", "Silva")
    running_hubspot.add_owner("22", "ben@sales.io", "Ben", "Carter")
    running_hubspot.add_owner("99", "someone@else.io", "Some", "One")
    return running_hubspot


@pytest.fixture
def salesforce(running_salesforce: SalesforceStandin) -> SalesforceStandin:
    running_salesforce.reset()
    return running_salesforce


def ownership_of(crm: Crm, config: RoutingConfig) -> Ownership:
    """The routing-time look-up over `crm`, its owners read as at start-up."""
    ownership = Ownership(crm, config)
    ownership.refresh_owners()
    return ownership


def assigned_lead(now: datetime, **fields: object) -> LeadRow:
    """Kim Lee of Acme, assigned to Ana at `now` with a 30-minute claim SLA: what write-back
    is given."""
    values: dict[str, object] = {
        "id": 12, "created_at": now, "source": "typeform", "email": "kim@acme.com",
        "company": "Acme", "data": {"email": "kim@acme.com", "name": "Kim Lee"},
        "state": "assigned", "owner": "ana", "reason": "North America → pool sales",
        "claim_due_at": now + timedelta(minutes=30),
    }  # fmt: skip
    return LeadRow(**{**values, **fields})
