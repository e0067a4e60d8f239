"""An authentic lead is kept whatever its answers: one that cannot be read is kept as written,
named with the lead field and where it came from. Only a body with no lead at all is refused."""

from __future__ import annotations

import json

import pytest

from bot.intake import Intake, LeadValidationError, ParsedLead, receive, to_lead
from routing.lead import MESSAGE_LIMIT
from tests.intake.intake_helpers import NOW, SIGNERS, payload

SECRET = "s3cr3t-for-tests-only"


def deliver_edited(provider: str, name: str, edit) -> Intake:
    document = json.loads(payload(name))
    edit(document)
    body = json.dumps(document).encode()
    return receive(
        provider,
        headers=SIGNERS[provider](body, SECRET),
        body=body,
        now=NOW,
        secret=SECRET,
        url="https://leads.example.com/webhooks/leads/hubspot?team=emea",
    )


def tally_field(document: dict, label: str) -> dict:
    return next(f for f in document["data"]["fields"] if f["label"] == label)


def test_a_bad_email_is_kept_as_written_naming_the_tally_question() -> None:
    def edit(doc: dict) -> None:
        tally_field(doc, "Work e-mail")["value"] = "katherine at orbital"

    received = deliver_edited("tally", "tally.json", edit)
    assert received.lead.email is None
    assert received.lead.custom["email"] == "katherine at orbital"
    [unread] = received.unread
    assert unread.field == "email"
    assert unread.message == "'katherine at orbital' is not a valid email address"
    assert unread.source == "Tally field 'Work e-mail'"
    assert received.notes == ("email 'katherine at orbital' not understood",)


def test_an_unreadable_company_size_is_kept_and_the_rest_is_read() -> None:
    def edit(doc: dict) -> None:
        doc["payload"]["data"]["Employees"] = "quite a lot"

    received = deliver_edited("webflow", "webflow.json", edit)
    assert received.lead.employees is None
    assert received.lead.custom["employees"] == "quite a lot"
    assert received.lead.email  # what could be read, was
    [unread] = received.unread
    assert (unread.field, unread.source) == ("employees", "Webflow field 'Employees'")


def test_every_unreadable_answer_is_kept_and_noted_at_once() -> None:
    def edit(doc: dict) -> None:
        doc["email"] = "not-an-email"
        doc["Company size"] = "many"
        doc["country"] = "Atlantis"

    received = deliver_edited("generic", "generic.json", edit)
    assert sorted(u.field for u in received.unread) == ["country", "email", "employees"]
    assert {u.source for u in received.unread} == {
        "field 'email'",
        "field 'Company size'",
        "field 'country'",
    }
    custom = received.lead.custom
    assert (custom["email"], custom["employees"], custom["country"]) == (
        "not-an-email", "many", "Atlantis",
    )  # fmt: skip


def test_hubspot_property_is_named_as_the_source() -> None:
    def edit(doc: dict) -> None:
        doc["properties"]["numemployees"]["value"] = "a handful"

    [unread] = deliver_edited("hubspot", "hubspot_contact.json", edit).unread
    assert (unread.field, unread.source) == ("employees", "HubSpot property 'numemployees'")


# Answers seen in real forms that made the lead a 422 (issue 13): each is read, or kept as
# written with a note, and the lead is a lead.
SIX_TICKED = [
    "Lead routing and assignment",
    "Round robin for inbound demos",
    "Territory management",
    "Slack notifications for reps",
    "CRM write-back and ownership",
    "Reporting on speed to lead",
]


@pytest.mark.parametrize(
    ("field", "answer", "read_as"),
    [
        ("employees", "Prefer not to say", None),
        ("employees", "Just me", 1),
        ("employees", "51 to 200", 51),
        ("country", "Other", None),
        ("country", "Europe", None),
        ("country", "500", None),  # a number is not a country: not Montserrat
        ("annual_revenue", "$1M-$10M", 1_000_000),
        ("score", -5, -5),  # a Typeform quiz may score below zero
        ("product", SIX_TICKED, None),  # six ticked checkboxes: longer than a product name
    ],
)
def test_real_world_answers_never_cost_the_lead(field: str, answer, read_as) -> None:
    received = read({"email": "kim@acme.example", field: answer})
    lead = received.lead
    assert lead.email == "kim@acme.example"
    if read_as is not None:
        assert getattr(lead, field) == read_as
        assert received.unread == ()
    else:
        assert getattr(lead, field) is None
        # as written (the ticked boxes as one text, as a text field reads them)
        assert lead.custom[field] == (", ".join(answer) if isinstance(answer, list) else answer)
        [note] = received.notes
        assert note.startswith(f"{field} ") and note.endswith(" not understood")


def test_employees_prefer_not_to_say_note_reads_as_the_issue_asks() -> None:
    received = read({"email": "kim@acme.example", "employees": "Prefer not to say"})
    assert received.notes == ("employees 'Prefer not to say' not understood",)


def test_a_message_over_the_limit_is_cut_and_kept_whole() -> None:
    text = "word " * 3000  # 15,000 characters
    lead = read({"email": "kim@acme.example", "message": text}).lead
    assert len(lead.message) == MESSAGE_LIMIT and lead.message.endswith("…")
    assert lead.custom["message"] == text


def test_a_lead_without_email_or_phone_is_still_read() -> None:
    received = read({"company": "Acme", "employees": 40})
    assert received.lead.email is None and received.lead.company == "Acme"


def test_a_body_with_no_answer_at_all_is_refused() -> None:
    with pytest.raises(LeadValidationError, match="no answer could be read"):
        read({})


def read(fields: dict):
    body = json.dumps(fields).encode()
    return receive(
        "generic", headers=SIGNERS["generic"](body, SECRET), body=body, now=NOW, secret=SECRET
    )


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
