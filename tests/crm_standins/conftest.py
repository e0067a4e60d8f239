"""One running stand-in of each CRM per test session, emptied before each test."""

from __future__ import annotations

import pytest
import requests
from hubspot import HubSpot
from simple_salesforce import Salesforce

from crm_standins.hubspot import HubSpotStandin
from crm_standins.salesforce import SalesforceStandin


@pytest.fixture
def hubspot(running_hubspot: HubSpotStandin) -> HubSpotStandin:
    running_hubspot.reset()
    return running_hubspot


@pytest.fixture
def client(hubspot: HubSpotStandin) -> HubSpot:
    """HubSpot's own Python client, pointed at the stand-in, without its retries."""
    return HubSpot(access_token=hubspot.token, host=hubspot.url, retry=False)


@pytest.fixture
def salesforce(running_salesforce: SalesforceStandin) -> SalesforceStandin:
    running_salesforce.reset()
    return running_salesforce


class PlainHttp(requests.adapters.HTTPAdapter):
    """simple-salesforce writes every URL as https://<instance>: this sends those addressed to
    the stand-in over plain HTTP, so the client's own request and error handling run as is."""

    def send(self, request, **kwargs):  # type: ignore[no-untyped-def]
        request.url = request.url.replace("https://", "http://", 1)
        return super().send(request, **kwargs)


def simple_salesforce(standin: SalesforceStandin, token: str | None = None) -> Salesforce:
    session = requests.Session()
    session.mount(standin.url.replace("http://", "https://"), PlainHttp())
    return Salesforce(
        instance_url=standin.url,
        session_id=token or standin.session(),
        session=session,
        version="60.0",
    )
