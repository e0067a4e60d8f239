"""HubSpotStandin: HubSpot's CRM API on 127.0.0.1, seeded, scripted and inspected by tests.

with HubSpotStandin() as hubspot:
    hubspot.add_owner("42", "ben@sales.io")
    hubspot.add_company("acme.com", owner_id="42")
    client = HubSpot(access_token=hubspot.token, host=hubspot.url)
    ...
    assert hubspot.contact("kim@acme.com")["hubspot_owner_id"] == "42"

Faithful by default: a private app's token in `Authorization: Bearer`, HubSpot's error
bodies, its rate limits (100 requests per rolling 10 s, 5 searches per second) and a search
index that may lag behind writes when asked (`index_lag`). Edge faults from
crm_standins.base: `outage(...)`, `slow(...)`, `answer_late(...)`, `realistic(...)`.
Routes are named "<type>.<action>" ("contacts.search", "contacts.create", "tasks.create",
"deals.get", "owners.list", "associations.default").
"""

from __future__ import annotations

import copy
from typing import Any

from crm_standins.base import StandinServer
from crm_standins.hubspot.app import create_app
from crm_standins.hubspot.limits import Limits
from crm_standins.hubspot.portal import HsObject, Owner, Portal
from crm_standins.hubspot.webhooks import signed_webhook

DEFAULT_TOKEN = "pat-na1-11111111-2222-3333-4444-555555555555"  # a private app token's shape


class HubSpotStandin(StandinServer):
    name = "hubspot-standin"

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        port: int = 0,
        burst: int = 100,
        search_per_second: int = 5,
        portal_id: int = 123456,
    ) -> None:
        super().__init__(port=port)
        self.token = token
        self.tokens = {token}
        self.portal_id = portal_id
        self.portal = Portal()
        self.defaults = (burst, search_per_second)
        self.limits = Limits(burst=burst, search_per_second=search_per_second)
        self.limit_headers: dict[str, str] = {}
        self.token_broken = False
        self.scopes: set[str] | None = None
        self.index_lag = 0.0
        self.app = create_app(self)

    def reset(self) -> None:
        super().reset()
        with self.lock:
            self.portal = Portal()
            self.limits = Limits(burst=self.defaults[0], search_per_second=self.defaults[1])
            self.token_broken, self.scopes, self.index_lag = False, None, 0.0

    # seeding -----------------------------------------------------------------
    def add_owner(self, owner_id: str, email: str, first: str = "", last: str = "") -> None:
        with self.lock:
            user = 9000 + len(self.portal.owners)
            self.portal.owners[owner_id] = Owner(owner_id, email.lower(), first, last, user)

    def add_contact(self, email: str, *, owner_id: str | None = None, **props: str) -> str:
        return self._add(
            "contacts", {"email": email.lower(), "hubspot_owner_id": owner_id, **props}
        )

    def add_company(self, domain: str, *, owner_id: str | None = None, **props: str) -> str:
        return self._add("companies", {"domain": domain, "hubspot_owner_id": owner_id, **props})

    def add_deal(self, stage: str, contact_ids: tuple[str, ...] = (), **props: str) -> str:
        deal_id = self._add("deals", {"dealstage": stage, **props})
        with self.lock:
            deal = self.portal.objects["deals"][deal_id]
            for contact_id in contact_ids:
                self.portal.associate(deal, self.portal.get("contacts", contact_id), 3)
        return deal_id

    def _add(self, kind: str, props: dict[str, Any]) -> str:
        with self.lock:
            now = self.clock.now() - self.index_lag  # seeded data is already indexed
            obj = HsObject(
                kind, self.portal.new_id(), {k: v for k, v in props.items() if v}, now, now
            )
            self.portal.objects[kind][obj.id] = obj
            return obj.id

    def set_property(self, kind: str, object_id: str, name: str, value: str) -> None:
        """As a HubSpot user would (a deal moved to closedwon in the UI)."""
        with self.lock:
            obj = self.portal.get(kind, object_id)
            obj.properties[name] = value
            obj.updated = self.clock.now()

    # modes -------------------------------------------------------------------
    def break_token(self) -> None:
        """The private app's token revoked or rotated: every call answers 401."""
        with self.lock:
            self.token_broken = True

    def restore_token(self) -> None:
        with self.lock:
            self.token_broken = False

    def limit_scopes(self, scopes: set[str] | None) -> None:
        """The scopes the private app was granted (None: all of them)."""
        with self.lock:
            self.scopes = set(scopes) if scopes is not None else None

    def set_index_lag(self, seconds: float) -> None:
        """Writes reach search this long after they are made."""
        with self.lock:
            self.index_lag = seconds

    def rate_limits(
        self,
        *,
        burst: int | None = None,
        search_per_second: int | None = None,
        enabled: bool = True,
    ) -> None:
        with self.lock:
            if burst is not None:
                self.limits.burst = burst
            if search_per_second is not None:
                self.limits.search_per_second = search_per_second
            self.limits.enabled = enabled
            self.limits.clear()

    # inspection ----------------------------------------------------------------
    def contact(self, email: str) -> dict[str, Any] | None:
        """The contact's properties (with its id as "id"), or None."""
        with self.lock:
            found = self.portal.find_email(email)
            return {"id": found.id, **found.properties} if found else None

    def objects(self, kind: str) -> list[dict[str, Any]]:
        """Every object of a kind: {"id", "properties", "associations": {type: [ids]}}."""
        with self.lock:
            return copy.deepcopy(
                [
                    {
                        "id": o.id,
                        "properties": o.properties,
                        "associations": {k: [i for i, _t in v] for k, v in o.associations.items()},
                    }
                    for o in self.portal.objects[kind].values()
                ]
            )

    def tasks_of(self, contact_id: str) -> list[dict[str, Any]]:
        return [
            t for t in self.objects("tasks") if contact_id in t["associations"].get("contacts", [])
        ]

    def webhook(
        self,
        url: str,
        client_secret: str,
        events: list[dict[str, Any]],
        *,
        at_ms: int | None = None,
    ) -> tuple[bytes, dict[str, str]]:
        """A webhook delivery as HubSpot signs it (v3); see crm_standins.hubspot.webhooks."""
        return signed_webhook(url, client_secret, events, at_ms=at_ms)
