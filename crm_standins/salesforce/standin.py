"""SalesforceStandin: Salesforce's REST API and OAuth token endpoint on 127.0.0.1.

with SalesforceStandin() as sf:
    owner = sf.add_user("ben@sales.io")
    sf.add_account("Acme", website="https://www.acme.com", owner_id=owner)
    crm = SalesforceCrm(sf.url, client_id=sf.client_id, client_secret=sf.client_secret)

Faithful by default: a connected app's client credentials for a token, sessions that expire
after two hours without use (Salesforce's default session timeout) or when a test says so
(`expire_sessions`), SOQL read by crm_standins.salesforce.soql, records checked as Salesforce
checks them (crm_standins.salesforce.org), error bodies as JSON lists. Optional: the org's
24-hour API allocation (`api_limit`, then 403 REQUEST_LIMIT_EXCEEDED), a blocking duplicate
rule on Leads by email (`block_duplicates`), small query batches (`query_batch`). Edge faults
from crm_standins.base. Routes: "oauth.token", "query", "query.more", "sobjects.create",
"sobjects.update", "sobjects.get".
"""

from __future__ import annotations

import copy
from typing import Any

from crm_standins.base import StandinServer
from crm_standins.salesforce.app import create_app
from crm_standins.salesforce.org import Org

SESSION_SECONDS = 2 * 3600


class SalesforceStandin(StandinServer):
    name = "salesforce-standin"

    def __init__(
        self,
        *,
        port: int = 0,
        client_id: str = "3MVG9standin.connected.app",
        client_secret: str = "standin-consumer-secret",
    ) -> None:
        super().__init__(port=port)
        self.client_id, self.client_secret = client_id, client_secret
        self.org = Org()
        self.sessions: dict[str, float] = {}  # access token -> when it expires
        self.session_seconds = float(SESSION_SECONDS)
        self.tokens_issued = 0
        self.api_limit: int | None = None
        self.api_used = 0
        self.block_duplicates = False
        self.query_batch = 2000
        self.cursors: dict[str, list[dict[str, Any]]] = {}
        self.integration_user = self.add_user("integration@standin.example", name="Integration")
        self.app = create_app(self)

    def reset(self) -> None:
        super().reset()
        with self.lock:
            self.org = Org()
            self.sessions.clear()
            self.cursors.clear()
            self.session_seconds = float(SESSION_SECONDS)
            self.tokens_issued = self.api_used = 0
            self.api_limit, self.block_duplicates, self.query_batch = None, False, 2000
        self.integration_user = self.add_user("integration@standin.example", name="Integration")

    # seeding -----------------------------------------------------------------
    def _insert(self, kind: str, values: dict[str, Any]) -> str:
        with self.lock:
            return self.org.insert(kind, values, self.clock.now(), seeding=True).id

    def add_user(self, email: str, *, name: str = "", active: bool = True) -> str:
        return self._insert(
            "User", {"Email": email, "Name": name or email, "Username": email, "IsActive": active}
        )

    def add_lead(self, email: str, *, owner_id: str | None = None, **fields: Any) -> str:
        values = {"LastName": "Lead", "Company": "Unknown", "Email": email, "OwnerId": owner_id}
        return self._insert("Lead", {**values, **fields})

    def add_contact(self, email: str, *, owner_id: str | None = None, **fields: Any) -> str:
        return self._insert(
            "Contact", {"LastName": "Contact", "Email": email, "OwnerId": owner_id, **fields}
        )

    def add_account(
        self, name: str, *, website: str | None = None, owner_id: str | None = None
    ) -> str:
        return self._insert("Account", {"Name": name, "Website": website, "OwnerId": owner_id})

    def add_opportunity(
        self, name: str, stage: str, *, account_id: str | None = None, owner_id: str | None = None
    ) -> str:
        closed = stage in ("Closed Won", "Closed Lost")
        return self._insert(
            "Opportunity",
            {
                "Name": name,
                "StageName": stage,
                "CloseDate": "2026-12-31",
                "AccountId": account_id,
                "OwnerId": owner_id,
                "IsClosed": closed,
                "IsWon": stage == "Closed Won",
            },
        )

    def session(self) -> str:
        """A valid access token, as SALESFORCE_ACCESS_TOKEN would hold one."""
        token = f"00D5g000000STAND!static{len(self.sessions)}"
        with self.lock:
            self.sessions[token] = self.clock.now() + self.session_seconds
        return token

    # changes a Salesforce user makes ---------------------------------------------
    def set_field(self, record_id: str, name: str, value: Any) -> None:
        with self.lock:
            record = self.org.records[record_id]
            record.fields[name] = value
            record.fields["LastModifiedDate"] = self.clock.now()

    def convert_lead(self, lead_id: str) -> None:
        """Lead conversion (Status to the converted value, IsConverted true)."""
        with self.lock:
            record = self.org.records[lead_id]
            record.fields.update(Status="Closed - Converted", IsConverted=True)
            record.fields["LastModifiedDate"] = self.clock.now()

    # modes -------------------------------------------------------------------
    def expire_sessions(self) -> None:
        """Every access token issued so far stops working (INVALID_SESSION_ID), as after the
        session timeout or an admin revoking the connected app's sessions."""
        with self.lock:
            self.sessions.clear()

    def limit_api(self, allowed: int | None, used: int = 0) -> None:
        with self.lock:
            self.api_limit, self.api_used = allowed, used

    def limit_info(self) -> dict[str, str]:
        allowed = self.api_limit if self.api_limit is not None else 100000
        return {"Sforce-Limit-Info": f"api-usage={self.api_used}/{allowed}"}

    # inspection ----------------------------------------------------------------
    def records(self, kind: str) -> list[dict[str, Any]]:
        with self.lock:
            return copy.deepcopy([r.fields for r in self.org.of_type(kind)])

    def record(self, record_id: str) -> dict[str, Any]:
        with self.lock:
            return copy.deepcopy(self.org.records[record_id].fields)
