"""Persistence: tables, transactions and migrations. Knows routing's types, never Slack or HTTP."""
