"""Salesforce's error answers.

REST API ("Status Codes and Error Responses", developer.salesforce.com/docs/atlas.en-us.
api_rest.meta/api_rest/errorcodes.htm): the body is a JSON list of `{"message", "errorCode",
"fields"}`; 401 "The session ID or OAuth token used has expired or is invalid"; 403 "If the
error code is REQUEST_LIMIT_EXCEEDED, you've exceeded API request limits in your org"; 404 "The
requested resource couldn't be found"; 400 "The request couldn't be understood"; 500 "An
error has occurred within Lightning Platform". The errorCode values are those of the API's
StatusCode / ExceptionCode enumerations (SOAP API reference "Core Data Types", "API Fault
Element"); the message wordings are the ones Salesforce is seen to send, written from memory
where no public copy was found (each says so).

OAuth token endpoint (OAuth 2.0 flows in Salesforce Help): an RFC 6749 body,
`{"error", "error_description"}`, HTTP 400 (401 for some client errors).
"""

from __future__ import annotations

from typing import Any

Answer = tuple[int, Any, dict[str, str]]


class SalesforceError(Exception):
    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra

    def body(self) -> list[dict[str, Any]]:
        return [{"message": self.message, "errorCode": self.code, **self.extra}]


def invalid_session() -> SalesforceError:
    """The message every expired or unknown token gets (quoted in Salesforce's knowledge
    articles and public integrations)."""
    return SalesforceError(401, "INVALID_SESSION_ID", "Session expired or invalid")


def request_limit() -> SalesforceError:
    """403 past the org's 24-hour API request allocation ("API Request Limits and
    Allocations"); the message as Salesforce sends it (public integrations quote it)."""
    return SalesforceError(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")


def not_found() -> SalesforceError:
    return SalesforceError(404, "NOT_FOUND", "The requested resource does not exist")


def entity_deleted() -> SalesforceError:
    return SalesforceError(404, "ENTITY_IS_DELETED", "entity is deleted")


def malformed_query(soql: str, column: int, message: str) -> SalesforceError:
    """SOQL errors point at the column (Row:1:Column:N), as Salesforce's do (from memory)."""
    caret = " " * max(column - 1, 0) + "^"
    text = f"\n{soql}\n{caret}\nERROR at Row:1:Column:{column}\n{message}"
    return SalesforceError(400, "MALFORMED_QUERY", text)


def invalid_field(soql: str, column: int, field: str, entity: str) -> SalesforceError:
    caret = " " * max(column - 1, 0) + "^"
    text = (
        f"\n{soql}\n{caret}\nERROR at Row:1:Column:{column}\nNo such column '{field}' on "
        f"entity '{entity}'. If you are attempting to use a custom field, be sure to append the "
        "'__c' after the custom field name. Please reference your WSDL or the describe call for "
        "the appropriate names."
    )
    return SalesforceError(400, "INVALID_FIELD", text)


def invalid_type(soql: str, column: int, entity: str) -> SalesforceError:
    caret = " " * max(column - 1, 0) + "^"
    text = (
        f"\n{soql}\n{caret}\nERROR at Row:1:Column:{column}\nsObject type '{entity}' is not "
        "supported. If you are attempting to use a custom object, be sure to append the '__c' "
        "after the entity name. Please reference your WSDL or the describe call for the "
        "appropriate names."
    )
    return SalesforceError(400, "INVALID_TYPE", text)


def field_error(code: str, message: str, field: str) -> SalesforceError:
    """A record refused for one field: REQUIRED_FIELD_MISSING, STRING_TOO_LONG,
    INVALID_EMAIL_ADDRESS, MALFORMED_ID, INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST,
    INVALID_CROSS_REFERENCE_KEY, INVALID_FIELD_FOR_INSERT_UPDATE (StatusCode values; message
    wordings from memory)."""
    return SalesforceError(400, code, message, fields=[field])


def duplicates(object_type: str, matches: list[str], api: str) -> SalesforceError:
    """`object_type`: the type of the records matched (the rule's duplicateRuleEntityType is
    the new record's, Lead)."""
    return _duplicates(object_type, matches, api)


def _duplicates(object_type: str, matches: list[str], api: str) -> SalesforceError:
    """A duplicate rule that blocks (Duplicate Management; the REST body carries the SOAP
    API's DuplicateError: duplicateResult.matchResults[].matchRecords[].record, the message
    "Use one of these records?"; the nesting is written from memory)."""
    records = [
        {
            "additionalInformation": [],
            "fieldDiffs": [],
            "matchConfidence": 100.0,
            "record": {
                "attributes": {"type": object_type, "url": f"{api}/sobjects/{object_type}/{i}"},
                "Id": i,
            },
        }
        for i in matches
    ]
    return SalesforceError(
        400,
        "DUPLICATES_DETECTED",
        "Use one of these records?",
        duplicateResult={
            "allowSave": False,
            "duplicateRule": "Standard_Lead_Duplicate_Rule",
            "duplicateRuleEntityType": "Lead",
            "errorMessage": "You're creating a duplicate record. We recommend you use an "
            "existing record instead.",
            "matchResults": [
                {
                    "entityType": object_type,
                    "errors": [],
                    "matchEngine": "FuzzyMatchEngine",
                    "matchRecords": records,
                    "rule": f"Standard_{object_type}_Match_Rule_v1_0",
                    "size": len(records),
                    "success": True,
                }
            ],
        },
    )


def oauth(error: str, description: str, status: int = 400) -> Answer:
    return status, {"error": error, "error_description": description}, {}
