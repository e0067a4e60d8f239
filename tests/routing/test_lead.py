"""Lead normalisation: what forms send becomes values rules can compare, or a clear error."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from routing import Lead
from tests.routing.factories import lead


def error_of(**fields: object) -> tuple[tuple, str]:
    """The (field, message) of the first validation error building a lead from `fields`."""
    with pytest.raises(ValidationError) as caught:
        Lead(**fields)
    first = caught.value.errors()[0]
    return first["loc"], first["msg"]


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("United States", "US"),
        ("USA", "US"),
        ("u.s.a.", "US"),
        ("Deutschland", "DE"),
        ("Germany", "DE"),
        ("de", "DE"),
        ("DEU", "DE"),
        ("  France ", "FR"),
        ("UK", "GB"),
        ("日本", "JP"),
    ],
)
def test_country_names_aliases_and_codes_become_iso_alpha2(typed: str, code: str) -> None:
    assert lead(country=typed).country == code


def test_unknown_country_is_rejected_naming_the_value() -> None:
    loc, message = error_of(country="Atlantis")
    assert loc == ("country",)
    assert "'Atlantis'" in message and "ISO 3166" in message


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("French", "fr"),
        ("français", "fr"),
        ("fr", "fr"),
        ("fra", "fr"),
        ("fr-CA", "fr"),
        ("pt_BR", "pt"),
        ("Deutsch", "de"),
        ("日本語", "ja"),
    ],
)
def test_language_names_and_codes_become_iso_639_1(typed: str, code: str) -> None:
    assert lead(language=typed).language == code


def test_unknown_language_is_rejected_naming_the_value() -> None:
    loc, message = error_of(language="Dothraki")
    assert loc == ("language",)
    assert "'Dothraki'" in message


@pytest.mark.parametrize(
    ("typed", "count"),
    [
        ("500-1000", 500),
        ("1,000+", 1000),
        ("1001-5000 employees", 1001),
        ("10k", 10_000),
        (" 50 ", 50),
        (250, 250),
        (250.0, 250),
    ],
)
def test_company_size_reads_as_a_number_ranges_as_their_lower_bound(
    typed: object, count: int
) -> None:
    assert lead(employees=typed).employees == count


@pytest.mark.parametrize(
    ("typed", "message_part"),
    [
        ("lots", "'lots'"),
        (-3, "negative"),
        (True, "number or a range"),
    ],
)
def test_unreadable_company_size_is_rejected_naming_the_value(
    typed: object, message_part: str
) -> None:
    loc, message = error_of(employees=typed)
    assert loc == ("employees",)
    assert message_part in message


@pytest.mark.parametrize(
    ("typed", "amount"),
    [
        ("$5M", 5_000_000),
        ("5000000", 5_000_000),
        ("5,000,000", 5_000_000),
        ("€2.5m", 2_500_000),
        ("500k", 500_000),
        ("USD 3m", 3_000_000),
        ("£1.5bn", 1_500_000_000),
        (1.2e6, 1_200_000),
    ],
)
def test_revenue_amounts_with_symbols_and_suffixes_become_numbers(
    typed: object, amount: float
) -> None:
    assert lead(annual_revenue=typed).annual_revenue == amount


def test_unreadable_revenue_is_rejected_naming_the_value() -> None:
    loc, message = error_of(annual_revenue="a fortune")
    assert loc == ("annual_revenue",)
    assert "'a fortune'" in message


def test_email_is_lowercased_and_gives_email_and_company_domain() -> None:
    item = lead(email="Jo@Acme.COM")
    assert item.email == "jo@acme.com"
    assert item.email_domain == "acme.com"
    assert item.company_domain == "acme.com"


def test_a_given_website_wins_over_the_email_domain_and_is_reduced_to_a_domain() -> None:
    item = lead(email="jo@gmail.com", company_domain="https://www.Acme.com/pricing")
    assert item.email_domain == "gmail.com"
    assert item.company_domain == "acme.com"


def test_malformed_email_is_rejected() -> None:
    loc, _ = error_of(email="not-an-email")
    assert loc == ("email",)


def test_name_is_joined_from_first_and_last_name() -> None:
    assert lead(first_name="Jo", last_name="Bloggs").name == "Jo Bloggs"
    assert lead(name="Joanna B", first_name="Jo").name == "Joanna B"


def test_custom_fields_are_reached_with_dotted_paths_including_nested_ones() -> None:
    item = lead(custom={"plan": "enterprise", "crm": {"stage": {"name": "SQL"}}})
    assert item.value("custom.plan") == "enterprise"
    assert item.value("custom.crm.stage.name") == "SQL"
    assert item.value("custom.missing") is None
    assert item.value("custom.plan.deeper") is None  # a string has no keys


def test_unknown_top_level_fields_are_rejected() -> None:
    loc, _ = error_of(favourite_colour="blue")
    assert loc == ("favourite_colour",)


def test_blank_text_fields_read_as_missing() -> None:
    item = lead(title="  ", company_domain="", email="")
    assert (item.title, item.company_domain, item.email) == (None, None, None)


@pytest.mark.parametrize("field", ["country", "language", "employees", "annual_revenue"])
def test_blank_normalised_fields_read_as_missing(field: str) -> None:
    assert getattr(lead(**{field: " "}), field) is None
