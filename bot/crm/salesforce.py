"""Salesforce, over its REST API (httpx), at SALESFORCE_INSTANCE_URL.

simple-salesforce, the usual Python client, builds every URL as https://<instance>: it cannot
talk to a local stand-in, so the few calls we make are written here, after Salesforce's REST
API reference:
- a token: SALESFORCE_ACCESS_TOKEN, or OAuth 2.0 client credentials (SALESFORCE_CLIENT_ID,
  SALESFORCE_CLIENT_SECRET) at the login URL's /services/oauth2/token; a new one is fetched
  once when Salesforce answers INVALID_SESSION_ID;
- ownership: SOQL on Contact and Lead by email, then Account by website domain;
- owners: the active Users and their emails;
- the lead's record: a Lead found by email or created, its OwnerId and Status set, a Task
  for its owner, found again by the marker in its subject;
- outcomes: the Status (and IsConverted) of the Leads we wrote, polled.
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

import httpx

from bot.crm.base import Found, Record, Task
from bot.crm.errors import salesforce_failure, transport_failure
from bot.slack.errors import Failed, Handling

API_VERSION = "v60.0"
TIMEOUT = 10.0


def soql_string(value: str) -> str:
    """A value inside SOQL quotes: backslash and quote escaped, as SOQL's reference says."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


class SalesforceCrm:
    label = "Salesforce"

    def __init__(
        self,
        instance_url: str,
        *,
        access_token: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        login_url: str | None = None,
    ) -> None:
        if not access_token and not (client_id and client_secret):
            raise ValueError(
                "Salesforce needs SALESFORCE_ACCESS_TOKEN, or SALESFORCE_CLIENT_ID and "
                "SALESFORCE_CLIENT_SECRET"
            )
        self.instance_url = instance_url.rstrip("/")
        self.login_url = (login_url or self.instance_url).rstrip("/")
        self.client_id, self.client_secret = client_id, client_secret
        self.http = httpx.Client(timeout=TIMEOUT)
        self._token = access_token
        self._static = bool(access_token)
        self._lock = threading.Lock()

    # ------------------------------------------------------------ the wire

    def _bearer(self, renew: bool = False) -> str:
        with self._lock:
            if self._token and not renew:
                return self._token
            if self._static:
                raise Failed(Handling.permanent, "Salesforce refused SALESFORCE_ACCESS_TOKEN")
            try:
                response = self.http.post(
                    f"{self.login_url}/services/oauth2/token",
                    data={
                        "grant_type": "client_credentials",
                        "client_id": self.client_id,
                        "client_secret": self.client_secret,
                    },
                )
            except httpx.TransportError as exc:
                raise transport_failure(exc, "Salesforce login") from exc
            if response.status_code != 200:
                raise salesforce_failure(response)
            answer = response.json()
            self._token = str(answer["access_token"])
            if answer.get("instance_url"):
                self.instance_url = str(answer["instance_url"]).rstrip("/")
            return self._token

    def _request(
        self, method: str, path: str, *, timeout: float = TIMEOUT, **options: Any
    ) -> httpx.Response:
        url = f"{self.instance_url}/services/data/{API_VERSION}/{path}"
        for attempt in (1, 2):
            headers = {"Authorization": f"Bearer {self._bearer(renew=attempt == 2)}"}
            try:
                response = self.http.request(
                    method, url, headers=headers, timeout=timeout, **options
                )
            except httpx.TransportError as exc:
                raise transport_failure(exc, "Salesforce") from exc
            if response.status_code == 401 and attempt == 1 and not self._static:
                continue  # the token expired: one new one
            if response.status_code >= 300:
                raise salesforce_failure(response)
            return response
        raise AssertionError("unreachable")

    def query(self, soql: str, timeout: float = TIMEOUT) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = []
        answer = self._request("GET", "query", params={"q": soql}, timeout=timeout).json()
        records += answer.get("records", [])
        while not answer.get("done", True) and answer.get("nextRecordsUrl"):
            path = str(answer["nextRecordsUrl"]).split(f"/services/data/{API_VERSION}/", 1)[-1]
            answer = self._request("GET", path, timeout=timeout).json()
            records += answer.get("records", [])
        return records

    # ------------------------------------------------------------ reading

    def find_owner(self, email: str | None, domain: str | None, timeout: float) -> Found | None:
        if email:
            quoted = soql_string(email)
            for kind, soql in (
                ("contact", f"SELECT Id, OwnerId FROM Contact WHERE Email = {quoted} LIMIT 1"),
                (
                    "lead",
                    f"SELECT Id, OwnerId FROM Lead WHERE Email = {quoted} "
                    "AND IsConverted = false LIMIT 1",
                ),
            ):
                found = self.query(soql, timeout)
                if found and found[0].get("OwnerId"):
                    return Found(str(found[0]["OwnerId"]), f"{kind} {email}")
        if domain:
            pattern = soql_string(f"%{domain}%")
            found = self.query(
                f"SELECT Id, OwnerId FROM Account WHERE Website LIKE {pattern} LIMIT 1", timeout
            )
            if found and found[0].get("OwnerId"):
                return Found(str(found[0]["OwnerId"]), f"account {domain}")
        return None

    def owners(self) -> dict[str, str]:
        users = self.query("SELECT Id, Email FROM User WHERE IsActive = true")
        return {str(u["Id"]): str(u["Email"]).lower() for u in users if u.get("Email")}

    def find_record(self, email: str) -> Record | None:
        found = self.query(
            f"SELECT Id, OwnerId FROM Lead WHERE Email = {soql_string(email)} "
            "AND IsConverted = false ORDER BY CreatedDate LIMIT 1"
        )
        return self._record(found[0]["Id"], found[0].get("OwnerId")) if found else None

    # ------------------------------------------------------------ writing

    def create_record(self, fields: dict[str, str | None], owner_id: str | None) -> Record:
        name = (fields.get("name") or "").strip()
        first, _, last = name.rpartition(" ") if " " in name else ("", "", name)
        lead = {
            "LastName": last or fields.get("email") or "Unknown",  # required by Salesforce
            "FirstName": first or None,
            "Company": fields.get("company") or "Unknown",  # required by Salesforce
            "Email": fields.get("email"),
            "Phone": fields.get("phone"),
            "Title": fields.get("title"),
            "LeadSource": "leadrouter",
        }
        if owner_id:
            lead["OwnerId"] = owner_id
        body = {k: v for k, v in lead.items() if v}
        created = self._request("POST", "sobjects/Lead", json=body).json()
        return self._record(str(created["id"]), owner_id, created=True)

    def update_record(self, record: Record, changes: dict[str, str]) -> None:
        self._request("PATCH", f"sobjects/{record.type}/{record.id}", json=changes)

    def has_task(self, record: Record, marker: str) -> bool:
        found = self.query(
            f"SELECT Id FROM Task WHERE WhoId = {soql_string(record.id)} "
            f"AND Subject LIKE {soql_string('%' + marker + '%')} LIMIT 1"
        )
        return bool(found)

    def create_task(self, record: Record, task: Task) -> None:
        self._request(
            "POST",
            "sobjects/Task",
            json={
                "WhoId": record.id,
                "OwnerId": task.owner_id,
                "Subject": f"{task.subject} [{task.marker}]"[:255],
                "Description": task.body,
                "ActivityDate": task.due.date().isoformat(),
                "Status": "Not Started",
                "Priority": "High",
            },
        )

    # ------------------------------------------------------------ outcomes

    def lead_statuses(self, record_ids: list[str], since: datetime) -> dict[str, tuple[str, bool]]:
        """Status and IsConverted of these Leads, when they changed since `since`."""
        if not record_ids:
            return {}
        ids = ", ".join(soql_string(i) for i in record_ids)
        stamp = since.strftime("%Y-%m-%dT%H:%M:%SZ")
        found = self.query(
            f"SELECT Id, Status, IsConverted FROM Lead WHERE Id IN ({ids}) "
            f"AND LastModifiedDate > {stamp}"
        )
        return {
            str(r["Id"]): (str(r.get("Status") or ""), bool(r.get("IsConverted"))) for r in found
        }

    def _record(self, lead_id: str, owner_id: str | None, *, created: bool = False) -> Record:
        return Record(
            "Lead",
            lead_id,
            str(owner_id) if owner_id else None,
            f"{self.instance_url}/lightning/r/Lead/{lead_id}/view",
            created,
        )
