"""HubSpot form leads, delivered by a workflow's "Send a webhook" action.

Why this shape: HubSpot's Webhooks API (app subscriptions such as `contact.creation`) sends only
object ids, never the form's answers. A HubSpot admin routes form leads with a contact-based
workflow whose enrollment trigger is "Form submission" and whose action is "Send a webhook"
(POST, authentication "Include request signature in header" with the app id). Knowledge base:
"Use webhooks with HubSpot workflows" (knowledge.hubspot.com, 2024-2025).

Signature: the v3 scheme of "Validating requests" (developers.hubspot.com/docs/apps/
developer-platform/build-apps/authentication/request-validation): headers
`X-HubSpot-Signature-v3` and `X-HubSpot-Request-Timestamp` (unix milliseconds); the signature
is base64(HMAC-SHA256(app client secret, method + URI + raw body + timestamp)), where the URI is
the full URL HubSpot called (scheme, host, path, query) with %3A %2F %3F %40 %21 %24 %27 %28 %29
%2A %2C %3B decoded. Requests older than 5 minutes are rejected (and, by us, those more than 5
minutes ahead). Behind a proxy the web layer must pass the public URL, not the internal one.

Payload, either of the two bodies the action can send:
- "Include all contact properties": the contact record, `{"vid", "portal-id", "properties":
  {"email": {"value": ...}, "firstname": {"value": ...}, ...}, "form-submissions":
  [{"conversion-id", "timestamp", "form-id", "title", "page-url"}], ...}`;
- "Customize request body": a flat object of the chosen properties, `{"email": ..., ...}`.
Properties match lead fields by internal name (firstname, jobtitle, numemployees, ...) or by the
key chosen in the custom body. HubSpot's own bookkeeping properties (`hs_*`, `createdate`, ...)
are dropped unless a mapping names them. The newest form submission's `conversion-id` is the
delivery id and its `timestamp` the submission time.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bot.intake.errors import PayloadError, SignatureError
from bot.intake.mapping import FieldMapping, LeadCollector, ParsedLead, parse_time
from bot.intake.signatures import (
    hmac_sha256,
    parse_timestamp,
    require_fresh,
    require_header,
    require_match,
    require_secret,
)

NAME = "hubspot"
SECRET_SETTING = "HUBSPOT_CLIENT_SECRET"
TIMESTAMP_HEADER = "X-HubSpot-Request-Timestamp"
SIGNATURE_HEADER = "X-HubSpot-Signature-v3"
_DECODED = re.compile(r"%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)", re.IGNORECASE)
# top-level keys of the contact record that are not properties
_RECORD_KEYS = frozenset(
    [
        "vid",
        "canonical-vid",
        "merged-vids",
        "portal-id",
        "is-contact",
        "profile-token",
        "profile-url",
        "form-submissions",
        "identity-profiles",
        "list-memberships",
        "merge-audits",
        "associated-company",
        "properties",
    ]
)
_BOOKKEEPING = {
    "createdate",
    "lastmodifieddate",
    "associatedcompanyid",
    "num_conversion_events",
    "num_unique_conversion_events",
    "first_conversion_date",
    "first_conversion_event_name",
    "recent_conversion_date",
    "recent_conversion_event_name",
    "hubspot_owner_assigneddate",
    "notes_last_updated",
    "notes_last_contacted",
}


def signed_uri(url: str) -> str:
    """The URI as HubSpot signs it: the listed percent-escapes decoded, nothing else."""
    return _DECODED.sub(lambda m: chr(int(m.group(1), 16)), url)


def verify(
    headers: Mapping[str, str],
    body: bytes,
    now: datetime,
    secret: str | None,
    *,
    method: str | None = None,
    url: str | None = None,
) -> None:
    if not method or not url:
        raise ValueError("HubSpot signatures cover the request method and full URL: pass both")
    secret = require_secret(secret, NAME, SECRET_SETTING)
    timestamp = require_header(headers, TIMESTAMP_HEADER)
    signature = require_header(headers, SIGNATURE_HEADER)
    require_fresh(parse_timestamp(timestamp, TIMESTAMP_HEADER, milliseconds=True), now)
    uri = signed_uri(url)
    message = method.upper().encode() + uri.encode() + body + timestamp.encode()
    try:
        require_match(base64.b64encode(hmac_sha256(secret, message)).decode("ascii"), signature)
    except SignatureError:
        # the usual cause, once the secret is right: HubSpot signed another URL than ours
        raise SignatureError(
            f"signature does not match for the URL checked, {uri} — if HubSpot calls another "
            "address (a reverse proxy in front of leadrouter), the proxy must pass the public "
            "host as X-Forwarded-Host, the scheme as X-Forwarded-Proto, and a path prefix it "
            "strips as X-Forwarded-Prefix (or set LEADROUTER_ROOT_PATH)"
        ) from None


def _property_value(value: Any) -> Any:
    return value.get("value") if isinstance(value, dict) and "value" in value else value


def _latest_submission(payload: Mapping[str, Any]) -> Mapping[str, Any]:
    submissions = [s for s in payload.get("form-submissions") or [] if isinstance(s, dict)]
    if not submissions:
        return {}
    return max(submissions, key=lambda s: s.get("timestamp") or 0)


def parse(payload: Any, mapping: FieldMapping | None = None) -> ParsedLead:
    if isinstance(payload, list):
        raise PayloadError(
            "HubSpot Webhooks API events carry object ids but no form answers; send form leads "
            "with a workflow 'Send a webhook' action instead"
        )
    if not isinstance(payload, dict):
        raise PayloadError("not a HubSpot workflow webhook: body is not a JSON object")
    properties = payload.get("properties")
    if isinstance(properties, dict):
        record = True
    else:
        record, properties = False, payload  # "Customize request body": flat properties
    collector = LeadCollector(NAME, mapping)
    for name, raw in properties.items():
        if not record and name in _RECORD_KEYS:
            continue
        bookkeeping = name.startswith("hs_") or name in _BOOKKEEPING
        if bookkeeping and collector.target([name]) is None:
            continue
        collector.add(
            _property_value(raw),
            names=[name],
            custom_key=name,
            describe=f"HubSpot property {name!r}",
        )
    contact_id = payload.get("canonical-vid") or payload.get("vid") or payload.get("objectId")
    if contact_id is not None:
        collector.custom.setdefault("hubspot_contact_id", contact_id)
    latest = _latest_submission(payload)
    collector.default(
        "source",
        latest.get("title") or _property_value(properties.get("recent_conversion_event_name")),
        "HubSpot form title",
    )
    return collector.result(
        delivery_id=latest.get("conversion-id") or payload.get("eventId"),
        submitted_at=parse_time(latest.get("timestamp")),
    )
