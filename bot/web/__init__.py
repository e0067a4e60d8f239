"""What leadrouter serves over HTTP: the FastAPI app (health, metrics, Slack's endpoint) and the
lead webhooks of the form tools."""

from bot.web.app import create_app

__all__ = ["create_app"]
