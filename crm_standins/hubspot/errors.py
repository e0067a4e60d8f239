"""HubSpot's error bodies, as its API sends them.

Shape (HubSpot, "Error handling", developers.hubspot.com/docs/api-reference/error-handling):
`{"status": "error", "message", "correlationId", "category", "errors": [{"message", "in",
"code", "context"}], "context", "links"}`; "the fields ... should all be treated as optional".
The exact wording of each message below is what HubSpot is seen to send (public integration
code and community threads quote it); where no public copy was found, the docstring of the
function says it was written from memory.
"""

from __future__ import annotations

import json
from typing import Any

from crm_standins.base import correlation_id

Answer = tuple[int, Any, dict[str, str]]


class HubSpotError(Exception):
    def __init__(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None):
        super().__init__(body.get("message", ""))
        self.status, self.body, self.headers = status, body, headers or {}

    def answer(self) -> Answer:
        return self.status, self.body, self.headers


def _body(message: str, category: str, **extra: Any) -> dict[str, Any]:
    return {
        "status": "error",
        "message": message,
        "correlationId": correlation_id(),
        "category": category,
        **extra,
    }


def unauthenticated() -> HubSpotError:
    """401 for a missing or unknown token. The message is the one HubSpot sends (quoted in
    HubSpot's own changelog "Improvements to authentication errors for V3 endpoints" and in
    public integrations); the category INVALID_AUTHENTICATION likewise."""
    return HubSpotError(
        401,
        _body(
            "Authentication credentials not found. This API supports OAuth 2.0 authentication "
            "and you can find more details at "
            "https://developers.hubspot.com/docs/methods/auth/oauth-overview",
            "INVALID_AUTHENTICATION",
        ),
    )


def missing_scopes(needed: str) -> HubSpotError:
    """403 when the private app lacks a scope ("Error handling": 403 "when the authentication
    provided does not have the proper permissions"). Body written from memory of real 403s:
    category MISSING_SCOPES, the scopes needed under errors[].context.requiredGranularScopes."""
    return HubSpotError(
        403,
        _body(
            "This app hasn't been granted all required scopes to make this call. Read more "
            "about required scopes here: https://developers.hubspot.com/scopes.",
            "MISSING_SCOPES",
            errors=[
                {
                    "message": "One or more of the following scopes are required.",
                    "context": {"requiredGranularScopes": [needed]},
                }
            ],
            links={"scopes": "https://developers.hubspot.com/scopes"},
        ),
    )


def not_found(object_id: str) -> HubSpotError:
    """404 for an object id that does not exist (v3 objects API; message from memory)."""
    return HubSpotError(
        404, _body("Object not found.  objectId are usually numeric.", "OBJECT_NOT_FOUND")
    )


def route_not_found() -> HubSpotError:
    return HubSpotError(404, _body("Resource not found", "OBJECT_NOT_FOUND"))


def conflict(existing_id: str) -> HubSpotError:
    """409 on creating a contact whose email exists: "Contact already exists. Existing ID:
    <id>", category CONFLICT (the wording every public integration parses)."""
    return HubSpotError(
        409, _body(f"Contact already exists. Existing ID: {existing_id}", "CONFLICT")
    )


def invalid_properties(problems: list[dict[str, Any]]) -> HubSpotError:
    """400 VALIDATION_ERROR for property values: HubSpot puts a JSON list of
    {isValid, message, error, name} inside the message ("Property values were not valid: [...]",
    quoted in public integrations; error codes such as PROPERTY_DOESNT_EXIST, INVALID_OPTION,
    INVALID_EMAIL, INVALID_OWNER_ID are written from memory)."""
    listed = [{"isValid": False, **p, "localizedErrorMessage": p["message"]} for p in problems]
    return HubSpotError(
        400,
        _body(
            f"Property values were not valid: {json.dumps(listed)}",
            "VALIDATION_ERROR",
            errors=[
                {
                    "message": p["message"],
                    "code": p["error"],
                    "context": {"propertyName": [p["name"]]},
                }
                for p in problems
            ],
        ),
    )


def invalid_input(message: str, *, code: str = "INVALID_INPUT") -> HubSpotError:
    """400 VALIDATION_ERROR for a request body HubSpot cannot use (a bad search, a missing
    field); message and code are ours, the category and shape HubSpot's."""
    return HubSpotError(
        400, _body(message, "VALIDATION_ERROR", errors=[{"message": message, "code": code}])
    )


def rate_limited(policy: str, headers: dict[str, str]) -> HubSpotError:
    """429 ("API usage guidelines and limits"): `{"status": "error", "message": "You have
    reached your <policy> limit.", "errorType": "RATE_LIMIT", "correlationId", "policyName",
    "requestId"}`; "The message and policyName will indicate which limit you hit" (the
    example HubSpot gives is DAILY; the burst limit's policy is TEN_SECONDLY_ROLLING and the
    search API's SECONDLY, as real 429s show). No Retry-After header is sent."""
    return HubSpotError(
        429,
        {
            "status": "error",
            "message": f"You have reached your {policy.lower()} limit.",
            "errorType": "RATE_LIMIT",
            "correlationId": correlation_id(),
            "policyName": policy,
            "requestId": correlation_id(),
        },
        headers,
    )
