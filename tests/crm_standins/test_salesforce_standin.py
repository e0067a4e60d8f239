"""The Salesforce stand-in read by simple-salesforce, the Python client others use: its query
paging, its record calls, its exception per status and its reading of Sforce-Limit-Info."""

from __future__ import annotations

import httpx
import pytest
from simple_salesforce.exceptions import (
    SalesforceExpiredSession,
    SalesforceGeneralError,
    SalesforceMalformedRequest,
    SalesforceRefusedRequest,
    SalesforceResourceNotFound,
)

from crm_standins.salesforce import SalesforceStandin
from tests.crm_standins.conftest import simple_salesforce


def token(salesforce: SalesforceStandin, **form: str) -> httpx.Response:
    data = {
        "grant_type": "client_credentials",
        "client_id": salesforce.client_id,
        "client_secret": salesforce.client_secret,
        **form,
    }
    return httpx.post(f"{salesforce.url}/services/oauth2/token", data=data)


def code_of(error: Exception) -> str:
    return error.content[0]["errorCode"]  # type: ignore[attr-defined]


def test_client_credentials_give_a_bearer_token_for_the_instance(salesforce):
    answer = token(salesforce)
    body = answer.json()
    assert answer.status_code == 200 and body["token_type"] == "Bearer"
    assert body["instance_url"] == salesforce.url and body["issued_at"].isdigit()
    sf = simple_salesforce(salesforce, body["access_token"])
    assert sf.query("SELECT Id FROM User")["totalSize"] == 1  # the integration user
    wrong = token(salesforce, client_secret="nope")
    assert wrong.status_code == 400 and wrong.json() == {
        "error": "invalid_client",
        "error_description": "invalid client credentials",
    }
    assert token(salesforce, grant_type="password").json()["error"] == "unsupported_grant_type"


def test_queries_page_through_next_records_url(salesforce):
    salesforce.query_batch = 3
    for n in range(7):
        salesforce.add_user(f"rep{n}@sales.io")
    sf = simple_salesforce(salesforce)
    first = sf.query("SELECT Id, Email FROM User WHERE IsActive = true")
    assert first["totalSize"] == 8 and not first["done"] and len(first["records"]) == 3
    assert first["records"][0]["attributes"]["type"] == "User"
    every = sf.query_all("SELECT Id, Email FROM User WHERE IsActive = true")
    assert len(every["records"]) == 8 and every["done"]


def test_soql_compares_text_without_case_and_reads_escapes_likes_and_datetimes(salesforce):
    owner = salesforce.add_user("ben@sales.io")
    salesforce.add_lead("Kim@Acme.com", owner_id=owner, LastName="O'Brien")
    salesforce.add_account("Acme", website="https://www.acme.com", owner_id=owner)
    salesforce.add_account("Notacme", website="https://notacme.com.au")
    sf = simple_salesforce(salesforce)

    def ids(soql: str) -> int:
        return sf.query(soql)["totalSize"]

    assert ids("SELECT Id FROM Lead WHERE Email = 'KIM@acme.com' AND IsConverted = false") == 1
    assert ids("SELECT Id FROM Lead WHERE LastName = 'O\\'Brien'") == 1
    assert ids("SELECT Id FROM Account WHERE Website LIKE '%acme.com%'") == 2  # LIKE is loose
    assert ids("SELECT Id FROM Account WHERE Website LIKE '%://www.acme.com'") == 1
    assert ids("SELECT Id FROM Lead WHERE Email IN ('x@y.io', 'kim@acme.com')") == 1
    assert ids("SELECT Id FROM Lead WHERE CreatedDate > 2000-01-01T00:00:00Z") == 1
    assert ids("SELECT Id FROM Lead WHERE CreatedDate > 2999-01-01T00:00:00Z") == 0
    both = "SELECT Id FROM Account WHERE (Website = 'a' OR Website LIKE '%acme%') AND Name = 'Acme'"
    assert ids(both) == 1


@pytest.mark.parametrize(
    ("soql", "code"),
    [
        ("SELECT Id FRM Lead", "MALFORMED_QUERY"),
        (
            "SELECT Id FROM Lead WHERE Email = 'a' AND Status = 'b' OR Status = 'c'",
            "MALFORMED_QUERY",
        ),
        ("SELECT Id, Nope FROM Lead", "INVALID_FIELD"),
        ("SELECT Id FROM Leads", "INVALID_TYPE"),
        (
            "SELECT Id FROM Lead WHERE CreatedDate > '2026-01-01T00:00:00Z'",
            "INVALID_QUERY_FILTER_OPERATOR",
        ),
    ],
)
def test_a_query_salesforce_cannot_read_is_refused_with_its_code(salesforce, soql, code):
    with pytest.raises(SalesforceMalformedRequest) as refused:
        simple_salesforce(salesforce).query(soql)
    assert refused.value.status == 400 and code_of(refused.value) == code


def test_records_are_created_checked_and_updated_as_salesforce_does(salesforce):
    owner = salesforce.add_user("ben@sales.io")
    sf = simple_salesforce(salesforce)
    made = sf.Lead.create(
        {"LastName": "Lee", "Company": "Acme", "Email": "kim@acme.com", "OwnerId": owner}
    )
    assert made["success"] is True and made["errors"] == [] and made["id"].startswith("00Q")
    assert sf.Lead.update(made["id"], {"Status": "Working - Contacted"}) == 204
    assert salesforce.record(made["id"])["Status"] == "Working - Contacted"
    refusals = {
        "REQUIRED_FIELD_MISSING": {"Company": "Acme"},
        "STRING_TOO_LONG": {"LastName": "Lee", "Company": "Acme", "Title": "x" * 129},
        "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST": {
            "LastName": "L",
            "Company": "A",
            "Status": "Hot",
        },
        "MALFORMED_ID": {"LastName": "L", "Company": "A", "OwnerId": "ben"},
        "INVALID_EMAIL_ADDRESS": {"LastName": "L", "Company": "A", "Email": "kim@"},
        "INVALID_FIELD_FOR_INSERT_UPDATE": {"LastName": "L", "Company": "A", "IsConverted": True},
        "INVALID_FIELD": {"LastName": "L", "Company": "A", "Nope__c": 1},
    }
    for code, fields in refusals.items():
        with pytest.raises(SalesforceMalformedRequest) as refused:
            sf.Lead.create(fields)
        assert code_of(refused.value) == code
    with pytest.raises(SalesforceResourceNotFound) as missing:
        sf.Lead.update("00Q5g0000009999AAA", {"Status": "Working - Contacted"})
    assert code_of(missing.value) == "NOT_FOUND"


def test_a_blocking_duplicate_rule_names_the_existing_lead(salesforce):
    existing = salesforce.add_lead("kim@acme.com")
    salesforce.block_duplicates = True
    with pytest.raises(SalesforceMalformedRequest) as refused:
        simple_salesforce(salesforce).Lead.create(
            {"LastName": "L", "Company": "A", "Email": "kim@acme.com"}
        )
    error = refused.value.content[0]
    assert error["errorCode"] == "DUPLICATES_DETECTED"
    [match] = error["duplicateResult"]["matchResults"]
    assert match["matchRecords"][0]["record"]["Id"] == existing


def test_an_expired_session_a_spent_allocation_and_an_outage(salesforce):
    sf = simple_salesforce(salesforce)
    salesforce.limit_api(10, used=9)
    sf.query("SELECT Id FROM User")
    assert sf.api_usage["api-usage"].used == 10  # the client read Sforce-Limit-Info
    with pytest.raises(SalesforceRefusedRequest) as spent:
        sf.query("SELECT Id FROM User")
    assert spent.value.status == 403 and code_of(spent.value) == "REQUEST_LIMIT_EXCEEDED"
    salesforce.limit_api(None)
    salesforce.expire_sessions()
    with pytest.raises(SalesforceExpiredSession) as expired:
        sf.query("SELECT Id FROM User")
    assert code_of(expired.value) == "INVALID_SESSION_ID"
    salesforce.outage("query", status=503)
    with pytest.raises(SalesforceGeneralError) as down:
        simple_salesforce(salesforce).query("SELECT Id FROM User")
    assert down.value.status == 503
