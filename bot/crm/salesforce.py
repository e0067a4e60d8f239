"""Salesforce, over its REST API (httpx), at SALESFORCE_INSTANCE_URL.

simple-salesforce, the usual Python client, builds every URL as https://<instance>: it cannot
talk to a local stand-in, so the few calls we make are written here, after Salesforce's REST
API reference:
- a token: SALESFORCE_ACCESS_TOKEN, or OAuth 2.0 client credentials (SALESFORCE_CLIENT_ID,
  SALESFORCE_CLIENT_SECRET) at the login URL's /services/oauth2/token; a new one is fetched
  once when Salesforce answers INVALID_SESSION_ID;
- ownership: SOQL on Contact and Lead by email, then Account by website domain (LIKE finds
  candidates, the website's host must be the domain or a subdomain of it);
- owners: the active Users and their emails;
- the lead's record: a Lead found by email or created (answers cut to the Lead's field
  lengths; a blocking duplicate rule's matching Lead used instead), its OwnerId and Status
  set, a Task for its owner due on the SLA's day with a reminder at its time, found again by
  the marker in its subject;
- outcomes: the Status (and IsConverted) of the Leads we wrote, polled.
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from bot.crm.base import Found, Record, Task
from bot.crm.errors import duplicate_of, salesforce_failure, transport_failure
from bot.slack.errors import Failed, Handling

API_VERSION = "v60.0"
TIMEOUT = 10.0
ACCOUNT_CANDIDATES = 20  # accounts whose website contains the domain, checked by host
# Field lengths of the standard Lead (Object Reference): longer answers are cut, not refused.
LEAD_LENGTHS = {"FirstName": 40, "LastName": 80, "Company": 255, "Title": 128, "Phone": 40}


def soql_string(value: str) -> str:
    """A value inside SOQL quotes: backslash and quote escaped, as SOQL's reference says."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def soql_containing(value: str) -> str:
    """A LIKE pattern for "contains `value`": quoted as soql_string, then LIKE's own wildcards
    (% and _) escaped, so a rep id with an _ matches only itself."""
    inner = soql_string(value)[1:-1].replace("%", "\\%").replace("_", "\\_")
    return f"'%{inner}%'"


def website_is(website: object, domain: str) -> bool:
    """Is this Account's website the domain (or one of its subdomains: www., shop.)?"""
    text = str(website or "").strip().lower()
    if not text:
        return False
    host = urlsplit(text if "//" in text else f"//{text}").hostname or ""
    return host == domain or host.endswith(f".{domain}")


class SalesforceCrm:
    label = "Salesforce"
    email_is_unique = False  # Leads may share an email; duplicate rules are the org's choice

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

    def _bearer(self, refused: str | None = None) -> str:
        """The token to send; `refused`: the one Salesforce just refused, renewed unless
        another thread renewed it meanwhile (one new token for many refused calls)."""
        with self._lock:
            if self._token and self._token != refused:
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

    def _send(
        self, method: str, path: str, *, timeout: float = TIMEOUT, **options: Any
    ) -> httpx.Response:
        """Salesforce's answer, whatever it is, after one new token if the session ended."""
        refused = None
        for attempt in (1, 2):
            token = self._bearer(refused)
            url = f"{self.instance_url}/services/data/{API_VERSION}/{path}"
            headers = {"Authorization": f"Bearer {token}"}
            try:
                response = self.http.request(
                    method, url, headers=headers, timeout=timeout, **options
                )
            except httpx.TransportError as exc:
                raise transport_failure(exc, "Salesforce") from exc
            if response.status_code == 401 and attempt == 1 and not self._static:
                refused = token  # INVALID_SESSION_ID: the session ended; one new token
                continue
            return response
        return response

    def _request(
        self, method: str, path: str, *, timeout: float = TIMEOUT, **options: Any
    ) -> httpx.Response:
        response = self._send(method, path, timeout=timeout, **options)
        if response.status_code >= 300:
            raise salesforce_failure(response)
        return response

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
            # LIKE finds the candidates (notacme.com.au too); the website's host decides.
            pattern = soql_containing(domain)
            found = self.query(
                f"SELECT Id, OwnerId, Website FROM Account WHERE Website LIKE {pattern} "
                f"ORDER BY CreatedDate LIMIT {ACCOUNT_CANDIDATES}",
                timeout,
            )
            owned = [a for a in found if a.get("OwnerId") and website_is(a.get("Website"), domain)]
            if owned:
                return Found(str(owned[0]["OwnerId"]), f"account {domain}")
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
        body = {k: v[: LEAD_LENGTHS.get(k, len(v))] for k, v in lead.items() if v}
        response = self._send("POST", "sobjects/Lead", json=body)
        if response.status_code == 400 and duplicate_of(response):
            # A duplicate rule that blocks: "Use one of these records?" A matching Lead is the
            # one to write to; a Contact is not a Lead, and a person has to decide.
            kind, record_id = duplicate_of(response)[0]
            if kind == "Lead":
                return self._record(record_id, None)
            raise Failed(
                Handling.permanent,
                f"Salesforce 400 DUPLICATES_DETECTED: a duplicate rule blocked a new Lead for "
                f"{fields.get('email')}: it matches {kind} {record_id}",
            )
        if response.status_code >= 300:
            raise salesforce_failure(response)
        return self._record(str(response.json()["id"]), owner_id, created=True)

    def update_record(self, record: Record, changes: dict[str, str]) -> None:
        response = self._send("PATCH", f"sobjects/{record.type}/{record.id}", json=changes)
        if response.status_code == 400 and b"CANNOT_UPDATE_CONVERTED_LEAD" in response.content:
            # Converted in Salesforce meanwhile: the Lead is read-only now and Salesforce has
            # the last word (the outcome poll brings it here). Nothing to write, nothing lost.
            return
        if response.status_code >= 300:
            raise salesforce_failure(response)

    def has_task(self, record: Record, marker: str) -> bool:
        found = self.query(
            f"SELECT Id FROM Task WHERE WhoId = {soql_string(record.id)} "
            f"AND Subject LIKE {soql_containing(marker)} LIMIT 1"
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
                "ActivityDate": task.due.date().isoformat(),  # a date: the reminder has the time
                "IsReminderSet": True,
                "ReminderDateTime": task.due.isoformat().replace("+00:00", "Z"),
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
