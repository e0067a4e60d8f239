"""Settings from the environment (and a `.env` file, if present)."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

SLACK_API_URL = "https://slack.com/api/"


class Settings(BaseSettings):
    """Every knob an operator sets. Secrets are SecretStr so they never print in logs."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    slack_bot_token: SecretStr | None = Field(None, description="xoxb-… from OAuth & Permissions")
    slack_signing_secret: SecretStr | None = Field(None, description="From Basic Information")
    slack_app_token: SecretStr | None = Field(None, description="xapp-…: enables Socket Mode")
    slack_api_url: str = Field(SLACK_API_URL, description="Point at a Slack stand-in for tests")
    database_url: str = "sqlite:///leadrouter.db"
    routing_config: str = "routing.yml"
    webhook_secret: SecretStr | None = Field(None, description="HMAC secret of /webhooks/leads")
    typeform_secret: SecretStr | None = None
    hubspot_client_secret: SecretStr | None = None
    tally_secret: SecretStr | None = None
    webflow_secret: SecretStr | None = None
    insecure_webhooks: bool = Field(
        False,
        alias="LEADROUTER_INSECURE_WEBHOOKS",
        description="Accept unsigned webhooks. Local experiments only: anyone could post leads.",
    )
    max_body_bytes: int = Field(256 * 1024, alias="LEADROUTER_MAX_BODY_BYTES")
    log_level: str = Field("INFO", alias="LEADROUTER_LOG_LEVEL")

    def provider_secret(self, provider: str) -> str | None:
        secret = {
            "generic": self.webhook_secret,
            "typeform": self.typeform_secret,
            "hubspot": self.hubspot_client_secret,
            "tally": self.tally_secret,
            "webflow": self.webflow_secret,
        }.get(provider)
        return secret.get_secret_value() if secret else None
