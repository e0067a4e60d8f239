"""The CRM of routing.yml's `crm:`, assembled from the environment (README "Connect your CRM").

- HubSpot: HUBSPOT_ACCESS_TOKEN (a private app's), HUBSPOT_API_URL (default
  https://api.hubapi.com), HUBSPOT_PORTAL_ID (optional: the cards' "Open in HubSpot" links),
  HUBSPOT_BURST (the app's calls per 10 s, paced ahead of time; default 100).
- Salesforce: SALESFORCE_INSTANCE_URL, and SALESFORCE_ACCESS_TOKEN or SALESFORCE_CLIENT_ID +
  SALESFORCE_CLIENT_SECRET (OAuth client credentials, at SALESFORCE_LOGIN_URL, by default the
  instance).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.crm.base import Crm
from bot.crm.hubspot import HubSpotCrm
from bot.crm.ownership import Ownership
from bot.crm.salesforce import SalesforceCrm
from bot.settings import Settings
from routing import Lead, RoutingConfig
from routing.crm_config import CrmAnswer, CrmProvider

log = logging.getLogger(__name__)


@dataclass
class CrmService:
    crm: Crm
    ownership: Ownership
    config: RoutingConfig

    def answer(self, lead: Lead) -> CrmAnswer | None:
        """What the CRM says about the lead's owner (None: not asked)."""
        assert self.config.crm is not None
        return self.ownership.answer(lead) if self.config.crm.read_owner else None

    def close(self) -> None:
        self.ownership.close()


def make_crm(config: RoutingConfig, settings: Settings) -> CrmService | None:
    """The configured CRM, or None; raises ValueError naming the missing setting."""
    if config.crm is None:
        return None
    crm: Crm
    if config.crm.provider is CrmProvider.hubspot:
        token = settings.secret("HUBSPOT_ACCESS_TOKEN")
        if not token:
            raise ValueError("crm: hubspot needs HUBSPOT_ACCESS_TOKEN (a private app's token)")
        crm = HubSpotCrm(
            token,
            settings.hubspot_api_url,
            settings.hubspot_portal_id,
            burst=settings.hubspot_burst,
        )
    else:
        if not settings.salesforce_instance_url:
            raise ValueError("crm: salesforce needs SALESFORCE_INSTANCE_URL")
        crm = SalesforceCrm(
            settings.salesforce_instance_url,
            access_token=settings.secret("SALESFORCE_ACCESS_TOKEN"),
            client_id=settings.salesforce_client_id,
            client_secret=settings.secret("SALESFORCE_CLIENT_SECRET"),
            login_url=settings.salesforce_login_url,
        )
    service = CrmService(crm, Ownership(crm, config), config)
    try:
        service.ownership.refresh_owners()
    except Exception as exc:  # routing goes on; owners are read again on first need
        log.warning("could not read %s's owners at start-up: %s", crm.label, exc)
    return service
