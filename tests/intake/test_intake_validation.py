"""A lead that cannot be accepted is refused naming the lead field and where it came from."""

from __future__ import annotations

import json

import pytest

from bot.intake import LeadValidationError, ParsedLead, receive, to_lead
from tests.intake.intake_helpers import NOW, SIGNERS, payload

SECRET = "s3cr3t-for-tests-only"


def deliver_edited(provider: str, name: str, edit) -> LeadValidationError:
    document = json.loads(payload(name))
    edit(document)
    body = json.dumps(document).encode()
    with pytest.raises(LeadValidationError) as caught:
        receive(
            provider,
            headers=SIGNERS[provider](body, SECRET),
            body=body,
            now=NOW,
            secret=SECRET,
            url="https://leads.example.com/webhooks/leads/hubspot?team=emea",
        )
    return caught.value


def tally_field(document: dict, label: str) -> dict:
    return next(f for f in document["data"]["fields"] if f["label"] == label)


def test_bad_email_names_the_lead_field_and_the_tally_question() -> None:
    def edit(doc: dict) -> None:
        tally_field(doc, "Work e-mail")["value"] = "katherine at orbital"

    error = deliver_edited("tally", "tally.json", edit)
    [problem] = error.errors
    assert problem.field == "email"
    assert problem.message == "'katherine at orbital' is not a valid email address"
    assert problem.source == "Tally field 'Work e-mail'"
    assert str(problem) == (
        "email: 'katherine at orbital' is not a valid email address "
        "(from Tally field 'Work e-mail')"
    )


def test_unreadable_company_size_names_employees_and_the_webflow_field() -> None:
    def edit(doc: dict) -> None:
        doc["payload"]["data"]["Employees"] = "quite a lot"

    [problem] = deliver_edited("webflow", "webflow.json", edit).errors
    assert problem.field == "employees"
    assert "cannot read employees 'quite a lot'" in problem.message
    assert problem.source == "Webflow field 'Employees'"


def test_every_bad_field_is_reported_at_once() -> None:
    def edit(doc: dict) -> None:
        doc["email"] = "not-an-email"
        doc["Company size"] = "many"
        doc["country"] = "Atlantis"

    error = deliver_edited("generic", "generic.json", edit)
    assert sorted(p.field for p in error.errors) == ["country", "email", "employees"]
    assert "unknown country 'Atlantis'" in str(error)
    assert {p.source for p in error.errors} == {
        "field 'email'",
        "field 'Company size'",
        "field 'country'",
    }


def test_hubspot_property_is_named_as_the_source() -> None:
    def edit(doc: dict) -> None:
        doc["properties"]["numemployees"]["value"] = "a handful"

    [problem] = deliver_edited("hubspot", "hubspot_contact.json", edit).errors
    assert (problem.field, problem.source) == ("employees", "HubSpot property 'numemployees'")


def test_value_of_the_wrong_shape_names_the_field_and_shows_the_input() -> None:
    parsed = ParsedLead(fields={"company": {"name": "Acme"}}, sources={"company": "path 'x'"})
    with pytest.raises(LeadValidationError) as caught:
        to_lead(parsed)
    [problem] = caught.value.errors
    assert problem.field == "company"
    assert problem.message == "Input should be a valid string (got {'name': 'Acme'})"
    assert problem.as_dict() == {
        "field": "company",
        "message": problem.message,
        "source": "path 'x'",
    }
