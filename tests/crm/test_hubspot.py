"""bot.crm against the HubSpot stand-in: ownership at routing time, write-back, HubSpot's
refusals and limits, as HubSpot's own client meets them."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta

import pytest

from bot.crm import hubspot as hubspot_module
from bot.crm import writeback
from bot.crm.hubspot import HubSpotCrm
from bot.crm.ownership import Ownership
from bot.slack.errors import Failed, Handling
from crm_standins.hubspot import HubSpotStandin
from routing import Lead, RoutingConfig
from storage.models import LeadRow
from tests.crm.conftest import assigned_lead, crm_team, ownership_of

NOW = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)
# A budget no loaded test machine misses with two or three calls to a local server; the
# tests of a slow CRM use SLOW's 300 ms.
CONFIG = crm_team("{provider: hubspot, budget_ms: 3000}")
SLOW = crm_team("{provider: hubspot, budget_ms: 300}")


def crm_of(hubspot: HubSpotStandin) -> HubSpotCrm:
    return HubSpotCrm(hubspot.token, hubspot.url, portal_id="123456")


def lookup(hubspot: HubSpotStandin, config: RoutingConfig = CONFIG) -> tuple[HubSpotCrm, Ownership]:
    crm = crm_of(hubspot)
    return crm, ownership_of(crm, config)


def lead(**fields) -> LeadRow:  # type: ignore[no-untyped-def]
    return assigned_lead(NOW, **fields)


# ---------------------------------------------------------------- ownership


def test_the_contact_owner_is_the_rep_with_their_email(hubspot):
    hubspot.add_contact("kim@acme.com", owner_id="22")
    answer = lookup(hubspot)[1].answer(Lead(email="Kim@Acme.com"))
    assert answer is not None and answer.rep_id == "ben"
    assert answer.why == "HubSpot: contact kim@acme.com is owned by Ben"


def test_without_a_contact_owner_the_company_of_the_domain_owns_it(hubspot):
    hubspot.add_contact("kim@acme.com")  # no owner
    hubspot.add_company("acme.com", owner_id="11")
    answer = lookup(hubspot)[1].answer(Lead(email="kim@acme.com"))
    assert answer is not None and answer.rep_id == "ana"
    assert answer.why == "HubSpot: company acme.com is owned by Ana"


def test_free_mail_never_asks_for_a_company(hubspot):
    hubspot.add_company("gmail.com", owner_id="11")
    answer = lookup(hubspot)[1].answer(Lead(email="kim@gmail.com"))
    assert answer is not None and answer.rep_id is None
    assert hubspot.calls("companies.search") == []


def test_an_owner_who_is_no_rep_routes_by_the_rules_and_says_who(hubspot):
    hubspot.add_company("acme.com", owner_id="99")
    answer = lookup(hubspot)[1].answer(Lead(email="kim@acme.com"))
    assert answer is not None and answer.rep_id is None
    assert answer.why == "HubSpot: company acme.com is owned by someone@else.io, not a rep here"


def test_a_slow_hubspot_does_not_hold_the_lead_and_the_trace_says_so(hubspot):
    hubspot.add_contact("kim@acme.com", owner_id="22")
    _crm, ownership = lookup(hubspot, SLOW)
    hubspot.slow("contacts.get", 2.0)
    started = time.monotonic()
    answer = ownership.answer(Lead(email="kim@acme.com"))
    assert time.monotonic() - started < 1.0, "the lead waited for HubSpot (2 s)"
    assert answer is not None and answer.rep_id is None
    assert answer.why == "HubSpot not consulted: no answer within 300 ms"


def test_a_slow_answer_still_serves_the_next_lead_from_the_same_company(hubspot):
    hubspot.add_company("acme.com", owner_id="22")
    _crm, ownership = lookup(hubspot, SLOW)
    hubspot.slow("contacts.get", 0.6)
    first = ownership.answer(Lead(email="kim@acme.com"))
    assert first is not None and first.rep_id is None  # not waited for
    hubspot.wait_for(lambda: ("kim@acme.com", "acme.com") in ownership.cache)  # it came
    again = ownership.answer(Lead(email="kim@acme.com"))
    assert again is not None and again.rep_id == "ben"
    assert again.why == "HubSpot: company acme.com is owned by Ben"
    assert len(hubspot.calls("contacts.get")) == 1  # the second lead was answered from the cache


@pytest.mark.parametrize(
    ("trouble", "said"),
    [("outage", "HubSpot not consulted: HubSpot 503"), ("break_token", "INVALID_AUTHENTICATION")],
)
def test_hubspot_down_or_refusing_routes_by_the_rules(hubspot, trouble, said):
    _crm, ownership = lookup(hubspot)
    getattr(hubspot, trouble)()
    answer = ownership.answer(Lead(email="kim@acme.com"))
    assert answer is not None and answer.rep_id is None and said in answer.why


def test_a_timeout_is_one_request_not_four(hubspot, monkeypatch):
    """HubSpot's client leaves urllib3's retries on unless told otherwise: a GET that timed
    out went out three more times, holding a delivery worker four times as long."""
    monkeypatch.setattr(hubspot_module, "TIMEOUT", 0.2)
    crm = crm_of(hubspot)
    hubspot.slow("owners.list", 0.5, times=4)
    started = time.monotonic()
    with pytest.raises(Failed) as failed:
        crm.owners()
    assert failed.value.kind is Handling.transient and time.monotonic() - started < 0.5
    time.sleep(1.0)  # a retry would have reached the stand-in by now
    assert len(hubspot.calls("owners.list")) == 1


# ---------------------------------------------------------------- write-back


def test_a_new_lead_gets_a_contact_its_owner_its_status_and_a_task_due_at_the_sla(hubspot):
    crm, ownership = lookup(hubspot)
    link, note = writeback.sync(crm, ownership, CONFIG, lead(), None, NOW)
    contact = hubspot.contact("kim@acme.com")
    assert contact is not None and link is not None and link.record_id == contact["id"]
    assert contact["hubspot_owner_id"] == "11" and contact["hs_lead_status"] == "NEW"
    assert (contact["firstname"], contact["lastname"], contact["company"]) == ("Kim", "Lee", "Acme")
    assert link.url == f"https://app.hubspot.com/contacts/123456/record/0-1/{contact['id']}"
    [task] = hubspot.tasks_of(contact["id"])
    props = task["properties"]
    assert (
        props["hubspot_owner_id"] == "11" and "Follow up Kim Lee (Acme)" in props["hs_task_subject"]
    )
    due = datetime.fromisoformat(props["hs_timestamp"].replace("Z", "+00:00"))
    assert due == NOW + timedelta(minutes=30)
    assert "task created" in note


def test_an_existing_contact_is_found_and_given_its_new_owner(hubspot):
    existing = hubspot.add_contact("kim@acme.com", owner_id="99")
    crm, ownership = lookup(hubspot)
    link, _ = writeback.sync(crm, ownership, CONFIG, lead(), None, NOW)
    assert link is not None and link.record_id == existing
    assert hubspot.contact("kim@acme.com")["hubspot_owner_id"] == "11"
    assert len(hubspot.objects("contacts")) == 1


def test_a_contact_the_search_does_not_show_yet_is_taken_from_the_409(hubspot):
    """HubSpot's search lags behind writes: a contact made a moment ago is not found, the
    create answers 409 "Contact already exists. Existing ID: …", and that contact is used."""
    hubspot.set_index_lag(30)
    existing = hubspot.add_contact("kim@acme.com")
    hubspot.set_property("contacts", existing, "firstname", "Kim")  # changed: not indexed yet
    crm, ownership = lookup(hubspot)
    link, _ = writeback.sync(crm, ownership, CONFIG, lead(), None, NOW)
    assert [c.status for c in hubspot.calls("contacts.create")] == [409]
    assert link is not None and link.record_id == existing
    assert hubspot.contact("kim@acme.com")["hubspot_owner_id"] == "11"


def test_claim_then_won_write_the_status_and_the_lifecycle_stage(hubspot):
    crm, ownership = lookup(hubspot)
    link, _ = writeback.sync(crm, ownership, CONFIG, lead(), None, NOW)
    writeback.sync(crm, ownership, CONFIG, lead(state="claimed"), link, NOW)
    assert hubspot.contact("kim@acme.com")["hs_lead_status"] == "OPEN"
    writeback.sync(crm, ownership, CONFIG, lead(state="won"), link, NOW)
    contact = hubspot.contact("kim@acme.com")
    assert (contact["hs_lead_status"], contact["lifecyclestage"]) == ("OPEN_DEAL", "customer")
    assert len(hubspot.objects("tasks")) == 1


def test_a_rep_hubspot_does_not_know_is_said_and_the_contact_still_written(hubspot):
    crm, ownership = lookup(hubspot)
    link, note = writeback.sync(crm, ownership, CONFIG, lead(owner="chloe"), None, NOW)
    assert link is not None and "chloe is no owner in HubSpot" in note
    assert "hubspot_owner_id" not in hubspot.contact("kim@acme.com")
    assert hubspot.objects("tasks") == []


# ---------------------------------------------------------------- refusals


def test_the_burst_limit_is_a_wait_of_hubspots_window(hubspot):
    crm, ownership = lookup(hubspot)
    hubspot.rate_limits(burst=2)
    with pytest.raises(Failed) as limited:
        writeback.sync(crm, ownership, CONFIG, lead(), None, NOW)
    assert limited.value.kind is Handling.rate_limited and limited.value.retry_after == 10.0


def test_the_search_limit_is_a_wait_of_a_second(hubspot):
    crm, _ownership = lookup(hubspot)
    hubspot.rate_limits(search_per_second=0)
    with pytest.raises(Failed) as limited:
        crm.find_owner(None, "acme.com", 1.0)
    assert limited.value.kind is Handling.rate_limited and limited.value.retry_after == 1.0


def test_the_contact_is_read_by_its_email_not_searched(hubspot):
    """Search allows a few calls a second and lags behind writes; a read by email does neither
    (GET …/contacts/{email}?idProperty=email): only the company is searched."""
    hubspot.add_contact("kim@acme.com")  # no owner: the company is asked next
    hubspot.add_company("acme.com", owner_id="11")
    answer = lookup(hubspot)[1].answer(Lead(email="kim@acme.com"))
    assert answer is not None and answer.rep_id == "ana"
    assert [c.status for c in hubspot.calls("contacts.get")] == [200]
    assert hubspot.calls("contacts.search") == [] and len(hubspot.calls("companies.search")) == 1


def test_a_missing_scope_is_given_up_naming_the_scope(hubspot):
    crm, ownership = lookup(hubspot)
    hubspot.limit_scopes({"crm.objects.contacts.read", "crm.objects.owners.read"})
    with pytest.raises(Failed) as refused:
        writeback.sync(crm, ownership, CONFIG, lead(), None, NOW)
    assert refused.value.kind is Handling.permanent
    assert (
        "MISSING_SCOPES" in refused.value.code
        and "crm.objects.contacts.write" in refused.value.code
    )


def test_a_refused_token_is_given_up_and_never_logged(hubspot, caplog):
    crm, ownership = lookup(hubspot)
    hubspot.break_token()
    caplog.set_level(logging.DEBUG)
    with pytest.raises(Failed) as refused:
        writeback.sync(crm, ownership, CONFIG, lead(), None, NOW)
    assert (
        refused.value.kind is Handling.permanent
        and "401 INVALID_AUTHENTICATION" in refused.value.code
    )
    assert hubspot.token not in caplog.text and hubspot.token not in refused.value.code


def test_owners_that_cannot_be_read_are_asked_for_once_a_minute_not_once_a_lead(hubspot):
    now = [0.0]
    crm = crm_of(hubspot)
    ownership = Ownership(crm, CONFIG, clock=lambda: now[0])
    ownership.refresh_owners()
    hubspot.outage("owners.list", times=100)
    now[0] = 601.0  # the list is stale
    for _ in range(20):
        assert ownership.rep_of("22") == "ben"  # the list last read still answers
    time.sleep(0.3)
    assert len(hubspot.calls("owners.list")) == 2  # start-up, then one attempt
    now[0] = 662.0
    ownership.rep_of("22")
    hubspot.wait_for(lambda: len(hubspot.calls("owners.list")) == 3)
