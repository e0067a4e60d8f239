"""HubSpot, through HubSpot's own client (hubspot-api-client), pointed at HUBSPOT_API_URL.

A private app's access token (HUBSPOT_ACCESS_TOKEN) with the scopes the README lists. What is
read and written, and the endpoints (HubSpot's CRM v3 reference):
- ownership: POST /crm/v3/objects/contacts/search (email), then companies/search (domain);
- owners: GET /crm/v3/owners, to match owners to reps by email;
- the lead's contact: search by email, create (a 409 names the contact that exists), update
  `hubspot_owner_id` and `hs_lead_status` / `lifecyclestage`;
- a task for the owner: POST /crm/v3/objects/tasks, associated with the contact (HubSpot's
  association type 204, task to contact), found again by the marker in its subject among the
  contact's tasks (GET the contact with ?associations=tasks, then tasks/batch/read);
- outcomes: a deal's stage and its contacts, when HubSpot's webhook says a deal changed.
"""

from __future__ import annotations

import re
import time
from typing import Any

from hubspot import HubSpot
from hubspot.crm.contacts import ApiException as ContactsApiError
from hubspot.crm.contacts import SimplePublicObjectInput as ContactChanges
from hubspot.crm.contacts import SimplePublicObjectInputForCreate as NewContact
from hubspot.crm.objects.tasks import BatchReadInputSimplePublicObjectId as ReadTasks
from hubspot.crm.objects.tasks import SimplePublicObjectInputForCreate as NewTask

from bot.crm.base import Found, Record, Task
from bot.crm.errors import hubspot_failure
from bot.crm.pacing import HubSpotPace
from bot.slack.errors import Failed, Handling

TASK_TO_CONTACT = 204  # HubSpot-defined association type: task -> contact
EXISTING_ID = re.compile(r"Existing ID:\s*(\d+)")
BATCH = 100  # ids per batch read (HubSpot's batch endpoints take at most 100)
TIMEOUT = 10.0  # seconds, for write-back calls (routing-time calls get the question's time)


class HubSpotCrm:
    label = "HubSpot"
    email_is_unique = True  # a contact's email: a second create answers 409 with its id

    def __init__(
        self, access_token: str, api_url: str, portal_id: str | None = None, *, burst: int = 100
    ) -> None:
        """`burst`: the private app's calls per 10 s (HUBSPOT_BURST; 0: no pacing)."""
        # No retries inside the client: the outbox retries, and routing must not wait. `retry`
        # must be False: the client drops a None and urllib3 then retries three times (a timed
        # out GET went out four times).
        self.client = HubSpot(access_token=access_token, host=api_url.rstrip("/"), retry=False)
        self.portal_id = portal_id
        self.pace = HubSpotPace(burst) if burst > 0 else None

    def _go(self, *, search: bool = False, routing: bool = False, until: float = 0.0) -> None:
        """Before each call: its place under HubSpot's limits (bot.crm.pacing); a routing
        look-up may wait for it until `until` (time.monotonic(): the end of its question)."""
        if self.pace is not None:
            patience = max(0.0, until - time.monotonic()) if routing else 0.0
            self.pace.before(search=search, routing=routing, patience=patience)

    # ------------------------------------------------------------ reading

    def find_owner(self, email: str | None, domain: str | None, timeout: float) -> Found | None:
        until = time.monotonic() + timeout
        with hubspot_failure():
            if email:
                contact = self._contact(email, timeout, routing=True, until=until)
                owner = (contact or {}).get("hubspot_owner_id")
                if owner:
                    return Found(str(owner), f"contact {email}")
            if domain:
                self._go(search=True, routing=True, until=until)
                found = self.client.crm.companies.search_api.do_search(
                    public_object_search_request=_search("domain", "EQ", domain),
                    _request_timeout=max(0.05, until - time.monotonic()),
                ).results
                owner = found[0].properties.get("hubspot_owner_id") if found else None
                if owner:
                    return Found(str(owner), f"company {domain}")
        return None

    def owners(self) -> dict[str, str]:
        found: dict[str, str] = {}
        after = None
        with hubspot_failure():
            while True:
                self._go()
                page = self.client.crm.owners.owners_api.get_page(
                    limit=100, after=after, archived=False, _request_timeout=TIMEOUT
                )
                for owner in page.results:
                    if owner.email:
                        found[str(owner.id)] = owner.email.lower()
                after = page.paging.next.after if page.paging and page.paging.next else None
                if not after:
                    return found

    def find_record(self, email: str) -> Record | None:
        with hubspot_failure():
            contact = self._contact(email, TIMEOUT)
        if contact is None:
            return None
        return self._record(contact["id"], contact.get("hubspot_owner_id"))

    def _contact(
        self, email: str, timeout: float, *, routing: bool = False, until: float = 0.0
    ) -> dict[str, Any] | None:
        """The contact with this email, read by it (GET …/contacts/{email}?idProperty=email):
        not a search, so outside search's tight limit and its lagging index."""
        self._go(routing=routing, until=until)
        try:
            found = self.client.crm.contacts.basic_api.get_by_id(
                contact_id=email,
                id_property="email",
                properties=["email", "hubspot_owner_id"],
                _request_timeout=timeout,
            )
        except ContactsApiError as exc:
            if exc.status == 404:  # no contact has this email
                return None
            raise
        return {"id": str(found.id), **(found.properties or {})}

    # ------------------------------------------------------------ writing

    def create_record(self, fields: dict[str, str | None], owner_id: str | None) -> Record:
        properties = {k: v for k, v in _contact_properties(fields).items() if v}
        if owner_id:
            properties["hubspot_owner_id"] = owner_id
        with hubspot_failure(conflict=True) as conflict:
            self._go()
            created = self.client.crm.contacts.basic_api.create(
                simple_public_object_input_for_create=NewContact(properties=properties),
                _request_timeout=TIMEOUT,
            )
            return self._record(str(created.id), owner_id, created=True)
        existing = EXISTING_ID.search(conflict.message)  # 409: the contact exists already
        if existing is None:  # a 409 that names no contact: say what HubSpot said
            raise Failed(Handling.permanent, f"HubSpot 409 CONFLICT: {conflict.message[:200]}")
        return self._record(existing[1], None)

    def update_record(self, record: Record, changes: dict[str, str]) -> None:
        with hubspot_failure():
            self._go()
            self.client.crm.contacts.basic_api.update(
                contact_id=record.id,
                simple_public_object_input=ContactChanges(properties=changes),
                _request_timeout=TIMEOUT,
            )

    def has_task(self, record: Record, marker: str) -> bool:
        """The contact's tasks (its associations, then their subjects): not the search API,
        whose index lags behind writes, nor CONTAINS_TOKEN, whose tokenizing of the marker's
        hyphens HubSpot does not publish."""
        with hubspot_failure():
            self._go()
            contact = self.client.crm.contacts.basic_api.get_by_id(
                contact_id=record.id, associations=["tasks"], _request_timeout=TIMEOUT
            )
            linked = (contact.associations or {}).get("tasks")
            ids = [str(a.id) for a in (linked.results if linked else [])]
            for start in range(0, len(ids), BATCH):
                self._go()
                tasks = self.client.crm.objects.tasks.batch_api.read(
                    batch_read_input_simple_public_object_id=ReadTasks(
                        inputs=[{"id": i} for i in ids[start : start + BATCH]],
                        properties=["hs_task_subject"],
                        properties_with_history=[],
                    ),
                    archived=False,
                    _request_timeout=TIMEOUT,
                ).results
                if any(
                    marker in ((t.properties or {}).get("hs_task_subject") or "") for t in tasks
                ):
                    return True
        return False

    def create_task(self, record: Record, task: Task) -> None:
        properties = {
            "hs_task_subject": f"{task.subject} [{task.marker}]",
            "hs_task_body": task.body,
            "hs_timestamp": task.due.isoformat().replace("+00:00", "Z"),
            "hubspot_owner_id": task.owner_id,
            "hs_task_status": "NOT_STARTED",
            "hs_task_priority": "HIGH",
            "hs_task_type": "TODO",
        }
        associations = [
            {
                "to": {"id": record.id},
                "types": [
                    {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": TASK_TO_CONTACT}
                ],
            }
        ]
        with hubspot_failure():
            self._go()
            self.client.crm.objects.tasks.basic_api.create(
                simple_public_object_input_for_create=NewTask(
                    properties=properties, associations=associations
                ),
                _request_timeout=TIMEOUT,
            )

    # ------------------------------------------------------------ outcomes

    def deal(self, deal_id: str) -> tuple[str | None, list[str]]:
        """A deal's stage and the emails of its contacts."""
        with hubspot_failure():
            self._go()
            deal = self.client.crm.deals.basic_api.get_by_id(
                deal_id=deal_id,
                properties=["dealstage"],
                associations=["contacts"],
                _request_timeout=TIMEOUT,
            )
            stage = (deal.properties or {}).get("dealstage")
            linked = deal.associations.get("contacts") if deal.associations else None
            ids = [str(a.id) for a in (linked.results if linked else [])]
            emails = []
            for contact_id in ids:
                self._go()
                contact = self.client.crm.contacts.basic_api.get_by_id(
                    contact_id=contact_id, properties=["email"], _request_timeout=TIMEOUT
                )
                email = (contact.properties or {}).get("email")
                if email:
                    emails.append(email.lower())
        return stage, emails

    def _record(self, contact_id: str, owner_id: str | None, *, created: bool = False) -> Record:
        url = (
            f"https://app.hubspot.com/contacts/{self.portal_id}/record/0-1/{contact_id}"
            if self.portal_id
            else None
        )
        return Record("contact", contact_id, str(owner_id) if owner_id else None, url, created)


def _search(prop: str, operator: str, value: str) -> dict[str, Any]:
    """One filter, as POST /crm/v3/objects/{type}/search takes it; the owner comes along."""
    return {
        "filterGroups": [
            {"filters": [{"propertyName": prop, "operator": operator, "value": value}]}
        ],
        "properties": [prop, "hubspot_owner_id"],
        "limit": 1,
    }


def _contact_properties(fields: dict[str, str | None]) -> dict[str, str | None]:
    name = (fields.get("name") or "").strip()
    first, _, last = name.partition(" ")
    return {
        "email": fields.get("email"),
        "firstname": first or None,
        "lastname": last or None,
        "company": fields.get("company"),
        "phone": fields.get("phone"),
        "jobtitle": fields.get("title"),
    }
