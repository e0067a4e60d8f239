"""A Salesforce REST API stand-in (crm_standins.salesforce.standin.SalesforceStandin)."""

from crm_standins.salesforce.standin import SalesforceStandin

__all__ = ["SalesforceStandin"]
