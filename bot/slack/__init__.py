"""Slack: the Bolt app, its listeners, lead cards and the delivery of notifications."""
