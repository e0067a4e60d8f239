"""The systems around Slack that a lead's life is written to: the CRM (HubSpot, Salesforce)
and any other system by signed outbound webhook (outbound.py)."""
