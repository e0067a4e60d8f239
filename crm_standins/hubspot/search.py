"""POST /crm/v3/objects/{type}/search, as HubSpot's "Search the CRM" reference describes it.

- body: `filterGroups` (ORed) of `filters` (ANDed), each `{propertyName, operator, value}`
  (`values` for IN / NOT_IN, `highValue` for BETWEEN); `properties`; `sorts`; `limit`; `after`;
  `query` (a text search over the default searchable properties);
- limits: at most 5 filterGroups, 10 filters in a group, 25 filters in all (changelog
  "Expanded filtering capabilities", August 2024); `limit` at most 200; at most 10,000
  results can be paged through (a 400 past it);
- operators LT, LTE, GT, GTE, EQ, NEQ, BETWEEN, IN, NOT_IN, HAS_PROPERTY, NOT_HAS_PROPERTY,
  CONTAINS_TOKEN, NOT_CONTAINS_TOKEN; text comparisons ignore case (IN needs lower-case
  values for text); CONTAINS_TOKEN matches a whole word, `*` a wildcard (tokens split at
  whitespace here: how HubSpot tokenizes punctuation is not published);
- `associations.{type}` filters on the records associated with an id (EQ);
- the answer: `{"total", "results", "paging": {"next": {"after"}}}` (paging only when more);
  each result has the asked properties (null when unset) plus hs_object_id, createdate and
  lastmodifieddate; without `properties`, the type's defaults (contacts: firstname, lastname,
  email, …);
- newly created or changed records reach the search index after a short delay (the reference
  says results "may take a few moments" to reflect changes): `index_lag` seconds here.
"""

from __future__ import annotations

import fnmatch
from typing import Any

from crm_standins.hubspot.errors import invalid_input
from crm_standins.hubspot.portal import PLURAL, HsObject

MAX_LIMIT = 200
MAX_RESULTS = 10_000
DEFAULTS = {
    "contacts": ["firstname", "lastname", "email"],
    "companies": ["name", "domain"],
    "deals": ["dealname", "amount", "closedate", "pipeline", "dealstage"],
    "tasks": ["hs_task_subject", "hs_task_status", "hs_task_priority", "hs_timestamp"],
}
OPERATORS = {
    "LT", "LTE", "GT", "GTE", "EQ", "NEQ", "BETWEEN", "IN", "NOT_IN", "HAS_PROPERTY",
    "NOT_HAS_PROPERTY", "CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN",
}  # fmt: skip


def search(kind: str, objects: list[HsObject], body: Any, visible_before: float) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise invalid_input("Invalid input JSON on line 1, column 1: expected an object")
    groups = body.get("filterGroups") or []
    _check_shape(groups)
    limit = int(body.get("limit") or 10)
    if limit > MAX_LIMIT or limit < 0:
        raise invalid_input(f"limit must be at most {MAX_LIMIT}", code="INVALID_LIMIT")
    after = int(body.get("after") or 0)
    if after + limit > MAX_RESULTS:
        raise invalid_input(
            f"Search results are limited to {MAX_RESULTS} records", code="TOO_MANY_RESULTS"
        )
    indexed = [o for o in objects if not o.archived and o.updated <= visible_before]
    found = [o for o in indexed if not groups or any(_group(o, g) for g in groups)]
    if body.get("query"):
        text = str(body["query"]).lower()
        found = [o for o in found if any(text in (v or "").lower() for v in o.properties.values())]
    for sort in reversed(body.get("sorts") or []):
        name = sort.get("propertyName") if isinstance(sort, dict) else str(sort)
        descending = isinstance(sort, dict) and sort.get("direction") == "DESCENDING"
        found.sort(key=lambda o, n=name: o.properties.get(n) or "", reverse=descending)
    wanted = body.get("properties") or DEFAULTS[kind]
    page = found[after : after + limit]
    answer: dict[str, Any] = {"total": len(found), "results": [o.as_json(wanted) for o in page]}
    if after + limit < len(found):
        answer["paging"] = {"next": {"after": str(after + limit)}}
    return answer


def _check_shape(groups: Any) -> None:
    if not isinstance(groups, list) or len(groups) > 5:
        raise invalid_input("There can be at most 5 filterGroups", code="TOO_MANY_FILTER_GROUPS")
    total = 0
    for group in groups:
        filters = group.get("filters") if isinstance(group, dict) else None
        if not isinstance(filters, list) or len(filters) > 10:
            raise invalid_input(
                "A filterGroup can have at most 10 filters", code="TOO_MANY_FILTERS"
            )
        total += len(filters)
        for one in filters:
            if not isinstance(one, dict) or one.get("operator") not in OPERATORS:
                raise invalid_input(f"Invalid filter: {one}", code="INVALID_FILTER")
            if not one.get("propertyName"):
                raise invalid_input("A filter needs a propertyName", code="INVALID_FILTER")
    if total > 25:
        raise invalid_input("There can be at most 25 filters in all", code="TOO_MANY_FILTERS")


def _group(obj: HsObject, group: dict[str, Any]) -> bool:
    return all(_matches(obj, f) for f in group["filters"])


def _matches(obj: HsObject, f: dict[str, Any]) -> bool:
    name, op = str(f["propertyName"]), f["operator"]
    if name.startswith("associations."):
        kind = PLURAL.get(name.split(".", 1)[1], "")
        linked = {i for i, _type in obj.associations.get(kind, [])}
        return (str(f.get("value")) in linked) == (op != "NEQ")
    value = obj.id if name == "hs_object_id" else obj.properties.get(name)
    if op == "HAS_PROPERTY":
        return bool(value)
    if op == "NOT_HAS_PROPERTY":
        return not value
    if op in ("IN", "NOT_IN"):
        inside = (value or "").lower() in [str(v).lower() for v in f.get("values") or []]
        return inside == (op == "IN")
    if op in ("CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN"):
        pattern = str(f.get("value") or "").lower()
        tokens = (value or "").lower().split()
        hit = any(fnmatch.fnmatchcase(t, pattern) for t in tokens)
        return hit == (op == "CONTAINS_TOKEN")
    if value is None:
        return op == "NEQ"
    wanted = str(f.get("value", ""))
    left, right = _comparable(value), _comparable(wanted)
    if op == "EQ":
        return left == right
    if op == "NEQ":
        return left != right
    if op == "BETWEEN":
        return right <= left <= _comparable(str(f.get("highValue", "")))
    return {
        "LT": left < right,
        "LTE": left <= right,
        "GT": left > right,
        "GTE": left >= right,
    }[op]


def _comparable(value: str) -> Any:
    try:
        return (0, float(value))
    except ValueError:
        return (1, value.lower())
