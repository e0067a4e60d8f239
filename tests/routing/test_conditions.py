"""The `when:` query language: each operator, the combinators, and errors that locate the key."""

from __future__ import annotations

from typing import Any

import pytest

from routing.conditions import ConditionError, parse_condition
from tests.routing.factories import lead


def matches(when: Any, **fields: Any) -> bool:
    return parse_condition(when).matches(lead(**fields))


def test_eq_matches_equal_text_ignoring_case() -> None:
    when = {"industry": {"eq": "Healthcare"}}
    assert matches(when, industry="healthcare")
    assert matches(when, industry="HEALTHCARE")
    assert not matches(when, industry="healthcare it")
    assert not matches(when)  # a missing value equals nothing


def test_scalar_shorthand_means_eq() -> None:
    assert matches({"product": "API"}, product="api")
    assert not matches({"product": "API"}, product="crm")


def test_in_matches_any_listed_value() -> None:
    when = {"source": {"in": ["webinar", "Demo Request"]}}
    assert matches(when, source="demo request")
    assert not matches(when, source="newsletter")
    assert not matches(when)


def test_list_shorthand_means_in() -> None:
    assert matches({"industry": ["fintech", "banking"]}, industry="Banking")
    assert not matches({"industry": ["fintech", "banking"]}, industry="retail")


def test_not_in_rejects_listed_values_and_accepts_missing_ones() -> None:
    when = {"country": {"not_in": ["US", "CA"]}}
    assert matches(when, country="DE")
    assert not matches(when, country="Canada")
    assert matches(when)  # no country is not one of the excluded ones


def test_country_operands_are_normalised_like_the_lead() -> None:
    assert matches({"country": "Germany"}, country="DE")
    assert matches({"country": "DE"}, country="Deutschland")
    assert matches({"country": ["United States", "UK"]}, country="GB")


def test_language_operands_are_normalised_like_the_lead() -> None:
    assert matches({"language": "French"}, language="fr-CA")


def test_size_and_revenue_operands_are_read_like_the_lead() -> None:
    assert matches({"employees": {"gte": "1,000"}}, employees="1000-5000")
    assert matches({"annual_revenue": {"gte": "$5M"}}, annual_revenue="€7.5m")
    assert not matches({"annual_revenue": {"gte": "$5M"}}, annual_revenue="500k")


def test_gt_excludes_the_bound() -> None:
    when = {"employees": {"gt": 1000}}
    assert matches(when, employees=1001)
    assert not matches(when, employees=1000)
    assert not matches(when)


def test_gte_includes_the_bound() -> None:
    when = {"employees": {"gte": 1000}}
    assert matches(when, employees=1000)
    assert not matches(when, employees=999)


def test_lt_excludes_the_bound() -> None:
    when = {"score": {"lt": 50}}
    assert matches(when, score=49.5)
    assert not matches(when, score=50)


def test_lte_includes_the_bound() -> None:
    when = {"score": {"lte": 50}}
    assert matches(when, score=50)
    assert not matches(when, score=50.5)


def test_between_includes_both_ends() -> None:
    when = {"employees": {"between": [50, 200]}}
    assert matches(when, employees=50)
    assert matches(when, employees=200)
    assert not matches(when, employees=49)
    assert not matches(when, employees=201)


def test_numeric_operators_read_numbers_in_custom_fields() -> None:
    when = {"custom.seats": {"between": [10, 100]}}
    assert matches(when, custom={"seats": "42"})
    assert matches(when, custom={"seats": 10})
    assert not matches(when, custom={"seats": "many"})
    assert not matches(when, custom={"seats": True})


def test_contains_finds_a_substring_ignoring_case() -> None:
    when = {"message": {"contains": "pricing"}}
    assert matches(when, message="Please send PRICING for 50 seats")
    assert not matches(when, message="just browsing")


def test_contains_with_a_list_needs_any_needle_and_checks_list_members() -> None:
    assert matches({"title": {"contains": ["vp", "chief"]}}, title="Chief Revenue Officer")
    when = {"custom.tags": {"contains": "Partner"}}
    assert matches(when, custom={"tags": ["partner", "emea"]})
    assert not matches(when, custom={"tags": ["partnership"]})  # list members match whole


def test_regex_searches_ignoring_case() -> None:
    when = {"email": {"regex": r"@(acme|globex)\.com$"}}
    assert matches(when, email="jo@ACME.com")
    assert not matches(when, email="jo@acme.com.evil.io")


def test_exists_true_and_false() -> None:
    assert matches({"phone": {"exists": True}}, phone="+49 30 1234")
    assert not matches({"phone": {"exists": True}})
    assert matches({"phone": {"exists": False}})
    assert matches({"custom.utm": {"exists": False}}, custom={"utm": ""})


def test_sibling_keys_and_operators_must_all_hold() -> None:
    when = {"country": "DE", "employees": {"gte": 100, "lt": 1000}}
    assert matches(when, country="DE", employees=500)
    assert not matches(when, country="DE", employees=1000)
    assert not matches(when, country="FR", employees=500)


def test_all_any_and_not_combine_conditions() -> None:
    when = {
        "all": [{"country": ["DE", "AT", "CH"]}, {"employees": {"gte": 1000}}],
        "any": [{"product": "api"}, {"custom.plan": {"regex": "^ent"}}],
        "not": {"source": "partner"},
    }
    base = {"country": "Austria", "employees": 2000, "product": "api"}
    assert matches(when, **base)
    assert matches(when, **{**base, "product": "crm", "custom": {"plan": "Enterprise"}})
    assert not matches(when, **{**base, "product": "crm"})
    assert not matches(when, **{**base, "source": "Partner"})
    assert not matches(when, **{**base, "employees": 999})


def test_a_list_of_conditions_means_all_of_them() -> None:
    when = [{"country": "US"}, {"industry": "retail"}]
    assert matches(when, country="US", industry="Retail")
    assert not matches(when, country="US", industry="banking")


@pytest.mark.parametrize(
    ("when", "path", "message_part"),
    [
        ({"colour": "red"}, ("colour",), "unknown lead field 'colour'"),
        ({"country": {"like": "DE"}}, ("country", "like"), "unknown operator 'like'"),
        ({"industry": {"gt": 5}}, ("industry", "gt"), "industry is text"),
        ({"email": {"regex": "(unclosed"}}, ("email", "regex"), "bad regular expression"),
        ({"employees": {"between": [500, 50]}}, ("employees", "between"), "is empty"),
        ({"employees": {"between": [50]}}, ("employees", "between"), "[low, high]"),
        ({"country": {"in": "DE"}}, ("country", "in"), "takes a list"),
        ({"country": "Atlantis"}, ("country",), "unknown country 'Atlantis'"),
        ({"phone": {"exists": "yes"}}, ("phone", "exists"), "true or false"),
        ({"any": []}, ("any",), "non-empty list"),
        ({"all": [{"country": "DE"}, {"nope": 1}]}, ("all", 1, "nope"), "unknown lead field"),
        ({"region": None}, ("region",), "exists: true"),
    ],
)
def test_unreadable_conditions_say_where_and_why(when: Any, path: tuple, message_part: str) -> None:
    with pytest.raises(ConditionError) as caught:
        parse_condition(when)
    assert caught.value.path == path
    assert message_part in caught.value.message
