"""A Salesforce org's records: the standard objects leadrouter reads and writes, their fields
and what Salesforce checks when a record is written.

From the Object Reference for Salesforce and Lightning Platform (Lead, Contact, Account,
User, Task, Opportunity): field names and types; required on create (Lead: LastName and
Company; Contact: LastName; Account: Name; Opportunity: Name, StageName, CloseDate); field
lengths (Lead.FirstName 40, LastName 80, Company 255, Title 128, Email 80, Phone 40;
Task.Subject 255); system fields not writable (Id, CreatedDate, LastModifiedDate, IsConverted:
set by lead conversion only); ids of 18 characters whose first three say the object (00Q Lead,
003 Contact, 001 Account, 005 User, 00T Task, 006 Opportunity). The default picklist values
(Lead.Status, Task.Status, Task.Priority) are a new org's defaults.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from crm_standins.salesforce.errors import SalesforceError, field_error

# field -> type: id, string, email, bool, datetime, date, picklist, reference, textarea
SCHEMA: dict[str, dict[str, str]] = {
    "User": {
        "Id": "id", "Email": "email", "IsActive": "bool", "Name": "string", "Username": "string",
    },
    "Lead": {
        "Id": "id", "FirstName": "string", "LastName": "string", "Company": "string",
        "Email": "email", "Phone": "string", "Title": "string", "Status": "picklist",
        "OwnerId": "reference", "IsConverted": "bool", "LeadSource": "string",
        "CreatedDate": "datetime", "LastModifiedDate": "datetime",
    },
    "Contact": {
        "Id": "id", "FirstName": "string", "LastName": "string", "Email": "email",
        "OwnerId": "reference", "AccountId": "reference", "CreatedDate": "datetime",
        "LastModifiedDate": "datetime",
    },
    "Account": {
        "Id": "id", "Name": "string", "Website": "string", "OwnerId": "reference",
        "CreatedDate": "datetime", "LastModifiedDate": "datetime",
    },
    "Task": {
        "Id": "id", "WhoId": "reference", "WhatId": "reference", "OwnerId": "reference",
        "Subject": "string", "Description": "textarea", "ActivityDate": "date",
        "Status": "picklist", "Priority": "picklist", "IsReminderSet": "bool",
        "ReminderDateTime": "datetime", "CreatedDate": "datetime", "LastModifiedDate": "datetime",
    },
    "Opportunity": {
        "Id": "id", "Name": "string", "StageName": "picklist", "IsClosed": "bool", "IsWon": "bool",
        "AccountId": "reference", "OwnerId": "reference", "CloseDate": "date",
        "CreatedDate": "datetime", "LastModifiedDate": "datetime",
    },
}  # fmt: skip
PREFIX = {
    "Lead": "00Q",
    "Contact": "003",
    "Account": "001",
    "User": "005",
    "Task": "00T",
    "Opportunity": "006",
}
OBJECT_OF_PREFIX = {v: k for k, v in PREFIX.items()}
REQUIRED = {
    "Lead": ("LastName", "Company"),
    "Contact": ("LastName",),
    "Account": ("Name",),
    "Opportunity": ("Name", "StageName", "CloseDate"),
}
LENGTHS = {
    ("Lead", "FirstName"): 40, ("Lead", "LastName"): 80, ("Lead", "Company"): 255,
    ("Lead", "Title"): 128, ("Lead", "Email"): 80, ("Lead", "Phone"): 40,
    ("Task", "Subject"): 255, ("Task", "Description"): 32000,
}  # fmt: skip
PICKLISTS = {
    ("Lead", "Status"): (
        "Open - Not Contacted", "Working - Contacted", "Closed - Converted",
        "Closed - Not Converted",
    ),
    ("Task", "Status"): (
        "Not Started", "In Progress", "Completed", "Waiting on someone else", "Deferred",
    ),
    ("Task", "Priority"): ("High", "Normal", "Low"),
}  # fmt: skip
DEFAULTS = {
    "Lead": {"Status": "Open - Not Contacted", "IsConverted": False},
    "Task": {"Status": "Not Started", "Priority": "Normal", "IsReminderSet": False},
    "User": {"IsActive": True},
    "Opportunity": {"IsClosed": False, "IsWon": False},
}
SYSTEM = {"Id", "CreatedDate", "LastModifiedDate", "IsConverted", "IsClosed", "IsWon"}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
ID = re.compile(r"^[a-zA-Z0-9]{15}([a-zA-Z0-9]{3})?$")


def sf_datetime(at: float) -> str:
    """How the REST API writes a dateTime: "2026-12-03T06:00:00.000+0000"."""
    return (
        datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%S.")
        + f"{int(at * 1000) % 1000:03d}+0000"
    )


@dataclass
class Record:
    type: str
    fields: dict[str, Any]
    deleted: bool = False

    @property
    def id(self) -> str:
        return str(self.fields["Id"])


class Org:
    def __init__(self) -> None:
        self.records: dict[str, Record] = {}
        self._counter = itertools.count(1)

    def new_id(self, object_type: str) -> str:
        return f"{PREFIX[object_type]}5g{next(self._counter):010d}AAA"

    def of_type(self, object_type: str) -> list[Record]:
        return [r for r in self.records.values() if r.type == object_type and not r.deleted]

    def insert(
        self, object_type: str, values: dict[str, Any], at: float, *, seeding: bool = False
    ) -> Record:
        clean = self.check(object_type, values, creating=True, seeding=seeding)
        fields = {name: None for name in SCHEMA[object_type]}
        fields.update(DEFAULTS.get(object_type, {}))
        fields.update(clean)
        fields["Id"] = self.new_id(object_type)
        fields["CreatedDate"] = fields["LastModifiedDate"] = at
        record = Record(object_type, fields)
        self.records[record.id] = record
        return record

    def update(self, record: Record, values: dict[str, Any], at: float) -> None:
        record.fields.update(self.check(record.type, values, creating=False))
        record.fields["LastModifiedDate"] = at

    def check(
        self, object_type: str, values: dict[str, Any], *, creating: bool, seeding: bool = False
    ) -> dict[str, Any]:
        schema = SCHEMA[object_type]
        clean: dict[str, Any] = {}
        for name, value in values.items():
            kind = schema.get(name)
            if kind is None:
                raise SalesforceError(
                    400,
                    "INVALID_FIELD",
                    f"No such column '{name}' on sobject of type {object_type}",
                )
            if name in SYSTEM and not seeding:
                raise field_error(
                    "INVALID_FIELD_FOR_INSERT_UPDATE",
                    f"Unable to create/update fields: {name}. "
                    "Please check the security settings of this field and verify that it is "
                    "read/write for your profile or permission set.",
                    name,
                )
            clean[name] = self._value(object_type, name, kind, value)
        if creating:
            for name in REQUIRED.get(object_type, ()):
                if not clean.get(name):
                    raise field_error(
                        "REQUIRED_FIELD_MISSING", f"Required fields are missing: [{name}]", name
                    )
        return clean

    def _value(self, object_type: str, name: str, kind: str, value: Any) -> Any:
        if value is None:
            return None
        if kind == "bool":
            return bool(value)
        text = str(value)
        limit = LENGTHS.get((object_type, name))
        if limit is not None and len(text) > limit:
            raise field_error(
                "STRING_TOO_LONG",
                f"{_label(name)}: data value too large: {text[:40]}... (max length={limit})",
                name,
            )
        if kind == "email" and text and not EMAIL.match(text):
            raise field_error(
                "INVALID_EMAIL_ADDRESS", f"{_label(name)}: invalid email address: {text}", name
            )
        allowed = PICKLISTS.get((object_type, name))
        if allowed is not None and text not in allowed:
            raise field_error(
                "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                f"{_label(name)}: bad value for restricted picklist field: {text}",
                name,
            )
        if kind == "reference" and text:
            if not ID.match(text):
                raise field_error(
                    "MALFORMED_ID", f"{_label(name)}: id value of incorrect type: {text}", name
                )
            target = self.records.get(text)
            if target is None or target.deleted:
                raise field_error("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", name)
            if name == "OwnerId" and (target.type != "User" or not target.fields.get("IsActive")):
                raise field_error(
                    "INACTIVE_OWNER_OR_USER",
                    f"operation performed with inactive user [{text}] as owner of "
                    f"{object_type.lower()}",
                    name,
                )
        if kind == "datetime" and text:
            try:
                return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
            except ValueError as bad:
                raise field_error(
                    "JSON_PARSER_ERROR",
                    f"Cannot deserialize instance of dateTime from VALUE_STRING value {text}",
                    name,
                ) from bad
        if kind == "date" and text:
            try:
                datetime.strptime(text, "%Y-%m-%d")
            except ValueError as bad:
                raise field_error(
                    "JSON_PARSER_ERROR",
                    f"Cannot deserialize instance of date from VALUE_STRING value {text}",
                    name,
                ) from bad
        return text


def _label(name: str) -> str:
    """Salesforce names a field by its label in messages ("Last Name", "Owner ID")."""
    if name.endswith("Id") and len(name) > 2:
        return name[:-2] + " ID"
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name)
