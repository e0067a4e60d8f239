"""A HubSpot account's CRM data: owners, objects (contacts, companies, deals, tasks) with
their properties, and associations between them.

From HubSpot's CRM v3 reference pages (objects, owners, tasks, associations v4):
- an object is `{"id", "properties", "createdAt", "updatedAt", "archived"}`; ids are numeric
  strings; every object has hs_object_id, createdate and lastmodifieddate (contacts; companies
  and others hs_lastmodifieddate);
- a property HubSpot does not know is refused (PROPERTY_DOESNT_EXIST), an enumeration value
  outside its options too (INVALID_OPTION); `hubspot_owner_id` must be an owner's id;
- a contact's email is unique (409 on create; the email is stored lower-cased);
- a task needs `hs_timestamp` (its due date; "required" on the tasks page), as an ISO 8601
  UTC string or a Unix time in milliseconds;
- HubSpot-defined association type ids (the associations v4 page's table): contact->company
  279, company->contact 280, deal->contact 3, contact->deal 4, task->contact 204, contact->task
  203, task->company 192, task->deal 216.
The default option lists are HubSpot's defaults (hs_lead_status, lifecyclestage, task status,
priority and type), from its default-properties pages; written from memory where noted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from crm_standins.hubspot.errors import HubSpotError, invalid_input, invalid_properties, not_found

OBJECT_TYPES = ("contacts", "companies", "deals", "tasks")
SINGULAR = {"contacts": "contact", "companies": "company", "deals": "deal", "tasks": "task"}
PLURAL = {**{v: k for k, v in SINGULAR.items()}, **{k: k for k in OBJECT_TYPES}}
PLURAL.update({"0-1": "contacts", "0-2": "companies", "0-3": "deals", "0-27": "tasks"})

# (from, to) -> the HubSpot-defined default association type id
DEFAULT_ASSOCIATION = {
    ("contacts", "companies"): 279,
    ("companies", "contacts"): 280,
    ("deals", "contacts"): 3,
    ("contacts", "deals"): 4,
    ("tasks", "contacts"): 204,
    ("contacts", "tasks"): 203,
    ("tasks", "companies"): 192,
    ("companies", "tasks"): 191,
    ("tasks", "deals"): 216,
    ("deals", "tasks"): 215,
    ("deals", "companies"): 5,
    ("companies", "deals"): 6,
}
TYPE_IDS = {v: k for k, v in DEFAULT_ASSOCIATION.items()}

OPTIONS = {
    "hs_lead_status": {
        "NEW", "OPEN", "IN_PROGRESS", "OPEN_DEAL", "UNQUALIFIED", "ATTEMPTED_TO_CONTACT",
        "CONNECTED", "BAD_TIMING",
    },
    "lifecyclestage": {
        "subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity",
        "customer", "evangelist", "other",
    },
    "hs_task_status": {"NOT_STARTED", "IN_PROGRESS", "WAITING", "COMPLETED", "DEFERRED"},
    "hs_task_priority": {"NONE", "LOW", "MEDIUM", "HIGH"},
    "hs_task_type": {"TODO", "CALL", "EMAIL", "LINKED_IN", "MEETING"},
    "dealstage": {
        "appointmentscheduled", "qualifiedtobuy", "presentationscheduled",
        "decisionmakerboughtin", "contractsent", "closedwon", "closedlost",
    },
}  # fmt: skip
COMMON = {
    "hs_object_id",
    "createdate",
    "lastmodifieddate",
    "hs_lastmodifieddate",
    "hubspot_owner_id",
}
PROPERTIES = {
    "contacts": COMMON | {
        "email", "firstname", "lastname", "company", "phone", "jobtitle", "website",
        "hs_lead_status", "lifecyclestage", "city", "country",
    },
    "companies": COMMON | {"name", "domain", "website", "industry", "numberofemployees"},
    "deals": COMMON | {"dealname", "dealstage", "pipeline", "amount", "closedate"},
    "tasks": COMMON | {
        "hs_task_subject", "hs_task_body", "hs_timestamp", "hs_task_status", "hs_task_priority",
        "hs_task_type",
    },
}  # fmt: skip
READ_ONLY = {"hs_object_id", "createdate", "lastmodifieddate", "hs_lastmodifieddate"}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def stamp(at: float) -> str:
    """HubSpot's timestamps: ISO 8601 UTC with milliseconds, "2026-12-03T06:00:00.000Z"."""
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + (
        f"{int(at * 1000) % 1000:03d}Z"
    )


@dataclass
class Owner:
    id: str
    email: str
    first_name: str = ""
    last_name: str = ""
    user_id: int = 0
    archived: bool = False

    def as_json(self, at: float) -> dict[str, Any]:
        return {
            "id": self.id,
            "email": self.email,
            "type": "PERSON",
            "firstName": self.first_name,
            "lastName": self.last_name,
            "userId": self.user_id,
            "userIdIncludingInactive": self.user_id,
            "createdAt": stamp(at),
            "updatedAt": stamp(at),
            "archived": self.archived,
        }


@dataclass
class HsObject:
    type: str
    id: str
    properties: dict[str, str | None]
    created: float
    updated: float
    archived: bool = False
    # to type -> [(their id, association type id)]
    associations: dict[str, list[tuple[str, int]]] = field(default_factory=dict)

    def as_json(self, wanted: list[str] | None = None) -> dict[str, Any]:
        props = dict(self.properties)
        props.update(
            hs_object_id=self.id,
            createdate=stamp(self.created),
            lastmodifieddate=stamp(self.updated),
            hs_lastmodifieddate=stamp(self.updated),
        )
        if wanted is not None:
            base = {"hs_object_id", "createdate", "lastmodifieddate"}
            props = {k: props.get(k) for k in [*base, *wanted]}
        return {
            "id": self.id,
            "properties": props,
            "createdAt": stamp(self.created),
            "updatedAt": stamp(self.updated),
            "archived": self.archived,
        }


class Portal:
    def __init__(self) -> None:
        self.owners: dict[str, Owner] = {}
        self.objects: dict[str, dict[str, HsObject]] = {t: {} for t in OBJECT_TYPES}
        self._next = 1000

    def new_id(self) -> str:
        self._next += 1
        return str(self._next)

    def find_email(self, email: str) -> HsObject | None:
        wanted = email.strip().lower()
        return next(
            (c for c in self.objects["contacts"].values() if c.properties.get("email") == wanted),
            None,
        )

    def check(self, kind: str, properties: dict[str, Any], *, creating: bool) -> dict[str, str]:
        """Property values as HubSpot stores them, or the 400 it answers."""
        problems: list[dict[str, Any]] = []
        clean: dict[str, str] = {}
        for name, raw in properties.items():
            value = "" if raw is None else str(raw)
            if name not in PROPERTIES[kind] or name in READ_ONLY:
                problems.append(
                    _problem(name, "PROPERTY_DOESNT_EXIST", f'Property "{name}" does not exist')
                )
                continue
            if name in OPTIONS and value and value not in OPTIONS[name]:
                listed = ", ".join(sorted(OPTIONS[name]))
                problems.append(
                    _problem(
                        name,
                        "INVALID_OPTION",
                        f"{value} was not one of the allowed options: [{listed}]",
                    )
                )
                continue
            if name == "hubspot_owner_id" and value and value not in self.owners:
                problems.append(
                    _problem(name, "INVALID_OWNER_ID", f"{value} is not a valid owner id")
                )
                continue
            if name == "email" and value:
                if not EMAIL.match(value):
                    problems.append(
                        _problem(name, "INVALID_EMAIL", f"Email address {value} is invalid")
                    )
                    continue
                value = value.strip().lower()
            if name == "hs_timestamp" and value and not _timestamp(value):
                problems.append(
                    _problem(
                        name,
                        "INVALID_DATETIME",
                        f"{value} is not a valid datetime (ISO 8601 or epoch ms)",
                    )
                )
                continue
            clean[name] = value
        if kind == "tasks" and creating and not clean.get("hs_timestamp"):
            problems.append(
                _problem("hs_timestamp", "REQUIRED_PROPERTY", "hs_timestamp is required")
            )
        if problems:
            raise invalid_properties(problems)
        return clean

    def associate(self, a: HsObject, b: HsObject, type_id: int) -> None:
        pair = TYPE_IDS.get(type_id)
        if pair != (a.type, b.type):
            raise invalid_input(
                f"{type_id} is not a valid association type between {a.type} and {b.type}",
                code="INVALID_ASSOCIATION_TYPE",
            )
        links = a.associations.setdefault(b.type, [])
        if (b.id, type_id) not in links:
            links.append((b.id, type_id))
        back = DEFAULT_ASSOCIATION[(b.type, a.type)]
        reverse = b.associations.setdefault(a.type, [])
        if (a.id, back) not in reverse:
            reverse.append((a.id, back))

    def get(self, kind: str, object_id: str) -> HsObject:
        found = self.objects[kind].get(object_id)
        if found is None or found.archived:
            raise not_found(object_id)
        return found


def _problem(name: str, error: str, message: str) -> dict[str, Any]:
    return {"name": name, "error": error, "message": message}


def _timestamp(value: str) -> bool:
    if value.isdigit():
        return True
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


__all__ = ["HsObject", "HubSpotError", "Owner", "Portal"]
