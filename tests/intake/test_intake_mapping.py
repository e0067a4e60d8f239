"""Field matching, per-provider overrides and dot-path mappings for tools without an adapter."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from bot.intake import FieldMapping, receive, resolve_path
from bot.intake.mapping import LeadCollector, normalise_name, parse_time, path_value, slug
from tests.intake.intake_helpers import NOW, sign_generic

SECRET = "s3cr3t-for-tests-only"
DOC = {
    "data": {"contact": {"email": "Linus@Kernel.example", "phone": None}},
    "answers": [{"value": "Kernel Org"}, {"value": "1,000+"}, {"value": "Finland"}],
    "meta": {"id": 9001, "at": 1714555801000},
}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("data.contact.email", "Linus@Kernel.example"),
        ("answers.0.value", "Kernel Org"),
        ("answers.-1.value", "Finland"),
        ("meta.id", 9001),
    ],
)
def test_dot_path_reads_nested_keys_and_list_indexes(path: str, expected: object) -> None:
    assert resolve_path(DOC, path) == expected


@pytest.mark.parametrize(
    "path",
    ["data.company", "answers.7.value", "answers.first.value", "meta.id.deeper", "nothing"],
)
def test_dot_path_that_does_not_exist_is_reported_missing(path: str) -> None:
    assert path_value(DOC, path) is None
    assert resolve_path(DOC, path) is not None  # the sentinel, distinct from a JSON null


def test_any_json_tool_is_read_through_configured_paths() -> None:
    mapping = FieldMapping(
        paths={
            "data.contact.email": "email",
            "data.contact.phone": "phone",  # null in this delivery: skipped
            "answers.0.value": "company",
            "answers.1.value": "employees",
            "answers.2.value": "country",
            "answers.9.value": "industry",  # missing in this delivery: skipped
            "meta": "custom.raw_meta",
        },
        delivery_id_path="meta.id",
        submitted_at_path="meta.at",
    )
    body = json.dumps(DOC).encode()
    intake = receive(
        "generic",
        headers=sign_generic(body, SECRET),
        body=body,
        now=NOW,
        secret=SECRET,
        mapping=mapping,
    )
    lead = intake.lead
    assert (lead.email, lead.company, lead.employees, lead.country) == (
        "linus@kernel.example",
        "Kernel Org",
        1000,
        "FI",
    )
    assert lead.phone is None and lead.industry is None
    # what the paths picked, and the submission whole, so no unmapped answer is lost
    assert lead.custom == {"raw_meta": {"id": 9001, "at": 1714555801000}, "submission": DOC}
    assert intake.delivery_id == "9001"
    assert intake.submitted_at is not None and intake.submitted_at.year == 2024


def test_mapping_rejects_an_unknown_lead_field() -> None:
    with pytest.raises(ValidationError, match="unknown lead field 'emial'"):
        FieldMapping(fields={"Work email": "emial"})


def test_mapping_from_config_dict_accepts_custom_and_ignore_targets() -> None:
    mapping = FieldMapping.model_validate(
        {"fields": {"Budget": "custom.budget", "GDPR consent": "ignore"}, "paths": {}}
    )
    collector = LeadCollector("test", mapping)
    collector.add("$50k", names=["budget"], custom_key="Budget", describe="Budget")
    collector.add(True, names=["gdpr CONSENT"], custom_key="GDPR consent", describe="consent")
    assert collector.result().fields == {"custom": {"budget": "$50k"}}


def test_override_matches_labels_case_and_punctuation_insensitively() -> None:
    collector = LeadCollector("test", FieldMapping(fields={"Where is your HQ": "country"}))
    collector.add("France", names=["WHERE IS YOUR HQ?"], custom_key="hq", describe="hq")
    assert collector.result().fields == {"country": "France"}


def test_override_beats_the_default_alias() -> None:
    collector = LeadCollector("test", FieldMapping(fields={"company": "custom.employer"}))
    collector.add("Acme", names=["Company"], custom_key="Company", describe="Company")
    assert collector.result().fields == {"custom": {"employer": "Acme"}}


@pytest.mark.parametrize(
    ("label", "field"),
    [
        ("E-mail", "email"),
        ("Email address", "email"),
        ("Company size?", "employees"),
        ("Number of employees", "employees"),
        ("Country/Region", "country"),
        ("First name", "first_name"),
        ("Job title", "title"),
        ("Website", "company_domain"),
        ("How can we help?", "message"),
        ("annual_revenue", "annual_revenue"),
    ],
)
def test_default_aliases_recognise_common_form_labels(label: str, field: str) -> None:
    assert LeadCollector("test").target([label]) == field


def test_second_answer_for_a_filled_field_is_kept_in_custom() -> None:
    collector = LeadCollector("test")
    collector.add("a@x.io", names=["Email"], custom_key="Email", describe="Email")
    collector.add("b@y.io", names=["Work email"], custom_key="Work email", describe="Work email")
    assert collector.result().fields == {"email": "a@x.io", "custom": {"work_email": "b@y.io"}}


def test_values_are_coerced_to_the_lead_types() -> None:
    collector = LeadCollector("test")
    collector.add(15550000000, names=["phone"], custom_key="phone", describe="phone")
    collector.add(["Routing", "Billing"], names=["product"], custom_key="p", describe="p")
    collector.add(["51-200"], names=["employees"], custom_key="e", describe="e")
    assert collector.result().fields == {
        "phone": "15550000000",
        "product": "Routing, Billing",
        "employees": "51-200",
    }


def test_names_and_slugs() -> None:
    assert normalise_name("  Company_Size? ") == "company size"
    assert slug("How did you hear about us?") == "how_did_you_hear_about_us"


@pytest.mark.parametrize(
    ("value", "iso"),
    [
        ("2024-05-01T09:30:01Z", "2024-05-01T09:30:01+00:00"),
        ("2024-05-01T11:30:01+02:00", "2024-05-01T11:30:01+02:00"),
        (1714555801000, "2024-05-01T09:30:01+00:00"),
        (1714555801, "2024-05-01T09:30:01+00:00"),
        ("1714555801000", "2024-05-01T09:30:01+00:00"),
    ],
)
def test_submission_times_in_iso_or_epoch_are_read(value: object, iso: str) -> None:
    parsed = parse_time(value)
    assert parsed is not None and parsed.isoformat() == iso


@pytest.mark.parametrize("value", ["last tuesday", None, True, {"at": 1}])
def test_unreadable_submission_time_is_none_not_an_error(value: object) -> None:
    assert parse_time(value) is None


# --- paths that pick list items by a field's value (issue 13) ------------------------------

# HubSpot's forms shape: "fields": [{"name": "email", "value": …}] (Forms API submissions)
HUBSPOT_FORM = {
    "fields": [
        {"name": "firstname", "value": "Kim"},
        {"name": "email", "value": "kim@acme.example"},
    ]
}
CALENDLY_QA = {
    "questions_and_answers": [
        {"question": "Company size", "answer": "51 to 200", "position": 0},
        {"question": "What brings you here?", "answer": "Routing", "position": 1},
    ]
}


@pytest.mark.parametrize(
    ("document", "path", "expected"),
    [
        (HUBSPOT_FORM, "fields[name=email].value", "kim@acme.example"),
        (HUBSPOT_FORM, "fields[name=EMAIL].value", "kim@acme.example"),  # as labels compare
        (CALENDLY_QA, 'questions_and_answers[question="Company size"].answer', "51 to 200"),
        (CALENDLY_QA, "questions_and_answers[question='What brings you here?'].answer", "Routing"),
        (CALENDLY_QA, "questions_and_answers[-1].position", 1),
        (
            {"rawRequest": json.dumps({"q4_email": "a@b.example"})},
            "rawRequest.q4_email",
            "a@b.example",
        ),
        ({"1.3": "Alan"}, "1.3", "Alan"),  # Gravity Forms' dotted keys
        ({"1.3": "Alan"}, '["1.3"]', "Alan"),
    ],
)
def test_paths_pick_list_items_by_a_fields_value(document, path, expected) -> None:
    assert resolve_path(document, path) == expected


def test_a_path_matching_no_item_is_missing_not_an_error() -> None:
    assert path_value(HUBSPOT_FORM, "fields[name=phone].value") is None


def test_a_path_that_cannot_be_read_is_a_config_error_naming_file_and_line() -> None:
    from routing import ConfigError
    from routing.loader import parse_config
    from tests.support.team import TEAM_YAML

    text = TEAM_YAML + "intake:\n  mappings:\n    calendly:\n      paths: {'a[b=': email}\n"
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "team.yml")
    message = str(caught.value)
    assert "team.yml" in message and "cannot read path" in message


def test_a_token_source_must_name_its_own_secret() -> None:
    with pytest.raises(ValidationError, match="secret_env of its own"):
        FieldMapping.model_validate({"auth": {"token": {"header": "X-Token"}}})
