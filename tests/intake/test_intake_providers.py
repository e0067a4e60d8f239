"""Each provider's documented payload becomes the Lead a rep would expect to see."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from bot.intake import (
    PROVIDERS,
    FieldMapping,
    IgnoredEvent,
    PayloadError,
    receive,
)
from routing.lead import Lead
from tests.intake.intake_helpers import FIXTURES, NOW, SIGNERS, payload

SECRET = "s3cr3t-for-tests-only"


def deliver(provider: str, body: bytes, mapping: FieldMapping | None = None, **headers: str):
    signed = SIGNERS[provider](body, SECRET) | headers
    return receive(
        provider,
        headers=signed,
        body=body,
        now=NOW,
        secret=SECRET,
        mapping=mapping,
        url="https://leads.example.com/webhooks/leads/hubspot?team=emea",
    )


def parse(provider: str, name: str, mapping: FieldMapping | None = None):
    return PROVIDERS[provider].parse(json.loads(payload(name)), mapping)


# --- generic ----------------------------------------------------------------------------------


def test_generic_body_becomes_a_lead_with_aliases_and_custom_fields() -> None:
    intake = deliver("generic", payload("generic.json"))
    lead = intake.lead
    assert lead.email == "ada.lovelace@analytical.io"
    assert lead.name == "Ada Lovelace"
    assert lead.company_domain == "analytical.io"
    assert lead.country == "GB"
    assert lead.employees == 500  # "Company size": "500-1000" via the default aliases
    assert lead.custom == {"plan": "enterprise", "how_did_you_hear_about_us": "Podcast"}
    assert intake.delivery_id == "gen-7f3a"
    assert intake.submitted_at == datetime(2024, 5, 1, 9, 30, tzinfo=UTC)


def test_generic_idempotency_key_header_wins_over_the_body() -> None:
    intake = deliver("generic", payload("generic.json"), **{"Idempotency-Key": "hdr-1"})
    assert intake.delivery_id == "hdr-1"


def test_generic_body_that_is_not_an_object_is_a_payload_error() -> None:
    with pytest.raises(PayloadError, match="must be a JSON object"):
        deliver("generic", b'["ada@analytical.io"]')


def test_body_that_is_not_json_is_a_payload_error() -> None:
    with pytest.raises(PayloadError, match=r"not valid JSON \(Expecting value at line 1"):
        deliver("generic", b"email=ada@analytical.io")


# --- typeform ---------------------------------------------------------------------------------


def test_typeform_answers_map_by_ref_title_and_answer_type() -> None:
    mapping = FieldMapping(fields={"hq_country": "country"})
    intake = deliver("typeform", payload("typeform.json"), mapping)
    lead = intake.lead
    assert lead.email == "ada@analytical.io"  # auto-generated ref: matched by the email type
    assert lead.first_name == "Ada"  # ref "first_name"
    assert lead.company == "Analytical Engines"  # title "Company"
    assert lead.employees == 1000  # ref "company_size", choice label "1,000+"
    assert lead.country == "DE"  # "Deutschland" through the per-provider override
    assert lead.phone == "+4915112345678"
    assert lead.source == "Talk to sales"  # the form's title
    assert lead.utm_source == "linkedin"  # hidden field utm_source: a field of its own
    assert lead.custom == {
        "which_products_interest_you": ["Routing", "Analytics"],
        "existing_customer": False,
    }
    assert intake.delivery_id == "01HWX5ZK3W9Q2M7TQ0F4P8R6AB"
    assert intake.submitted_at == datetime(2024, 5, 1, 9, 30, 1, tzinfo=UTC)


def test_typeform_answer_without_mapping_is_kept_in_custom() -> None:
    parsed = parse("typeform", "typeform.json")
    assert "country" not in parsed.fields
    assert parsed.fields["custom"]["hq_country"] == "Deutschland"


def test_typeform_form_title_is_the_source_when_no_answer_names_one() -> None:
    document = json.loads(payload("typeform.json"))
    document["form_response"]["hidden"] = {}
    assert PROVIDERS["typeform"].parse(document, None).fields["source"] == "Talk to sales"


def test_typeform_partial_response_is_acknowledged_but_ignored() -> None:
    document = json.loads(payload("typeform.json")) | {"event_type": "form_response_partial"}
    with pytest.raises(IgnoredEvent, match="form_response_partial"):
        PROVIDERS["typeform"].parse(document, None)


def test_typeform_body_without_form_response_is_a_payload_error() -> None:
    with pytest.raises(PayloadError, match="no form_response"):
        PROVIDERS["typeform"].parse({"event_id": "x"}, None)


# --- hubspot ----------------------------------------------------------------------------------


def test_hubspot_workflow_contact_record_becomes_a_lead() -> None:
    intake = deliver("hubspot", payload("hubspot_contact.json"))
    lead = intake.lead
    assert lead.name == "Grace Hopper"
    assert lead.email == "grace@cobol.dev"
    assert lead.title == "Head of Engineering"  # jobtitle
    assert lead.employees == 201  # numemployees "201-500"
    assert lead.country == "US"
    assert lead.region == "Virginia"  # state
    assert lead.source == "Demo request"  # title of the newest form submission
    # HubSpot bookkeeping (hs_*, createdate ...) is dropped; real properties are kept
    assert lead.custom == {
        "favourite_language": "COBOL",
        "lifecyclestage": "lead",
        "hubspot_contact_id": 3201,
    }
    assert intake.delivery_id == "1b2d6c47-8e9f-4a0b-b1c2-d3e4f5a6b7c8"
    assert intake.submitted_at == datetime(2024, 5, 1, 9, 30, 1, tzinfo=UTC)


def test_hubspot_customised_flat_body_becomes_a_lead() -> None:
    intake = deliver("hubspot", payload("hubspot_custom_body.json"))
    assert intake.lead.name == "Grace Hopper"
    assert intake.lead.employees == 1001
    assert intake.lead.country == "US"
    assert intake.lead.custom == {"use_case": "lead routing"}
    assert intake.delivery_id is None  # nothing to dedupe on: the web layer hashes the body


def test_hubspot_bookkeeping_property_can_still_be_mapped_explicitly() -> None:
    mapping = FieldMapping(fields={"hs_analytics_source": "source"})
    parsed = parse("hubspot", "hubspot_contact.json", mapping)
    assert parsed.fields["source"] == "ORGANIC_SEARCH"


def test_hubspot_webhooks_api_events_are_refused_with_advice() -> None:
    with pytest.raises(PayloadError, match="workflow 'Send a webhook' action"):
        parse("hubspot", "hubspot_webhooks_api.json")


# --- tally ------------------------------------------------------------------------------------


def test_tally_fields_map_by_label_with_option_ids_resolved() -> None:
    intake = deliver("tally", payload("tally.json"))
    lead = intake.lead
    assert lead.name == "Katherine Johnson"
    assert lead.email == "katherine@orbital.example"  # "Work e-mail" matched by INPUT_EMAIL
    assert lead.company == "Orbital Mechanics"
    assert lead.employees == 51  # dropdown option id -> "51-200"
    assert lead.country == "US"  # dropdown option id -> "United States"
    assert lead.phone == "+33 1 23 45 67 89"
    assert lead.source == "Contact sales"
    # the checkbox group keeps option texts; its per-option echoes and empty answers vanish
    assert lead.custom == {"which_topics": ["Routing", "Analytics"]}
    assert lead.utm_campaign == "spring-launch"
    assert intake.delivery_id == "a4cb511e-d513-4fa5-baee-b815d718dfd1"
    assert intake.submitted_at == datetime(2024, 5, 1, 9, 30, 1, tzinfo=UTC)


def test_tally_override_maps_a_field_by_its_key() -> None:
    mapping = FieldMapping(fields={"question_Y0rMg5": "source"})
    assert parse("tally", "tally.json", mapping).fields["source"] == "spring-launch"


def test_tally_other_event_types_are_ignored() -> None:
    with pytest.raises(IgnoredEvent):
        PROVIDERS["tally"].parse({"eventType": "FORM_DELETED", "data": {}}, None)


# --- webflow ----------------------------------------------------------------------------------


def test_webflow_form_submission_becomes_a_lead() -> None:
    intake = deliver("webflow", payload("webflow.json"))
    lead = intake.lead
    assert lead.name == "Zaphod Beeblebrox"
    assert lead.email == "zaphod@heartofgold.ai"
    assert lead.phone == "15550000000"  # Webflow sends the number as a JSON number
    assert lead.company == "Heart of Gold"
    assert lead.employees == 10_000  # "10k"
    assert lead.country == "CH"  # "Schweiz"
    assert lead.source == "Contact Us"
    assert lead.custom == {"budget": "$50k"}
    assert intake.delivery_id == "6321ca84df3949bfc6752327"
    assert intake.submitted_at == datetime(2022, 9, 14, 12, 35, 16, 117000, tzinfo=UTC)


def test_webflow_v1_payload_is_still_read() -> None:
    parsed = parse("webflow", "webflow_v1.json")
    lead = Lead.model_validate(parsed.fields)
    assert (lead.name, lead.email, lead.source) == ("Some One", "some.one@home.com", "Sample Form")
    assert parsed.delivery_id == "6321ca84df3949bfc6752327"


def test_webflow_other_triggers_are_ignored() -> None:
    with pytest.raises(IgnoredEvent, match="site_publish"):
        PROVIDERS["webflow"].parse({"triggerType": "site_publish", "payload": {}}, None)


@pytest.mark.parametrize("provider", sorted(PROVIDERS))
def test_every_fixture_yields_a_delivery_id(provider: str) -> None:
    assert deliver(provider, payload(FIXTURES[provider])).delivery_id
