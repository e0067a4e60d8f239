"""Signed webhooks to other systems (Zapier, Make, a warehouse loader): routing.yml's `events`."""
