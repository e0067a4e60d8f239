"""One running stand-in of each CRM per test session (tests/crm and tests/crm_standins each
import these, then seed and reset them their own way)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from crm_standins.hubspot import HubSpotStandin
from crm_standins.salesforce import SalesforceStandin


@pytest.fixture(scope="session")
def running_hubspot() -> Iterator[HubSpotStandin]:
    with HubSpotStandin() as hubspot:
        yield hubspot


@pytest.fixture(scope="session")
def running_salesforce() -> Iterator[SalesforceStandin]:
    with SalesforceStandin() as salesforce:
        yield salesforce
