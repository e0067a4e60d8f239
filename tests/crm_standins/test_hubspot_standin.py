"""The HubSpot stand-in read by HubSpot's own Python client (hubspot-api-client): its models
deserialize our answers, its exceptions carry our error bodies, as they would HubSpot's."""

from __future__ import annotations

import json
import re

import pytest
import urllib3
from hubspot import HubSpot
from hubspot.crm.contacts import ApiException
from hubspot.crm.contacts import SimplePublicObjectInput as Changes
from hubspot.crm.contacts import SimplePublicObjectInputForCreate as NewContact
from hubspot.crm.objects.tasks import SimplePublicObjectInputForCreate as NewTask

from crm_standins.hubspot import HubSpotStandin

TO_CONTACT = [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 204}]


def by_email(email: str, **extra: object) -> dict:
    filters = [{"propertyName": "email", "operator": "EQ", "value": email}]
    return {"filterGroups": [{"filters": filters}], **extra}


def body_of(error: Exception) -> dict:
    return json.loads(error.body)  # type: ignore[attr-defined]


def test_owners_come_in_pages_followed_by_paging_next_after(hubspot: HubSpotStandin, client):
    for n in range(250):
        hubspot.add_owner(str(n + 1), f"rep{n}@sales.io", "Rep", str(n))
    seen, after, pages = [], None, 0
    while True:
        page = client.crm.owners.owners_api.get_page(limit=100, after=after)
        seen += [o.email for o in page.results]
        pages += 1
        after = page.paging.next.after if page.paging else None
        if not after:
            break
    assert pages == 3 and len(seen) == 250 and seen[0] == "rep0@sales.io"


def test_search_matches_email_whatever_its_case_and_returns_asked_properties(hubspot, client):
    hubspot.add_contact("Kim@Acme.com", owner_id=None, firstname="Kim")
    found = client.crm.contacts.search_api.do_search(
        public_object_search_request=by_email("KIM@acme.COM", properties=["hubspot_owner_id"])
    )
    assert found.total == 1
    props = found.results[0].properties
    assert props["hubspot_owner_id"] is None  # asked for, unset: null, as HubSpot answers
    assert "firstname" not in props and props["hs_object_id"] == found.results[0].id


def test_a_contact_is_read_by_its_email_with_id_property(hubspot, client):
    contact_id = hubspot.add_contact("kim@acme.com", owner_id=None, firstname="Kim")
    found = client.crm.contacts.basic_api.get_by_id(
        contact_id="kim@acme.com", id_property="email", properties=["firstname"]
    )
    assert found.id == contact_id and found.properties["firstname"] == "Kim"
    with pytest.raises(ApiException) as missing:
        client.crm.contacts.basic_api.get_by_id(contact_id="nobody@acme.com", id_property="email")
    assert missing.value.status == 404 and body_of(missing.value)["category"] == "OBJECT_NOT_FOUND"


def test_search_pages_and_refuses_more_than_200_a_page(hubspot, client):
    for n in range(7):
        hubspot.add_company(f"c{n}.io")
    request = {"filterGroups": [], "limit": 3, "properties": ["domain"]}
    first = client.crm.companies.search_api.do_search(public_object_search_request=request)
    assert first.total == 7 and len(first.results) == 3 and first.paging.next.after == "3"
    last = client.crm.companies.search_api.do_search(
        public_object_search_request={**request, "after": "6"}
    )
    assert [r.properties["domain"] for r in last.results] == ["c6.io"] and last.paging is None
    from hubspot.crm.companies import ApiException as CompanyError

    with pytest.raises(CompanyError) as refused:
        client.crm.companies.search_api.do_search(public_object_search_request={"limit": 201})
    assert refused.value.status == 400 and body_of(refused.value)["category"] == "VALIDATION_ERROR"


def test_a_search_filters_on_associated_records(hubspot, client):
    contact = client.crm.contacts.basic_api.create(
        simple_public_object_input_for_create=NewContact(properties={"email": "kim@acme.com"})
    )
    for subject in ("Follow up [m-1]", "Other"):
        client.crm.objects.tasks.basic_api.create(
            simple_public_object_input_for_create=NewTask(
                properties={"hs_task_subject": subject, "hs_timestamp": "2026-12-03T15:30:00Z"},
                associations=[{"to": {"id": contact.id}, "types": TO_CONTACT}],
            )
        )
    client.crm.objects.tasks.basic_api.create(
        simple_public_object_input_for_create=NewTask(
            properties={"hs_task_subject": "Unlinked", "hs_timestamp": "1764775800000"}
        )
    )
    linked = client.crm.objects.tasks.search_api.do_search(
        public_object_search_request={
            "filterGroups": [
                {
                    "filters": [
                        {
                            "propertyName": "associations.contact",
                            "operator": "EQ",
                            "value": contact.id,
                        }
                    ]
                }
            ],
            "properties": ["hs_task_subject"],
        }
    )
    assert sorted(t.properties["hs_task_subject"] for t in linked.results) == [
        "Follow up [m-1]",
        "Other",
    ]


def test_creating_a_contact_twice_answers_409_naming_the_existing_id(hubspot, client):
    first = client.crm.contacts.basic_api.create(
        simple_public_object_input_for_create=NewContact(properties={"email": "kim@acme.com"})
    )
    with pytest.raises(ApiException) as conflict:
        client.crm.contacts.basic_api.create(
            simple_public_object_input_for_create=NewContact(properties={"email": "KIM@acme.com"})
        )
    body = body_of(conflict.value)
    assert conflict.value.status == 409 and body["category"] == "CONFLICT"
    assert re.search(r"Existing ID: (\d+)", body["message"])[1] == first.id  # type: ignore[index]


def test_property_values_are_checked_as_hubspot_checks_them(hubspot, client):
    hubspot.add_owner("42", "ben@sales.io")
    made = client.crm.contacts.basic_api.create(
        simple_public_object_input_for_create=NewContact(
            properties={"email": "kim@acme.com", "hubspot_owner_id": "42"}
        )
    )
    cases = {
        "hs_lead_status": ("SOMETHING", "INVALID_OPTION"),
        "no_such_property": ("x", "PROPERTY_DOESNT_EXIST"),
        "hubspot_owner_id": ("999", "INVALID_OWNER_ID"),
    }
    for name, (value, error) in cases.items():
        with pytest.raises(ApiException) as refused:
            client.crm.contacts.basic_api.update(
                contact_id=made.id, simple_public_object_input=Changes(properties={name: value})
            )
        body = body_of(refused.value)
        assert refused.value.status == 400 and body["category"] == "VALIDATION_ERROR"
        assert f'"error": "{error}"' in body["message"], body["message"]
    assert hubspot.contact("kim@acme.com")["hubspot_owner_id"] == "42"  # nothing half-written


def test_an_unknown_id_is_404_and_a_task_needs_its_due_date(hubspot, client):
    from hubspot.crm.contacts.exceptions import NotFoundException

    with pytest.raises(NotFoundException):
        client.crm.contacts.basic_api.update(
            contact_id="424242", simple_public_object_input=Changes(properties={"firstname": "X"})
        )
    from hubspot.crm.objects.tasks import ApiException as TaskError

    with pytest.raises(TaskError) as refused:
        client.crm.objects.tasks.basic_api.create(
            simple_public_object_input_for_create=NewTask(properties={"hs_task_subject": "x"})
        )
    assert "hs_timestamp" in body_of(refused.value)["message"]


def test_batch_upsert_by_email_creates_then_updates(hubspot, client):
    from hubspot.crm.contacts import BatchInputSimplePublicObjectBatchInputUpsert as Batch

    def upsert(lastname: str):  # type: ignore[no-untyped-def]
        inputs = [
            {"idProperty": "email", "id": "kim@acme.com", "properties": {"lastname": lastname}}
        ]
        return client.crm.contacts.batch_api.upsert(
            batch_input_simple_public_object_batch_input_upsert=Batch(inputs=inputs)
        )

    first, second = upsert("Lee"), upsert("Park")
    assert first.status == "COMPLETE" and first.results[0].new is True
    assert second.results[0].new is False and second.results[0].id == first.results[0].id
    assert hubspot.contact("kim@acme.com")["lastname"] == "Park"


def test_a_default_association_through_v4(hubspot, client):
    contact = hubspot.add_contact("kim@acme.com")
    company = hubspot.add_company("acme.com")
    answer = client.crm.associations.v4.basic_api.create_default(
        from_object_type="contacts",
        from_object_id=contact,
        to_object_type="companies",
        to_object_id=company,
    )
    assert answer.results[0].association_spec.association_type_id == 279
    [linked] = [c for c in hubspot.objects("companies") if c["id"] == company]
    assert linked["associations"]["contacts"] == [contact]


def test_a_deal_is_read_with_its_contacts(hubspot, client):
    kim = hubspot.add_contact("kim@acme.com")
    deal = hubspot.add_deal("closedwon", (kim,), dealname="Acme")
    read = client.crm.deals.basic_api.get_by_id(
        deal_id=deal, properties=["dealstage"], associations=["contacts"]
    )
    assert read.properties["dealstage"] == "closedwon"
    assert [a.id for a in read.associations["contacts"].results] == [kim]


def test_a_wrong_token_is_401_and_a_missing_scope_403(hubspot: HubSpotStandin):
    from hubspot.crm.contacts.exceptions import ForbiddenException, UnauthorizedException

    wrong = HubSpot(access_token="pat-na1-wrong", host=hubspot.url, retry=False)
    with pytest.raises(UnauthorizedException) as refused:
        wrong.crm.contacts.search_api.do_search(public_object_search_request=by_email("a@b.io"))
    assert body_of(refused.value)["category"] == "INVALID_AUTHENTICATION"
    hubspot.limit_scopes({"crm.objects.contacts.read"})
    client = HubSpot(access_token=hubspot.token, host=hubspot.url, retry=False)
    client.crm.contacts.search_api.do_search(public_object_search_request=by_email("a@b.io"))
    with pytest.raises(ForbiddenException) as forbidden:
        client.crm.contacts.basic_api.create(
            simple_public_object_input_for_create=NewContact(properties={"email": "a@b.io"})
        )
    body = body_of(forbidden.value)
    assert body["category"] == "MISSING_SCOPES"
    assert body["errors"][0]["context"]["requiredGranularScopes"] == ["crm.objects.contacts.write"]


def test_the_burst_limit_is_100_a_rolling_10_seconds_with_its_headers(hubspot, client):
    for n in range(100):
        _, _, headers = client.crm.owners.owners_api.get_page_with_http_info(limit=1)
        assert headers["X-HubSpot-RateLimit-Remaining"] == str(99 - n)
    assert headers["X-HubSpot-RateLimit-Interval-Milliseconds"] == "10000"
    with pytest.raises(Exception) as limited:
        client.crm.owners.owners_api.get_page(limit=1)
    assert limited.value.status == 429  # type: ignore[attr-defined]
    body = body_of(limited.value)
    assert body["errorType"] == "RATE_LIMIT" and body["policyName"] == "TEN_SECONDLY_ROLLING"
    hubspot.clock.advance(10.5)
    client.crm.owners.owners_api.get_page(limit=1)


def test_search_has_its_own_limit_per_second_without_the_headers(hubspot, client):
    for _ in range(5):
        _, _, headers = client.crm.contacts.search_api.do_search_with_http_info(
            public_object_search_request=by_email("a@b.io")
        )
        assert "X-HubSpot-RateLimit-Remaining" not in headers
    with pytest.raises(ApiException) as limited:
        client.crm.contacts.search_api.do_search(public_object_search_request=by_email("a@b.io"))
    assert limited.value.status == 429 and body_of(limited.value)["policyName"] == "SECONDLY"
    client.crm.owners.owners_api.get_page(limit=1)  # other endpoints are not held up


def test_an_outage_is_an_html_page_and_a_late_answer_still_created_the_contact(hubspot, client):
    from hubspot.crm.contacts.exceptions import ServiceException

    hubspot.outage("contacts.search", status=502)
    with pytest.raises(ServiceException) as down:
        client.crm.contacts.search_api.do_search(public_object_search_request=by_email("a@b.io"))
    assert down.value.status == 502 and "<html>" in str(down.value.body)
    hubspot.answer_late("contacts.create", 1.0)
    with pytest.raises(urllib3.exceptions.ReadTimeoutError):
        client.crm.contacts.basic_api.create(
            simple_public_object_input_for_create=NewContact(properties={"email": "kim@acme.com"}),
            _request_timeout=0.3,
        )
    assert hubspot.contact("kim@acme.com") is not None


def test_the_search_index_can_lag_behind_writes(hubspot, client):
    hubspot.set_index_lag(5.0)
    client.crm.contacts.basic_api.create(
        simple_public_object_input_for_create=NewContact(properties={"email": "kim@acme.com"})
    )
    search = {"public_object_search_request": by_email("kim@acme.com")}
    assert client.crm.contacts.search_api.do_search(**search).total == 0
    hubspot.clock.advance(5.1)
    assert client.crm.contacts.search_api.do_search(**search).total == 1


def test_a_batch_read_returns_the_asked_properties(hubspot, client):
    from hubspot.crm.objects.tasks import BatchReadInputSimplePublicObjectId as Read

    made = [
        client.crm.objects.tasks.basic_api.create(
            simple_public_object_input_for_create=NewTask(
                properties={"hs_task_subject": f"t{n}", "hs_timestamp": "2026-12-03T15:30:00Z"}
            )
        ).id
        for n in range(2)
    ]
    read = client.crm.objects.tasks.batch_api.read(
        batch_read_input_simple_public_object_id=Read(
            inputs=[{"id": i} for i in made],
            properties=["hs_task_subject"],
            properties_with_history=[],
        )
    )
    assert read.status == "COMPLETE"
    assert sorted(t.properties["hs_task_subject"] for t in read.results) == ["t0", "t1"]


@pytest.mark.parametrize(
    ("one", "found"),
    [
        ({"operator": "IN", "values": ["acme.com", "beta.io"]}, ["acme.com", "beta.io"]),
        ({"operator": "NEQ", "value": "acme.com"}, ["beta.io", "gamma.org"]),
        ({"operator": "HAS_PROPERTY"}, ["acme.com", "beta.io", "gamma.org"]),
        ({"operator": "CONTAINS_TOKEN", "value": "bet*"}, ["beta.io"]),
        ({"operator": "GT", "value": "b"}, ["beta.io", "gamma.org"]),
    ],
)
def test_search_operators(hubspot, client, one, found):
    for domain in ("acme.com", "beta.io", "gamma.org"):
        hubspot.add_company(domain)
    request = {
        "filterGroups": [{"filters": [{"propertyName": "domain", **one}]}],
        "properties": ["domain"],
        "sorts": [{"propertyName": "domain", "direction": "ASCENDING"}],
    }
    answer = client.crm.companies.search_api.do_search(public_object_search_request=request)
    assert [r.properties["domain"] for r in answer.results] == found
