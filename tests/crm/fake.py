"""An in-memory CRM behind bot.crm.base.Crm, for the logic of ownership and write-back (the
HTTP contracts of HubSpot and Salesforce are tested against their stand-ins)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from bot.crm.base import Found, Record, Task


@dataclass
class FakeCrm:
    label: str = "HubSpot"
    email_is_unique: bool = False  # looked up before created, as Salesforce is
    owners_by_id: dict[str, str] = field(default_factory=dict)  # id -> email
    contacts: dict[str, dict] = field(default_factory=dict)  # email -> {id, owner}
    companies: dict[str, str] = field(default_factory=dict)  # domain -> owner id
    tasks: list[tuple[str, Task]] = field(default_factory=list)
    updates: list[tuple[str, dict]] = field(default_factory=list)
    delay: float = 0.0  # seconds every find_owner takes
    asked: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def find_owner(self, email, domain, timeout):  # type: ignore[no-untyped-def]
        with self.lock:
            self.asked += 1
        time.sleep(self.delay)
        contact = self.contacts.get(email or "")
        if contact and contact.get("owner"):
            return Found(contact["owner"], f"contact {email}")
        if domain in self.companies:
            return Found(self.companies[domain], f"company {domain}")
        return None

    def owners(self) -> dict[str, str]:
        return dict(self.owners_by_id)

    def find_record(self, email: str) -> Record | None:
        contact = self.contacts.get(email)
        return Record("contact", contact["id"], contact.get("owner")) if contact else None

    def create_record(self, fields, owner_id):  # type: ignore[no-untyped-def]
        record_id = str(100 + len(self.contacts))
        self.contacts[str(fields["email"])] = {"id": record_id, "owner": owner_id}
        return Record("contact", record_id, owner_id, f"https://crm.example/{record_id}")

    def update_record(self, record: Record, changes: dict) -> None:
        self.updates.append((record.id, dict(changes)))

    def has_task(self, record: Record, marker: str) -> bool:
        return any(task.marker == marker for _, task in self.tasks)

    def create_task(self, record: Record, task: Task) -> None:
        self.tasks.append((record.id, task))
