"""Local stand-ins for the CRMs leadrouter talks to, built from their published contracts, as
slack_standin is for Slack: HubSpot's CRM API (crm_standins.hubspot) and Salesforce's REST
API (crm_standins.salesforce). Each is an HTTP server on 127.0.0.1 in a thread, seeded,
scripted (outages, stalls, late answers, latency, rate limits, refused tokens) and inspected
by tests. Every rule says where it came from: a vendor's reference page, its changelog, or,
where no public source was found, "written from memory".

    with HubSpotStandin() as hubspot:
        hubspot.add_owner("42", "ben@sales.io")
        crm = HubSpotCrm(hubspot.token, hubspot.url)   # or HUBSPOT_API_URL=hubspot.url

    with SalesforceStandin() as salesforce:
        crm = SalesforceCrm(salesforce.url, client_id=salesforce.client_id,
                            client_secret=salesforce.client_secret)
"""

from crm_standins.base import Call, Fault
from crm_standins.hubspot import HubSpotStandin
from crm_standins.salesforce import SalesforceStandin

__all__ = ["Call", "Fault", "HubSpotStandin", "SalesforceStandin"]
