"""Settings from the environment (and a `.env` file, if present)."""

from __future__ import annotations

import os
from functools import lru_cache

from dotenv import dotenv_values
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

SLACK_API_URL = "https://slack.com/api/"


class Settings(BaseSettings):
    """Every knob an operator sets. Secrets are SecretStr so they never print in logs."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    slack_bot_token: SecretStr | None = Field(None, description="xoxb-… from OAuth & Permissions")
    slack_signing_secret: SecretStr | None = Field(None, description="From Basic Information")
    slack_app_token: SecretStr | None = Field(None, description="xapp-…: enables Socket Mode")
    slack_api_url: str = Field(SLACK_API_URL, description="Point at a Slack stand-in for tests")
    slack_team_id: str | None = Field(
        None, description="T…: the workspace served (default: the bot token's, from auth.test)"
    )
    slack_app_id: str | None = Field(
        None, description="A…: the app (default: the bot's, from bots.info)"
    )
    database_url: str = "sqlite:///leadrouter.db"
    routing_config: str = "routing.yml"
    webhook_secret: SecretStr | None = Field(None, description="HMAC secret of /webhooks/leads")
    typeform_webhook_secret: SecretStr | None = None
    hubspot_client_secret: SecretStr | None = None
    tally_signing_secret: SecretStr | None = None
    webflow_webhook_secret: SecretStr | None = None
    insecure_webhooks: bool = Field(
        False,
        alias="LEADROUTER_INSECURE_WEBHOOKS",
        description="Accept unsigned webhooks. Local experiments only: anyone could post leads.",
    )
    source_secrets: dict[str, SecretStr] = Field(
        default_factory=dict,
        exclude=True,
        description="Secrets by the env var name a mapping's auth.secret_env gives (else read "
        "from the environment)",
    )
    max_body_bytes: int = Field(256 * 1024, alias="LEADROUTER_MAX_BODY_BYTES")
    root_path: str = Field(
        "",
        alias="LEADROUTER_ROOT_PATH",
        description="The path prefix a reverse proxy strips (for signatures over the URL)",
    )
    database_timeout: float = Field(
        10.0,
        alias="LEADROUTER_DATABASE_TIMEOUT",
        description="Seconds a webhook waits for its lead to be stored before answering 503",
    )
    slack_timeout: float = Field(
        10.0, alias="LEADROUTER_SLACK_TIMEOUT", description="Seconds before a Slack call gives up"
    )
    slack_pacing: bool = Field(
        True,
        alias="LEADROUTER_SLACK_PACING",
        description="Keep Slack's posting limits ahead of time (off: tests with a frozen clock)",
    )
    slack_burst: int = Field(
        3,
        alias="LEADROUTER_SLACK_BURST",
        description="Posts allowed at once into one conversation before pacing (Slack: 'short "
        "bursts', size unpublished)",
    )
    slack_workspace_rate: float = Field(
        50.0,
        alias="LEADROUTER_SLACK_WORKSPACE_RATE",
        description="chat.* calls per second for the whole workspace (Slack publishes none)",
    )
    slack_workers: int = Field(
        32, alias="LEADROUTER_SLACK_WORKERS", description="Slack calls in flight at once"
    )
    log_level: str = Field("INFO", alias="LEADROUTER_LOG_LEVEL")
    # The CRM (routing.yml's crm:), see bot.crm.service
    hubspot_access_token: SecretStr | None = Field(None, description="A private app's token")
    hubspot_api_url: str = "https://api.hubapi.com"
    hubspot_portal_id: str | None = Field(None, description="For the cards' HubSpot links")
    hubspot_burst: int = Field(
        100,
        ge=0,
        description="The private app's HubSpot calls per rolling 10 s, kept ahead of time: 100 "
        "(Free, Starter), 190 (Professional, Enterprise), 250 (API limit increase); 0: not paced",
    )
    salesforce_instance_url: str | None = None
    salesforce_access_token: SecretStr | None = None
    salesforce_client_id: str | None = None
    salesforce_client_secret: SecretStr | None = None
    salesforce_login_url: str | None = Field(
        None, description="OAuth's token endpoint host (default: the instance)"
    )

    def secret(self, setting: str) -> str | None:
        """A source's secret by its environment variable name (bot.intake's secret_setting):
        a setting above, else a variable an `intake.mappings` source names in `secret_env`
        (`source_secrets`, the environment, or the .env file)."""
        value = getattr(self, setting.lower(), None)
        if isinstance(value, SecretStr):
            return value.get_secret_value()
        if setting.lower() in type(self).model_fields:
            return None  # a setting of ours, not set
        given = self.source_secrets.get(setting)
        if given is not None:
            return given.get_secret_value() or None
        return os.environ.get(setting) or _dotenv().get(setting) or None


@lru_cache(maxsize=1)
def _dotenv() -> dict[str, str | None]:
    env_file = Settings.model_config.get("env_file")
    return dict(dotenv_values(env_file)) if isinstance(env_file, str) else {}
