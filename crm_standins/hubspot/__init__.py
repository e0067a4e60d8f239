"""A HubSpot CRM stand-in (crm_standins.hubspot.standin.HubSpotStandin)."""

from crm_standins.hubspot.standin import DEFAULT_TOKEN, HubSpotStandin
from crm_standins.hubspot.webhooks import deal_stage_event, signed_webhook

__all__ = ["DEFAULT_TOKEN", "HubSpotStandin", "deal_stage_event", "signed_webhook"]
