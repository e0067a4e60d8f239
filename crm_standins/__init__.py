"""Local stand-ins for the CRMs leadrouter talks to, built from their published contracts
(each rule says where it came from): HubSpot's CRM API and Salesforce's REST API."""
